// file_read.hpp: reading trace files (private to host/traces): one sized read of a regular
// file, or its descriptor for mapping; every error is a TraceError naming the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

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
