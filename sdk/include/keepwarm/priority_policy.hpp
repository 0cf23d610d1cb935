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
// Cost per event: O(log n) (n = idle containers), amortised; O(n) per invocation in compat mode.
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
    if (host->struct_size >=
            offsetof(kw_host, container_word_count) + sizeof host->container_word_count &&
        host->container_words != nullptr && host->container_word_count >= kWords &&
        this->host().function_count() >= kHostWordsFunctions) {
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
    if (slot >= slot_count_) [[unlikely]]
      grow(slot);
    words(slot)[kId] = c;
    if (kind == KW_START_WARM) leave_idle(slot);
    double priority;
    if constexpr (uses_frequency()) {
      if (kind != KW_START_WARM) ++fns_[fn].live;
      if (kind != KW_START_PREWARM) fns_[fn].freq += 1.0;
      priority = derived().priority(fn, clock_, fns_[fn].freq);
    } else {
      priority = derived().priority(fn, clock_, 0.0);
    }
    words(slot)[kPriority] = std::bit_cast<uint64_t>(priority);
  }

  [[gnu::always_inline]] void on_container_idle(kw_container_id c, kw_function_id fn) override {
    if (pool_) {
      pool_->on_container_idle(c, fn);
      return;
    }
    const uint32_t slot = KW_CONTAINER_SLOT(c);
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
    if (reason == KW_REMOVED_EVICTED) clock_ = std::bit_cast<double>(words(slot)[kPriority]);
    leave_idle(slot);
    if constexpr (uses_frequency())
      if (--fns_[fn].live == 0) fns_[fn].freq = 0.0;
  }

  kw_container_id choose_victim(kw_function_id for_fn) override {
    if (pool_) return pool_->choose_victim(for_fn);
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
