// keepwarm/engine/deadline_queue.hpp: the keep-alive deadlines, at most one per container slot.
//
// Most deadlines never fire: every reuse of an idle container cancels its deadline, usually
// seconds after it was set, while keep-alive windows last minutes or hours. And where windows
// differ between functions (a histogram policy: a minute for a busy function, hours for a rare
// one) a heap of them is expensive: the short deadlines rise to near its top and are erased from
// there, two sifts along most of its height per invocation, each level a branch the predictor
// cannot guess. So:
// - a new deadline goes to an unsorted pending list, O(1), and the list keeps the earliest time
//   it holds;
// - a cancellation forgets the slot's live order, O(1): an entry is live iff its order is the
//   live order of its slot. The dead entries stay where they are;
// - lower_bound() is at or before the earliest live deadline: the earliest of the heap's top, the
//   pending list's and the parked list's (below). Only when the caller is about to act at that
//   time does it ask top_time(), which, if the heap's top might not be the earliest, settles:
//   the pending list's live entries up to the cut go into the heap, the others to the parked
//   list (unsorted, with its earliest time); if the parked list might still hold the earliest,
//   its dead entries are dropped, the cut is set `window` after its earliest live one and the
//   live ones up to the cut go into the heap;
// - the heap drops dead entries when they reach its top (so its top is always live), and all at
//   once when they outnumber the live ones; the lists likewise (filters without branches).
// So the heap holds the deadlines due within about a window, and most deadlines, cancelled
// before the cut reaches them, never enter it. Each entry is moved at most once from the pending
// list to the parked one and once into the heap; the parked list is scanned at most once per
// window of time (each such scan moves the cut by more than a window) and each filter is paid for
// by the cancellations since the last one: the cost per deadline is O(1) amortised plus a sift for
// the few that come within a window of their time. E has `uint64_t key, order` (compared as key,
// then order, by E::before), `double time()` and `uint32_t slot()`; every event pushed has a
// distinct order. Live deadlines pop in exactly (time, order) order, as from one heap of them all.
//
// The live order of each slot is kept in an Orders store: by default a vector of the queue's
// own; the engine keeps it in the container's record, which a reuse or an idle hook has in the
// cache already (so that cancelling or setting a deadline does not fetch another line).
#ifndef KEEPWARM_ENGINE_DEADLINE_QUEUE_HPP
#define KEEPWARM_ENGINE_DEADLINE_QUEUE_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <utility>
#include <vector>

namespace keepwarm {

// A slot's live order when it has no deadline.
inline constexpr uint64_t kNoDeadline = UINT64_MAX;

// Per slot, the order of its live deadline (kNoDeadline if none): the default store.
class SlotOrders {
 public:
  bool has(uint32_t slot) const noexcept { return slot < order_.size(); }
  // Makes room for slot (which has no deadline).
  void add(uint32_t slot) { order_.resize(static_cast<size_t>(slot) + 1, kNoDeadline); }
  uint64_t& operator[](uint32_t slot) noexcept { return order_[slot]; }
  uint64_t operator[](uint32_t slot) const noexcept { return order_[slot]; }

 private:
  std::vector<uint64_t> order_;
};

template <class E, class Orders = SlotOrders>
class DeadlineQueue {
 public:
  // The cut's window: a minute of milliseconds (keep-alive windows are seconds to hours).
  static constexpr double kDefaultWindow = 60'000;

  // window >= 0; INFINITY: every live deadline goes into the heap at a settle.
  explicit DeadlineQueue(Orders orders = Orders{}, double window = kDefaultWindow)
      : window_(window), order_(std::move(orders)) {
    if (!(window >= 0)) throw std::invalid_argument("DeadlineQueue: need a window >= 0");
  }

  bool empty() const noexcept { return live_ == 0; }
  size_t size() const noexcept { return live_; }
  bool contains(uint32_t slot) const noexcept { return order_.has(slot) && order_[slot] != kNone; }
  // At or before the earliest live deadline (INFINITY if none).
  double lower_bound() const noexcept {
    if (live_ == 0) return INFINITY;
    return std::min(heap_.empty() ? INFINITY : heap_.front().time(), lists_min());
  }
  // The earliest live deadline (INFINITY if none).
  double top_time() {
    if (live_ == 0) return INFINITY;
    if (!heap_settled()) settle();
    return heap_.front().time();
  }

  // Adds e; a live deadline of the same slot is cancelled first.
  void push(const E& e) {
    const uint32_t slot = e.slot();
    if (!order_.has(slot)) [[unlikely]]
      grow(slot);
    // Usually the slot has no deadline (a reuse or removal cancelled it): the rest of erase() is
    // out of line, so that a push needs few registers.
    if (order_[slot] != kNone) [[unlikely]]
      replace_live(slot);
    order_[slot] = e.order;
    ++live_;
    pending_.push_back(e);
    pending_min_ = std::min(pending_min_, e.time());
  }
  // Removes and returns the earliest live deadline (the queue must not be empty).
  E pop() {
    if (!heap_settled()) settle();
    const E top = heap_.front();
    order_[top.slot()] = kNone;
    --live_;
    drop_top();
    return top;
  }
  // Cancels slot's deadline, if it has one.
  void erase(uint32_t slot) {
    if (contains(slot)) erase_live(slot);
  }

