// session.cpp: the single-process session, launcher detection, and the cell order.
#include <algorithm>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "keepwarm/distributed/session.hpp"

namespace keepwarm {

bool launched_by_mpi() {
  // OpenMPI's mpirun, PMIx launchers (srun --mpi=pmix, prun) and PMI-1/2 launchers (srun
  // --mpi=pmi2, MPICH's hydra) each leave one of these in every rank's environment.
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK", "PMI_SIZE"}) {
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0') return true;
  }
  return false;
}

std::string unlaunched_tasks() {
  // srun without an MPI plugin (--mpi=none, a site's default) starts every task as a separate
  // program: each would run the whole grid into the same directory.
  if (launched_by_mpi()) return "";
  const char* step = std::getenv("SLURM_STEP_ID");
  const char* tasks = std::getenv("SLURM_STEP_NUM_TASKS");
  if (tasks == nullptr) tasks = std::getenv("SLURM_NTASKS");
  if (step == nullptr || tasks == nullptr || std::strtol(tasks, nullptr, 10) <= 1) return "";
  return std::string("started by srun as one of ") + tasks +
         " tasks, but not through an MPI plugin, so every task would run the whole grid: use "
         "`srun --mpi=pmix` (or pmi2; `srun --mpi=list` shows them), or `srun -n 1`";
}

std::string Session::where() const {
  const std::string host = rank_ < static_cast<int>(hosts_.size()) ? hosts_[rank_] : "";
  return "rank " + std::to_string(rank_) + (host.empty() ? "" : " on host " + host);
}

unsigned Session::default_jobs() const {
  if (size_ <= 1 || rank_ >= static_cast<int>(hosts_.size())) return 0;
  const unsigned usable = usable_cores();
  const unsigned machine = std::max(1u, std::thread::hardware_concurrency());
  if (usable < machine) return usable;  // bound by the launcher (or taskset): its cores are its own
  const auto here = static_cast<unsigned>(std::count(hosts_.begin(), hosts_.end(), hosts_[rank_]));
  return std::max(1u, machine / std::max(1u, here));
}

void Session::abort(int code) { std::exit(code); }

int Session::run(GridRunner& runner, const std::vector<size_t>& todo, const ProgressFn& progress,
                 const CellDoneFn& cell_done, size_t done_before) {
  run_cells(runner, todo, progress, cell_done, done_before);
  return todo.empty() ? 0 : 1;
}

std::vector<size_t> largest_first(const GridRunner& runner, std::vector<size_t> todo) {
  const RunResults& r = runner.results();
  std::stable_sort(todo.begin(), todo.end(), [&](size_t a, size_t b) {
    return r.traces[r.cells[a].cell.trace]->invocation_count() >
           r.traces[r.cells[b].cell.trace]->invocation_count();
  });
  return todo;
}

}  // namespace keepwarm
