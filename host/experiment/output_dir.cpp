// output_dir.cpp: the output directory's lock and its staged, one-step replacement
// (keepwarm/experiment/output_dir.hpp).
#include "keepwarm/experiment/output_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace keepwarm {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(const fs::path& p, const std::string& what, int err) {
  throw std::runtime_error(p.string() + ": " + what + ": " + std::strerror(err));
}

}  // namespace

OutputLock::OutputLock(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw std::runtime_error(dir.string() + ": cannot create: " + ec.message());
  const fs::path file = dir / ".keepwarm.lock";
  fd_ = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(file, "cannot open", errno);
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    char buf[32] = {};
    const ssize_t n = ::pread(fd_, buf, sizeof buf - 1, 0);
    ::close(fd_);
    fd_ = -1;
    if (err != EWOULDBLOCK) fail(file, "cannot lock", err);
    std::string holder = n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
    while (!holder.empty() && (holder.back() == '\n' || holder.back() == ' ')) holder.pop_back();
    throw std::runtime_error("another keepwarm run" +
                             (holder.empty() ? std::string() : " (pid " + holder + ")") +
                             " is writing into " + dir.string() +
                             "; wait for it to finish, or write elsewhere with --out DIR");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd_, 0) == 0) {
    [[maybe_unused]] const ssize_t w = ::pwrite(fd_, pid.data(), pid.size(), 0);
  }
}

OutputLock::~OutputLock() {
  if (fd_ >= 0) ::close(fd_);  // closing releases the lock
}

const std::set<std::string>& result_set_names() {
  static const std::set<std::string> names = {"results.csv", "results.json", "functions.csv",
                                              "summary.csv", "bound.csv",    "report.html",
                                              "plots"};
  return names;
}

fs::path make_staging_dir(const fs::path& dir) {
  const fs::path abs = fs::absolute(dir).lexically_normal();
  const fs::path parent = abs.has_relative_path() && !abs.filename().empty()
                              ? abs.parent_path()
                              : abs.parent_path().parent_path();
  const std::string name =
      abs.filename().empty() ? abs.parent_path().filename().string() : abs.filename().string();
  const fs::path staging = parent / ("." + name + ".staging." + std::to_string(::getpid()));
  std::error_code ec;
  fs::remove_all(staging, ec);  // a leftover of an earlier run with this pid
  if (!fs::create_directory(staging, ec) || ec)
    throw std::runtime_error(staging.string() +
                             ": cannot create: " + (ec ? ec.message() : std::string("exists")));
  return staging;
}

void publish_staging(const fs::path& staging, const fs::path& dir) {
  std::error_code ec;
  // Carry over what is not part of a result set (the lock file too: it guards the new directory
  // as well, the old inode being held by the running OutputLock).
  if (fs::is_directory(dir, ec)) {
    for (const auto& entry : fs::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      if (result_set_names().count(name) != 0) continue;
      const fs::path to = staging / name;
      if (fs::exists(fs::symlink_status(to, ec))) continue;  // the new set has one already
      if (name == ".keepwarm.lock") {
        // A fresh lock file in the new directory, locked by no one: the caller's lock is on
        // the old one, which this process holds until it exits.
        std::FILE* f = std::fopen(to.c_str(), "w");
        if (f != nullptr) std::fclose(f);
        continue;
      }
      if (std::rename(entry.path().c_str(), to.c_str()) != 0)
        fail(entry.path(), "cannot move into " + staging.string(), errno);
    }
  }
  if (!fs::exists(dir, ec)) {
    if (std::rename(staging.c_str(), dir.c_str()) != 0)
      fail(dir, "cannot rename " + staging.string() + " into place", errno);
    return;
  }
  if (::renameat2(AT_FDCWD, staging.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) != 0) {
    const int err = errno;
    if (err != EINVAL && err != ENOSYS && err != EOPNOTSUPP)
      fail(dir, "cannot exchange with " + staging.string(), err);
    // No atomic exchange here: old aside, new into place.
    const fs::path old = staging.string() + ".old";
    if (std::rename(dir.c_str(), old.c_str()) != 0) fail(dir, "cannot move aside", errno);
    if (std::rename(staging.c_str(), dir.c_str()) != 0) {
      const int e = errno;
      std::rename(old.c_str(), dir.c_str());
      fail(dir, "cannot rename " + staging.string() + " into place", e);
    }
    fs::remove_all(old, ec);
    return;
  }
  fs::remove_all(staging, ec);  // now the old set
}

}  // namespace keepwarm
