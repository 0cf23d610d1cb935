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
  out_.open(tmp_, std::ios::binary | std::ios::out | std::ios::trunc);
  if (!out_) throw std::runtime_error(tmp_.string() + ": cannot create: " + std::strerror(errno));
}

AtomicFile::~AtomicFile() {
  if (committed_ || direct_) return;
  out_.close();
  std::error_code ec;
  std::filesystem::remove(tmp_, ec);
}

void AtomicFile::commit() {
  errno = 0;
  out_.flush();
  const int flush_errno = errno;
  out_.close();
  if (!out_)
    throw std::runtime_error(tmp_.string() + ": write failed: " +
                             (flush_errno != 0 ? std::strerror(flush_errno) : "I/O error"));
  if (direct_) {
    committed_ = true;
    return;
  }
  // The data on disk before the name points at it: a crash leaves the old file or the new one.
  if (const int fd = ::open(tmp_.c_str(), O_RDONLY); fd >= 0) {
    const int rc = ::fsync(fd);
    const int sync_errno = errno;
    ::close(fd);
    if (rc != 0)
      throw std::runtime_error(tmp_.string() + ": cannot sync: " + std::strerror(sync_errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp_, target_, ec);
  if (ec)
    throw std::runtime_error(target_.string() + ": cannot rename into place: " + ec.message());
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
