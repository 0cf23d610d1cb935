// native.cpp: the native text trace form (functions.csv + invocations.csv), its writer, trace
// invariants, and load_trace's dispatch on content.
#include "keepwarm/traces/trace.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <deque>
#include <sstream>
#include <string_view>

#include "file_read.hpp"
#include "keepwarm/traces/formats.hpp"
#include "keepwarm/traces/name_table.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

static std::string position_prefix(const fs::path& file, uint64_t line, uint64_t column) {
  std::string s = file.string();
  if (line > 0) s += ":" + std::to_string(line);
  if (column > 0) s += ":" + std::to_string(column);
  return s;
}

TraceError::TraceError(fs::path file, uint64_t line, uint64_t column, const std::string& what)
    : std::runtime_error(position_prefix(file, line, column) + ": " + what),
      file_(std::move(file)),
      line_(line),
      column_(column) {}

std::vector<std::vector<double>> Trace::arrivals_by_function() const {
  std::vector<std::vector<double>> out(functions.size());
  std::vector<size_t> counts(functions.size(), 0);
  for (uint32_t f : function_of) ++counts[f];
  for (size_t f = 0; f < functions.size(); ++f) out[f].reserve(counts[f]);
  for (size_t i = 0; i < times.size(); ++i) out[function_of[i]].push_back(times[i]);
  return out;
}

void Trace::validate() const {
  if (times.size() != function_of.size())
    throw std::invalid_argument("times and function_of differ in length");
  for (size_t f = 0; f < functions.size(); ++f) {
    const Function& fn = functions[f];
    if (fn.memory_mb == 0) throw std::invalid_argument("function '" + fn.id + "' has memory_mb 0");
    if (!(fn.cold_ms >= 0) || !(fn.warm_ms >= 0) || !std::isfinite(fn.cold_ms) ||
        !std::isfinite(fn.warm_ms))
      throw std::invalid_argument("function '" + fn.id + "' has a negative or non-finite time");
  }
  for (size_t i = 0; i < times.size(); ++i) {
    if (!std::isfinite(times[i]))
      throw std::invalid_argument("invocation " + std::to_string(i) + " has a non-finite time");
    if (i > 0 && times[i] < times[i - 1])
      throw std::invalid_argument("invocation " + std::to_string(i) + " goes back in time");
    if (function_of[i] >= functions.size())
      throw std::invalid_argument("invocation " + std::to_string(i) + " names no function");
  }
}

std::string function_name_problem(std::string_view name) {
  if (name.empty()) return "is empty";
  for (size_t i = 0; i < name.size();) {
    const auto c = static_cast<unsigned char>(name[i]);
    char hex[8];
    if (c < 0x20 || c == 0x7f) {
      std::snprintf(hex, sizeof hex, "0x%02x", c);
      return std::string("holds a control character (") + hex + ") at byte " +
             std::to_string(i + 1);
    }
    if (c < 0x80) {
      ++i;
      continue;
    }
    // UTF-8: the lead byte gives the length; continuation bytes are 10xxxxxx; no overlong
    // forms, no surrogates, nothing above U+10FFFF.
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xe0) == 0xc0) {
      len = 2;
      cp = c & 0x1f;
    } else if ((c & 0xf0) == 0xe0) {
      len = 3;
      cp = c & 0x0f;
    } else if ((c & 0xf8) == 0xf0) {
      len = 4;
      cp = c & 0x07;
    }
    bool ok = len != 0 && i + len <= name.size();
    for (size_t k = 1; ok && k < len; ++k) {
      const auto cc = static_cast<unsigned char>(name[i + k]);
      ok = (cc & 0xc0) == 0x80;
      cp = (cp << 6) | (cc & 0x3f);
    }
    if (ok) {
      static constexpr uint32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10ffff && !(cp >= 0xd800 && cp <= 0xdfff);
    }
    if (!ok) return "is not valid UTF-8 (at byte " + std::to_string(i + 1) + ")";
    i += len;
  }
  return "";
}

namespace {

// A CSV line cursor: fields separated by commas, optionally quoted as RFC 4180 says ("a,b",
// "say ""hi"""). A quoted field must end on its line: names never hold line breaks.
class CsvCursor {
 public:
  CsvCursor(const fs::path& file, std::string_view text) : file_(file), text_(text) {}

  // Advances to the next non-empty line; false at end of file.
  bool next_line() {
    while (pos_ < text_.size()) {
      const size_t end = text_.find('\n', pos_);
      const size_t stop = end == std::string_view::npos ? text_.size() : end;
      line_ = text_.substr(pos_, stop - pos_);
      if (!line_.empty() && line_.back() == '\r') line_.remove_suffix(1);
      pos_ = stop + 1;
      ++line_no_;
      field_start_ = 0;
      if (!line_.empty()) return true;
    }
    return false;
  }
  std::string_view line() const { return line_; }
  // Offset in the text just past the current line.
  size_t offset() const { return pos_; }

