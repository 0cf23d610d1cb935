// priority_policy_hpp.cpp: keepwarm/priority_policy.hpp compiles alone as C++20, and a policy
// derived from it instantiates every member.
#include <keepwarm/priority_policy.hpp>

namespace {

class Check final : public keepwarm::PriorityPolicy<Check> {
 public:
  static constexpr const char* kName = "check";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "header check";
  using PriorityPolicy::PriorityPolicy;
  double priority(kw_function_id, double clock, double frequency) const noexcept {
    return clock + frequency;
  }
};

}  // namespace

const kw_policy_descriptor* keepwarm_priority_policy_header_check() {
  return keepwarm::descriptor_for<Check>();
}
