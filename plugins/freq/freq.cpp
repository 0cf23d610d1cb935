// freq: FaasCache's frequency variant of Greedy-Dual (Fuerst & Sharma, ASPLOS 2021):
// priority = clock + frequency x cost, cost = cold - warm time; size is ignored. The idle
// container with the lowest priority is evicted. O(log n) per event.
#include <keepwarm/priority_policy.hpp>

namespace {

class Freq final : public keepwarm::PriorityPolicy<Freq> {
 public:
  static constexpr const char* kName = "freq";
  static constexpr keepwarm::faascache::Rule kFaasCacheRule = keepwarm::faascache::Rule::freq;
  static constexpr const char* kVersion = "1.1.0";
  static constexpr const char* kDescription =
      "Greedy-Dual frequency variant (FaasCache): evict lowest clock + frequency x (cold - warm)";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr const char* kUrl = "Fuerst & Sharma, FaasCache, ASPLOS 2021";

  using PriorityPolicy::PriorityPolicy;

  double priority(kw_function_id fn, double clock, double frequency) const {
    const kw_function_info& f = host().function(fn);
    return clock + frequency * (f.cold_ms - f.warm_ms);
  }
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Freq)