  // Returns the next field of the current line (unquoted) and its 1-based column. A quoted
  // field's text lives in the cursor until the next call, or, when keep is given, in *keep
  // (stable addresses: function names, whose views key an index that outlives the cursor).
  std::string_view field(const char* what, uint64_t* column,
                         std::deque<std::string>* keep = nullptr) {
    if (field_start_ > line_.size())
      fail(line_.size() + 1, std::string("missing field '") + what + "'");
    *column = field_start_ + 1;
    if (field_start_ < line_.size() && line_[field_start_] == '"') {
      std::string text;
      size_t i = field_start_ + 1;
      for (;; ++i) {
        if (i >= line_.size())
          fail(*column, std::string("unterminated quoted field '") + what +
                            "' (a quoted field ends on its line)");
        if (line_[i] == '"') {
          if (i + 1 < line_.size() && line_[i + 1] == '"') {
            text += '"';
            ++i;
            continue;
          }
          break;
        }
        text += line_[i];
      }
      ++i;  // past the closing quote
      if (i < line_.size() && line_[i] != ',')
        fail(i + 1, std::string("text after the closing quote of '") + what + "'");
      field_start_ = i + 1;
      if (keep != nullptr) {
        keep->push_back(std::move(text));
        return keep->back();
      }
      scratch_ = std::move(text);
      return scratch_;
    }
    const size_t comma = line_.find(',', field_start_);
    const size_t stop = comma == std::string_view::npos ? line_.size() : comma;
    std::string_view f = line_.substr(field_start_, stop - field_start_);
    field_start_ = stop + 1;
    if (f.find('"') != std::string_view::npos)
      fail(*column + f.find('"'), std::string("a quote inside the unquoted field '") + what +
                                      "' (quote the whole field: \"...\", with \"\" for a quote)");
    return f;
  }
  void expect_end() {
    if (field_start_ <= line_.size())
      fail(field_start_ + 1,
           "unexpected extra field '" + std::string(line_.substr(field_start_)) + "'");
  }
  [[noreturn]] void fail(uint64_t column, const std::string& what) const {
    throw TraceError(file_, line_no_, column, what);
  }

 private:
  const fs::path& file_;
  std::string_view text_;
  std::string_view line_;
  size_t pos_ = 0;
  size_t field_start_ = 0;
  uint64_t line_no_ = 0;
  std::string scratch_;  // the last quoted field
};

double parse_double(CsvCursor& csv, const char* what, uint64_t* column = nullptr) {
  uint64_t col = 0;
  std::string_view f = csv.field(what, &col);
  while (!f.empty() && f.front() == ' ') f.remove_prefix(1);
  while (!f.empty() && f.back() == ' ') f.remove_suffix(1);
  double v = 0;
  const auto [ptr, ec] = std::from_chars(f.data(), f.data() + f.size(), v);
  if (f.empty() || ec != std::errc() || ptr != f.data() + f.size() || !std::isfinite(v))
    csv.fail(col, std::string("bad number for ") + what + ": '" + std::string(f) + "'");
  if (column != nullptr) *column = col;
  return v;
}

void expect_header(CsvCursor& csv, const fs::path& file, std::string_view expected) {
  if (!csv.next_line())
    throw TraceError(file, 0, 0, "empty file, expected header " + std::string(expected));
  std::string_view got = csv.line();
  if (got.size() >= 3 && got.substr(0, 3) == "\xEF\xBB\xBF") got.remove_prefix(3);  // BOM
  if (got != expected)
    csv.fail(1,
             "expected header '" + std::string(expected) + "', found '" + std::string(got) + "'");
}

}  // namespace

