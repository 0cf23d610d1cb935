// process.cpp: see keepwarm/util/process.hpp.
#include "keepwarm/util/process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <stdexcept>
#include <thread>

namespace keepwarm {

namespace {

const char* signal_name(int sig) {
  switch (sig) {
    case SIGSEGV:
      return "SIGSEGV";
    case SIGBUS:
      return "SIGBUS";
    case SIGFPE:
      return "SIGFPE";
    case SIGILL:
      return "SIGILL";
    case SIGABRT:
      return "SIGABRT";
    case SIGKILL:
      return "SIGKILL";
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    case SIGPIPE:
      return "SIGPIPE";
    case SIGXCPU:
      return "SIGXCPU";
    case SIGTRAP:
      return "SIGTRAP";
    case SIGSYS:
      return "SIGSYS";
    default:
      return nullptr;
  }
}

constexpr size_t kLineBytes = 300;

}  // namespace

std::string describe_wait_status(int status) {
  if (WIFEXITED(status)) return "exited with status " + std::to_string(WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    std::string s = "was killed by signal " + std::to_string(sig);
    const char* name = signal_name(sig);
    const char* text = strsignal(sig);
    if (name != nullptr || text != nullptr) {
      s += " (";
      if (name != nullptr) s += name;
      if (name != nullptr && text != nullptr) s += ", ";
      if (text != nullptr) {
        std::string t = text;
        if (!t.empty()) t[0] = static_cast<char>(std::tolower(static_cast<unsigned char>(t[0])));
        s += t;
      }
      s += ")";
    }
    return s;
  }
  return "ended with wait status " + std::to_string(status);
}

void LastLines::add(std::string_view bytes) {
  for (const char c : bytes) {
    if (c == '\n') {
      if (open_.empty()) continue;  // blank lines say nothing
      done_.push_back(std::move(open_));
      open_.clear();
      if (done_.size() > max_) done_.pop_front();
    } else if (c != '\r' && open_.size() < kLineBytes) {
      open_ += c;
    }
  }
}

std::vector<std::string> LastLines::lines() const {
  std::vector<std::string> out(done_.begin(), done_.end());
  if (!open_.empty()) out.push_back(open_);
  while (out.size() > max_) out.erase(out.begin());
  return out;
}

void LastLines::clear() {
  done_.clear();
  open_.clear();
}

pid_t fork_child(int keep_fd, int output_fd, const std::function<int()>& body) {
  std::cout.flush();
  std::cerr.flush();
  std::fflush(nullptr);
  const pid_t parent = ::getpid();
  const pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error(std::string("cannot start a process (fork: ") + strerror(errno) + ")");
  if (pid > 0) return pid;
  // The child. Die with the thread that forked this process; if that already happened, now.
  ::prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (::getppid() != parent) ::_exit(127);
  ::signal(SIGPIPE, SIG_DFL);
  // Descriptors: 0 = /dev/null, 1 and 2 = output (or /dev/null), 3 = keep_fd; nothing else.
  const int null_fd = ::open("/dev/null", O_RDWR | O_CLOEXEC);
  int keep = keep_fd >= 0 ? ::fcntl(keep_fd, F_DUPFD_CLOEXEC, 10) : -1;
  const int out = ::fcntl(output_fd >= 0 ? output_fd : null_fd, F_DUPFD_CLOEXEC, 10);
  ::dup2(null_fd, 0);
  ::dup2(out, 1);
  ::dup2(out, 2);
  if (keep >= 0) ::dup2(keep, 3);
  if (::close_range(4, ~0U, 0) != 0)
    for (int fd = 4; fd < 4096; ++fd) ::close(fd);
  int code = 125;
  try {
    code = body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "keepwarm: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "keepwarm: an unknown exception in a child process\n");
  }
  std::fflush(nullptr);
  ::_exit(code);
}

int reap_child(pid_t pid, std::chrono::milliseconds grace) {
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + grace;
  std::chrono::microseconds pause(20);
  for (;;) {
    const pid_t r = ::waitpid(pid, &status, WNOHANG);
    if (r == pid) return status;
    if (r < 0 && errno != EINTR) return 0;
    if (std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
  ::kill(pid, SIGKILL);
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) return 0;
  return status;
}

bool read_available(int fd, std::string& out) {
  char buf[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      out.append(buf, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

// Moves all `size` bytes through `step` (a read, write or send of at most n bytes at p),
// retrying after signals; false at end of file or on an error.
template <class Step>
static bool transfer_all(char* p, size_t size, Step step) {
  while (size > 0) {
    const ssize_t n = step(p, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    size -= static_cast<size_t>(n);
  }
  return true;
}

bool send_all(int fd, const void* data, size_t size) {
  return transfer_all(static_cast<char*>(const_cast<void*>(data)), size,
                      [fd](char* p, size_t n) { return ::send(fd, p, n, MSG_NOSIGNAL); });
}

bool read_exact(int fd, void* data, size_t size) {
  return transfer_all(static_cast<char*>(data), size,
                      [fd](char* p, size_t n) { return ::read(fd, p, n); });
}

bool write_all(int fd, const void* data, size_t size) {
  return transfer_all(static_cast<char*>(const_cast<void*>(data)), size,
                      [fd](char* p, size_t n) { return ::write(fd, p, n); });
}

void set_nonblocking(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  ::fcntl(fd, F_SETFD, FD_CLOEXEC);
}

}  // namespace keepwarm
