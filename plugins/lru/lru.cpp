// lru: evict the idle container whose last invocation started longest ago.
//
// Idle containers sit in an indexed min-heap keyed by the start time of their
// last invocation (prewarmed containers: their creation time), so each event
// costs O(log n) in the number of idle containers.
#include <keepwarm/indexed_heap.hpp>
#include <keepwarm/policy.hpp>

#include <vector>

namespace {

class Lru final : public keepwarm::Policy {
 public:
  static constexpr const char* kName = "lru";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "least recently used: evict the idle container whose last invocation started earliest";
  static constexpr const char* kAuthor = "keepwarm developers";

  using Policy::Policy;

  void on_container_started(kw_container_id c, kw_function_id, kw_start_kind) override {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    idle_.erase(slot);  // a warm start takes the container out of the idle set
    if (slot >= last_used_.size()) last_used_.resize(slot + 1, 0.0);
    last_used_[slot] = host().now();
  }
  void on_container_idle(kw_container_id c, kw_function_id) override {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    idle_.push(slot, last_used_[slot]);
    id_of_slot(slot) = c;
  }
  void on_container_removed(kw_container_id c, kw_function_id, kw_removal_reason) override {
    idle_.erase(KW_CONTAINER_SLOT(c));
  }
  kw_container_id choose_victim(kw_function_id) override {
    if (idle_.empty()) return KW_NO_CONTAINER;
    return ids_[idle_.top()];
  }

 private:
  kw_container_id& id_of_slot(uint32_t slot) {
    if (slot >= ids_.size()) ids_.resize(slot + 1, KW_NO_CONTAINER);
    return ids_[slot];
  }

  keepwarm::IndexedHeap<double> idle_;
  std::vector<double> last_used_;
  std::vector<kw_container_id> ids_;
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Lru)
