// rand: evict an idle container chosen uniformly at random from the host's
// seeded random source. The baseline every ranking is relative to.
//
// Idle containers live in a dense array with a slot -> position index, so
// insert, remove and a uniform pick are all O(1).
#include <keepwarm/policy.hpp>

#include <vector>

namespace {

class Rand final : public keepwarm::Policy {
 public:
  static constexpr const char* kName = "rand";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "random: evict an idle container chosen uniformly at random (seeded)";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr uint64_t kFlags = KW_POLICY_RANDOMISED;

  using Policy::Policy;

  void on_container_started(kw_container_id c, kw_function_id, kw_start_kind) override {
    remove(c);
  }
  void on_container_idle(kw_container_id c, kw_function_id) override {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= position_.size()) position_.resize(slot + 1, kAbsent);
    position_[slot] = static_cast<uint32_t>(idle_.size());
    idle_.push_back(c);
  }
  void on_container_removed(kw_container_id c, kw_function_id, kw_removal_reason) override {
    remove(c);
  }
  kw_container_id choose_victim(kw_function_id) override {
    if (idle_.empty()) return KW_NO_CONTAINER;
    return idle_[host().uniform(idle_.size())];
  }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  void remove(kw_container_id c) {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= position_.size() || position_[slot] == kAbsent) return;
    const uint32_t pos = position_[slot];
    const kw_container_id last = idle_.back();
    idle_[pos] = last;
    position_[KW_CONTAINER_SLOT(last)] = pos;
    idle_.pop_back();
    position_[slot] = kAbsent;
  }

  std::vector<kw_container_id> idle_;
  std::vector<uint32_t> position_;
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Rand)
