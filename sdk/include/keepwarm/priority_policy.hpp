// keepwarm/priority_policy.hpp: an optional header-only base for the Greedy-Dual family of
// eviction policies (LRU, GD, FREQ, SIZE and variants): every container has a priority, the idle
// container with the lowest one is evicted, and a "clock" remembers the priority of the last
// victim so that later priorities start above it (inflation, as in Greedy-Dual-Size).
//
// Derive with CRTP and provide
//   double priority(kw_function_id fn, double clock, double frequency) const;
// which is called whenever a container of fn starts (cold, warm or prewarm) with the function's
// frequency after counting that start. A policy whose priority ignores the frequency may say so
// with `static constexpr bool kUsesFrequency = false;`: then no per-function state is kept (one
// cache line less per event with many functions), priority() gets 0 and frequency() returns 0.
//
// In faascache compat mode (host().faascache_compat()) every hook goes to a
// faascache::Pool (keepwarm/faascache_pool.hpp), the emulation of the FaasCache reference's
// heap-ordered container list, with the rule Derived::kFaasCacheRule (the reference's own
// formula for the built-in policies) or, without that member, with Derived::priority(fn, clock,
// frequency) computed where the reference computes its priorities. Otherwise each container keeps
// the priority computed when it last started; the frequency of a function counts its invocations
// while it has at least one container alive and is reset to 0 when its last container leaves
// memory.
//
// Cost per event: O(log n) (n = idle containers); O(n) per invocation in compat mode.
//
// While memory has never been short (no choose_victim yet), idle containers are only marked, with
// the order they went idle, O(1) per event and touching only their own slot: the heap is built
// from them, in that order, when the first victim is asked for, and kept from then on. The heap
// orders by (priority, order of going idle), as if it had been kept all along, so victims are the
// same; a run whose memory is never binding does no heap work at all.
#ifndef KEEPWARM_PRIORITY_POLICY_HPP
#define KEEPWARM_PRIORITY_POLICY_HPP

#include <keepwarm/faascache_pool.hpp>
#include <keepwarm/indexed_heap.hpp>
#include <keepwarm/policy.hpp>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <vector>

namespace keepwarm {

template <class Derived>
class PriorityPolicy : public Policy {
 public:
  explicit PriorityPolicy(const kw_host* host) : Policy(host) {
    if (this->host().faascache_compat()) {
      if constexpr (requires { Derived::kFaasCacheRule; })
        pool_ = std::make_unique<faascache::Pool>(host, Derived::kFaasCacheRule);
      else  // a policy of its own: its priority() in the reference's pool
        pool_ = std::make_unique<faascache::Pool>(
            host, faascache::Rule::custom, [this](kw_function_id fn, double clock, double freq) {
              return derived().priority(fn, clock, freq);
            });
      return;
    }
    if constexpr (uses_frequency()) fns_.assign(this->host().function_count(), FunctionState{});
    // Outside compat mode on_arrival and choose_warm do nothing here: unless Derived overrides
    // them (then &Derived::f is a member of Derived, not of this class), the host may skip them.
    uint32_t skip = 0;
    if constexpr (std::is_same_v<decltype(&Derived::on_arrival),
                                 void (PriorityPolicy::*)(kw_function_id)>)
      skip |= KW_SKIP_ON_ARRIVAL;
    if constexpr (std::is_same_v<decltype(&Derived::choose_warm),
                                 kw_container_id (PriorityPolicy::*)(kw_function_id)>)
      skip |= KW_SKIP_CHOOSE_WARM;
    this->skip_hooks(skip);
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
    if (pool_) {
      pool_->on_container_started(c, fn, kind);
      return;
    }
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    grow(slot);
    SlotState& s = slots_[slot];
    s.id = c;
    if (kind == KW_START_WARM) leave_idle(slot);
    if constexpr (uses_frequency()) {
      if (kind != KW_START_WARM) ++fns_[fn].live;
      if (kind != KW_START_PREWARM) fns_[fn].freq += 1.0;
      s.priority = derived().priority(fn, clock_, fns_[fn].freq);
    } else {
      s.priority = derived().priority(fn, clock_, 0.0);
    }
  }

  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    if (pool_) {
      pool_->on_container_idle(c, fn);
      return;
    }
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (heap_built_) {
      idle_.push(slot, slots_[slot].priority);
      return;
    }
    SlotState& s = slots_[slot];
    if (s.idle) return;
    s.idle = true;
    s.idle_order = idle_order_++;
    ++idle_count_;
  }

