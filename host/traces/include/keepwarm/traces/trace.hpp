// keepwarm/traces/trace.hpp: the in-memory trace every reader produces and the
// engine replays: functions with dense indices, invocations as two parallel
// arrays (time, function), sorted by time with ties in file order.
#pragma once

#include <cstdint>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

namespace keepwarm {

struct Function {
  std::string id;      // name in the trace
  uint32_t memory_mb;  // > 0
  double cold_ms;      // execution time when started cold, >= 0
  double warm_ms;      // execution time when warm, >= 0
};

struct Trace {
  std::string name;                   // short label used in results (e.g. directory name)
  std::vector<Function> functions;    // dense: index = function id
  std::vector<double> times;          // invocation times, ms, non-decreasing
  std::vector<uint32_t> function_of;  // function index per invocation

  size_t invocation_count() const noexcept { return times.size(); }
  // Per-function sorted arrival times (for lookahead policies).
  std::vector<std::vector<double>> arrivals_by_function() const;
  // Checks the invariants above; throws std::invalid_argument naming the first violation.
  void validate() const;
};

// An error in a trace file: names the file, and line and column where known (0 = unknown).
class TraceError : public std::runtime_error {
 public:
  TraceError(std::filesystem::path file, uint64_t line, uint64_t column, const std::string& what);
  const std::filesystem::path& file() const noexcept { return file_; }
  uint64_t line() const noexcept { return line_; }
  uint64_t column() const noexcept { return column_; }

 private:
  std::filesystem::path file_;
  uint64_t line_;
  uint64_t column_;
};

// Native text form: a directory with functions.csv (function,memory_mb,cold_ms,warm_ms) and
// invocations.csv (time_ms,function). Throws TraceError.
Trace load_native_trace(const std::filesystem::path& dir);

// Writes the native text form into dir (created if missing).
void write_native_trace(const Trace& trace, const std::filesystem::path& dir);

// Loads a trace in any supported form, recognised by content. Throws TraceError.
Trace load_trace(const std::filesystem::path& path);

}  // namespace keepwarm
