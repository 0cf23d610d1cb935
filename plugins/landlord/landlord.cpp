// landlord: the Landlord caching algorithm (Young, "On-line file caching", Algorithmica 2002)
// applied to containers, as in FaasCache (ASPLOS 2021, section 4). Every use of a container
// sets its credit to its cost (cold - warm time). To make room, rent is charged to all
// containers in proportion to their size until one has no credit left; that one is evicted.
//
// O(log n) per event (on_arrival and choose_warm are not called): instead of charging every
// container, a global rent offset R (total rent per MB charged so far) is kept, and each container
// stores credit/size + R at the time its credit was set. A container's credit is (stored - R) x
// size; the one whose credit runs out first is the idle container with the smallest stored value,
// and evicting it raises R to that value. Running containers pay rent too but cannot be evicted; a
// container whose credit ran out while it was running goes idle with credit 0.
//
// In faascache compat mode the reference's LND runs instead (keepwarm/faascache_pool.hpp):
// credit = warm time, rent charged to every container of the pool before each eviction.
#include <keepwarm/faascache_pool.hpp>
#include <keepwarm/indexed_heap.hpp>
#include <keepwarm/policy.hpp>

#include <algorithm>
#include <memory>
#include <vector>

namespace {

class Landlord final : public keepwarm::Policy {
 public:
  static constexpr const char* kName = "landlord";
  static constexpr const char* kVersion = "1.1.0";
  static constexpr const char* kDescription =
      "Landlord: credit = cold - warm time on use; evictions charge rent proportional to memory";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr const char* kUrl = "Young, On-line file caching, Algorithmica 33(3), 2002";

  explicit Landlord(const kw_host* h) : Policy(h) {
    if (host().faascache_compat()) {
      pool_ = std::make_unique<keepwarm::faascache::Pool>(h, keepwarm::faascache::Rule::landlord);
      return;
    }
    // Outside compat mode on_arrival and choose_warm do nothing: the host need not call them.
    skip_hooks(KW_SKIP_ON_ARRIVAL | KW_SKIP_CHOOSE_WARM);
    const uint32_t n = host().function_count();
    credit_per_mb_.resize(n);
    for (uint32_t fn = 0; fn < n; ++fn) {
      const kw_function_info& f = host().function(fn);
      credit_per_mb_[fn] = std::max(0.0, f.cold_ms - f.warm_ms) / f.memory_mb;
    }
  }

  void on_arrival(kw_function_id fn) override {
    if (pool_) pool_->on_arrival(fn);
  }
  kw_container_id choose_warm(kw_function_id fn) override {
    return pool_ ? pool_->choose_warm(fn) : KW_NO_CONTAINER;
  }
  void on_end() override {
    if (pool_) pool_->on_end();
  }

  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    if (pool_) return pool_->on_container_started(c, fn, kind);
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= ids_.size()) {
      ids_.resize(slot + 1, KW_NO_CONTAINER);
      credit_.resize(slot + 1, 0.0);
    }
    ids_[slot] = c;
    if (kind == KW_START_WARM) idle_.erase(slot);
    credit_[slot] = credit_per_mb_[fn] + rent_;
  }
  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    if (pool_) return pool_->on_container_idle(c, fn);
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    idle_.push(slot, std::max(credit_[slot], rent_));
  }
  void on_container_removed(kw_container_id c, kw_function_id fn,
                            kw_removal_reason reason) override {
    if (pool_) return pool_->on_container_removed(c, fn, reason);
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (reason == KW_REMOVED_EVICTED && idle_.contains(slot))
      rent_ = std::max(rent_, idle_.key(slot));
    idle_.erase(slot);
  }
  kw_container_id choose_victim(kw_function_id for_fn) override {
    if (pool_) return pool_->choose_victim(for_fn);
    if (idle_.empty()) return KW_NO_CONTAINER;
    return ids_[idle_.top()];
  }

 private:
  std::unique_ptr<keepwarm::faascache::Pool> pool_;  // faascache compat mode only
  keepwarm::IndexedHeap<double> idle_;               // idle containers by credit/size + rent offset
  std::vector<kw_container_id> ids_;
  std::vector<double> credit_;
  std::vector<double> credit_per_mb_;  // per function: max(0, cold - warm) / memory
  double rent_ = 0.0;                  // rent per MB charged so far
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Landlord)
