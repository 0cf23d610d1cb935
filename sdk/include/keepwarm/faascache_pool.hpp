// keepwarm/faascache_pool.hpp: the container pool of the FaasCache Python simulator (Fuerst &
// Sharma, ASPLOS 2021; aFuerst/faascache-sim, code/split/LambdaScheduler.py), emulated operation
// by operation, so that a policy in faascache compat mode makes exactly the reference's choices.
// Used by the compat paths of lru, gd, freq, size, landlord, ttl and hybrid-histogram.
//
// The reference keeps ONE Python list of all containers, running and idle, as a binary heap
// (module heapq) compared by priority only. Which of several equal-priority containers is popped
// first, and which idle container of a function a warm start takes (the first in the list's
// array order), therefore depend on the exact sequence of heapq operations. PyHeap below is
// that list: heappush, heappop, heapify and list.remove, reimplemented from their documented
// algorithms.
//
// Pool follows runActivation step by step (docs/model.md, "faascache"):
//  1. cleanup_finished: containers whose run ended become idle (HIST: a finished container of a
//     function with a non-zero prewarm time is released), then heapify;
//  2. HIST: PreWarmContainers, then track_activation (histogram, TTL and prewarm time);
//  3. find_container: the idle containers of f in array order; TTL and HIST purge the expired
//     ones (list.remove + heapify each; counted as evictions by the reference, as expirations
//     here); the first remaining one serves a warm start;
//  4. a miss with too little memory evicts (if some container is idle): LND first charges rent
//     to every container and heapifies; then pop until the new container's memory is covered,
//     running containers set aside and pushed back afterwards; Clock = priority of the last
//     victim. The new container is pushed with a priority computed before it runs; heapify;
//  5. the container runs (its count + 1); every clone of f gets the priority just computed
//     (frequency = sum of the clones' counts); heapify.
// Cost: O(n) per invocation (n = containers in memory), as in the reference.
#ifndef KEEPWARM_FAASCACHE_POOL_HPP
#define KEEPWARM_FAASCACHE_POOL_HPP

#include <keepwarm/policy.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <utility>
#include <vector>

namespace keepwarm {
namespace faascache {

// A Python list used with heapq. Elements are E; less(a, b) is the list's `<`.
template <class E, class Less>
class PyHeap {
 public:
  explicit PyHeap(Less less = Less{}) : less_(less) {}

  std::vector<E>& items() noexcept { return v_; }
  const std::vector<E>& items() const noexcept { return v_; }
  bool empty() const noexcept { return v_.empty(); }
  size_t size() const noexcept { return v_.size(); }

  void push(const E& e) {
    v_.push_back(e);
    siftdown(0, v_.size() - 1);
  }
  E pop() {
    E last = v_.back();
    v_.pop_back();
    if (v_.empty()) return last;
    E top = v_[0];
    v_[0] = last;
    siftup(0);
    return top;
  }
  // heapq.heapify: siftup of every node that has children, last first. (CPython's C module
  // visits the nodes of lists above 2,500 entries in a cache-friendly order instead; since a
  // siftup reads and writes only its node's subtree and every order runs a node after both its
  // children, the result is the same list: tests/test_faascache_pool.cpp checks both sizes.)
  void heapify() {
    for (size_t i = v_.size() / 2; i-- > 0;) siftup(i);
  }
  // list.remove(e): the first element equal to e. Returns false if absent.
  bool remove(const E& e) {
    const auto it = std::find(v_.begin(), v_.end(), e);
    if (it == v_.end()) return false;
    v_.erase(it);
    return true;
  }

