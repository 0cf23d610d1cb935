// keepwarm/priority_policy.hpp: an optional header-only base for the Greedy-Dual family of
// eviction policies (LRU, GD, FREQ, SIZE and variants): every container has a priority, the idle
// container with the lowest one is evicted, and a "clock" remembers the priority of the last
// victim so that later priorities start above it (inflation, as in Greedy-Dual-Size).
//
// Derive with CRTP and provide
//   double priority(kw_function_id fn, double clock, double frequency) const;
// which is called whenever a container of fn starts (cold, warm or prewarm) with the function's
// frequency after counting that start. A policy whose priority ignores the frequency may say so
// with `static constexpr bool kUsesFrequency = false;`: then no frequency is counted, priority()
// gets 0 and frequency() returns 0.
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
// The victim is the idle container with the smallest (priority, order of going idle). A
// function's idle containers are kept in three lists, by the kind of their last start (warm, cold,
// prewarm), each sorted by that order; a heap holds only the lists' heads. A run of one kind
// lasts the same time for a function, so its containers go idle in the order they started, and
// while a function's priorities do not fall (lru's start times; the Greedy-Dual clock and
// frequency, which rarely do) a container going idle is the last of its list: O(1). A warm start
// takes the function's most recently idled container, a list's tail: O(1). A victim is a list's
// head: its successor replaces it in the heap, O(log L) (L = lists with idle containers, far
// fewer than the idle containers: 41 on average against thousands, on the 1000-function Azure-like
// day at 10% of its peak). The heap changes only when a head does, and is built at the first
// choose_victim (a run whose memory is never short does no heap work at all). A container whose
// priority is below its list's tail is inserted where it belongs, walking from the tail. Cost per
// event: O(1) for a start or an idle in order, O(log L) for a victim or a head's change; O(n) per
// invocation in compat mode.
//
// Per container it keeps three 64-bit words (its priority; its order of going idle with its
// predecessor in its list; its handle's generation, its start kind and its successor), in the
// host's per-container words (kw_host::container_words), which share the host's record of the
// container, or, in a host without them, in an array of its own. Per function it keeps the lists'
// ends and heap places (and, with kUsesFrequency, its frequency), one record. Limits: 2^24 - 1
// container slots (the host's limit too) and 5,592,405 functions (lists are numbered in 24 bits).
#ifndef KEEPWARM_PRIORITY_POLICY_HPP
#define KEEPWARM_PRIORITY_POLICY_HPP

