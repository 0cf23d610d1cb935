// keepwarm/experiment/output_dir.hpp: a run's output directory as one unit. A lock keeps a second
// run out while one writes; the new result set is written into a staging directory beside it and
// replaces the old set in one step (an atomic exchange of the two directories), so that a reader
// sees the old run or the new one, never a mix, and a failed write leaves the old set as it was.
#pragma once

#include <filesystem>
#include <set>
#include <string>

namespace keepwarm {

// An exclusive lock on an output directory (created if missing), held while the object lives:
// flock on DIR/.keepwarm.lock, which records the holder's pid. Throws std::runtime_error naming
// the directory (and the holder's pid) when another run holds it.
class OutputLock {
 public:
  explicit OutputLock(const std::filesystem::path& dir);
  ~OutputLock();
  OutputLock(const OutputLock&) = delete;
  OutputLock& operator=(const OutputLock&) = delete;

 private:
  int fd_ = -1;
};

// The names (in an output directory) of the files and directories that make up a run's result
// set; everything else there (the checkpoint, an event log, the user's files) is carried over.
const std::set<std::string>& result_set_names();

// A new, empty staging directory beside dir (same filesystem): DIR/../.NAME.staging.PID.
std::filesystem::path make_staging_dir(const std::filesystem::path& dir);

// Makes staging's result set dir's: files in dir outside the result set are moved into staging,
// then the two directories are exchanged in one step (renameat2 RENAME_EXCHANGE; where the
// filesystem cannot, two renames: a reader may then briefly find no directory, never a mix) and
// the old set is removed. Throws std::runtime_error naming the path and the errno text.
void publish_staging(const std::filesystem::path& staging, const std::filesystem::path& dir);

}  // namespace keepwarm
