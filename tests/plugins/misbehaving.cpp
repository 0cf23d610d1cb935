// misbehaving.cpp: policies that misbehave in the ways a worker process must survive, one per
// build (MISBEHAVE_* below): loop forever, overflow the stack, call exit(0), abort, or crash in a
// static constructor while being loaded. They choose no victim before misbehaving, so each fails
// at its first eviction; a cell without memory pressure runs normally.
#include <keepwarm/policy.hpp>

#include <cstdlib>

namespace {

#if defined(MISBEHAVE_STACK)
volatile int g_stop_at = -1;  // never reached: the recursion only ends in a stack overflow
int deeper(int n) {
  volatile char frame[4096];
  frame[0] = static_cast<char>(n);
  if (n == g_stop_at) return frame[0];
  return deeper(n + 1) + frame[0];
}
#endif

#if defined(MISBEHAVE_CTOR)
// A static constructor that writes through a null pointer (volatile, so that it is not folded
// away) while the library is being loaded.
int* volatile g_nowhere = nullptr;
struct CrashOnLoad {
  CrashOnLoad() { *g_nowhere = 1; }
};
[[maybe_unused]] CrashOnLoad g_crash_on_load;
#endif

class Misbehaving final : public keepwarm::Policy {
 public:
#if defined(MISBEHAVE_LOOP)
  static constexpr const char* kName = "loops";
#elif defined(MISBEHAVE_STACK)
  static constexpr const char* kName = "overflows";
#elif defined(MISBEHAVE_EXIT)
  static constexpr const char* kName = "exits";
#elif defined(MISBEHAVE_ABORT)
  static constexpr const char* kName = "aborts";
#else
  static constexpr const char* kName = "crashes-on-load";
#endif
  static constexpr const char* kVersion = "0.0.1";
  static constexpr const char* kDescription =
      "misbehaves when it must choose a victim (test plugin)";
  using Policy::Policy;
  kw_container_id choose_victim(kw_function_id) override {
#if defined(MISBEHAVE_LOOP)
    volatile unsigned long spin = 0;
    for (;;) spin = spin + 1;
#elif defined(MISBEHAVE_STACK)
    return static_cast<kw_container_id>(deeper(0));
#elif defined(MISBEHAVE_EXIT)
    std::exit(0);
#elif defined(MISBEHAVE_ABORT)
    std::abort();
#else
    return KW_NO_CONTAINER;
#endif
  }
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Misbehaving)