#include <keepwarm/faascache_pool.hpp>
#include <keepwarm/policy.hpp>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
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
    const uint32_t functions = this->host().function_count();
    if (functions > kMaxFunctions)
      throw std::invalid_argument("PriorityPolicy keeps at most " + std::to_string(kMaxFunctions) +
                                  " functions, the trace has " + std::to_string(functions));
    fns_.assign(functions, FunctionLists{});
    if (host->struct_size >=
            offsetof(kw_host, container_word_count) + sizeof host->container_word_count &&
        host->container_words != nullptr && host->container_word_count >= kWords) {
      words_base_ = host->container_words;
      words_stride_ = host->container_word_stride;
      own_slots_ = UINT32_MAX;  // every live container has words: nothing to grow
    }
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

  // Inlined where a derived policy's hook calls them (hybrid-histogram's do): a call less per
  // event.
  [[gnu::always_inline]] void on_container_started(kw_container_id c, kw_function_id fn,
                                                   kw_start_kind kind) override {
    if (pool_) {
      pool_->on_container_started(c, fn, kind);
      return;
    }
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= own_slots_) [[unlikely]]
      grow(slot);
    uint64_t* w = words(slot);
    if (idle_order(w) != 0) leave_idle(slot, fn);  // a warm start's container
    double priority;
    if constexpr (uses_frequency()) {
      if (kind != KW_START_WARM) ++fns_[fn].live;
      if (kind != KW_START_PREWARM) fns_[fn].freq += 1.0;
      priority = derived().priority(fn, clock_, fns_[fn].freq);
    } else {
      priority = derived().priority(fn, clock_, 0.0);
    }
    // + 0.0: -0.0 becomes 0.0, so that the integer order of the keys is the doubles' order.
    w[kPriority] = std::bit_cast<uint64_t>(priority + 0.0);
    w[kNext] = (static_cast<uint64_t>(c >> 32) << 32) | (uint64_t{kind} << kSlotBits);
  }

  [[gnu::always_inline]] void on_container_idle(kw_container_id c, kw_function_id fn) override {
    if (pool_) {
      pool_->on_container_idle(c, fn);
      return;
    }
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= own_slots_) [[unlikely]]
      grow(slot);  // (idle without a start: made by prewarm_now; its priority is 0)
    uint64_t* w = words(slot);
    if (idle_order(w) != 0) return;  // idle already
    if (++idle_order_ > kMaxOrder) [[unlikely]]
      renumber();
    const uint64_t order = idle_order_;
    w[kNext] = (c & ~uint64_t{0xffffffff}) | (w[kNext] & 0xffffffff);  // the handle's generation
    const uint32_t list = list_of(fn, w);
    FunctionLists& f = fns_[fn];
    const uint32_t tail = f.tail[list % 3];
    if (tail == kNil) {
      w[kPrev] = (order << kSlotBits) | kNil;
      f.head[list % 3] = f.tail[list % 3] = slot;
      if (heap_built_) heap_push(list, entry(w));
      return;
    }
    const uint64_t* t = words(tail);
    if (!key_before(w[kPriority], t[kPriority])) [[likely]] {  // in order: at the tail
      w[kPrev] = (order << kSlotBits) | tail;
      set_next(words(tail), slot);
      f.tail[list % 3] = slot;
      return;
    }
    w[kPrev] = order << kSlotBits;
    insert_sorted(slot, list, f);
  }

  void on_container_removed(kw_container_id c, kw_function_id fn,
                            kw_removal_reason reason) override {
    if (pool_) {
      pool_->on_container_removed(c, fn, reason);
      return;
    }
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= own_slots_) [[unlikely]]
      grow(slot);
    uint64_t* w = words(slot);
    if (reason == KW_REMOVED_EVICTED) clock_ = std::bit_cast<double>(w[kPriority]);
    if (idle_order(w) != 0) leave_idle(slot, fn);
    if constexpr (uses_frequency())
      if (--fns_[fn].live == 0) fns_[fn].freq = 0.0;
  }

  kw_container_id choose_victim(kw_function_id for_fn) override {
    if (pool_) return pool_->choose_victim(for_fn);
    if (!heap_built_) build_heap();
    if (heap_.empty()) return KW_NO_CONTAINER;
    const uint32_t list = heap_.front().list();
    const uint32_t slot = fns_[list / 3].head[list % 3];
    return (words(slot)[kNext] & ~uint64_t{0xffffffff}) | slot;
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

  // ---- per container: three words ------------------------------------------------------------
  // kPriority: the priority computed at its last start (a double's bits, never -0.0).
  // kPrev: its idle order (high 40 bits; 0: not idle) and the slot before it in its list (low 24).
  // kNext: its handle's generation (high 32 bits), the kind of its last start (bits 24-25) and
  //        the slot after it in its list (low 24).
  // The links are exact where they are read: prev of every container but its list's head, next
  // of every one but the tail (taking the head or the tail off a list writes no neighbour).
  static constexpr uint32_t kWords = 3, kPriority = 0, kPrev = 1, kNext = 2;
  static constexpr unsigned kSlotBits = 24;
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
  static constexpr uint32_t kNil = static_cast<uint32_t>(kSlotMask);
  static constexpr uint64_t kMaxOrder = (uint64_t{1} << 40) - 1;
  // Lists are numbered fn * 3 + start kind, in 24 bits.
  static constexpr uint32_t kMaxFunctions = static_cast<uint32_t>(kSlotMask / 3);

  uint64_t* words(uint32_t slot) const noexcept {
    return *words_base_ + static_cast<size_t>(slot) * words_stride_;
  }
  static uint64_t idle_order(const uint64_t* w) noexcept { return w[kPrev] >> kSlotBits; }
  static uint32_t prev(const uint64_t* w) noexcept {
    return static_cast<uint32_t>(w[kPrev] & kSlotMask);
  }
  static uint32_t next(const uint64_t* w) noexcept {
    return static_cast<uint32_t>(w[kNext] & kSlotMask);
  }
  static void set_prev(uint64_t* w, uint32_t slot) noexcept {
    w[kPrev] = (w[kPrev] & ~kSlotMask) | slot;
  }
  static void set_next(uint64_t* w, uint32_t slot) noexcept {
    w[kNext] = (w[kNext] & ~kSlotMask) | slot;
  }
  static uint32_t list_of(kw_function_id fn, const uint64_t* w) noexcept {
    return fn * 3 + static_cast<uint32_t>((w[kNext] >> kSlotBits) & 3);
  }

  // A slot this instance's own words do not reach yet (never, with the host's words).
  [[gnu::noinline]] void grow(uint32_t slot) {
    if (slot >= kNil)
      throw std::length_error("PriorityPolicy keeps at most " + std::to_string(kNil) +
                              " container slots");
    own_slots_ = std::min<uint32_t>(kNil, std::max(slot + 1, 2 * own_slots_));
    own_words_.resize(static_cast<size_t>(own_slots_) * kWords, 0);
    own_words_data_ = own_words_.data();
  }

  // ---- the idle lists ---------------------------------------------------------------------
  // Each function's idle containers are in three lists, by the kind of their last start (a
  // warm start, a cold one, a prewarm), each sorted by (priority, order of going idle). While a
  // function's priorities do not fall (lru's start times; the Greedy-Dual family's clock and
  // frequency, which rarely fall), a container going idle is the last of its list: a run of a
  // list's kind lasts the same time, so the list's containers went idle in the order they
  // started. A warm start takes the function's most recently idled container, the tail of its
  // list, and a victim is the head of a list: both O(1). Only the lists' heads are in the heap
  // (by the same order), so the heap changes only when a head does.
  struct FunctionLists {
    uint32_t head[3] = {kNil, kNil, kNil};
    uint32_t tail[3] = {kNil, kNil, kNil};
    uint32_t pos[3] = {kAbsent, kAbsent, kAbsent};  // each head's place in heap_
    uint32_t live = 0;                              // containers alive (uses_frequency() only)
    double freq = 0.0;  // invocations while it has a container alive (uses_frequency() only)
  };
  static constexpr uint32_t kAbsent = UINT32_MAX;

  // Takes the idle container in slot (of fn) off its list.
  void leave_idle(uint32_t slot, kw_function_id fn) noexcept {
    uint64_t* w = words(slot);
    const uint32_t list = list_of(fn, w);
    w[kPrev] &= kSlotMask;  // idle order 0: not idle
    FunctionLists& f = fns_[fn];
    const uint32_t k = list % 3;
    const bool head = f.head[k] == slot, tail = f.tail[k] == slot;
    if (tail) {
      if (head) {
        f.head[k] = f.tail[k] = kNil;
        if (heap_built_) heap_erase(list, f);
        return;
      }
      f.tail[k] = prev(w);
      return;
    }
    const uint32_t after = next(w);
    if (head) {
      f.head[k] = after;
      if (heap_built_) heap_raise(f.pos[k], entry(words(after)));
      return;
    }
    const uint32_t before = prev(w);
    set_next(words(before), after);
    set_prev(words(after), before);
  }

  // Inserts the container in slot (its idle order set) into list where its priority puts it:
  // a function's priority fell (a Greedy-Dual clock after a victim of low priority).
  [[gnu::noinline]] void insert_sorted(uint32_t slot, uint32_t list, FunctionLists& f) {
    uint64_t* w = words(slot);
    const uint32_t k = list % 3;
    const Entry e = entry(w);
    uint32_t at = f.tail[k];  // the container it goes after (kNil: the new head)
    while (Entry::before(e, entry(words(at)))) {
      if (at == f.head[k]) {
        at = kNil;
        break;
      }
      at = prev(words(at));
    }
    if (at == kNil) {
      const uint32_t old = f.head[k];
      set_next(w, old);
      set_prev(words(old), slot);
      f.head[k] = slot;
      if (heap_built_) heap_lower(f.pos[k], e);
      return;
    }
    const uint32_t after = next(words(at));  // at is not the tail (the tail is after e)
    set_prev(w, at);
    set_next(w, after);
    set_prev(words(after), slot);
    set_next(words(at), slot);
  }

  // After 2^40 idle transitions: the idle containers get orders 1, 2, ... in their order, and the
  // heap's entries their heads' new orders (the same comparisons).
  [[gnu::cold, gnu::noinline]] void renumber() {
    std::vector<std::pair<uint64_t, uint32_t>> idle;  // (order, slot)
    for (uint32_t fn = 0; fn < fns_.size(); ++fn)
      for (uint32_t k = 0; k < 3; ++k)
        for (uint32_t s = fns_[fn].head[k]; s != kNil;
             s = s == fns_[fn].tail[k] ? kNil : next(words(s)))
          idle.emplace_back(idle_order(words(s)), s);
    std::sort(idle.begin(), idle.end());
    uint64_t order = 0;
    for (const auto& [old, s] : idle) {
      uint64_t* w = words(s);
      w[kPrev] = (++order << kSlotBits) | prev(w);
    }
    idle_order_ = order + 1;
    for (Entry& e : heap_) {
      const uint32_t list = e.list();
      const uint32_t head = fns_[list / 3].head[list % 3];
      e.low = (idle_order(words(head)) << kSlotBits) | list;
    }
  }

  // ---- the heap of the lists' heads -------------------------------------------------------
  // An entry: the priority's bits as an orderable integer, then the head's idle order (high 40
  // bits) and the list (low 24), compared as one 128-bit integer (no branch on a comparison).
  __extension__ typedef unsigned __int128 U128;
  struct Entry {
    uint64_t key, low;
    uint32_t list() const noexcept { return static_cast<uint32_t>(low & kSlotMask); }
    static bool before(const Entry& a, const Entry& b) noexcept {
      return ((static_cast<U128>(a.key) << 64) | a.low) <
             ((static_cast<U128>(b.key) << 64) | b.low);
    }
  };
  // Doubles by their bits, as unsigned integers of the same order (NaN: after +infinity).
  static uint64_t orderable(uint64_t bits) noexcept {
    return (bits >> 63) != 0 ? ~bits : (bits | (uint64_t{1} << 63));
  }
  static bool key_before(uint64_t a, uint64_t b) noexcept { return orderable(a) < orderable(b); }
  // The entry of the container with words w, without its list (added where it is placed).
  static Entry entry(const uint64_t* w) noexcept {
    return Entry{orderable(w[kPriority]), idle_order(w) << kSlotBits};
  }

  void heap_push(uint32_t list, Entry e) {
    e.low |= list;
    heap_.push_back(e);
    sift_up(heap_.size() - 1, e);
  }
  void heap_erase(uint32_t list, FunctionLists& f) noexcept {
    const uint32_t i = f.pos[list % 3];
    f.pos[list % 3] = kAbsent;
    const Entry last = heap_.back();
    heap_.pop_back();
    if (i == heap_.size()) return;
    if (Entry::before(last, heap_[i]))
      sift_up(i, last);
    else
      sift_down(i, last);
  }
  // The head at position i changed to one later in the order (e, without its list).
  void heap_raise(uint32_t i, Entry e) noexcept {
    e.low |= heap_[i].list();
    sift_down(i, e);
  }
  // The head at position i changed to one earlier in the order.
  void heap_lower(uint32_t i, Entry e) noexcept {
    e.low |= heap_[i].list();
    sift_up(i, e);
  }
  void put(size_t i, const Entry& e) noexcept {
    heap_[i] = e;
    const uint32_t list = e.list();
    fns_[list / 3].pos[list % 3] = static_cast<uint32_t>(i);
  }
  void sift_up(size_t i, const Entry& e) noexcept {
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!Entry::before(e, heap_[parent])) break;
      put(i, heap_[parent]);
      i = parent;
    }
    put(i, e);
  }
  void sift_down(size_t i, const Entry& e) noexcept {
    const size_t n = heap_.size();
    for (;;) {
      size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n) c += static_cast<size_t>(Entry::before(heap_[c + 1], heap_[c]));
      if (!Entry::before(heap_[c], e)) break;
      put(i, heap_[c]);
      i = c;
    }
    put(i, e);
  }

  // The first victim: the heads of the lists kept so far enter the heap. Once per run, so out
  // of line; a run whose memory is never short never builds it.
  [[gnu::cold, gnu::noinline]] void build_heap() {
    for (uint32_t fn = 0; fn < fns_.size(); ++fn)
      for (uint32_t k = 0; k < 3; ++k)
        if (const uint32_t head = fns_[fn].head[k]; head != kNil)
          heap_push(fn * 3 + k, entry(words(head)));
    heap_built_ = true;
  }

  std::unique_ptr<faascache::Pool> pool_;  // faascache compat mode only
  double clock_ = 0.0;
  std::vector<FunctionLists> fns_;
  // The host's words (kw_host::container_words), or, in a host without them, this instance's.
  uint64_t* own_words_data_ = nullptr;              // own_words_.data()
  uint64_t* const* words_base_ = &own_words_data_;  // or kw_host::container_words
  uint32_t words_stride_ = kWords;                  // words from one slot to the next
  uint32_t own_slots_ = 0;  // slots the own words hold (UINT32_MAX: the host's words)
  std::vector<uint64_t> own_words_;
  uint64_t idle_order_ = 0;
  bool heap_built_ = false;  // from the first choose_victim on
  std::vector<Entry> heap_;  // the lists' heads, once built
};

}  // namespace keepwarm

#endif  // KEEPWARM_PRIORITY_POLICY_HPP