 private:
  // heapq._siftdown: move the element at pos up towards start while it is smaller than its
  // parent.
  void siftdown(size_t start, size_t pos) {
    const E item = v_[pos];
    while (pos > start) {
      const size_t parent = (pos - 1) >> 1;
      if (!less_(item, v_[parent])) break;
      v_[pos] = v_[parent];
      pos = parent;
    }
    v_[pos] = item;
  }
  // heapq._siftup: move the smaller child up until a leaf is reached (right child on ties),
  // then sift the original element back up from there.
  void siftup(size_t pos) {
    const size_t end = v_.size(), start = pos;
    const E item = v_[pos];
    size_t child = 2 * pos + 1;
    while (child < end) {
      const size_t right = child + 1;
      if (right < end && !less_(v_[child], v_[right])) child = right;
      v_[pos] = v_[child];
      pos = child;
      child = 2 * pos + 1;
    }
    v_[pos] = item;
    siftdown(start, pos);
  }
  std::vector<E> v_;
  Less less_;
};

// Which of the reference's calc_priority / purge rules applies. custom: a priority function of
// the policy's own, priority(fn, clock, frequency), called where the reference calls
// calc_priority (frequency = the sum of the clones' counts), with the LRU rules otherwise.
enum class Rule { lru, gd, freq, size, landlord, ttl, hist, custom };
using PriorityFn = std::function<double(kw_function_id fn, double clock, double frequency)>;

class Pool {
 public:
  Pool(const kw_host* raw, Rule rule, PriorityFn custom = {})
      : host_(raw),
        rule_(custom ? Rule::custom : rule),
        custom_(std::move(custom)),
        heap_(ByPriority{&prio_}),
        by_fn_(host_.function_count()) {
    const uint32_t n = host_.function_count();
    freq_sum_.assign(n, 0);
    if (rule_ == Rule::hist) hist_.resize(n);
  }
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  void set_ttl_ms(double ttl) noexcept { ttl_ms_ = ttl; }
  double clock() const noexcept { return clock_; }
  size_t size() const noexcept { return heap_.size(); }

  // ---- hooks ---------------------------------------------------------------------------------
  void on_arrival(kw_function_id fn) {
    flush();
    const double now = host_.now();
    // cleanup_finished (the host already made them idle, in finish-time order; the reference
    // visits them in the order they started, the insertion order of its running dict).
    if (rule_ == Rule::hist && !finished_.empty()) {
      std::sort(finished_.begin(), finished_.end(),
                [this](uint32_t a, uint32_t b) { return run_seq_[a] < run_seq_[b]; });
      for (const uint32_t slot : finished_) {
        if (!live(slot) || running_[slot]) continue;
        const Hist& h = hist_[fn_[slot]];
        if (h.seen && h.prewarm != 0) {
          const kw_container_id id = ids_[slot];
          remove_from_pool(slot);
          host_.remove_now(id, KW_REMOVED_RELEASED);
        }
      }
    }
    finished_.clear();
    heap_.heapify();
    if (rule_ == Rule::hist) {
      prewarm_containers(now);
      track_activation(fn, now);
    }
    chosen_ = find_container(fn, now);
  }

  kw_container_id choose_warm(kw_function_id) const noexcept {
    return chosen_ == kAbsent ? KW_NO_CONTAINER : ids_[chosen_];
  }

  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) {
    flush();
    if (kind == KW_START_PREWARM) return;  // the pool prewarms with prewarm_now only
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    const double now = host_.now();
    if (kind == KW_START_WARM && (chosen_ == kAbsent || ids_[chosen_] != c)) {
      host_.report_error("faascache pool: the host reused a container the pool did not choose");
      return;
    }
    if (kind == KW_START_COLD) {
      add(slot, c, fn, now);  // AddToPool
      heap_.heapify();        // cache_miss
    }
    ++count_[slot];  // Container.run
    ++freq_sum_[fn];
    running_[slot] = true;
    run_seq_[slot] = ++seq_;
    last_access_[slot] = now;
    const double p = priority(slot);
    for (const uint32_t clone : by_fn_[fn]) prio_[clone] = p;
    heap_.heapify();
  }

  void on_container_idle(kw_container_id c, kw_function_id) {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (!live(slot)) return;
    running_[slot] = false;
    if (rule_ == Rule::hist) finished_.push_back(slot);
  }

  kw_container_id choose_victim(kw_function_id for_fn) {
    if (!evicting_) {
      evicting_ = true;
      to_free_ = static_cast<int64_t>(host_.function(for_fn).memory_mb);
      save_.clear();
      if (rule_ == Rule::landlord) charge_rent();
    }
    while (!heap_.empty()) {
      const uint32_t v = heap_.pop();
      if (running_[v]) {
        save_.push_back(v);
        continue;
      }
      to_free_ -= static_cast<int64_t>(host_.function(fn_[v]).memory_mb);
      clock_ = prio_[v];
      return ids_[v];
    }
    return KW_NO_CONTAINER;
  }

  void on_container_removed(kw_container_id c, kw_function_id, kw_removal_reason) {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (live(slot) && ids_[slot] == c) forget(slot);  // an evicted victim, already popped
  }

  void on_end() { flush(); }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;
  static constexpr unsigned kHistMinutes = 4 * 60;

