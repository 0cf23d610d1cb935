// crash_report.cpp: see keepwarm/loader/crash_report.hpp. The handler only reads fixed buffers and
// calls strlen(3), memcpy(3), write(2) and raise(3), which are async-signal-safe.
#include "keepwarm/loader/crash_report.hpp"

#include <signal.h>
#include <string.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace keepwarm {

namespace {

constexpr unsigned kSlots = 256;
constexpr size_t kText = 480;
constexpr int kSignals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT};

struct Slot {
  std::atomic<bool> active{false};
  char text[kText];
};
Slot g_slots[kSlots];
char g_note[kText];
std::atomic<bool> g_has_note{false};
std::atomic<int> g_installed{0};
// The slot of the worker on this thread: synchronous signals (SIGSEGV, SIGFPE, ...) arrive on
// the thread that caused them, so this names the crashing cell.
thread_local int t_slot = -1;
// Each thread that runs cells gets an alternate signal stack, so that a policy that overflows its
// stack is still reported (the handler cannot run on the stack that overflowed).
thread_local bool t_alt_stack = false;
struct sigaction g_previous[sizeof kSignals / sizeof kSignals[0]];

void write_all(const char* s, size_t n) noexcept {
  while (n > 0) {
    const ssize_t w = ::write(STDERR_FILENO, s, n);
    if (w <= 0) return;
    s += w;
    n -= static_cast<size_t>(w);
  }
}

// The report is gathered here (on the handler's stack) and written in as few write(2) calls as
// fit in it, at most PIPE_BUF bytes each, so that the reports of processes crashing at the same
// moment into one stream (the ranks of an MPI job, whose output mpirun merges) do not
// interleave within a line: the first write holds the signal and the crashing cell.
struct Report {
  static constexpr size_t kSize = 4096;  // PIPE_BUF on Linux: a pipe write this size is atomic
  char buf[kSize];
  size_t len = 0;
  void say(const char* s) noexcept {
    for (size_t n = strlen(s); n > 0;) {
      if (len == kSize) flush();
      const size_t k = n < kSize - len ? n : kSize - len;
      memcpy(buf + len, s, k);
      len += k;
      s += k;
      n -= k;
    }
  }
  // Writes what is gathered.
  void flush() noexcept {
    write_all(buf, len);
    len = 0;
  }
};

void copy(char* dst, const std::string& src) noexcept {
  const size_t n = src.size() < kText - 1 ? src.size() : kText - 1;
  memcpy(dst, src.data(), n);
  dst[n] = '\0';
}

void on_fatal_signal(int sig) {
  Report r;
  r.say("\nkeepwarm: fatal signal ");
  r.say(sig == SIGSEGV   ? "SIGSEGV (invalid memory access)"
        : sig == SIGBUS  ? "SIGBUS"
        : sig == SIGFPE  ? "SIGFPE (arithmetic error)"
        : sig == SIGILL  ? "SIGILL"
        : sig == SIGABRT ? "SIGABRT (abort)"
                         : "");
  const int own = t_slot;
  if (own >= 0 && g_slots[own].active.load(std::memory_order_acquire)) {
    r.say(" while running\n  ");
    r.say(g_slots[own].text);
    r.say("\nkeepwarm: it happened on the thread running that cell, most likely in its policy\n");
  } else {
    r.say("\n");
  }
  bool header = false;
  for (unsigned i = 0; i < kSlots; ++i)
    if (static_cast<int>(i) != own && g_slots[i].active.load(std::memory_order_acquire)) {
      if (!header) r.say("keepwarm: other cells running then:\n");
      header = true;
      r.say("  ");
      r.say(g_slots[i].text);
      r.say("\n");
    }
  if (g_has_note.load(std::memory_order_acquire)) {
    r.say("keepwarm: ");
    r.say(g_note);
    r.say("\n");
  }
  r.flush();
  // Die of the same signal, as the process would have without this handler (SA_RESETHAND has
  // restored the default action).
  raise(sig);
}

}  // namespace

CrashReporter::CrashReporter() {
  if (g_installed.fetch_add(1) != 0) return;
  struct sigaction sa {};
  sa.sa_handler = on_fatal_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESETHAND | SA_ONSTACK;
  for (size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i)
    sigaction(kSignals[i], &sa, &g_previous[i]);
}

CrashReporter::~CrashReporter() {
  if (g_installed.fetch_sub(1) != 1) return;
  for (size_t i = 0; i < sizeof kSignals / sizeof kSignals[0]; ++i)
    sigaction(kSignals[i], &g_previous[i], nullptr);
}

static void ensure_alt_stack() noexcept {
  if (t_alt_stack) return;
  t_alt_stack = true;
  // Kept for the thread's life (a few threads per run); never freed, so that a handler that
  // runs on it late still has it.
  const size_t size = 256 * 1024;
  void* mem = std::malloc(size);
  if (mem == nullptr) return;
  stack_t st{};
  st.ss_sp = mem;
  st.ss_size = size;
  st.ss_flags = 0;
  if (sigaltstack(&st, nullptr) != 0) std::free(mem);
}

void CrashReporter::running(unsigned worker, const std::string& what) noexcept {
  ensure_alt_stack();
  t_slot = static_cast<int>(worker % kSlots);
  Slot& s = g_slots[worker % kSlots];
  s.active.store(false, std::memory_order_release);
  copy(s.text, what);
  s.active.store(true, std::memory_order_release);
}

void CrashReporter::idle(unsigned worker) noexcept {
  g_slots[worker % kSlots].active.store(false, std::memory_order_release);
}

void CrashReporter::only(unsigned worker) noexcept {
  for (unsigned i = 0; i < kSlots; ++i)
    if (i != worker % kSlots) g_slots[i].active.store(false, std::memory_order_release);
}

void set_crash_note(const std::string& note) noexcept {
  g_has_note.store(false, std::memory_order_release);
  if (note.empty()) return;
  copy(g_note, note);
  g_has_note.store(true, std::memory_order_release);
}

}  // namespace keepwarm
