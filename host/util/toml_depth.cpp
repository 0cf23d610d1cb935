// toml_depth.cpp: the TOML nesting-depth check (toml_depth.hpp).
#include "keepwarm/util/toml_depth.hpp"

#include <vector>

namespace keepwarm {

TomlDepthProblem check_toml_depth(std::string_view text, size_t max_depth) {
  uint64_t line = 1, column = 0;
  std::vector<char> open;  // '[' and '{' not yet closed (headers included)
  size_t key_depth = 0;    // dotted-key components of the key being read
  bool in_key = true;      // reading a key: at a line start, or after '{' or ',' in a table
  bool in_header = false;  // inside [table] / [[array]] brackets at the start of a line
  auto problem = [&](const char* what) {
    return TomlDepthProblem{
        line, column,
        std::string(what) + " nested deeper than " + std::to_string(max_depth) + " levels"};
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    ++column;
    if (c == '\n') {
      ++line;
      column = 0;
      if (open.empty() || in_header) {  // a new statement
        open.clear();
        in_header = false;
        in_key = true;
        key_depth = 0;
      }
      continue;
    }
    if (c == '#') {  // comment: to the end of the line
      while (i + 1 < text.size() && text[i + 1] != '\n') ++i;
      continue;
    }
    if (c == '"' || c == '\'') {  // a string, basic or literal, single- or multi-line
      const bool triple = i + 2 < text.size() && text[i + 1] == c && text[i + 2] == c;
      const size_t quote_len = triple ? 3 : 1;
      i += quote_len;
      column += quote_len - 1;
      for (; i < text.size(); ++i) {
        ++column;
        if (text[i] == '\n') {
          ++line;
          column = 0;
          if (!triple) break;  // an unterminated string: the parser reports it
        }
        if (c == '"' && text[i] == '\\') {
          ++i;
          ++column;
          continue;
        }
        if (text[i] == c &&
            (!triple || (i + 2 < text.size() && text[i + 1] == c && text[i + 2] == c))) {
          i += quote_len - 1;
          column += quote_len - 1;
          break;
        }
      }
      continue;
    }
    if (c == '[' || c == '{') {
      if (c == '[' && open.empty() && in_key && key_depth == 0) in_header = true;
      open.push_back(c);
      in_key = c == '{' || (in_header && c == '[');
      key_depth = 0;
      if (open.size() + key_depth > max_depth) return problem("arrays and tables");
      continue;
    }
    if (c == ']' || c == '}') {
      if (!open.empty()) open.pop_back();
      if (in_header && open.empty()) in_key = false;
      continue;
    }
    if (c == '=') {
      in_key = false;
      key_depth = 0;
      continue;
    }
    if (c == ',') {
      in_key = !open.empty() && open.back() == '{';
      key_depth = 0;
      continue;
    }
    if (c == '.' && (in_key || in_header)) {
      ++key_depth;
      if (open.size() + key_depth > max_depth) return problem("dotted keys");
    }
  }
  return {};
}

}  // namespace keepwarm
