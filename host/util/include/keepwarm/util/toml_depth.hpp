// keepwarm/util/toml_depth.hpp: a check of a TOML document's nesting depth before it is parsed.
// toml++ parses recursively: a header or value nested tens of thousands of levels deep overflows
// the stack. keepwarm's files nest a few levels; anything deeper is refused with its position.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace keepwarm {

struct TomlDepthProblem {
  uint64_t line = 0, column = 0;  // 1-based position where the limit is passed; line 0 = none
  std::string message;
};

// Scans text (comments and every string form skipped) and returns where arrays, inline tables
// and dotted keys together first nest deeper than max_depth, or line 0 when they never do.
TomlDepthProblem check_toml_depth(std::string_view text, size_t max_depth = 64);

}  // namespace keepwarm