Trace load_native_trace(const fs::path& dir) {
  Trace trace;
  trace.name = dir.filename().string();
  if (trace.name.empty()) trace.name = dir.parent_path().filename().string();

  const fs::path functions_file = dir / "functions.csv";
  const fs::path invocations_file = dir / "invocations.csv";
  // A quoted name's unquoted text lives in quoted_names until the name is copied (index and
  // trace.functions copy it; later quoted fields on the line would reuse the cursor's buffer).
  std::deque<std::string> quoted_names;
  NameTable index;  // function name -> index in trace.functions

  const std::string functions_text = read_trace_bytes(functions_file);
  {
    CsvCursor csv(functions_file, functions_text);
    expect_header(csv, functions_file, "function,memory_mb,cold_ms,warm_ms");
    while (csv.next_line()) {
      uint64_t col = 0;
      const std::string_view id = csv.field("function", &col, &quoted_names);
      if (const std::string problem = function_name_problem(id); !problem.empty())
        csv.fail(col, "function name '" + std::string(id) + "' " + problem);
      uint64_t mem_col = 0, cold_col = 0, warm_col = 0;
      const double mem = parse_double(csv, "memory_mb", &mem_col);
      if (mem <= 0 || mem != std::floor(mem) || mem > 4294967295.0)
        csv.fail(mem_col, "memory_mb must be a whole number > 0, got " + format_number(mem));
      const double cold = parse_double(csv, "cold_ms", &cold_col);
      const double warm = parse_double(csv, "warm_ms", &warm_col);
      if (cold < 0) csv.fail(cold_col, "cold_ms must be >= 0, got " + format_number(cold));
      if (warm < 0) csv.fail(warm_col, "warm_ms must be >= 0, got " + format_number(warm));
      csv.expect_end();
      const auto [first, inserted] = index.insert(id);
      if (!inserted)
        csv.fail(1, "duplicate function '" + std::string(id) + "' (first defined as function #" +
                        std::to_string(first + 1) + ")");
      trace.functions.push_back(Function{std::string(id), static_cast<uint32_t>(mem), cold, warm});
    }
  }

  // Mapped and released behind the reader: what stays is the trace's 12 bytes per invocation
  // (time and function index) and about 8 MiB of the text.
  MappedText invocations(invocations_file);
  const std::string_view invocations_text = invocations.text();
  {
    CsvCursor csv(invocations_file, invocations_text);
    expect_header(csv, invocations_file, "time_ms,function");
    // A rough estimate: one invocation per ~16 bytes of text, 12 bytes each in the columns, which
    // a large trace spills to a temporary file (file_read.hpp) instead of holding.
    const size_t estimate = invocations_text.size() / 16;
    const bool spill = spill_columns(uint64_t{estimate} * 12);
    ColumnBuilder<double> times(spill, invocations_file);
    ColumnBuilder<uint32_t> function_of(spill, invocations_file);
    times.reserve(estimate);
    function_of.reserve(estimate);
    double last = -INFINITY;
    while (csv.next_line()) {
      const double t = parse_double(csv, "time_ms");
      uint64_t col = 0;
      const std::string_view id = csv.field("function", &col);
      csv.expect_end();
      if (t < last)
        csv.fail(1, "time goes backwards: " + std::string(csv.line().substr(0, col - 2)) +
                        " is before the previous invocation's " + format_number(last));
      const uint32_t f = index.find(id);
      if (f == NameTable::kAbsent) csv.fail(col, "unknown function '" + std::string(id) + "'");
      last = t;
      times.push_back(t);
      function_of.push_back(f);
      if ((times.size() & 0xffff) == 0) invocations.release_before(csv.offset());
    }
    trace.times = times.finish();
    trace.function_of = function_of.finish();
  }
  return trace;
}

void write_native_trace(const Trace& trace, const fs::path& dir) {
  fs::create_directories(dir);
  {
    std::ostringstream out;
    out << "function,memory_mb,cold_ms,warm_ms\n";
    for (const Function& f : trace.functions)
      out << csv_field(f.id) << ',' << f.memory_mb << ',' << format_number(f.cold_ms) << ','
          << format_number(f.warm_ms) << '\n';
    write_file_atomic(dir / "functions.csv", out.str());
  }
  {
    // Names as they appear in a CSV field (quoted where RFC 4180 needs it), made once.
    std::vector<std::string> fields;
    fields.reserve(trace.functions.size());
    for (const Function& f : trace.functions) fields.push_back(csv_field(f.id));
    std::string out = "time_ms,function\n";
    out.reserve(trace.times.size() * 20);
    for (size_t i = 0; i < trace.times.size(); ++i) {
      out += format_number(trace.times[i]);
      out += ',';
      out += fields[trace.function_of[i]];
      out += '\n';
    }
    write_file_atomic(dir / "invocations.csv", out);
  }
}

Trace load_trace(const fs::path& path) {
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    if (fs::exists(path / "functions.csv") && fs::exists(path / "invocations.csv"))
      return load_native_trace(path);
    for (const auto& entry : fs::directory_iterator(path, ec))
      if (entry.path().filename().string().rfind("invocations_per_function_md.", 0) == 0)
        throw TraceError(path, 0, 0,
                         "this is an Azure Functions 2019 dataset, not a trace: make one with "
                         "'keepwarm trace import-azure " +
                             path.string() + " -o OUT'");
    throw TraceError(path, 0, 0,
                     "not a trace directory: expected functions.csv and invocations.csv in it");
  }
  if (!fs::exists(path, ec)) throw TraceError(path, 0, 0, "no such file or directory");
  // A single file: recognised by its first bytes, whatever its name.
  char head[8] = {};
  size_t got = 0;
  if (std::FILE* f = std::fopen(path.c_str(), "rb")) {
    got = std::fread(head, 1, sizeof head, f);
    std::fclose(f);
  } else {
    throw TraceError(path, 0, 0, "cannot open");
  }
  const std::string_view view(head, got);
  if (view == kBinaryTraceMagic) return load_binary_trace(path);
  if (got > 0 && static_cast<unsigned char>(head[0]) == 0x80) return load_pickle_trace(path);
  throw TraceError(path, 0, 0,
                   "unrecognised trace format (expected a native trace directory, a keepwarm "
                   "binary trace or a FaasCache pickle)");
}

}  // namespace keepwarm
