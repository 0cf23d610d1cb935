// keepwarm/priority_policy.hpp: an optional header-only base for the Greedy-Dual family of
// eviction policies (LRU, GD, FREQ, SIZE and variants): every container has a priority, the idle
// container with the lowest one is evicted, and a "clock" remembers the priority of the last
// victim so that later priorities start above it (inflation, as in Greedy-Dual-Size).
//
// Derive with CRTP and provide
//   double priority(kw_function_id fn, double clock, double frequency) const;
// which is called whenever a container of fn starts (cold, warm or prewarm) with the function's
// frequency after counting that start.
//
// Two bookkeeping modes, picked from the host's compatibility mode at create time:
// - default: each container keeps the priority computed when it last started; the frequency of
//   a function counts its invocations while it has at least one container alive and is reset to
//   0 when its last container leaves memory.
// - faascache compat: the FaasCache reference's bookkeeping. Every container counts the
//   invocations it served; a function's frequency is the sum over its live containers (so it
//   drops when one of them is evicted); after each invocation every container of the function,
//   idle or running, gets the priority just computed. All containers of a function therefore
//   share one priority, and idle containers sit in a heap of functions.
//
// Cost per event: O(log n) (n = idle containers, or functions with idle containers in compat).
#ifndef KEEPWARM_PRIORITY_POLICY_HPP
#define KEEPWARM_PRIORITY_POLICY_HPP

#include <keepwarm/indexed_heap.hpp>
#include <keepwarm/policy.hpp>

#include <cstdint>
#include <vector>

namespace keepwarm {

template <class Derived>
class PriorityPolicy : public Policy {
 public:
  explicit PriorityPolicy(const kw_host* host)
      : Policy(host), compat_(this->host().faascache_compat()) {
    const uint32_t n = this->host().function_count();
    freq_.assign(n, 0.0);
    live_.assign(n, 0);
    fprio_.assign(n, 0.0);
    idle_of_.resize(n);
  }

  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    grow(slot);
    ids_[slot] = c;
    if (kind == KW_START_WARM) {
      take_idle(slot, fn);
    } else {
      ++live_[fn];
      served_[slot] = 0;
    }
    if (kind != KW_START_PREWARM) {
      if (compat_) ++served_[slot];
      freq_[fn] += 1.0;
    }
    const double p = derived().priority(fn, clock_, freq_[fn]);
    if (compat_) {
      // A prewarm does not count as an invocation: the function keeps its shared priority,
      // unless this is its only container.
      if (kind != KW_START_PREWARM || live_[fn] == 1) set_function_priority(fn, p);
    } else {
      prio_[slot] = p;
    }
  }

  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (compat_) {
      std::vector<uint32_t>& list = idle_of_[fn];
      pos_[slot] = static_cast<uint32_t>(list.size());
      list.push_back(slot);
      if (list.size() == 1) by_function_.push(fn, fprio_[fn]);
    } else {
      idle_.push(slot, prio_[slot]);
    }
  }

  void on_container_removed(kw_container_id c, kw_function_id fn,
                            kw_removal_reason reason) override {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (reason == KW_REMOVED_EVICTED) clock_ = compat_ ? fprio_[fn] : prio_[slot];
    take_idle(slot, fn);
    --live_[fn];
    if (compat_)
      freq_[fn] -= static_cast<double>(served_[slot]);
    else if (live_[fn] == 0)
      freq_[fn] = 0.0;
  }

  kw_container_id choose_victim(kw_function_id) override {
    if (compat_) {
      if (by_function_.empty()) return KW_NO_CONTAINER;
      return ids_[idle_of_[by_function_.top()].back()];
    }
    if (idle_.empty()) return KW_NO_CONTAINER;
    return ids_[idle_.top()];
  }

 protected:
  bool compat() const noexcept { return compat_; }
  double clock() const noexcept { return clock_; }
  double frequency(kw_function_id fn) const noexcept { return freq_[fn]; }
  // Compat mode only: the idle containers of fn (slots), in no particular order.
  const std::vector<uint32_t>& idle_slots(kw_function_id fn) const noexcept { return idle_of_[fn]; }
  kw_container_id id_of_slot(uint32_t slot) const noexcept { return ids_[slot]; }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  const Derived& derived() const noexcept { return static_cast<const Derived&>(*this); }

  void grow(uint32_t slot) {
    if (slot < ids_.size()) return;
    const size_t n = static_cast<size_t>(slot) + 1;
    ids_.resize(n, KW_NO_CONTAINER);
    prio_.resize(n, 0.0);
    served_.resize(n, 0);
    pos_.resize(n, kAbsent);
  }

  void set_function_priority(kw_function_id fn, double p) {
    fprio_[fn] = p;
    if (by_function_.contains(fn)) by_function_.update(fn, p);
  }

  // Removes slot from the idle structures if it is there.
  void take_idle(uint32_t slot, kw_function_id fn) {
    if (!compat_) {
      idle_.erase(slot);
      return;
    }
    if (pos_[slot] == kAbsent) return;
    std::vector<uint32_t>& list = idle_of_[fn];
    const uint32_t p = pos_[slot];
    list[p] = list.back();
    pos_[list[p]] = p;
    list.pop_back();
    pos_[slot] = kAbsent;
    if (list.empty()) by_function_.erase(fn);
  }

  bool compat_;
  double clock_ = 0.0;
  // Per function.
  std::vector<double> freq_;
  std::vector<uint32_t> live_;
  std::vector<double> fprio_;                   // compat: the shared priority
  std::vector<std::vector<uint32_t>> idle_of_;  // compat: idle slots per function
  IndexedHeap<double> by_function_;             // compat: functions with idle containers
  // Per container slot.
  std::vector<kw_container_id> ids_;
  std::vector<double> prio_;
  std::vector<uint64_t> served_;
  std::vector<uint32_t> pos_;  // compat: index in idle_of_[fn]
  IndexedHeap<double> idle_;   // default: idle containers by priority
};

}  // namespace keepwarm

#endif  // KEEPWARM_PRIORITY_POLICY_HPP
