// keepwarm/loader/crash_report.hpp: saying which policy crashed. While a CrashReporter lives, a
// fatal signal (SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT) prints the cells that were running,
// naming their plugins, and any note set with set_crash_note (e.g. where finished cells were
// saved), then the process dies of that signal as it would have. Every thread that runs a cell gets
// an alternate signal stack, so that a stack overflow is reported too.
#pragma once

#include <string>

namespace keepwarm {

class CrashReporter {
 public:
  CrashReporter();
  ~CrashReporter();
  CrashReporter(const CrashReporter&) = delete;
  CrashReporter& operator=(const CrashReporter&) = delete;

  // What worker `worker` is running now (copied, truncated to a few hundred bytes).
  void running(unsigned worker, const std::string& what) noexcept;
  void idle(unsigned worker) noexcept;
  // Forgets every running cell but worker's: in a worker process forked from a process whose
  // other threads were running cells (they are not in the copy).
  void only(unsigned worker) noexcept;
};

// A line printed after the running cells when the process crashes ("" for none).
void set_crash_note(const std::string& note) noexcept;

}  // namespace keepwarm
