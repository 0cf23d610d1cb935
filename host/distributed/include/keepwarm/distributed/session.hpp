// keepwarm/distributed/session.hpp: one process, or one rank of an MPI job. A process started
// by mpirun or srun (seen in its environment) joins MPI; any other process is a session of one
// rank that never touches MPI. Rank 0 is the coordinator: it hands out cells, largest first,
// from a queue to every rank (itself included) and alone writes the results (docs/distributed.md).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "keepwarm/experiment/runner.hpp"

namespace keepwarm {

// True when the environment says an MPI launcher (mpirun, mpiexec, srun) started this process.
bool launched_by_mpi();
// Why this process must not run a grid alone: it is one of several tasks of a Slurm step
// started without an MPI plugin ("" when it is not).
std::string unlaunched_tasks();
// True when this keepwarm was built with MPI.
bool built_with_mpi();

class Session {
 public:
  // Joins MPI when launched_by_mpi(); otherwise (or for a job of one rank) a single process.
  // Throws std::runtime_error when launched by an MPI launcher but built without MPI, or when
  // unlaunched_tasks() says why not.
  static std::unique_ptr<Session> start();
  virtual ~Session() = default;

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool coordinator() const { return rank_ == 0; }
  // Every rank's host name, by rank (collected when the session starts).
  const std::vector<std::string>& hosts() const { return hosts_; }
  // What --jobs 0 means for this rank: its usable cores, shared with the other ranks on its
  // host unless the launcher bound it to fewer cores than the machine has; 0 (no change) in a
  // single process.
  unsigned default_jobs() const;
  // A label for messages: "rank 2 on host h".
  std::string where() const;

  // Collective: true on every rank when ok is true on every rank.
  virtual bool all_ok(bool ok) { return ok; }
  // Collective: rank 0's text, on every rank.
  virtual std::string broadcast(const std::string& text) { return text; }
  // Ends the whole job at once (after an error that other ranks cannot learn of).
  [[noreturn]] virtual void abort(int code);

  // Collective: runs the grid entries `todo` (rank 0's list; other ranks' is ignored) over all
  // ranks, each with runner.jobs() threads. On rank 0 every outcome ends up in
  // runner.results().cells and cell_done and progress are called (serialised) as each cell
  // comes in, counting from done_before; other ranks only compute. Returns the number of ranks
  // that ran at least one cell (on rank 0; 0 elsewhere).
  virtual int run(GridRunner& runner, const std::vector<size_t>& todo, const ProgressFn& progress,
                  const CellDoneFn& cell_done, size_t done_before);

 protected:
  int rank_ = 0;
  int size_ = 1;
  std::vector<std::string> hosts_;
};

// The order in which rank 0 hands out cells: estimated cost (the trace's invocations) largest
// first, grid order among equals.
std::vector<size_t> largest_first(const GridRunner& runner, std::vector<size_t> todo);

}  // namespace keepwarm