  struct ByPriority {
    const std::vector<double>* prio;
    bool operator()(uint32_t a, uint32_t b) const noexcept { return (*prio)[a] < (*prio)[b]; }
  };
  struct Hist {
    bool seen = false;
    double last_seen = 0;
    std::array<double, kHistMinutes> counts{};
    uint64_t n = 0;  // Welford
    double mean = 0, m2 = 0;
    double ttl = 2 * 60 * 60 * 1000.0;
    double prewarm = 0;
  };

  bool live(uint32_t slot) const noexcept {
    return slot < ids_.size() && ids_[slot] != KW_NO_CONTAINER;
  }

  void grow(uint32_t slot) {
    if (slot < ids_.size()) return;
    const size_t n = static_cast<size_t>(slot) + 1;
    ids_.resize(n, KW_NO_CONTAINER);
    fn_.resize(n, 0);
    prio_.resize(n, 0.0);
    last_access_.resize(n, 0.0);
    count_.resize(n, 0);
    running_.resize(n, false);
    run_seq_.resize(n, 0);
    clone_pos_.resize(n, kAbsent);
  }

  // calc_priority(c) with the current Clock.
  double priority(uint32_t slot) const {
    const kw_function_info& f = host_.function(fn_[slot]);
    const double freq = static_cast<double>(freq_sum_[fn_[slot]]);
    const double cost = f.cold_ms - f.warm_ms;
    const double size = static_cast<double>(f.memory_mb);
    switch (rule_) {
      case Rule::gd:
        return clock_ + freq * (cost / size);
      case Rule::freq:
        return clock_ + freq * cost;
      case Rule::size:
        return clock_ + freq / size;
      case Rule::landlord:
        return f.warm_ms;
      case Rule::custom:
        return custom_(fn_[slot], clock_, freq);
      case Rule::lru:
      case Rule::ttl:
      case Rule::hist:
        break;
    }
    return last_access_[slot];
  }

  // AddToPool for a container the host just created.
  void add(uint32_t slot, kw_container_id c, kw_function_id fn, double at) {
    grow(slot);
    ids_[slot] = c;
    fn_[slot] = fn;
    count_[slot] = 0;
    running_[slot] = false;
    run_seq_[slot] = 0;
    last_access_[slot] = at;
    prio_[slot] = priority(slot);  // not yet a clone of itself (its count is 0 anyway)
    clone_pos_[slot] = static_cast<uint32_t>(by_fn_[fn].size());
    by_fn_[fn].push_back(slot);
    heap_.push(slot);
  }

  // Drops the bookkeeping of a container that left the list.
  void forget(uint32_t slot) {
    const uint32_t fn = fn_[slot];
    freq_sum_[fn] -= count_[slot];
    std::vector<uint32_t>& clones = by_fn_[fn];
    const uint32_t p = clone_pos_[slot];
    clones[p] = clones.back();
    clone_pos_[clones[p]] = p;
    clones.pop_back();
    clone_pos_[slot] = kAbsent;
    ids_[slot] = KW_NO_CONTAINER;
  }

  // RemoveFromPool: list.remove, then heapify.
  void remove_from_pool(uint32_t slot) {
    heap_.remove(slot);
    forget(slot);
    heap_.heapify();
  }

  // The end of an eviction (the next hook after choose_victim calls): if the new container's
  // memory is still not covered, the reference went on popping (only running containers were
  // left); then everything set aside is pushed back in the order it was popped.
  void flush() {
    if (!evicting_) return;
    evicting_ = false;
    if (to_free_ > 0)
      while (!heap_.empty()) save_.push_back(heap_.pop());
    for (const uint32_t s : save_) heap_.push(s);
    save_.clear();
  }

  // Landlord_Charge_Rent: every container pays rent = the smallest credit per MB x its memory.
  void charge_rent() {
    const std::vector<uint32_t>& items = heap_.items();
    if (items.empty()) return;
    double delta = INFINITY;
    for (const uint32_t s : items)
      delta = std::min(delta, prio_[s] / static_cast<double>(host_.function(fn_[s]).memory_mb));
    for (const uint32_t s : items)
      prio_[s] = prio_[s] - delta * static_cast<double>(host_.function(fn_[s]).memory_mb);
    heap_.heapify();
  }

