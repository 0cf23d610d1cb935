// lru: evict the idle container whose last invocation started longest ago.
//
// Built on keepwarm/priority_policy.hpp with priority = start time of the last invocation
// (prewarmed containers: their creation time), so each event costs O(log n).
// In faascache compat mode recency is per function, as in the reference: every container of a
// function carries the start time of the function's latest invocation.
#include <keepwarm/priority_policy.hpp>

namespace {

class Lru final : public keepwarm::PriorityPolicy<Lru> {
 public:
  static constexpr const char* kName = "lru";
  static constexpr keepwarm::faascache::Rule kFaasCacheRule = keepwarm::faascache::Rule::lru;
  static constexpr const char* kVersion = "1.2.0";
  static constexpr const char* kDescription =
      "least recently used: evict the idle container whose last invocation started earliest";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr bool kUsesFrequency = false;  // the priority is the time of the last start

  using PriorityPolicy::PriorityPolicy;

  double priority(kw_function_id, double, double) const noexcept { return host().now(); }
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Lru)
