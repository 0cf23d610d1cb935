// json_read.hpp: a small JSON reader, enough to read back results.json (objects, arrays,
// strings, numbers, true/false/null). Numbers keep their source text as well as their value.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace keepwarm::json {

class ParseError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Member;

struct Value {
  enum class Kind { null, boolean, number, string, array, object };
  Kind kind = Kind::null;
  bool boolean = false;
  double number = 0;
  std::string text;  // string contents, or a number's source text
  std::vector<Value> items;
  std::vector<Member> members;  // in document order

  // The member named key, or nullptr (objects only).
  const Value* find(const std::string& key) const;
  // Typed accessors; they throw ParseError naming `what` when the kind is wrong.
  const Value& at(const std::string& key) const;
  const std::string& str(const char* what = "value") const;
  double num(const char* what = "value") const;
  uint64_t u64(const char* what = "value") const;
};

// An object's member (a struct, not a std::pair, so that Value is complete where it is used).
struct Member {
  std::string first;
  Value second;
};

// Parses a whole document; throws ParseError with line and column.
Value parse(const std::string& text);

}  // namespace keepwarm::json
