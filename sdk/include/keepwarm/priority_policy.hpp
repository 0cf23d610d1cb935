// keepwarm/priority_policy.hpp: an optional header-only base for the Greedy-Dual family of
// eviction policies (LRU, GD, FREQ, SIZE and variants): every container has a priority, the idle
// container with the lowest one is evicted, and a "clock" remembers the priority of the last
// victim so that later priorities start above it (inflation, as in Greedy-Dual-Size).
//
// Derive with CRTP and provide
//   double priority(kw_function_id fn, double clock, double frequency) const;
// which is called whenever a container of fn starts (cold, warm or prewarm) with the function's
// frequency after counting that start. A policy whose priority ignores the frequency may say so
// with `static constexpr bool kUsesFrequency = false;`: then no frequency is counted (no
// frequency record is touched), priority() gets 0 and frequency() returns 0.
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
// Two structures give the same victims, the idle container with the smallest (priority, order
// of going idle). With fewer than kListsFunctions (8192) functions, idle lists: per function
// three lists by the kind of the last start, sorted, and a heap of the lists' heads (see "the
// idle lists" below). A start or an idle in order costs O(1), and the heap changes only when a
// head does. With more functions, where a list rarely holds more than one container, the idle
// heap, described next (measured: the lists made the 50,000-function trace at 50% 1.29x slower).
// Derived may choose with `static constexpr int kIdleLists = 1` (the lists) or 0 (the heap),
// and set `static constexpr uint64_t kMaxIdleOrder` below 2^40 (tests of the renumbering).
//
// The idle heap: cost per event O(log n) (n = idle containers), amortised; O(n) per invocation in
// compat mode.
//
//
// While memory has never been short (no choose_victim yet), idle containers are only marked, with
// the order they went idle, O(1) per event and touching only their own slot: the heap is built
// from them, in that order, when the first victim is asked for, and kept from then on. The heap
// orders by (priority, order of going idle), as if it had been kept all along, so victims are the
// same; a run whose memory is never binding does no heap work at all. After that, with its own
// arrays (below), the heap is in lazy order (IndexedHeap::set_lazy_order): between victims far
// apart it does no sifts either, and a victim is found by a scan; the same victims again.
//
// Per container it keeps three 64-bit words (its handle, its priority, and its place among the
// idle: the order it went idle before the heap is built, its heap position after). With many
// functions (kHostWordsFunctions) they are in the host's per-container words
// (kw_host::container_words), which share the host's record of the container, fetched ahead by
// the host; with fewer, or in a host without them, in arrays of its own (the places apart). With
// the host's words it also tells the host where a container's heap entry is
// (kw_host::prefetch_hint), so that the entry a warm start removes comes with the container.
#ifndef KEEPWARM_PRIORITY_POLICY_HPP
#define KEEPWARM_PRIORITY_POLICY_HPP

