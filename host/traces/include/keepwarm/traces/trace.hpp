// keepwarm/traces/trace.hpp: the in-memory trace every reader produces and the
// engine replays: functions with dense indices, invocations as two parallel
// arrays (time, function), sorted by time with ties in file order.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace keepwarm {

// The page-aligned interior of [p, p + bytes) of a read-only file mapping is dropped from this
// process's memory; reading it again faults it back in from the page cache (Column::release).
void release_pages(const void* p, size_t bytes) noexcept;

// One array of a trace's invocations. Readers build it (push_back); the binary reader instead
// makes it a read-only view of the mapped file, so that a replay reads the file sequentially
// and never holds a copy: release() then hands pages the replay has passed back to the kernel
// (they are read again from the page cache if anyone touches them), which keeps a replay's
// memory independent of the trace's length.
template <class T>
class Column {
 public:
  using value_type = T;
  using const_iterator = const T*;
  using iterator = const T*;

  Column() = default;
  // A view of n values at data, kept valid by owner (the mapping).
  static Column view(std::shared_ptr<const void> owner, const T* data, size_t n) {
    Column c;
    c.owner_ = std::move(owner);
    c.view_ = data;
    c.view_size_ = n;
    return c;
  }

  // Building (not for views).
  void push_back(const T& v) { owned_.push_back(v); }
  void reserve(size_t n) { owned_.reserve(n); }
  // Copies n values from bytes that need not be aligned.
  void assign_bytes(const void* bytes, size_t n) {
    owned_.resize(n);
    if (n > 0) std::memcpy(owned_.data(), bytes, n * sizeof(T));
  }

  const T* data() const noexcept { return owner_ ? view_ : owned_.data(); }
  size_t size() const noexcept { return owner_ ? view_size_ : owned_.size(); }
  bool empty() const noexcept { return size() == 0; }
  const T& operator[](size_t i) const noexcept { return data()[i]; }
  const T& front() const noexcept { return data()[0]; }
  const T& back() const noexcept { return data()[size() - 1]; }
  const T* begin() const noexcept { return data(); }
  const T* end() const noexcept { return data() + size(); }
  bool is_view() const noexcept { return owner_ != nullptr; }

  // A hint that values [begin, end) will not be read again soon: for a view, the whole pages
  // they cover are released (madvise MADV_DONTNEED on the read-only file mapping); otherwise
  // nothing. The values stay readable.
  void release(size_t begin, size_t end) const noexcept {
    if (owner_ && begin < end && end <= view_size_)
      release_pages(view_ + begin, (end - begin) * sizeof(T));
  }

  friend bool operator==(const Column& a, const Column& b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  friend bool operator==(const Column& a, const std::vector<T>& b) noexcept {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  std::vector<T> owned_;
  std::shared_ptr<const void> owner_;
  const T* view_ = nullptr;
  size_t view_size_ = 0;
};

struct Function {
  std::string id;      // name in the trace
  uint32_t memory_mb;  // > 0
  double cold_ms;      // execution time when started cold, >= 0
  double warm_ms;      // execution time when warm, >= 0
};

struct Trace {
  std::string name;                 // short label used in results (e.g. directory name)
  std::vector<Function> functions;  // dense: index = function id
  Column<double> times;             // invocation times, ms, non-decreasing
  Column<uint32_t> function_of;     // function index per invocation

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

// Why a function name cannot be used, or "" when it can: names must be non-empty, valid UTF-8
// and free of control characters (bytes below 0x20 and 0x7f: a line break in a name would break
// every line-oriented file keepwarm writes about it). Every trace reader checks each name.
std::string function_name_problem(std::string_view name);

// Native text form: a directory with functions.csv (function,memory_mb,cold_ms,warm_ms) and
// invocations.csv (time_ms,function); fields may be quoted as RFC 4180 says (a name with a
// comma or a quote is written "a,b" / "say ""hi"""). Throws TraceError.
Trace load_native_trace(const std::filesystem::path& dir);

// Writes the native text form into dir (created if missing).
void write_native_trace(const Trace& trace, const std::filesystem::path& dir);

// Loads a trace in any supported form, recognised by content. Throws TraceError.
Trace load_trace(const std::filesystem::path& path);

// The trace search path (search.cpp): the directories of KEEPWARM_TRACE_PATH (colon-separated),
// then the shipped traces next to the executable (<exe>/../share/keepwarm/traces: installed, or
// linked to the source tree's traces/ in a build tree).
std::vector<std::filesystem::path> trace_search_path();
// A trace by path, or by name: ref itself when it exists; otherwise, for a bare name (no '/'),
// the first DIR/ref, DIR/ref.kwt or DIR/ref.pckl on the search path. Throws TraceError naming
// the directories searched and the traces found there.
std::filesystem::path find_trace(const std::string& ref);

}  // namespace keepwarm
