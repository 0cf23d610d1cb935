// file_read.cpp: see file_read.hpp; also release_pages (keepwarm/traces/trace.hpp).
#include "file_read.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>
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

namespace keepwarm {

namespace {

std::filesystem::path spill_dir() {
  for (const char* var : {"KEEPWARM_SPILL_DIR", "TMPDIR"})
    if (const char* d = std::getenv(var); d != nullptr && *d != '\0') return d;
  return "/var/tmp";
}

}  // namespace

bool spill_columns(uint64_t bytes) {
  uint64_t threshold_mb = 64;
  if (const char* v = std::getenv("KEEPWARM_SPILL_MB"); v != nullptr && *v != '\0') {
    if (std::strcmp(v, "off") == 0) return false;
    char* end = nullptr;
    const unsigned long long mb = std::strtoull(v, &end, 10);
    if (end != nullptr && *end == '\0') threshold_mb = mb;
  }
  return bytes >= (threshold_mb << 20);
}

template <class T>
ColumnBuilder<T>::ColumnBuilder(bool spill, std::filesystem::path source)
    : source_(std::move(source)) {
  if (!spill) return;
  const std::filesystem::path dir = spill_dir();
  fd_ = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd_ < 0) {  // a filesystem without O_TMPFILE: a named file, unlinked at once
    std::string name = (dir / "keepwarm-spill-XXXXXX").string();
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ >= 0) ::unlink(name.c_str());
  }
  if (fd_ < 0)
    throw TraceError(source_, 0, 0,
                     "cannot create a temporary file in " + dir.string() +
                         " to hold the trace's invocations (" + std::strerror(errno) +
                         "; set KEEPWARM_SPILL_DIR to a writable directory, or "
                         "KEEPWARM_SPILL_MB=off to hold them in memory)");
  buffer_.reserve(kBuffer);
}

template <class T>
ColumnBuilder<T>::~ColumnBuilder() {
  if (fd_ >= 0) ::close(fd_);
}

template <class T>
void ColumnBuilder<T>::flush() {
  const char* p = reinterpret_cast<const char*>(buffer_.data());
  size_t left = buffer_.size() * sizeof(T);
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0)
      throw TraceError(source_, 0, 0,
                       "cannot write the trace's invocations to a temporary file in " +
                           spill_dir().string() + ": " + std::strerror(n < 0 ? errno : ENOSPC));
    p += n;
    left -= static_cast<size_t>(n);
  }
  buffer_.clear();
}

template <class T>
Column<T> ColumnBuilder<T>::finish() {
  if (fd_ < 0) {
    size_ = 0;
    return std::move(column_);
  }
  flush();
  const size_t bytes = size_ * sizeof(T);
  Column<T> out;
  if (bytes > 0) {
    void* map = ::mmap(nullptr, bytes, PROT_READ, MAP_SHARED, fd_, 0);
    if (map == MAP_FAILED)
      throw TraceError(
          source_, 0, 0,
          std::string("cannot map the trace's spilled invocations: ") + std::strerror(errno));
    auto owner = std::shared_ptr<const void>(
        map, [bytes](const void* m) { ::munmap(const_cast<void*>(m), bytes); });
    out = Column<T>::view(std::move(owner), static_cast<const T*>(map), size_);
  }
  ::close(fd_);
  fd_ = -1;
  size_ = 0;
  return out;
}

template class ColumnBuilder<double>;
template class ColumnBuilder<uint32_t>;

}  // namespace keepwarm
