// mpi_run.cpp: the grid over MPI ranks. Rank 0 keeps the queue of cells (largest first) and
// answers requests; every rank runs cells on its own thread pool, and only the main thread of
// each rank calls MPI (MPI_THREAD_FUNNELED). Messages:
//   worker -> 0  kWant    uint64 n          "hand me n more cells" (sent once, for its pool)
//   0 -> worker  kCell    uint64 index      a grid entry to run
//   0 -> worker  kStop    (empty)           the queue is empty: finish what you hold and stop
//   worker -> 0  kResult  uint64 index + the outcome's text (encode_outcome): also asks for one
//                                           more cell
#include <mpi.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>

#include "keepwarm/distributed/session.hpp"
#include "keepwarm/experiment/checkpoint.hpp"

namespace keepwarm {

namespace {

constexpr int kWant = 1, kCell = 2, kStop = 3, kResult = 4;
// How long a main thread waits between looks for messages: short while messages come, longer
// (up to kMaxWait) while none do, so that idle ranks do not take cores from cells.
class Backoff {
 public:
  void reset() { wait_ = kMinWait; }
  std::chrono::microseconds next() {
    const auto w = wait_;
    wait_ = std::min(wait_ * 2, kMaxWait);
    return w;
  }

 private:
  static constexpr std::chrono::microseconds kMinWait{50}, kMaxWait{1000};
  std::chrono::microseconds wait_ = kMinWait;
};

void check(int rc, const char* what) {
  if (rc != MPI_SUCCESS) throw std::runtime_error(std::string("MPI error in ") + what);
}

class MpiSession final : public Session {
 public:
  MpiSession() {
    int provided = 0;
    check(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
    if (provided < MPI_THREAD_FUNNELED) {
      MPI_Finalize();
      throw std::runtime_error("the MPI library does not allow threads (MPI_THREAD_FUNNELED)");
    }
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    constexpr int kHost = 256;
    char mine[kHost] = {};
    const std::string h = host_name();
    std::strncpy(mine, h.c_str(), kHost - 1);
    std::vector<char> all(static_cast<size_t>(kHost) * static_cast<size_t>(size_));
    MPI_Allgather(mine, kHost, MPI_CHAR, all.data(), kHost, MPI_CHAR, MPI_COMM_WORLD);
    for (int r = 0; r < size_; ++r)
      hosts_.emplace_back(all.data() + static_cast<size_t>(r) * kHost);
  }
  ~MpiSession() override { MPI_Finalize(); }

  bool all_ok(bool ok) override {
    int mine = ok ? 1 : 0, all = 0;
    MPI_Allreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    return all == 1;
  }

  std::string broadcast(const std::string& text) override {
    uint64_t n = text.size();
    MPI_Bcast(&n, 1, MPI_UINT64_T, 0, MPI_COMM_WORLD);
    std::string out = rank_ == 0 ? text : std::string(n, '\0');
    if (n > 0) MPI_Bcast(out.data(), static_cast<int>(n), MPI_CHAR, 0, MPI_COMM_WORLD);
    return out;
  }

  [[noreturn]] void abort(int code) override {
    MPI_Abort(MPI_COMM_WORLD, code);
    std::exit(code);
  }

  int run(GridRunner& runner, const std::vector<size_t>& todo, const ProgressFn& progress,
          const CellDoneFn& cell_done, size_t done_before) override {
    if (size_ == 1) return Session::run(runner, todo, progress, cell_done, done_before);
    try {
      if (rank_ == 0) return coordinate(runner, todo, progress, cell_done, done_before);
      work(runner);
    } catch (const std::exception& e) {
      fail(e);
    }
    return 0;
  }

 private:
  // An error while cells are handed out (a garbled message) would leave the other ranks
  // waiting: it ends the job, saying where and why.
  [[noreturn]] void fail(const std::exception& e) {
    std::fprintf(stderr, "keepwarm run: %s: %s\n", where().c_str(), e.what());
    std::fflush(stderr);
    abort(1);
  }
  int coordinate(GridRunner& runner, const std::vector<size_t>& todo, const ProgressFn& progress,
                 const CellDoneFn& cell_done, size_t done_before);
  void work(GridRunner& runner);
};

int MpiSession::coordinate(GridRunner& runner, const std::vector<size_t>& todo,
                           const ProgressFn& progress, const CellDoneFn& cell_done,
                           size_t done_before) {
  RunResults& results = runner.results();
  const std::vector<size_t> queue = largest_first(runner, todo);
  std::mutex queue_mutex;
  size_t next = 0;
  auto take = [&]() -> std::optional<size_t> {
    std::lock_guard<std::mutex> lock(queue_mutex);
    if (next >= queue.size()) return std::nullopt;
    return queue[next++];
  };

  // Outcomes from local threads and remote ranks go through here, one at a time.
  std::mutex done_mutex;
  std::condition_variable done_cv;
  size_t completed = 0;
  std::vector<bool> ran(static_cast<size_t>(size_), false);
  auto finish = [&](size_t i, CellOutcome&& outcome) {
    std::lock_guard<std::mutex> lock(done_mutex);
    ran[static_cast<size_t>(outcome.rank)] = true;
    results.cells[i] = std::move(outcome);
    ++completed;
    if (cell_done) cell_done(results, i);
    if (progress) progress(done_before + completed, results.cells.size());
    done_cv.notify_all();
  };

  const unsigned jobs = runner.jobs();
  std::vector<std::thread> pool;
  for (unsigned w = 0; w < jobs; ++w)
    pool.emplace_back([&, w] {
      while (const std::optional<size_t> i = take()) {
        CellOutcome outcome = runner.run(*i, w);
        outcome.rank = 0;
        finish(*i, std::move(outcome));
      }
    });

  std::vector<bool> stopped(static_cast<size_t>(size_), false);
  std::vector<bool> asked(static_cast<size_t>(size_), false);  // its kWant has come
  int running_workers = size_ - 1;
  auto hand_out = [&](int worker, uint64_t n) {
    for (uint64_t k = 0; k < n && !stopped[static_cast<size_t>(worker)]; ++k) {
      if (const std::optional<size_t> i = take()) {
        const uint64_t index = *i;
        MPI_Send(&index, 1, MPI_UINT64_T, worker, kCell, MPI_COMM_WORLD);
      } else {
        MPI_Send(nullptr, 0, MPI_CHAR, worker, kStop, MPI_COMM_WORLD);
        stopped[static_cast<size_t>(worker)] = true;
        --running_workers;
      }
    }
  };
  try {
    std::vector<char> buffer;
    Backoff backoff;
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(done_mutex);
        if (completed == todo.size() && running_workers == 0) break;
      }
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(MPI_ANY_SOURCE, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
      if (flag == 0) {
        // Once every cell is in, workers still waiting for work are told to stop.
        bool all_in = false;
        {
          std::unique_lock<std::mutex> lock(done_mutex);
          all_in = completed == todo.size();
          if (!all_in) done_cv.wait_for(lock, backoff.next());
        }
        if (all_in) {
          // (A worker whose request has not come yet is stopped when it comes, so that no
          // message is left unreceived.)
          for (int r = 1; r < size_; ++r)
            if (asked[static_cast<size_t>(r)] && !stopped[static_cast<size_t>(r)])
              hand_out(r, 1);  // the queue is empty: a stop
          if (running_workers > 0) std::this_thread::sleep_for(backoff.next());
        }
        continue;
      }
      backoff.reset();
      const int from = status.MPI_SOURCE;
      if (status.MPI_TAG == kWant) {
        uint64_t n = 0;
        MPI_Recv(&n, 1, MPI_UINT64_T, from, kWant, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        asked[static_cast<size_t>(from)] = true;
        hand_out(from, n);
      } else if (status.MPI_TAG == kResult) {
        int bytes = 0;
        MPI_Get_count(&status, MPI_CHAR, &bytes);
        buffer.resize(static_cast<size_t>(bytes));
        MPI_Recv(buffer.data(), bytes, MPI_CHAR, from, kResult, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        uint64_t index = 0;
        if (bytes < static_cast<int>(sizeof index))
          throw std::runtime_error("a short result message from rank " + std::to_string(from));
        std::memcpy(&index, buffer.data(), sizeof index);
        if (index >= results.cells.size())
          throw std::runtime_error("rank " + std::to_string(from) + " sent a result for cell " +
                                   std::to_string(index) + " of a grid of " +
                                   std::to_string(results.cells.size()));
        CellOutcome outcome =
            decode_outcome(std::string(buffer.data() + sizeof index, buffer.size() - sizeof index),
                           results.cells[index].cell);
        outcome.rank = from;
        finish(index, std::move(outcome));
        hand_out(from, 1);
      } else {
        throw std::runtime_error("an unexpected message (tag " + std::to_string(status.MPI_TAG) +
                                 ") from rank " + std::to_string(from));
      }
    }
  } catch (const std::exception& e) {
    fail(e);  // the pool's threads are still running: no unwinding past them
  }
  for (std::thread& t : pool) t.join();
  int ranks = 0;
  for (const bool r : ran) ranks += r ? 1 : 0;
  return ranks;
}

void MpiSession::work(GridRunner& runner) {
  const unsigned jobs = runner.jobs();
  std::mutex mutex;
  std::condition_variable work_cv, done_cv;
  std::deque<size_t> inbox;
  std::deque<std::string> outbox;  // index bytes + outcome text, ready to send
  bool no_more = false;

  std::vector<std::thread> pool;
  for (unsigned w = 0; w < jobs; ++w)
    pool.emplace_back([&, w] {
      for (;;) {
        size_t i = 0;
        {
          std::unique_lock<std::mutex> lock(mutex);
          work_cv.wait(lock, [&] { return !inbox.empty() || no_more; });
          if (inbox.empty()) return;
          i = inbox.front();
          inbox.pop_front();
        }
        CellOutcome outcome = runner.run(i, w);
        outcome.rank = rank_;
        const uint64_t index = i;
        std::string message(sizeof index, '\0');
        std::memcpy(message.data(), &index, sizeof index);
        message += encode_outcome(outcome);
        {
          std::lock_guard<std::mutex> lock(mutex);
          outbox.push_back(std::move(message));
        }
        done_cv.notify_all();
      }
    });

  try {
    const uint64_t want = jobs;
    MPI_Send(&want, 1, MPI_UINT64_T, 0, kWant, MPI_COMM_WORLD);
    bool stop = false;
    size_t outstanding = 0;  // cells received and not yet reported
    Backoff backoff;
    while (!(stop && outstanding == 0)) {
      bool progressed = false;
      std::deque<std::string> ready;
      {
        std::lock_guard<std::mutex> lock(mutex);
        ready.swap(outbox);
      }
      for (const std::string& m : ready) {
        MPI_Send(m.data(), static_cast<int>(m.size()), MPI_CHAR, 0, kResult, MPI_COMM_WORLD);
        --outstanding;
        progressed = true;
      }
      int flag = 0;
      MPI_Status status;
      MPI_Iprobe(0, MPI_ANY_TAG, MPI_COMM_WORLD, &flag, &status);
      if (flag != 0) {
        progressed = true;
        if (status.MPI_TAG == kCell) {
          uint64_t index = 0;
          MPI_Recv(&index, 1, MPI_UINT64_T, 0, kCell, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          if (index >= runner.size())
            throw std::runtime_error("rank 0 handed out cell " + std::to_string(index) +
                                     " of a grid of " + std::to_string(runner.size()));
          {
            std::lock_guard<std::mutex> lock(mutex);
            inbox.push_back(index);
          }
          ++outstanding;
          work_cv.notify_one();
        } else if (status.MPI_TAG == kStop) {
          MPI_Recv(nullptr, 0, MPI_CHAR, 0, kStop, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          stop = true;
        } else {
          throw std::runtime_error("an unexpected message (tag " + std::to_string(status.MPI_TAG) +
                                   ") from rank 0");
        }
      }
      if (progressed) {
        backoff.reset();
      } else {
        std::unique_lock<std::mutex> lock(mutex);
        done_cv.wait_for(lock, backoff.next(), [&] { return !outbox.empty(); });
      }
    }
  } catch (const std::exception& e) {
    fail(e);
  }
  {
    std::lock_guard<std::mutex> lock(mutex);
    no_more = true;
  }
  work_cv.notify_all();
  for (std::thread& t : pool) t.join();
}

}  // namespace

bool built_with_mpi() { return true; }

std::unique_ptr<Session> Session::start() {
  if (const std::string why = unlaunched_tasks(); !why.empty()) throw std::runtime_error(why);
  if (!launched_by_mpi()) {
    auto s = std::make_unique<Session>();
    s->hosts_ = {host_name()};
    return s;
  }
  return std::make_unique<MpiSession>();
}

}  // namespace keepwarm
