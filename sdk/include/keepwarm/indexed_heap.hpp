// keepwarm/indexed_heap.hpp: an optional header-only helper for policy
// authors: a binary min-heap of container slots with O(log n) push, erase and
// key update, and O(1) lookup of the minimum. Ties break by insertion order
// (first pushed first), so policies built on it are deterministic.
//
// Slots are KW_CONTAINER_SLOT(c) values (dense, small), so the position index
// is a plain vector (VectorPositions), or any other store of one position per
// slot with the same three members (PriorityPolicy keeps them in the host's
// per-container words, kw_host::container_words).
//
// Lazy order (opt-in, set_lazy_order(true)): a heap whose minimum is asked for rarely (a policy's
// idle containers while evictions are few) spends its time on sifts no one needs. With lazy order
// a heap that took size() pushes since the last least() drops its order: from then on a push
// appends and an erase moves the last entry into the hole (no sift, no comparison), and least()
// finds the minimum by a scan. Once the scans have cost more than the sifts they saved (a sift
// counted as kSiftCost entries scanned), least() orders the entries into a heap again (Floyd's
// construction, O(size())). Either way least() is the (key, insertion) minimum, which is unique:
// only the cost changes, never an answer (for keys that are ordered: with NaN keys no minimum is
// defined, and which entry comes first depended on the heap's shape before as well).
#ifndef KEEPWARM_INDEXED_HEAP_HPP
#define KEEPWARM_INDEXED_HEAP_HPP

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace keepwarm {

// The position of every slot in the heap, kAbsent (UINT32_MAX) when it is not there: get() of
// any slot, ensure(slot) before the first set() of a slot, set() of an ensured slot.
class VectorPositions {
 public:
  uint32_t get(uint32_t slot) const noexcept {
    return slot < pos_.size() ? pos_[slot] : UINT32_MAX;
  }
  void ensure(uint32_t slot) {
    if (slot >= pos_.size()) pos_.resize(static_cast<size_t>(slot) + 1, UINT32_MAX);
  }
  void set(uint32_t slot, uint32_t pos) noexcept { pos_[slot] = pos; }

 private:
  std::vector<uint32_t> pos_;
};

template <class Key, class Positions = VectorPositions>
class IndexedHeap {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  IndexedHeap() = default;
  explicit IndexedHeap(Positions positions) : pos_(std::move(positions)) {}

  bool empty() const noexcept { return heap_.empty(); }
  size_t size() const noexcept { return heap_.size(); }
  bool contains(uint32_t slot) const noexcept { return pos_.get(slot) != kAbsent; }
  // The slot with the smallest key (heap must not be empty, nor in lazy order: use least()).
  uint32_t top() const noexcept { return slot_of(heap_.front()); }
  const Key& top_key() const noexcept { return heap_.front().key; }
  // The slot with the smallest key in either order (heap must not be empty).
  uint32_t least() noexcept {
    if (ordered_) [[likely]] {
      budget_ = lazy_ ? order_budget() : UINT64_MAX;
      return top();
    }
    credit_ -= static_cast<int64_t>(heap_.size());
    if (credit_ < 0) {  // the scans have cost more than the sifts they saved
      make_ordered();
      return top();
    }
    return slot_of(heap_[scan_least()]);
  }
  // Lazy order on or off; either way the entries are ordered now.
  void set_lazy_order(bool on) {
    lazy_ = on;
    make_ordered();  // ordered now; with lazy order, until the next quiet stretch
  }
  bool ordered() const noexcept { return ordered_; }
  // The slot of the last entry, the one an erase moves into the hole (heap must not be empty).
  uint32_t last() const noexcept { return slot_of(heap_.back()); }
  const Key& key(uint32_t slot) const noexcept { return heap_[pos_.get(slot)].key; }
  // The entries in heap order (the array a push may move), entry_bytes() each: for prefetch
  // hints (kw_host::prefetch_hint).
  const void* data() const noexcept { return heap_.data(); }
  static constexpr uint32_t entry_bytes() noexcept { return sizeof(Entry); }

  // Inserts slot (which must not be present) with key.
  void push(uint32_t slot, Key key) {
    pos_.ensure(slot);
    if (seq_ > kMaxSeq) [[unlikely]]
      renumber();
    heap_.push_back(Entry{std::move(key), (seq_++ << 32) | slot});
    pos_.set(slot, static_cast<uint32_t>(heap_.size() - 1));
    if (ordered_) [[likely]] {
      if (--budget_ == 0) [[unlikely]] {
        drop_order();
        return;
      }
      sift_up(heap_.size() - 1);
    } else {
      credit_ += kSiftCost;
    }
  }
  // Removes slot if present.
  void erase(uint32_t slot) noexcept {
    const size_t i = pos_.get(slot);
    if (i == kAbsent) return;
    pos_.set(slot, kAbsent);
    const size_t last = heap_.size() - 1;
    if (!ordered_) {  // the last entry fills the hole
      if (i != last) {
        heap_[i] = std::move(heap_[last]);
        pos_.set(slot_of(heap_[i]), static_cast<uint32_t>(i));
      }
      heap_.pop_back();
      credit_ += kSiftCost;
    } else if (i == 0 && last != 0) {
      // The top (a victim, usually): the hole goes down to a leaf along the smaller children,
      // one comparison per level, and the last entry, usually one of the largest, rises from
      // there (a few levels at most). The minimum found afterwards is the same as with a sift
      // down of the last entry from the top: the order is total.
      remove_top(last);
    } else if (i != last) {
      // The last entry fills the hole. Smaller than the entry it replaces, it may rise but not
      // sink (the children are not smaller than that entry); otherwise it may sink but not rise
      // (the parent is not larger than that entry). So one of the two sifts is skipped, with the
      // line it would read (the parent's, or the children's): the same moves as both in turn.
      const bool rises = less(heap_[last], heap_[i]);
      heap_[i] = std::move(heap_[last]);
      pos_.set(slot_of(heap_[i]), static_cast<uint32_t>(i));
      heap_.pop_back();
      if (rises)
        sift_up(i);
      else
        sift_down(i);
    } else {
      heap_.pop_back();
    }
  }
  // Removes and returns the minimum.
  uint32_t pop() noexcept {
    const uint32_t slot = least();
    erase(slot);
    return slot;
  }
  // Changes the key of a present slot (keeps its tie-break order).
  void update(uint32_t slot, Key key) noexcept {
    const size_t i = pos_.get(slot);
    heap_[i].key = std::move(key);
    if (ordered_) sift_down(sift_up(i));
  }
  void clear() noexcept {
    for (const Entry& e : heap_) pos_.set(slot_of(e), kAbsent);
    heap_.clear();
  }
  // Calls f(slot, key) for every entry, in array order (read-only; not used by the built-in
  // policies).
  template <class F>
  void for_each(F&& f) const {
    for (const Entry& e : heap_) f(slot_of(e), e.key);
  }

 private:
  // The insertion order (high 32 bits, the tie-break) and the slot (low 32) in one word: 16-byte
  // entries for double keys, so that more of the heap shares a cache line.
  struct Entry {
    Key key;
    uint64_t order;
  };
  static constexpr uint64_t kMaxSeq = UINT32_MAX;
  // A sift's cost in entries scanned (a few moves, position writes and a mispredicted branch
  // against a compare and a select per entry): what an unordered push or erase saves.
  static constexpr int64_t kSiftCost = 8;
  // Pushes an ordered heap takes without a least() before it drops its order.
  uint64_t order_budget() const noexcept { return heap_.size() + 16; }
  [[gnu::noinline]] void drop_order() noexcept {
    ordered_ = false;
    credit_ = static_cast<int64_t>(heap_.size());  // one scan, paid by the pushes before
  }
  [[gnu::noinline]] void make_ordered() noexcept {
    if (!ordered_)
      for (size_t i = heap_.size() / 2; i-- > 0;) sift_down(i);
    ordered_ = true;
    budget_ = lazy_ ? order_budget() : UINT64_MAX;
  }
  // The position of the (key, insertion) minimum of the unordered entries: the smallest key
  // (four running minima, so that the selects do not wait on each other), then the first
  // insertion among the entries with that key.
  size_t scan_least() const noexcept {
    const Entry* e = heap_.data();
    const size_t n = heap_.size();
    Key m[4] = {e[0].key, e[0].key, e[0].key, e[0].key};
    size_t i = 1;
    for (; i + 4 <= n; i += 4)
      for (size_t k = 0; k < 4; ++k) m[k] = e[i + k].key < m[k] ? e[i + k].key : m[k];
    for (; i < n; ++i) m[0] = e[i].key < m[0] ? e[i].key : m[0];
    for (size_t k = 1; k < 4; ++k) m[0] = m[k] < m[0] ? m[k] : m[0];
    size_t best = n;
    for (i = 0; i < n; ++i)
      if (!(m[0] < e[i].key) && (best == n || e[i].order < e[best].order)) best = i;
    return best;
  }
  static uint32_t slot_of(const Entry& e) noexcept { return static_cast<uint32_t>(e.order); }
  static bool less(const Entry& a, const Entry& b) noexcept {
    if (a.key < b.key) return true;
    if (b.key < a.key) return false;
    return a.order < b.order;  // insertion orders differ, so the slots never decide
  }
  // less() without short-circuit evaluation (the same result for every key, NaN included), so
  // that the compiler can use selects.
  static bool less_no_branch(const Entry& a, const Entry& b) noexcept {
    return static_cast<bool>((a.key < b.key) | (!(b.key < a.key) & (a.order < b.order)));
  }
  // After 2^32 insertions: the entries get insertion numbers 0..size()-1 in the same order, so
  // the heap's shape and every comparison stay as they were.
  [[gnu::cold, gnu::noinline]] void renumber() {
    std::vector<uint32_t> by_order(heap_.size());
    for (uint32_t i = 0; i < by_order.size(); ++i) by_order[i] = i;
    std::sort(by_order.begin(), by_order.end(),
              [this](uint32_t a, uint32_t b) { return heap_[a].order < heap_[b].order; });
    for (uint64_t rank = 0; rank < by_order.size(); ++rank) {
      Entry& e = heap_[by_order[rank]];
      e.order = (rank << 32) | slot_of(e);
    }
    seq_ = by_order.size();
  }
  // Removes the top (the top's position is already cleared); last = size() - 1 > 0.
  void remove_top(size_t last) noexcept {
    size_t i = 0;
    for (;;) {
      size_t child = 2 * i + 1;
      if (child + 1 < last)  // the smaller child, by a select (which one is unpredictable)
        child += static_cast<size_t>(less_no_branch(heap_[child + 1], heap_[child]));
      else if (child >= last)  // the last entry is not a candidate: it fills the hole
        break;
      heap_[i] = std::move(heap_[child]);
      pos_.set(slot_of(heap_[i]), static_cast<uint32_t>(i));
      i = child;
    }
    heap_[i] = std::move(heap_[last]);  // i < last
    heap_.pop_back();
    sift_up(i);
  }
  size_t sift_up(size_t i) noexcept {
    Entry e = std::move(heap_[i]);
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!less(e, heap_[parent])) break;
      heap_[i] = std::move(heap_[parent]);
      pos_.set(slot_of(heap_[i]), static_cast<uint32_t>(i));
      i = parent;
    }
    heap_[i] = std::move(e);
    pos_.set(slot_of(heap_[i]), static_cast<uint32_t>(i));
    return i;
  }
  void sift_down(size_t i) noexcept {
    const size_t n = heap_.size();
    Entry e = std::move(heap_[i]);
    for (;;) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && less(heap_[child + 1], heap_[child])) ++child;
      if (!less(heap_[child], e)) break;
      heap_[i] = std::move(heap_[child]);
      pos_.set(slot_of(heap_[i]), static_cast<uint32_t>(i));
      i = child;
    }
    heap_[i] = std::move(e);
    pos_.set(slot_of(heap_[i]), static_cast<uint32_t>(i));
  }

  std::vector<Entry> heap_;
  Positions pos_;
  uint64_t seq_ = 0;
  uint64_t budget_ = UINT64_MAX;  // pushes left before an ordered heap drops its order
  int64_t credit_ = 0;            // unordered: sifts saved minus entries scanned
  bool lazy_ = false;
  bool ordered_ = true;
};

}  // namespace keepwarm

#endif  // KEEPWARM_INDEXED_HEAP_HPP
