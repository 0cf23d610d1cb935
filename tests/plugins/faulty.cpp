// faulty.cpp: a policy that fails whenever it has to choose a victim, so that cells with memory
// pressure fail and cells without it succeed.
#include <keepwarm/policy.hpp>

#include <stdexcept>

namespace {

class Faulty final : public keepwarm::Policy {
 public:
  static constexpr const char* kName = "faulty";
  static constexpr const char* kVersion = "0.0.1";
  static constexpr const char* kDescription = "throws from choose_victim (test plugin)";
  using Policy::Policy;
  kw_container_id choose_victim(kw_function_id) override {
    throw std::runtime_error("faulty policy cannot choose");
  }
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Faulty)
