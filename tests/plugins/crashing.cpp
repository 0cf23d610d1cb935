// crashing.cpp: a policy that dereferences a null pointer whenever it must choose a victim, so
// that the host's crash report and partial results can be tested.
#include <keepwarm/policy.hpp>

namespace {

class Crashing final : public keepwarm::Policy {
 public:
  static constexpr const char* kName = "crashing";
  static constexpr const char* kVersion = "0.0.1";
  static constexpr const char* kDescription = "segfaults in choose_victim (test plugin)";
  using Policy::Policy;
  kw_container_id choose_victim(kw_function_id) override {
    volatile int* nowhere = nullptr;
    *nowhere = 1;
    return KW_NO_CONTAINER;
  }
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Crashing)