  void on_container_removed(kw_container_id c, kw_function_id fn,
                            kw_removal_reason reason) override {
    if (pool_) {
      pool_->on_container_removed(c, fn, reason);
      return;
    }
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (reason == KW_REMOVED_EVICTED) clock_ = slots_[slot].priority;
    leave_idle(slot);
    if constexpr (uses_frequency())
      if (--fns_[fn].live == 0) fns_[fn].freq = 0.0;
  }

  kw_container_id choose_victim(kw_function_id for_fn) override {
    if (pool_) return pool_->choose_victim(for_fn);
    if (!heap_built_) build_heap();
    if (idle_.empty()) return KW_NO_CONTAINER;
    return slots_[idle_.top()].id;
  }

 protected:
  bool compat() const noexcept { return pool_ != nullptr; }
  faascache::Pool* faascache_pool() noexcept { return pool_.get(); }
  double clock() const noexcept { return clock_; }
  double frequency(kw_function_id fn) const noexcept {
    if constexpr (uses_frequency())
      return fns_[fn].freq;
    else
      return 0.0;
  }

 private:
  const Derived& derived() const noexcept { return static_cast<const Derived&>(*this); }
  // False when Derived declares kUsesFrequency = false (read in member functions, where Derived
  // is complete).
  static constexpr bool uses_frequency() noexcept {
    if constexpr (requires { Derived::kUsesFrequency; })
      return Derived::kUsesFrequency;
    else
      return true;
  }

  void grow(uint32_t slot) {
    if (slot >= slots_.size()) slots_.resize(static_cast<size_t>(slot) + 1);
  }

  // Takes slot out of the idle set (heap or list) if it is there.
  void leave_idle(uint32_t slot) noexcept {
    if (heap_built_) {
      idle_.erase(slot);
      return;
    }
    if (slot >= slots_.size()) return;
    SlotState& s = slots_[slot];
    if (!s.idle) return;
    s.idle = false;
    --idle_count_;
  }

  // The first victim: the idle containers enter the heap in the order they went idle. Once per
  // run, so out of line (the hot hooks keep IndexedHeap::push inlined).
  [[gnu::cold, gnu::noinline]] void build_heap() {
    std::vector<uint32_t> idle;
    idle.reserve(idle_count_);
    for (uint32_t slot = 0; slot < slots_.size(); ++slot)
      if (slots_[slot].idle) idle.push_back(slot);
    std::sort(idle.begin(), idle.end(), [this](uint32_t a, uint32_t b) {
      return slots_[a].idle_order < slots_[b].idle_order;
    });
    for (const uint32_t slot : idle) {
      slots_[slot].idle = false;
      idle_.push(slot, slots_[slot].priority);
    }
    idle_count_ = 0;
    heap_built_ = true;
  }

  std::unique_ptr<faascache::Pool> pool_;  // faascache compat mode only
  double clock_ = 0.0;
  // Per function.
  struct FunctionState {
    double freq = 0.0;  // invocations while it has a container alive
    uint32_t live = 0;  // containers alive
  };
  std::vector<FunctionState> fns_;  // empty unless uses_frequency()
  // Per container slot.
  struct SlotState {
    kw_container_id id = KW_NO_CONTAINER;
    double priority = 0.0;    // computed when it last started
    uint64_t idle_order = 0;  // before the heap is built: when it went idle
    bool idle = false;        // before the heap is built: idle
  };
  std::vector<SlotState> slots_;
  uint64_t idle_order_ = 0;
  size_t idle_count_ = 0;
  bool heap_built_ = false;   // from the first choose_victim on
  IndexedHeap<double> idle_;  // idle containers by priority, once built
};

}  // namespace keepwarm

#endif  // KEEPWARM_PRIORITY_POLICY_HPP
