// keepwarm/experiment/checkpoint.hpp: finished cells kept durably as a run goes (checkpoint.jsonl
// in the output directory), `keepwarm run --resume`, and the text form of one cell's outcome that
// both the checkpoint and MPI messages carry (docs/results.md, docs/distributed.md).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "keepwarm/experiment/runner.hpp"

namespace keepwarm {

// A checkpoint that cannot be used: another experiment's, stale, or unreadable.
class CheckpointError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// One cell's outcome as a JSON object (ok, error, host, rank, metrics, per-function counts);
// numbers read back exactly (doubles in shortest round-trip form).
std::string encode_outcome(const CellOutcome& outcome);
// The inverse, for the grid entry `cell`. Throws CheckpointError if text is not such an object.
CellOutcome decode_outcome(const std::string& text, const Cell& cell);

// A 128-bit hash (32 hex digits) of a trace's content: functions with their sizes and times,
// then every invocation, whatever form it was read from. Names do not count; the trace's own
// name is the cell's. Fast (several GB/s); it tells a changed trace, it is no cryptographic
// fingerprint.
std::string trace_content_hash(const Trace& trace);

// The file name of the checkpoint in an output directory.
inline constexpr const char* kCheckpointFile = "checkpoint.jsonl";

// The checkpoint of one run. Every line is {"sum": "<16 hex>", "record": {...}}, sum being the
// first 16 hex digits of the SHA-256 of the record's exact text, and ends with a newline: a
// line torn by a kill (no newline, or a sum that does not match) is ignored. The first record
// names the experiment; each further one is a successful cell with everything that decides its
// result (trace content hash, policy name, plugin file hash, resolved parameters, memory, seed,
// compat mode, cold-start overheads) and its outcome. Failed cells are not kept: a resumed run
// runs them again.
class Checkpoint {
 public:
  // trace_hash: trace_content_hash of each of runner's traces.
  Checkpoint(const GridRunner& runner, std::vector<std::string> trace_hash);
  ~Checkpoint();
  Checkpoint(const Checkpoint&) = delete;
  Checkpoint& operator=(const Checkpoint&) = delete;

  struct Resumed {
    std::vector<size_t> reused;  // grid entries taken from the checkpoint (outcomes stored)
    size_t mismatched = 0;       // records for this grid's cells made with other settings
    std::string first_mismatch;  // what differed in the first of them (in grid order)
    size_t outside = 0;          // records of cells that are not in this grid (left out)
    std::string first_outside;   // the first of them
    size_t torn = 0;             // lines ignored as torn or corrupt
    bool found = false;          // a checkpoint file was there
  };

  // Reads file (if it exists) and stores every matching cell's outcome in
  // runner.results().cells, marked resumed. Throws CheckpointError for a checkpoint of another
  // experiment, or one none of whose cells match this grid (stale: say what differed).
  Resumed resume(const std::filesystem::path& file, GridRunner& runner) const;

  // Starts the checkpoint file: a new one (replacing any), or, after resume(), one that keeps
  // the reused records and drops everything else. Written atomically, then opened for appending.
  void start(const std::filesystem::path& file, const GridRunner& runner,
             const std::vector<size_t>& keep = {});
  // Appends a successful cell's record in one write(): from then on it survives the process
  // being killed. A syncing thread then fsyncs the file (group commit: one fsync covers every
  // record written while the previous one ran), so that it also survives the machine going
  // down, without cells waiting for the disk. Failed cells are skipped. Not thread-safe
  // (callers serialise). Throws if writing or an earlier sync failed.
  void append(const GridRunner& runner, const CellOutcome& outcome);
  // Waits until everything appended is synced (the destructor does too, without throwing).
  void sync();

 private:
  std::string header() const;
  std::string key(const GridRunner& runner, const Cell& cell) const;  // the record's cell part
  static std::string line(const std::string& record);

  std::string experiment_;
  std::vector<std::string> trace_hash_;
  void stop_syncer() noexcept;

  std::filesystem::path file_;
  int fd_ = -1;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread syncer_;
  uint64_t written_ = 0, synced_ = 0;  // records
  bool stop_ = false;
  std::string sync_error_;
};

}  // namespace keepwarm
