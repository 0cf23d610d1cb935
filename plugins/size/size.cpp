// size: FaasCache's size variant of Greedy-Dual (Fuerst & Sharma, ASPLOS 2021):
// priority = clock + frequency / size (memory, MB); the cost of a cold start is ignored. The
// idle container with the lowest priority is evicted. O(log n) per event.
#include <keepwarm/priority_policy.hpp>

namespace {

class Size final : public keepwarm::PriorityPolicy<Size> {
 public:
  static constexpr const char* kName = "size";
  static constexpr keepwarm::faascache::Rule kFaasCacheRule = keepwarm::faascache::Rule::size;
  static constexpr const char* kVersion = "1.1.0";
  static constexpr const char* kDescription =
      "Greedy-Dual size variant (FaasCache): evict lowest clock + frequency / memory";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr const char* kUrl = "Fuerst & Sharma, FaasCache, ASPLOS 2021";

  using PriorityPolicy::PriorityPolicy;

  double priority(kw_function_id fn, double clock, double frequency) const {
    return clock + frequency / static_cast<double>(host().function(fn).memory_mb);
  }
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Size)
