// file_read.hpp: reading trace files (private to host/traces): one sized read of a regular
// file, or its descriptor for mapping; every error is a TraceError naming the file.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "keepwarm/traces/trace.hpp"

namespace keepwarm {

// Reads a whole trace file with one read (sized by fstat); throws TraceError naming the file.
std::string read_trace_bytes(const std::filesystem::path& file);

// Opens a regular file for reading and gives its size; throws TraceError naming the file.
// The caller closes the descriptor.
int open_trace_file(const std::filesystem::path& file, size_t* size);

// A text file mapped read-only (or, where mapping fails, read whole), for readers that go
// through it once: release_before(offset) gives back the pages before offset, so a reader's
// memory for the text stays at about one window instead of the file's size.
class MappedText {
 public:
  explicit MappedText(const std::filesystem::path& file);
  ~MappedText();
  MappedText(const MappedText&) = delete;
  MappedText& operator=(const MappedText&) = delete;

  std::string_view text() const noexcept { return text_; }
  // Releases whole pages before offset once at least 8 MiB have been passed since the last time.
  void release_before(size_t offset) noexcept;

 private:
  std::string copy_;  // when mapping failed
  void* map_ = nullptr;
  std::string_view text_;
  size_t released_ = 0;
};

}  // namespace keepwarm

namespace keepwarm {

// Whether a reader about to produce about `bytes` of invocation columns (12 per invocation)
// should spill them to disk instead of holding them: above KEEPWARM_SPILL_MB (default 64; 0 =
// always, "off" = never). Spilled columns are views of a mapped temporary file, read and
// released behind the replay like a binary trace's, so the trace costs memory for its functions
// only.
bool spill_columns(uint64_t bytes);

// A trace column built by appending: in memory, or (spill) through a 1 MiB buffer into an
// unlinked temporary file in KEEPWARM_SPILL_DIR, else TMPDIR, else /var/tmp, mapped read-only
// when finished. A write error (a full disk) is a TraceError naming `source` (the trace file)
// and the spill directory.
template <class T>
class ColumnBuilder {
 public:
  ColumnBuilder(bool spill, std::filesystem::path source);
  ~ColumnBuilder();
  ColumnBuilder(const ColumnBuilder&) = delete;
  ColumnBuilder& operator=(const ColumnBuilder&) = delete;

  void reserve(size_t n) {
    if (fd_ < 0) column_.reserve(n);
  }
  void push_back(const T& v) {
    if (fd_ < 0) {
      column_.push_back(v);
    } else {
      buffer_.push_back(v);
      if (buffer_.size() == kBuffer) flush();
    }
    ++size_;
  }
  size_t size() const noexcept { return size_; }
  // The column (the builder is empty afterwards).
  Column<T> finish();

 private:
  static constexpr size_t kBuffer = (size_t{1} << 20) / sizeof(T);
  void flush();
  std::filesystem::path source_;
  Column<T> column_;
  std::vector<T> buffer_;
  int fd_ = -1;
  size_t size_ = 0;
};

}  // namespace keepwarm