  // find_container, with the TTL and HIST purges; returns the slot of the container to reuse.
  uint32_t find_container(kw_function_id fn, double now) {
    candidates_.clear();
    for (const uint32_t s : heap_.items())
      if (fn_[s] == fn && !running_[s]) candidates_.push_back(s);
    if (candidates_.empty()) return kAbsent;
    if (rule_ == Rule::ttl || rule_ == Rule::hist) {
      const double ttl = rule_ == Rule::ttl ? ttl_ms_ : hist_[fn].ttl;
      uint32_t first_fresh = kAbsent;
      for (const uint32_t s : candidates_) {
        if (last_access_[s] + ttl < now) {
          const kw_container_id id = ids_[s];
          remove_from_pool(s);
          host_.remove_now(id, KW_REMOVED_EXPIRED);
        } else if (first_fresh == kAbsent) {
          first_fresh = s;
        }
      }
      if (rule_ == Rule::ttl) heap_.heapify();
      return first_fresh;
    }
    return candidates_.front();
  }

  // PreWarmContainers: every function (in the order first seen) whose prewarm window is open
  // gets one more idle container now, if its memory is free.
  void prewarm_containers(double now) {
    for (const uint32_t k : seen_order_) {
      const Hist& h = hist_[k];
      if (h.prewarm == 0 || !(h.prewarm + h.last_seen >= now)) continue;
      const kw_container_id c = host_.prewarm_now(k);
      if (c == KW_NO_CONTAINER) continue;
      add(KW_CONTAINER_SLOT(c), c, k, std::min(h.prewarm + h.last_seen, now));
    }
  }

  // track_activation: the inter-arrival histogram (whole minutes, under 4 hours), Welford's
  // mean and variance, and from them the function's TTL and prewarm time.
  void track_activation(kw_function_id fn, double now) {
    Hist& h = hist_[fn];
    if (!h.seen) {
      h.seen = true;
      h.last_seen = now;
      seen_order_.push_back(fn);
      return;
    }
    const double iat = now - h.last_seen;
    h.last_seen = now;
    const double minute = std::floor(iat / 60000.0);
    if (minute >= kHistMinutes) return;
    ++h.n;
    const double delta = minute - h.mean;
    h.mean += delta / static_cast<double>(h.n);
    h.m2 += delta * (minute - h.mean);
    h.counts[static_cast<size_t>(minute)] += 1.0;
    if (h.n < 2) {
      h.ttl = 2 * 60 * 60 * 1000.0;
      h.prewarm = 0;
      return;
    }
    const double variance = h.m2 / static_cast<double>(h.n);
    if (h.mean == 0 || variance / h.mean <= 2) {
      double total = 0;
      for (const double x : h.counts) total += x;  // whole numbers: exact in any order
      double cdf = 0;
      size_t head = kHistMinutes, tail = kHistMinutes;
      bool head_found = false, tail_found = false;
      for (size_t i = 0; i < kHistMinutes && !tail_found; ++i) {
        cdf += h.counts[i] / total;
        if (!head_found && 0.05 < cdf) {
          head = i == 0 ? 0 : i - 1;
          head_found = true;
        }
        if (0.99 < cdf) {
          tail = std::min(i + 1, static_cast<size_t>(kHistMinutes));
          tail_found = true;
        }
      }
      h.ttl = static_cast<double>(tail * 60 * 1000) * 1.1;
      h.prewarm = static_cast<double>(head * 60 * 1000) * 0.9;
    } else {
      h.ttl = 2 * 60 * 60 * 1000.0;
      h.prewarm = 0;
    }
  }

  Host host_;
  Rule rule_;
  PriorityFn custom_;
  double ttl_ms_ = 10 * 60 * 1000.0;
  double clock_ = 0;
  PyHeap<uint32_t, ByPriority> heap_;  // the reference's ContainerPool, of slots
  // Per slot.
  std::vector<kw_container_id> ids_;  // KW_NO_CONTAINER when not in the pool
  std::vector<uint32_t> fn_;
  std::vector<double> prio_;
  std::vector<double> last_access_;
  std::vector<int64_t> count_;  // Container.frequency: the invocations it served
  std::vector<bool> running_;
  std::vector<uint64_t> run_seq_;  // when it last started running (running dict order)
  std::vector<uint32_t> clone_pos_;
  // Per function.
  std::vector<std::vector<uint32_t>> by_fn_;  // the clones, in no particular order
  std::vector<int64_t> freq_sum_;             // sum of count_ over the clones
  std::vector<Hist> hist_;
  std::vector<uint32_t> seen_order_;
  uint64_t seq_ = 0;
  // The invocation in progress.
  uint32_t chosen_ = kAbsent;
  std::vector<uint32_t> candidates_;
  std::vector<uint32_t> finished_;
  bool evicting_ = false;
  int64_t to_free_ = 0;
  std::vector<uint32_t> save_;
};

}  // namespace faascache
}  // namespace keepwarm

#endif  // KEEPWARM_FAASCACHE_POOL_HPP
