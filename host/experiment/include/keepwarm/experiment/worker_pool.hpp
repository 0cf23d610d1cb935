// keepwarm/experiment/worker_pool.hpp: worker processes for the cells of a grid. Each slot (a
// thread of the caller's pool) has one worker, a child forked from this process, so it shares the
// loaded traces and plugins without copying them. The caller sends a cell's index over a socket;
// the worker computes the cell and answers with its encoded outcome. A worker that crashes, exits,
// or exceeds the timeout costs only the request it was running: the caller learns how it ended
// and its last lines of output, and the next request starts a fresh worker. The supervisor
// design of PostgreSQL's postmaster and Chromium's plugin processes; docs/results.md.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "keepwarm/util/process.hpp"

namespace keepwarm {

class WorkerPool {
 public:
  // What a worker does with a request (in the child): returns the answer's bytes.
  using Handler = std::function<std::string(uint64_t request, unsigned slot)>;

  // slots: how many callers may use the pool at once (slot < slots); timeout_s: how long one
  // request may take (0 = no limit).
  WorkerPool(unsigned slots, Handler handler, double timeout_s);
  ~WorkerPool();  // ends the workers (they exit when their socket closes)
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  struct Reply {
    bool ok = false;
    std::string answer;  // when ok
    // When !ok: how the worker ended ("was killed by signal 11 (SIGSEGV, ...)", "exited with
    // status 0", "ran longer than the cell timeout of 600 s and was killed").
    std::string cause;
    std::vector<std::string> last_lines;  // the worker's last lines of output
    bool timed_out = false;
  };
  // Runs one request in slot `slot`'s worker, starting one if needed. Only one thread may use a
  // slot at a time. What the worker printed while it ran the request (the policy's own output) is
  // passed on to this process's stderr when the request succeeds (early, past 64 KiB); for a
  // failed request its last lines are in the reply instead.
  Reply run(uint64_t request, unsigned slot);

  // Ends slot's worker (the next request starts a fresh one): after an answer that made no sense.
  void discard(unsigned slot) {
    if (workers_.at(slot).pid > 0) retire(workers_.at(slot), 0);
  }

  // Workers started so far (fresh ones after failures included).
  size_t started() const;

 private:
  struct Worker {
    pid_t pid = -1;
    int control = -1;       // socket: requests in, answers out
    int output = -1;        // pipe: the worker's stdout and stderr
    std::thread::id owner;  // the thread that forked it (it dies with that thread)
    LastLines last{8};
    std::string pending;  // output of the running request not yet passed on
  };
  static constexpr size_t kPendingBytes = 64 * 1024;
  static constexpr uint64_t kMaxAnswerBytes = uint64_t{1} << 34;
  void start(Worker& w, unsigned slot);
  // Closes w's descriptors and waits for it; returns its wait status.
  int retire(Worker& w, int grace_ms);
  void pass_output(Worker& w, const std::string& bytes);
  void flush_output(Worker& w);

  std::vector<Worker> workers_;
  Handler handler_;
  double timeout_s_;
  mutable std::mutex mutex_;  // started_ and stderr
  size_t started_ = 0;
};

}  // namespace keepwarm