 private:
  static constexpr uint64_t kNone = kNoDeadline;

  [[gnu::noinline]] void grow(uint32_t slot) { order_.add(slot); }
  [[gnu::noinline]] void replace_live(uint32_t slot) { erase_live(slot); }
  // Cancels slot's live deadline.
  void erase_live(uint32_t slot) {
    const uint64_t order = order_[slot];
    order_[slot] = kNone;
    --live_;
    if (!heap_.empty() && heap_.front().order == order) [[unlikely]]
      drop_top();
    else if (heap_.size() > 2 * live_ + 64) [[unlikely]]
      compact_heap();
    if (pending_.size() > 2 * live_ + 1024) [[unlikely]]
      compact_pending();
    if (parked_.size() > 2 * live_ + 1024) [[unlikely]]
      compact_parked();
  }

  bool live(const E& e) const noexcept { return order_[e.slot()] == e.order; }
  double lists_min() const noexcept { return std::min(pending_min_, parked_min_); }
  // The heap's top is the earliest live deadline: none in the lists can come before it.
  bool heap_settled() const noexcept {
    return !heap_.empty() && heap_.front().time() < lists_min();
  }
  // Removes the heap's top and then every dead entry that comes to the top.
  [[gnu::noinline]] void drop_top() {
    do {
      remove_top();
    } while (!heap_.empty() && !live(heap_.front()));
  }
  // Makes the heap's top the earliest live deadline (live_ > 0).
  [[gnu::noinline]] void settle() {
    for (const E& e : pending_) {
      if (!live(e)) continue;
      if (e.time() <= cut_) {
        heap_push(e);
      } else {
        parked_.push_back(e);
        parked_min_ = std::min(parked_min_, e.time());
      }
    }
    pending_.clear();
    pending_min_ = INFINITY;
    if (heap_settled()) return;
    // The parked list may hold the earliest: its dead entries go, and the cut moves on even if
    // the heap's top then comes first after all, so that each scan moves it by more than a
    // window (every parked deadline is after the cut).
    compact_parked();
    cut_ = parked_min_ + window_;  // >= parked_min_ (if any): the earliest moves
    size_t n = 0;
    double earliest = INFINITY;
    for (const E& e : parked_) {
      if (e.time() <= cut_) {
        heap_push(e);
      } else {
        parked_[n++] = e;
        earliest = std::min(earliest, e.time());
      }
    }
    parked_.resize(n);
    parked_min_ = earliest;
  }
  void heap_push(const E& e) {
    heap_.push_back(e);
    sift_up(heap_.size() - 1);
  }
  // Drops a list's dead entries; returns the earliest time of its live ones.
  double compact(std::vector<E>& list) const noexcept {
    size_t n = 0;
    double earliest = INFINITY;
    for (const E& e : list) {
      const bool keep = live(e);
      list[n] = e;
      n += keep;
      earliest = keep ? std::min(earliest, e.time()) : earliest;
    }
    list.resize(n);
    return earliest;
  }
  [[gnu::noinline]] void compact_pending() { pending_min_ = compact(pending_); }
  [[gnu::noinline]] void compact_parked() { parked_min_ = compact(parked_); }
  // Keeps the live entries only and restores the heap order bottom-up.
  [[gnu::noinline]] void compact_heap() {
    size_t n = 0;
    for (const E& e : heap_) {
      heap_[n] = e;
      n += live(e);
    }
    heap_.resize(n);
    for (size_t i = n / 2; i-- > 0;) sift_down(i);
  }
  void remove_top() noexcept {
    const E last = heap_.back();
    heap_.pop_back();
    if (heap_.empty()) return;
    heap_.front() = last;
    sift_down(0);
  }
  void sift_up(size_t i) noexcept {
    const E e = heap_[i];
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!E::before(e, heap_[parent])) break;
      heap_[i] = heap_[parent];
      i = parent;
    }
    heap_[i] = e;
  }
  void sift_down(size_t i) noexcept {
    const E e = heap_[i];
    const size_t n = heap_.size();
    for (;;) {
      size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n) c = E::before(heap_[c + 1], heap_[c]) ? c + 1 : c;  // a select
      if (!E::before(heap_[c], e)) break;
      heap_[i] = heap_[c];
      i = c;
    }
    heap_[i] = e;
  }

  std::vector<E> heap_;            // a binary heap: live entries and dead ones, its top live
  std::vector<E> pending_;         // not yet in the heap, unsorted: live entries and dead ones
  double pending_min_ = INFINITY;  // at or before every pending entry's time
  std::vector<E> parked_;          // after the cut when settled, unsorted: live and dead entries
  double parked_min_ = INFINITY;   // at or before every parked entry's time
  double window_;
  double cut_ = -INFINITY;  // at a settle, pending deadlines up to it go into the heap
  Orders order_;            // per slot: the order of its live deadline, kNone if none
  size_t live_ = 0;
};

}  // namespace keepwarm

#endif  // KEEPWARM_ENGINE_DEADLINE_QUEUE_HPP
