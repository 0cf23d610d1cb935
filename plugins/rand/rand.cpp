// rand: evict an idle container chosen uniformly at random from the host's
// seeded random source. The baseline every ranking is relative to.
//
// Idle containers live in a dense array with a slot -> position index, so
// insert, remove and a uniform pick are all O(1).
//
// In faascache-course compat mode it is the course skeleton's RandomEvictionPicker instead
// (niravraje/faas-container-eviction, code/sim/LambdaScheduler.py): all containers sit in one
// list in creation order; a warm start reuses the first idle container of the function in that
// list; each victim is random.choice over the idle containers in list order, drawn from
// CPython's generator seeded with random.seed(seed) (keepwarm/python_random.hpp). O(n) per
// invocation, n = containers in memory.
#include <keepwarm/policy.hpp>
#include <keepwarm/python_random.hpp>

#include <algorithm>
#include <memory>
#include <vector>

namespace {

class Rand final : public keepwarm::Policy {
 public:
  static constexpr const char* kName = "rand";
  static constexpr const char* kVersion = "1.1.0";
  static constexpr const char* kDescription =
      "random: evict an idle container chosen uniformly at random (seeded)";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr uint64_t kFlags = KW_POLICY_RANDOMISED;

  explicit Rand(const kw_host* h) : Policy(h) {
    if (host().faascache_course_compat()) course_ = std::make_unique<Course>(host().seed());
  }

  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    if (course_) return course_->started(c, fn, kind);
    remove(c);
  }
  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    if (course_) return course_->set_running(c, false);
    (void)fn;
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= position_.size()) position_.resize(slot + 1, kAbsent);
    position_[slot] = static_cast<uint32_t>(idle_.size());
    idle_.push_back(c);
  }
  void on_container_removed(kw_container_id c, kw_function_id, kw_removal_reason) override {
    if (course_) return course_->removed(c);
    remove(c);
  }
  kw_container_id choose_warm(kw_function_id fn) override {
    return course_ ? course_->first_idle(fn) : KW_NO_CONTAINER;
  }
  kw_container_id choose_victim(kw_function_id) override {
    if (course_) return course_->random_idle();
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

  // The course skeleton's ContainerPool (a plain list) and its random module.
  class Course {
   public:
    explicit Course(uint64_t seed) : random_(seed) {}
    void started(kw_container_id c, kw_function_id fn, kw_start_kind kind) {
      const uint32_t slot = KW_CONTAINER_SLOT(c);
      if (slot >= fn_.size()) {
        fn_.resize(slot + 1, 0);
        running_.resize(slot + 1, false);
      }
      if (kind != KW_START_WARM) {  // AddToPool appends
        pool_.push_back(c);
        fn_[slot] = fn;
      }
      running_[slot] = kind != KW_START_PREWARM;
    }
    void set_running(kw_container_id c, bool running) { running_[KW_CONTAINER_SLOT(c)] = running; }
    void removed(kw_container_id c) {  // RemoveFromPool: list.remove
      const auto it = std::find(pool_.begin(), pool_.end(), c);
      if (it != pool_.end()) pool_.erase(it);
    }
    // find_container: the first idle container of fn in list order.
    kw_container_id first_idle(kw_function_id fn) const {
      for (const kw_container_id c : pool_) {
        const uint32_t slot = KW_CONTAINER_SLOT(c);
        if (fn_[slot] == fn && !running_[slot]) return c;
      }
      return KW_NO_CONTAINER;
    }
    // One step of RandomEvictionPicker: random.choice(available), available = the idle
    // containers in list order (earlier victims of the same eviction are already gone).
    kw_container_id random_idle() {
      available_.clear();
      for (const kw_container_id c : pool_)
        if (!running_[KW_CONTAINER_SLOT(c)]) available_.push_back(c);
      if (available_.empty()) return KW_NO_CONTAINER;
      return available_[random_.choice_index(static_cast<uint32_t>(available_.size()))];
    }

   private:
    keepwarm::PythonRandom random_;
    std::vector<kw_container_id> pool_;  // every container, in creation order
    std::vector<kw_function_id> fn_;     // per slot
    std::vector<bool> running_;          // per slot
    std::vector<kw_container_id> available_;
  };

  std::vector<kw_container_id> idle_;
  std::vector<uint32_t> position_;
  std::unique_ptr<Course> course_;  // faascache-course compat mode only
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Rand)
