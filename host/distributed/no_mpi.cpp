// no_mpi.cpp: Session::start for a keepwarm built without MPI.
#include <stdexcept>

#include "keepwarm/distributed/session.hpp"

namespace keepwarm {

bool built_with_mpi() { return false; }

std::unique_ptr<Session> Session::start() {
  if (const std::string why = unlaunched_tasks(); !why.empty()) throw std::runtime_error(why);
  if (launched_by_mpi())
    throw std::runtime_error(
        "started by an MPI launcher (mpirun/srun), but this keepwarm was built without MPI: "
        "install libopenmpi-dev and openmpi-bin, and configure and build it again");
  auto s = std::make_unique<Session>();
  s->hosts_ = {host_name()};
  return s;
}

}  // namespace keepwarm
