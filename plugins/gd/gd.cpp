// gd: FaasCache's Greedy-Dual keep-alive (Fuerst & Sharma, ASPLOS 2021, section 4):
// priority = clock + frequency x cost / size, with cost = cold - warm time (the time a warm
// start saves), size = the container's memory, frequency = invocations of the function while it
// has containers alive, clock = priority of the last evicted container. The idle container with
// the lowest priority is evicted. O(log n) per event (keepwarm/priority_policy.hpp).
#include <keepwarm/priority_policy.hpp>

namespace {

class Gd final : public keepwarm::PriorityPolicy<Gd> {
 public:
  static constexpr const char* kName = "gd";
  static constexpr keepwarm::faascache::Rule kFaasCacheRule = keepwarm::faascache::Rule::gd;
  static constexpr const char* kVersion = "1.1.0";
  static constexpr const char* kDescription =
      "Greedy-Dual (FaasCache): evict lowest clock + frequency x (cold - warm) / memory";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr const char* kUrl =
      "Fuerst & Sharma, FaasCache: keeping serverless computing alive with greedy-dual caching, "
      "ASPLOS 2021";

  using PriorityPolicy::PriorityPolicy;

  double priority(kw_function_id fn, double clock, double frequency) const {
    const kw_function_info& f = host().function(fn);
    return clock + frequency * (f.cold_ms - f.warm_ms) / static_cast<double>(f.memory_mb);
  }
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Gd)
