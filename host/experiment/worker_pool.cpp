// worker_pool.cpp: see keepwarm/experiment/worker_pool.hpp.
#include "keepwarm/experiment/worker_pool.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <stdexcept>

namespace keepwarm {

namespace {

std::string seconds_text(double s) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", s);
  return buf;
}

}  // namespace

WorkerPool::WorkerPool(unsigned slots, Handler handler, double timeout_s)
    : workers_(std::max(1u, slots)), handler_(std::move(handler)), timeout_s_(timeout_s) {}

WorkerPool::~WorkerPool() {
  for (Worker& w : workers_)
    if (w.pid > 0) retire(w, 2000);
}

size_t WorkerPool::started() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return started_;
}

void WorkerPool::start(Worker& w, unsigned slot) {
  int sv[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
    throw std::runtime_error(std::string("cannot start a worker process (socketpair: ") +
                             strerror(errno) + ")");
  int out[2];
  if (::pipe2(out, O_CLOEXEC) != 0) {
    const int e = errno;
    ::close(sv[0]);
    ::close(sv[1]);
    throw std::runtime_error(std::string("cannot start a worker process (pipe: ") + strerror(e) +
                             ")");
  }
  const Handler& handler = handler_;
  pid_t pid = -1;
  try {
    pid = fork_child(sv[1], out[1], [&handler, slot]() -> int {
      // The child: requests come on descriptor 3, answers go back on it, length first.
      for (;;) {
        uint64_t request = 0;
        if (!read_exact(3, &request, sizeof request)) return 0;  // the supervisor is done
        // The answer, its length first, in one write (one wake-up of the supervisor).
        std::string message(sizeof(uint64_t), '\0');
        message += handler(request, slot);
        std::fflush(nullptr);  // the cell's prints reach the supervisor before its answer
        const uint64_t n = message.size() - sizeof n;
        std::memcpy(message.data(), &n, sizeof n);
        if (!write_all(3, message.data(), message.size())) return 0;
      }
    });
  } catch (...) {
    for (int fd : {sv[0], sv[1], out[0], out[1]}) ::close(fd);
    throw;
  }
  ::close(sv[1]);
  ::close(out[1]);
  set_nonblocking(out[0]);
  w.pid = pid;
  w.control = sv[0];
  w.output = out[0];
  w.owner = std::this_thread::get_id();
  w.last.clear();
  std::lock_guard<std::mutex> lock(mutex_);
  ++started_;
}

int WorkerPool::retire(Worker& w, int grace_ms) {
  if (w.control >= 0) ::close(w.control);
  w.control = -1;
  int status = 0;
  if (w.pid > 0) status = reap_child(w.pid, std::chrono::milliseconds(grace_ms));
  w.pid = -1;
  if (w.output >= 0) {
    std::string rest;
    read_available(w.output, rest);
    pass_output(w, rest);
    ::close(w.output);
  }
  w.output = -1;
  return status;
}

void WorkerPool::pass_output(Worker& w, const std::string& bytes) {
  if (bytes.empty()) return;
  w.last.add(bytes);
  w.pending += bytes;
  if (w.pending.size() > kPendingBytes) flush_output(w);
}

void WorkerPool::flush_output(Worker& w) {
  if (w.pending.empty()) return;
  std::lock_guard<std::mutex> lock(mutex_);
  write_all(STDERR_FILENO, w.pending.data(), w.pending.size());
  w.pending.clear();
}

WorkerPool::Reply WorkerPool::run(uint64_t request, unsigned slot) {
  Worker& w = workers_.at(slot);
  // A worker dies with the thread that forked it: one forked by another thread (an earlier pool)
  // is replaced before it can be mistaken for a failure of this request.
  if (w.pid > 0 && w.owner != std::this_thread::get_id()) retire(w, 0);
  for (int attempt = 0;; ++attempt) {
    if (w.pid <= 0) start(w, slot);
    if (send_all(w.control, &request, sizeof request)) break;
    retire(w, 0);  // gone between requests (killed from outside): not this request's doing
    if (attempt == 1) throw std::runtime_error("worker processes die before taking any work");
  }
  w.last.clear();
  w.pending.clear();

  using clock = std::chrono::steady_clock;
  const bool limited = timeout_s_ > 0;
  const auto deadline = clock::now() + std::chrono::duration_cast<clock::duration>(
                                           std::chrono::duration<double>(limited ? timeout_s_ : 0));
  std::string answer;
  uint64_t need = 0;
  bool have_size = false;
  bool output_open = true;
  Reply reply;
  for (;;) {
    pollfd fds[2] = {{w.control, POLLIN, 0}, {output_open ? w.output : -1, POLLIN, 0}};
    int wait_ms = -1;
    if (limited) {
      const auto left =
          std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
      wait_ms = static_cast<int>(std::clamp<long long>(left, 0, 1 << 30));
    }
    const int r = ::poll(fds, 2, wait_ms);
    if (r < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("waiting for a worker process: ") + strerror(errno));
    }
    if (r == 0) {  // the deadline
      ::kill(w.pid, SIGKILL);
      retire(w, 1000);
      reply.cause = "ran longer than the cell timeout of " + seconds_text(timeout_s_) +
                    " s and was killed (--cell-timeout)";
      reply.timed_out = true;
      reply.last_lines = w.last.lines();
      return reply;
    }
    if (output_open && (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      std::string bytes;
      output_open = read_available(w.output, bytes);
      pass_output(w, bytes);
    }
    if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buf[65536];
      const ssize_t n = ::recv(w.control, buf, sizeof buf, MSG_DONTWAIT);
      if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
      if (n <= 0) {  // the worker is gone mid-request
        const int status = retire(w, 2000);
        reply.cause = describe_wait_status(status);
        reply.last_lines = w.last.lines();
        return reply;
      }
      answer.append(buf, static_cast<size_t>(n));
      if (!have_size && answer.size() >= sizeof need) {
        std::memcpy(&need, answer.data(), sizeof need);
        answer.erase(0, sizeof need);
        have_size = true;
        if (need > kMaxAnswerBytes) {  // not a length of ours: something wrote into the socket
          retire(w, 0);
          reply.cause = "answered with a message of " + std::to_string(need) +
                        " bytes (more than any outcome: something wrote into its socket)";
          reply.last_lines = w.last.lines();
          return reply;
        }
      }
      if (have_size && answer.size() >= need) {
        if (answer.size() > need) {  // more than it was asked for: not a worker of ours
          retire(w, 0);
          reply.cause = "answered with more than it was asked for";
          reply.last_lines = w.last.lines();
          return reply;
        }
        // Output written before the answer has arrived by now or is in the pipe: take it.
        std::string bytes;
        if (output_open) read_available(w.output, bytes);
        pass_output(w, bytes);
        flush_output(w);
        reply.ok = true;
        reply.answer = std::move(answer);
        return reply;
      }
    }
  }
}

}  // namespace keepwarm
