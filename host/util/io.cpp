// io.cpp: see keepwarm/util/io.hpp.
#include "keepwarm/util/io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace keepwarm {

std::filesystem::path executable_dir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  return ec ? std::filesystem::path() : exe.parent_path();
}

std::string read_file(const std::filesystem::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr)
    throw std::runtime_error(file.string() + ": cannot open: " + std::strerror(errno));
  std::string out;
  std::array<char, 1 << 16> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) out.append(buf.data(), n);
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw std::runtime_error(file.string() + ": read error");
  return out;
}

namespace {

// Where writing `file` really goes: through symbolic links to their final target (so a link
// given as an output is followed, not replaced).
std::filesystem::path resolve_output(const std::filesystem::path& file) {
  namespace fs = std::filesystem;
  std::error_code ec;
  fs::path p = file;
  for (int hops = 0; hops < 40 && fs::is_symlink(fs::symlink_status(p, ec)); ++hops) {
    const fs::path target = fs::read_symlink(p, ec);
    if (ec) break;
    p = target.is_absolute() ? target : (p.parent_path() / target).lexically_normal();
  }
  return p;
}

}  // namespace

bool AtomicFile::FdBuf::drain() {
  const char* p = pbase();
  while (p < pptr()) {
    const ssize_t n = ::write(fd_, p, static_cast<size_t>(pptr() - p));
    if (n < 0) {
      if (errno == EINTR) continue;
      error_ = errno;
      return false;
    }
    p += n;
  }
  setp(buf_, buf_ + sizeof buf_);
  return true;
}

AtomicFile::FdBuf::int_type AtomicFile::FdBuf::overflow(int_type c) {
  if (error_ != 0 || !drain()) return traits_type::eof();
  if (!traits_type::eq_int_type(c, traits_type::eof())) {
    *pptr() = traits_type::to_char_type(c);
    pbump(1);
  }
  return traits_type::not_eof(c);
}

int AtomicFile::FdBuf::sync() { return error_ == 0 && drain() ? 0 : -1; }

int AtomicFile::FdBuf::close() {
  if (fd_ < 0) return error_;
  if (error_ == 0) drain();
  if (::close(fd_) != 0 && error_ == 0) error_ = errno;
  fd_ = -1;
  return error_;
}

AtomicFile::AtomicFile(std::filesystem::path file) : file_(std::move(file)) {
  namespace fs = std::filesystem;
  target_ = resolve_output(file_);
  std::error_code ec;
  const fs::file_status st = fs::status(target_, ec);
  if (fs::is_directory(st))
    throw std::runtime_error(file_.string() + ": is a directory, not a file");
  // A device, FIFO or socket (e.g. /dev/null, /dev/stdout) is written as it is: renaming a
  // temporary over it would replace the special file with a regular one.
  direct_ = fs::exists(st) && !fs::is_regular_file(st);
  tmp_ = direct_ ? target_ : fs::path(target_.string() + ".tmp." + std::to_string(::getpid()));
  const int fd = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw std::runtime_error(tmp_.string() + ": cannot create: " + std::strerror(errno));
  buf_ = std::make_unique<FdBuf>(fd);
  out_.rdbuf(buf_.get());
}

AtomicFile::~AtomicFile() {
  if (committed_) return;
  if (buf_) buf_->close();
  if (direct_) return;
  std::error_code ec;
  std::filesystem::remove(tmp_, ec);
}

void AtomicFile::commit() {
  out_.flush();
  const int err = buf_->close();
  if (err != 0 || !out_) {
    if (!direct_) {
      std::error_code ec;
      std::filesystem::remove(tmp_, ec);
    }
    committed_ = true;  // nothing left to clean up
    throw std::runtime_error(tmp_.string() +
                             ": write failed: " + (err != 0 ? std::strerror(err) : "I/O error"));
  }
  if (direct_) {
    committed_ = true;
    return;
  }
  // The data on disk before the name points at it: a crash leaves the old file or the new one.
  if (const int fd = ::open(tmp_.c_str(), O_RDONLY | O_CLOEXEC); fd >= 0) {
    const int rc = ::fsync(fd);
    const int sync_errno = errno;
    ::close(fd);
    if (rc != 0) {
      std::error_code ec;
      std::filesystem::remove(tmp_, ec);
      committed_ = true;
      throw std::runtime_error(tmp_.string() + ": cannot sync: " + std::strerror(sync_errno));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp_, target_, ec);
  if (ec) {
    std::filesystem::remove(tmp_, ec);
    committed_ = true;
    throw std::runtime_error(target_.string() + ": cannot rename into place: " + ec.message());
  }
  committed_ = true;
}

void write_file_atomic(const std::filesystem::path& file, const std::string& content) {
  AtomicFile out(file);
  out.stream().write(content.data(), static_cast<std::streamsize>(content.size()));
  out.commit();
}

std::string format_number(double v) {
  std::array<char, 64> buf;
  const auto [ptr, ec] = std::to_chars(buf.data(), buf.data() + buf.size(), v);
  return std::string(buf.data(), ec == std::errc() ? ptr : buf.data());
}

std::string format_fixed(double v, int decimals) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string format_count(double v) {
  if (v == std::floor(v) && std::fabs(v) < 1e15) return format_fixed(v, 0);
  return format_fixed(v, 1);
}

std::string format_relative(double v, double base) {
  if (base == 0) return v == 0 ? "=" : "n/a";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%+.1f%%", 100.0 * (v - base) / base);
  return buf;
}

std::string csv_field(std::string_view s) {
  if (s.find_first_of(",\"\r\n") == std::string_view::npos) return std::string(s);
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + '"';
}

std::vector<std::string> split_csv_line(std::string_view line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        out.back() += c;
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else {
      out.back() += c;
    }
  }
  return out;
}

std::string json_quote(std::string_view s) {
  std::string out = "\"";
  for (const unsigned char ch : s) {
    switch (ch) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (ch < 0x20) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\u%04x", ch);
          out += buf;
        } else {
          out += static_cast<char>(ch);
        }
    }
  }
  return out + "\"";
}

}  // namespace keepwarm