#include <keepwarm/faascache_pool.hpp>
#include <keepwarm/indexed_heap.hpp>
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
  explicit PriorityPolicy(const kw_host* host) : Policy(host), idle_(SlotPositions{this}) {
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
    const bool host_words = host->struct_size >= offsetof(kw_host, container_word_count) +
                                                     sizeof host->container_word_count &&
                            host->container_words != nullptr &&
                            host->container_word_count >= kWords;
    if (use_lists(this->host().function_count())) {
      if (this->host().function_count() > kMaxListFunctions)
        throw std::invalid_argument("PriorityPolicy's idle lists keep at most " +
                                    std::to_string(kMaxListFunctions) + " functions");
      use_lists_ = true;
      lists_.assign(this->host().function_count(), IdleLists{});
      if (host_words) {
        lwords_base_ = host->container_words;
        lwords_stride_ = host->container_word_stride;
        lown_slots_ = UINT32_MAX;  // every live container has words: nothing to grow
      }
    } else if (host_words && this->host().function_count() >= kHostWordsFunctions) {
      words_base_ = place_base_ = host->container_words;
      words_stride_ = place_stride_ = host->container_word_stride;
      place_offset_ = kPlace;
      own_slots_ = UINT32_MAX;  // every live container has words: nothing to grow
      // A warm start takes its container out of the heap: the host may fetch its entry (and its
      // children, where the hole's sift reads) with the container's record.
      this->host().set_prefetch_hint(kw_prefetch_hint{
          &heap_data_, kPlace, decltype(idle_)::entry_bytes(), KW_PREFETCH_HEAP_CHILDREN});
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
    if (use_lists_) {
      if (slot >= lown_slots_) [[unlikely]]
        lgrow(slot);
      uint64_t* w = lwords(slot);
      if (lorder(w) != 0) lleave(slot, fn);  // a warm start's container
      // + 0.0: -0.0 becomes 0.0, so that the integer order of the keys is the doubles' order.
      w[kPriority] = std::bit_cast<uint64_t>(start_priority(fn, kind) + 0.0);
      w[kLNext] = (c & ~uint64_t{0xffffffff}) | (uint64_t{kind} << kLinkBits);
      return;
    }
    if (slot >= slot_count_) [[unlikely]]
      grow(slot);
    words(slot)[kId] = c;
    if (kind == KW_START_WARM) leave_idle(slot);
    words(slot)[kPriority] = std::bit_cast<uint64_t>(start_priority(fn, kind));
  }

  [[gnu::always_inline]] void on_container_idle(kw_container_id c, kw_function_id fn) override {
    if (pool_) {
      pool_->on_container_idle(c, fn);
      return;
    }
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (use_lists_) {
      lidle(c, slot, fn);
      return;
    }
    if (heap_built_) {
      idle_.push(slot, std::bit_cast<double>(words(slot)[kPriority]));
      heap_data_ = idle_.data();
      prefetch_last();
      return;
    }
    uint64_t& p = place(slot);
    if (p != 0) return;  // idle already
    p = ++idle_order_;
    ++idle_count_;
  }

  void on_container_removed(kw_container_id c, kw_function_id fn,
                            kw_removal_reason reason) override {
    if (pool_) {
      pool_->on_container_removed(c, fn, reason);
      return;
    }
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (use_lists_) {
      if (slot >= lown_slots_) [[unlikely]]
        lgrow(slot);
      uint64_t* w = lwords(slot);
      if (reason == KW_REMOVED_EVICTED) clock_ = std::bit_cast<double>(w[kPriority]);
      if (lorder(w) != 0) lleave(slot, fn);
    } else {
      if (reason == KW_REMOVED_EVICTED) clock_ = std::bit_cast<double>(words(slot)[kPriority]);
      leave_idle(slot);
    }
    if constexpr (uses_frequency())
      if (--fns_[fn].live == 0) fns_[fn].freq = 0.0;
  }

  kw_container_id choose_victim(kw_function_id for_fn) override {
    if (pool_) return pool_->choose_victim(for_fn);
    if (use_lists_) return lvictim();
    if (!heap_built_) build_heap();
    if (idle_.empty()) return KW_NO_CONTAINER;
    return words(idle_.least())[kId];
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
  // The idle lists (below) with fewer than kListsFunctions functions, the idle heap from there
  // on; Derived may choose with `static constexpr int kIdleLists = 1` (always the lists) or 0
  // (always the heap).
  static constexpr uint32_t kListsFunctions = 8192;
  static bool use_lists(uint32_t functions) noexcept {
    if constexpr (requires { Derived::kIdleLists; })
      return Derived::kIdleLists != 0;
    else
      return functions < kListsFunctions;
  }
  // The priority of a container of fn starting now (counting the start in the frequency).
  double start_priority(kw_function_id fn, kw_start_kind kind) {
    if constexpr (uses_frequency()) {
      if (kind != KW_START_WARM) ++fns_[fn].live;
      if (kind != KW_START_PREWARM) fns_[fn].freq += 1.0;
      return derived().priority(fn, clock_, fns_[fn].freq);
    } else {
      (void)kind;
      return derived().priority(fn, clock_, 0.0);
    }
  }

  // The words of a slot (its handle and priority) and its place: the host's words, or this
  // instance's own arrays.
  uint64_t* words(uint32_t slot) const noexcept {
    return *words_base_ + static_cast<size_t>(slot) * words_stride_;
  }
  uint64_t& place(uint32_t slot) const noexcept {
    return (*place_base_)[static_cast<size_t>(slot) * place_stride_ + place_offset_];
  }
  // A slot above the highest seen so far (the heap is built from the slots below slot_count_).
  [[gnu::noinline]] void grow(uint32_t slot) {
    slot_count_ = slot + 1;
    if (slot_count_ > own_slots_) {  // this instance's own arrays
      own_slots_ = std::max(slot_count_, 2 * own_slots_);
      own_words_.resize(static_cast<size_t>(own_slots_) * kPlace, 0);
      own_place_.resize(own_slots_, 0);
      own_words_data_ = own_words_.data();
      own_place_data_ = own_place_.data();
    }
  }

  // The next erase moves the heap's last entry into its hole and writes that slot's position in
  // its words (with many containers, a line of its own): they are fetched now, an event ahead.
  void prefetch_last() const noexcept {
    if (!idle_.empty()) __builtin_prefetch(&place(idle_.last()), 1);
  }

  // Takes slot out of the idle set (heap or list) if it is there.
  void leave_idle(uint32_t slot) noexcept {
    if (heap_built_) {
      idle_.erase(slot);
      prefetch_last();
      return;
    }
    if (slot >= slot_count_) return;  // never started (created by prewarm_now, say)
    uint64_t& p = place(slot);
    if (p == 0) return;
    p = 0;
    --idle_count_;
  }

  // The first victim: the idle containers enter the heap in the order they went idle. Once per
  // run, so out of line (the hot hooks keep IndexedHeap::push inlined).
  [[gnu::cold, gnu::noinline]] void build_heap() {
    std::vector<std::pair<uint64_t, uint32_t>> idle;  // (order of going idle, slot)
    idle.reserve(idle_count_);
    for (uint32_t slot = 0; slot < slot_count_; ++slot)
      if (const uint64_t p = place(slot); p != 0) idle.emplace_back(p, slot);
    std::sort(idle.begin(), idle.end());
    for (const auto& [order, slot] : idle) {
      place(slot) = 0;  // from now on: the heap position (+ 1; 0 = not in the heap)
      idle_.push(slot, std::bit_cast<double>(words(slot)[kPriority]));
    }
    idle_count_ = 0;
    heap_built_ = true;
    // No sifts while victims are rare (IndexedHeap's lazy order), with this instance's own
    // arrays: there the reordering's position writes stay in a compact array. In the host's
    // words every entry a reordering moves costs the line of its container's record.
    if (own_slots_ != UINT32_MAX) idle_.set_lazy_order(true);
    heap_data_ = idle_.data();
  }

  // ---- the idle lists (fewer than kListsFunctions functions) ----------------------------------
  // Each function's idle containers are in three lists, by the kind of their last start (warm,
  // cold, prewarm), each sorted by (priority, order of going idle); a heap holds the lists'
  // heads by the same order. A run of one kind lasts the same time for a function, so its
  // containers go idle in the order they started: while a function's priorities do not fall
  // (lru's start times; the Greedy-Dual clock and frequency, which rarely do) a container going
  // idle is its list's tail, O(1). A warm start takes the function's most recently idled
  // container, a tail: O(1). A victim is a head; its successor replaces it in the heap. The heap
  // changes only when a head does. Until the first victim containers are only marked (their
  // order of going idle, their function), as the heap's path does.
  //
  // Per container, three words: kLNext its handle's generation (high 32 bits), the kind of its
  // last start (bits 24-25) and the next container of its list (low 24); kPriority; kLPrev its
  // order of going idle (high 40 bits; 0: not idle) and the previous container of its list (low
  // 24; while only marked: its function). A link is exact where it is read: prev of every
  // container but its list's head, next of every one but the tail (taking a head or a tail off a
  // list writes no neighbour).
  static constexpr uint32_t kLNext = 0, kLPrev = 2;
  static constexpr unsigned kLinkBits = 24;
  static constexpr uint64_t kLinkMask = (uint64_t{1} << kLinkBits) - 1;
  static constexpr uint32_t kNil = static_cast<uint32_t>(kLinkMask);
  // Orders of going idle fill 40 bits; Derived may set a lower limit (kMaxIdleOrder, for tests
  // of the renumbering).
  static constexpr uint64_t max_order() noexcept {
    if constexpr (requires { Derived::kMaxIdleOrder; })
      return Derived::kMaxIdleOrder;
    else
      return (uint64_t{1} << 40) - 1;
  }
  static constexpr uint32_t kMaxListFunctions = static_cast<uint32_t>(kLinkMask >> 2);
  static constexpr uint32_t kNoPos = UINT32_MAX;
  // A function's lists, one cache line.
  struct alignas(64) IdleLists {
    uint32_t head[3] = {kNil, kNil, kNil};
    uint32_t tail[3] = {kNil, kNil, kNil};
    uint32_t pos[3] = {kNoPos, kNoPos, kNoPos};  // each head's place in lheap_
    // At or above the tail's priority (orderable): a container going idle at or above it is the
    // new tail without waiting for the tail's words (another container's line) to compare.
    uint64_t tail_key[3] = {0, 0, 0};
  };
  static_assert(sizeof(IdleLists) == 64);

  uint64_t* lwords(uint32_t slot) const noexcept {
    return *lwords_base_ + static_cast<size_t>(slot) * lwords_stride_;
  }
  static uint64_t lorder(const uint64_t* w) noexcept { return w[kLPrev] >> kLinkBits; }
  static uint32_t lprev(const uint64_t* w) noexcept {
    return static_cast<uint32_t>(w[kLPrev] & kLinkMask);
  }
  static uint32_t lnext(const uint64_t* w) noexcept {
    return static_cast<uint32_t>(w[kLNext] & kLinkMask);
  }
  static void set_lprev(uint64_t* w, uint32_t slot) noexcept {
    w[kLPrev] = (w[kLPrev] & ~kLinkMask) | slot;
  }
  static void set_lnext(uint64_t* w, uint32_t slot) noexcept {
    w[kLNext] = (w[kLNext] & ~kLinkMask) | slot;
  }
  // Lists are numbered fn * 4 + start kind (shifts, where * 3 took a multiplication to undo).
  static uint32_t llist(kw_function_id fn, const uint64_t* w) noexcept {
    return (fn << 2) | static_cast<uint32_t>((w[kLNext] >> kLinkBits) & 3);
  }
  // A slot this instance's own words do not reach yet (never, with the host's words).
  [[gnu::noinline]] void lgrow(uint32_t slot) {
    if (slot >= kNil)
      throw std::length_error("PriorityPolicy's idle lists keep at most " + std::to_string(kNil) +
                              " container slots");
    lown_slots_ = std::min<uint32_t>(kNil, std::max(slot + 1, 2 * lown_slots_));
    lown_words_.resize(static_cast<size_t>(lown_slots_) * kWords, 0);
    lown_words_data_ = lown_words_.data();
  }

  void lidle(kw_container_id c, uint32_t slot, kw_function_id fn) {
    if (slot >= lown_slots_) [[unlikely]]
      lgrow(slot);  // (idle without a start: made by prewarm_now; its priority is 0)
    uint64_t* w = lwords(slot);
    if (lorder(w) != 0) return;  // idle already
    if (++lidle_order_ > max_order()) [[unlikely]]
      lrenumber();
    const uint64_t order = lidle_order_;
    w[kLNext] = (c & ~uint64_t{0xffffffff}) | (w[kLNext] & 0xffffffff);  // the generation
    if (!lbuilt_) {                                                      // marked only
      w[kLPrev] = (order << kLinkBits) | fn;
      lslot_count_ = std::max(lslot_count_, slot + 1);
      return;
    }
    const uint32_t list = llist(fn, w);
    const uint32_t k = list & 3;
    IdleLists& f = lists_[fn];
    const uint32_t tail = f.tail[k];
    const uint64_t key = orderable(w[kPriority]);
    if (tail == kNil) {
      w[kLPrev] = (order << kLinkBits) | kNil;
      f.head[k] = f.tail[k] = slot;
      f.tail_key[k] = key;
      hpush(list, lentry(w));
      return;
    }
    uint64_t* t = lwords(tail);
    if (key >= f.tail_key[k] || !key_before(w[kPriority], t[kPriority])) [[likely]] {
      w[kLPrev] = (order << kLinkBits) | tail;  // in order: the new tail
      set_lnext(t, slot);
      f.tail[k] = slot;
      f.tail_key[k] = key;
      return;
    }
    w[kLPrev] = order << kLinkBits;
    linsert_sorted(slot, list, f);
  }

  // Takes the idle container in slot (of fn) off its list.
  void lleave(uint32_t slot, kw_function_id fn) noexcept {
    uint64_t* w = lwords(slot);
    const uint32_t list = llist(fn, w);
    w[kLPrev] &= kLinkMask;  // not idle
    if (!lbuilt_) return;
    IdleLists& f = lists_[fn];
    const uint32_t k = list & 3;
    const bool head = f.head[k] == slot, tail = f.tail[k] == slot;
    if (tail) {
      if (head) {
        f.head[k] = f.tail[k] = kNil;
        herase(f.pos[k]);
      } else {
        f.tail[k] = lprev(w);
      }
      return;
    }
    const uint32_t after = lnext(w);
    if (head) {
      f.head[k] = after;
      hraise(f.pos[k], lentry(lwords(after)));  // a later entry
      return;
    }
    const uint32_t before = lprev(w);
    set_lnext(lwords(before), after);
    set_lprev(lwords(after), before);
  }

  // Inserts the container in slot (its order set) where its priority puts it in list: its
  // function's priority fell (a Greedy-Dual clock after a victim of low priority, say).
  [[gnu::noinline]] void linsert_sorted(uint32_t slot, uint32_t list, IdleLists& f) {
    uint64_t* w = lwords(slot);
    const uint32_t k = list & 3;
    const Entry e = lentry(w);
    uint32_t at = f.tail[k];  // the container it goes after (kNil: it is the new head)
    while (Entry::before(e, lentry(lwords(at)))) {
      if (at == f.head[k]) {
        at = kNil;
        break;
      }
      at = lprev(lwords(at));
    }
    if (at == kNil) {
      const uint32_t old = f.head[k];
      set_lnext(w, old);
      set_lprev(lwords(old), slot);
      f.head[k] = slot;
      hlower(f.pos[k], e);
      return;
    }
    const uint32_t after = lnext(lwords(at));  // at is not the tail (the tail is after e)
    set_lprev(w, at);
    set_lnext(w, after);
    set_lprev(lwords(after), slot);
    set_lnext(lwords(at), slot);
  }

  kw_container_id lvictim() {
    if (!lbuilt_) lbuild();
    if (lheap_.empty()) return KW_NO_CONTAINER;
    const uint32_t list = lheap_.front().list();
    const uint32_t slot = lists_[list >> 2].head[list & 3];
    return (lwords(slot)[kLNext] & ~uint64_t{0xffffffff}) | slot;
  }

  // The first victim: the marked containers go into their lists, sorted, and the lists' heads
  // into the heap. Once per run, so out of line.
  [[gnu::cold, gnu::noinline]] void lbuild() {
    struct Marked {
      uint32_t list;
      Entry e;  // without its list
      uint32_t slot;
    };
    std::vector<Marked> marked;
    for (uint32_t slot = 0; slot < lslot_count_; ++slot) {
      const uint64_t* w = lwords(slot);
      if (lorder(w) != 0) marked.push_back(Marked{llist(lprev(w), w), lentry(w), slot});
    }
    std::sort(marked.begin(), marked.end(), [](const Marked& a, const Marked& b) {
      return a.list != b.list ? a.list < b.list : Entry::before(a.e, b.e);
    });
    lbuilt_ = true;
    for (size_t i = 0; i < marked.size(); ++i) {
      const Marked& m = marked[i];
      IdleLists& f = lists_[m.list >> 2];
      const uint32_t k = m.list & 3;
      if (i == 0 || marked[i - 1].list != m.list) {
        f.head[k] = m.slot;
        hpush(m.list, m.e);
      } else {
        set_lprev(lwords(m.slot), marked[i - 1].slot);
        set_lnext(lwords(marked[i - 1].slot), m.slot);
      }
      f.tail[k] = m.slot;
      f.tail_key[k] = m.e.key;
    }
  }

  // After 2^40 idle transitions: the idle containers get orders 1, 2, ... in their order, and the
  // heap's entries their heads' new orders (the same comparisons).
  [[gnu::cold, gnu::noinline]] void lrenumber() {
    if (!lbuilt_) lbuild();                           // the marks, in lists, renumbered below
    std::vector<std::pair<uint64_t, uint32_t>> idle;  // (order, slot)
    for (uint32_t fn = 0; fn < lists_.size(); ++fn)
      for (uint32_t k = 0; k < 3; ++k)
        for (uint32_t s = lists_[fn].head[k]; s != kNil;
             s = s == lists_[fn].tail[k] ? kNil : lnext(lwords(s)))
          idle.emplace_back(lorder(lwords(s)), s);
    std::sort(idle.begin(), idle.end());
    uint64_t order = 0;
    for (const auto& [old, s] : idle) {
      uint64_t* w = lwords(s);
      w[kLPrev] = (++order << kLinkBits) | lprev(w);
    }
    lidle_order_ = order + 1;
    for (Entry& e : lheap_) {
      const uint32_t list = e.list();
      const uint32_t head = lists_[list >> 2].head[list & 3];
      e.low = (lorder(lwords(head)) << kLinkBits) | list;
    }
  }

  // The heap of the lists' heads. An entry: the priority's bits as an orderable integer, then
  // the head's order of going idle (high 40 bits) and the list (low 24), compared as one 128-bit
  // integer (no branch on a comparison; an IndexedHeap of (double, order) pairs made lru on the
  // day at 10% 14% slower, docs/performance.md).
  __extension__ typedef unsigned __int128 U128;
  struct Entry {
    uint64_t key, low;
    uint32_t list() const noexcept { return static_cast<uint32_t>(low & kLinkMask); }
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
  static Entry lentry(const uint64_t* w) noexcept {
    return Entry{orderable(w[kPriority]), lorder(w) << kLinkBits};
  }
  void hpush(uint32_t list, Entry e) {
    e.low |= list;
    lheap_.push_back(e);
    hsift_up(lheap_.size() - 1, e);
  }
  void herase(uint32_t& pos) noexcept {
    const size_t i = pos;
    pos = kNoPos;
    const Entry last = lheap_.back();
    lheap_.pop_back();
    if (i == lheap_.size()) return;
    if (Entry::before(last, lheap_[i]))
      hsift_up(i, last);
    else
      hsift_hole(i, last);
  }
  void hraise(uint32_t i, Entry e) noexcept {  // the head at i is now a later one
    e.low |= lheap_[i].list();
    hsift_down(i, e);
  }
  void hlower(uint32_t i, Entry e) noexcept {  // the head at i is now an earlier one
    e.low |= lheap_[i].list();
    hsift_up(i, e);
  }
  void hput(size_t i, const Entry& e) noexcept {
    lheap_[i] = e;
    const uint32_t list = e.list();
    lists_[list >> 2].pos[list & 3] = static_cast<uint32_t>(i);
  }
  void hsift_up(size_t i, const Entry& e) noexcept {
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!Entry::before(e, lheap_[parent])) break;
      hput(i, lheap_[parent]);
      i = parent;
    }
    hput(i, e);
  }
  // e, the heap's last entry (at or after the parent of i), into the hole at i: the hole goes
  // down to a leaf along the smaller children, one comparison per level and no branch on it,
  // and e rises from there (a last entry mostly belongs near the leaves).
  void hsift_hole(size_t i, const Entry& e) noexcept {
    const size_t n = lheap_.size();
    for (size_t c = 2 * i + 1; c < n; c = 2 * i + 1) {
      if (c + 1 < n) c += static_cast<size_t>(Entry::before(lheap_[c + 1], lheap_[c]));
      hput(i, lheap_[c]);
      i = c;
    }
    hsift_up(i, e);
  }
  void hsift_down(size_t i, const Entry& e) noexcept {
    const size_t n = lheap_.size();
    for (;;) {
      size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n) c += static_cast<size_t>(Entry::before(lheap_[c + 1], lheap_[c]));
      if (!Entry::before(lheap_[c], e)) break;
      hput(i, lheap_[c]);
      i = c;
    }
    hput(i, e);
  }

  bool use_lists_ = false;
  std::vector<IdleLists> lists_;
  uint64_t* lown_words_data_ = nullptr;               // lown_words_.data()
  uint64_t* const* lwords_base_ = &lown_words_data_;  // or kw_host::container_words
  uint32_t lwords_stride_ = kWords;
  uint32_t lown_slots_ = 0;  // slots lown_words_ holds (UINT32_MAX: the host's words)
  std::vector<uint64_t> lown_words_;
  uint64_t lidle_order_ = 0;
  bool lbuilt_ = false;       // from the first choose_victim on (before it: marks only)
  uint32_t lslot_count_ = 0;  // before it: the highest slot marked + 1
  std::vector<Entry> lheap_;  // the lists' heads, once built

  // ---- the state both share, and the idle heap's (kListsFunctions functions or more) ----
  std::unique_ptr<faascache::Pool> pool_;  // faascache compat mode only
  double clock_ = 0.0;
  // Per function.
  struct FunctionState {
    double freq = 0.0;  // invocations while it has a container alive
    uint32_t live = 0;  // containers alive
  };
  std::vector<FunctionState> fns_;  // empty unless uses_frequency()
  // Per container slot, three words: its handle, its priority (computed when it last started;
  // a double's bits), and its place among the idle: before the heap is built the order it went
  // idle (from 1; 0: not idle), after it its heap position + 1 (0: not in the heap).
  static constexpr uint32_t kWords = 3, kId = 0, kPriority = 1, kPlace = 2;
  // The host's words with many functions: they come with the host's container record, which it
  // fetches ahead. With fewer (or in an older host) everything fits in the caches, and this
  // instance's own arrays, the places apart, keep the heap's moves on fewer lines (measured:
  // the host's words made the 1000-function day at 10%, an eviction per invocation, 6-13%
  // slower).
  static constexpr uint32_t kHostWordsFunctions = 8192;
  uint64_t* own_words_data_ = nullptr;                 // own_words_.data()
  uint64_t* own_place_data_ = nullptr;                 // own_place_.data()
  uint64_t* const* words_base_ = &own_words_data_;     // or kw_host::container_words
  uint64_t* const* place_base_ = &own_place_data_;     // or kw_host::container_words
  uint32_t words_stride_ = kPlace, place_stride_ = 1;  // words from one slot to the next
  uint32_t place_offset_ = 0;                          // kPlace in the host's words
  uint32_t slot_count_ = 0;                            // the highest slot started + 1
  uint32_t own_slots_ = 0;           // slots the own arrays hold (UINT32_MAX: the host's words)
  std::vector<uint64_t> own_words_;  // handle and priority, kPlace words per slot
  std::vector<uint64_t> own_place_;  // places, one word per slot
  // The heap positions in the slots' kPlace words.
  struct SlotPositions {
    const PriorityPolicy* policy;
    uint64_t& at(uint32_t slot) const noexcept { return policy->place(slot); }
    uint32_t get(uint32_t slot) const noexcept { return static_cast<uint32_t>(at(slot) - 1); }
    void ensure(uint32_t) const noexcept {}  // every slot pushed was started: it has words
    void set(uint32_t slot, uint32_t pos) const noexcept {
      at(slot) = static_cast<uint32_t>(pos + 1);  // kAbsent -> 0
    }
  };
  uint64_t idle_order_ = 0;
  size_t idle_count_ = 0;
  bool heap_built_ = false;                  // from the first choose_victim on
  IndexedHeap<double, SlotPositions> idle_;  // idle containers by priority, once built
  // idle_.data() once the heap is built (kw_host::prefetch_hint; before it, NULL: the places
  // are orders of going idle, not heap positions).
  const void* heap_data_ = nullptr;
};

}  // namespace keepwarm

#endif  // KEEPWARM_PRIORITY_POLICY_HPP
