// file_read.cpp: see file_read.hpp; also release_pages (keepwarm/traces/trace.hpp).
#include "file_read.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>

#include "keepwarm/traces/trace.hpp"

namespace keepwarm {

int open_trace_file(const std::filesystem::path& file, size_t* size) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw TraceError(file, 0, 0, std::string("cannot open: ") + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    ::close(fd);
    throw TraceError(file, 0, 0, "not a regular file");
  }
  *size = static_cast<size_t>(st.st_size);
  return fd;
}

std::string read_trace_bytes(const std::filesystem::path& file) {
  size_t size = 0;
  const int fd = open_trace_file(file, &size);
  std::string out(size, '\0');
  size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      ::close(fd);
      throw TraceError(file, 0, 0, n == 0 ? "file shrank while reading" : "read error");
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return out;
}

MappedText::MappedText(const std::filesystem::path& file) {
  size_t size = 0;
  const int fd = open_trace_file(file, &size);
  if (size > 0) {
    void* map = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (map != MAP_FAILED) {
      ::madvise(map, size, MADV_SEQUENTIAL);
      map_ = map;
      text_ = std::string_view(static_cast<const char*>(map), size);
    }
  }
  ::close(fd);
  if (map_ == nullptr && size > 0) {
    copy_ = read_trace_bytes(file);
    text_ = copy_;
  }
}

MappedText::~MappedText() {
  if (map_ != nullptr) ::munmap(map_, text_.size());
}

void MappedText::release_before(size_t offset) noexcept {
  constexpr size_t kWindow = size_t{8} << 20;
  if (map_ == nullptr || offset < released_ + kWindow) return;
  release_pages(text_.data() + released_, offset - released_);
  released_ = offset;
}

void release_pages(const void* p, size_t bytes) noexcept {
  static const uintptr_t page = static_cast<uintptr_t>(::sysconf(_SC_PAGESIZE));
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(p) + page - 1) & ~(page - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(p) + bytes) & ~(page - 1);
  if (begin < end) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
}

}  // namespace keepwarm
