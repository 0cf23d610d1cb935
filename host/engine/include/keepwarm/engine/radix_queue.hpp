// keepwarm/engine/radix_queue.hpp: a monotone priority queue (radix heap) of events with a
// 128-bit order: E has `uint64_t key, order` (compared as key, then order) and `double time()`.
// The engine's finish queue (wheel_queue.hpp) keeps in one the events beyond its wheel.
//
// Every value pushed should be greater than the last one popped (the engine's finishes: each is
// scheduled at or after the clock, with a newer schedule order). Then an event can sit in the
// bucket of the highest bit in which it differs from the last popped value: buckets are ordered
// by value, the lowest non-empty one holds the minimum, and a pop redistributes that bucket
// only, each event into a lower one. An event moves a few times in its life, through short
// vectors, instead of sifting along a path of a heap. The minimum is kept, so top() is a load. A
// push that is not greater than the last pop is still correct (everything is filed again, O(n)).
// Values must be distinct; the queue then pops exactly the increasing sequence, as any heap of
// the same total order would.
#ifndef KEEPWARM_ENGINE_RADIX_QUEUE_HPP
#define KEEPWARM_ENGINE_RADIX_QUEUE_HPP

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace keepwarm {

template <class E>
class RadixQueue {
 public:
  bool empty() const noexcept { return size_ == 0; }
  size_t size() const noexcept { return size_; }
  double top_time() const noexcept { return size_ == 0 ? INFINITY : min_.time(); }
  // The minimum (the queue must not be empty).
  const E& top() const noexcept { return min_; }

  void push(const E& e) {
    const U128 v = value(e);
    if (v <= last_) [[unlikely]]
      rebase();
    const unsigned k = bucket_of(v);
    buckets_[k].push_back(e);
    mark(k);
    if (size_++ == 0 || v < value(min_)) {
      min_ = e;
      min_bucket_ = k;
      min_index_ = buckets_[k].size() - 1;
    }
  }
  // Removes the minimum (the queue must not be empty).
  void pop() {
    last_ = value(min_);
    std::vector<E>& src = buckets_[min_bucket_];
    src[min_index_] = src.back();
    src.pop_back();
    --size_;
    // The rest of the minimum's bucket goes to lower buckets (relative to the new last value);
    // the higher buckets hold what they held.
    for (const E& e : src) {
      const unsigned k = bucket_of(value(e));
      buckets_[k].push_back(e);
      mark(k);
    }
    src.clear();
    nonempty_[(min_bucket_ - 1) >> 6] &= ~(uint64_t{1} << ((min_bucket_ - 1) & 63));
    if (size_ > 0) find_min();
  }
  // Pops the minimum and pushes e.
  void replace_top(const E& e) {
    pop();
    push(e);
  }

 private:
  __extension__ typedef unsigned __int128 U128;

  static U128 value(const E& e) noexcept { return (static_cast<U128>(e.key) << 64) | e.order; }
  // 1 + the highest bit in which v differs from last_ (v != last_): 1 .. 128.
  unsigned bucket_of(U128 v) const noexcept {
    const U128 x = v ^ last_;
    const uint64_t hi = static_cast<uint64_t>(x >> 64);
    return hi != 0 ? 128u - static_cast<unsigned>(__builtin_clzll(hi))
                   : 64u - static_cast<unsigned>(__builtin_clzll(static_cast<uint64_t>(x)));
  }
  void mark(unsigned k) noexcept { nonempty_[(k - 1) >> 6] |= uint64_t{1} << ((k - 1) & 63); }
  // The minimum is in the lowest non-empty bucket.
  void find_min() noexcept {
    const unsigned k = nonempty_[0] != 0
                           ? 1u + static_cast<unsigned>(__builtin_ctzll(nonempty_[0]))
                           : 65u + static_cast<unsigned>(__builtin_ctzll(nonempty_[1]));
    const std::vector<E>& b = buckets_[k];
    size_t best = 0;
    for (size_t i = 1; i < b.size(); ++i) best = value(b[i]) < value(b[best]) ? i : best;
    min_ = b[best];
    min_bucket_ = k;
    min_index_ = best;
  }
  // Files every event again relative to 0 (below every value): after a push that was not above
  // the last pop.
  [[gnu::cold, gnu::noinline]] void rebase() {
    std::vector<E> all;
    all.reserve(size_);
    for (std::vector<E>& b : buckets_) {
      all.insert(all.end(), b.begin(), b.end());
      b.clear();
    }
    nonempty_[0] = nonempty_[1] = 0;
    size_ = 0;
    last_ = 0;
    for (const E& e : all) push(e);
  }

  std::vector<E> buckets_[129];    // [0] is never used: values differ from last_
  uint64_t nonempty_[2] = {0, 0};  // bit k - 1: bucket k is not empty
  U128 last_ = 0;                  // the last value popped
  size_t size_ = 0;
  E min_{};  // the minimum (when not empty), and where it is
  unsigned min_bucket_ = 0;
  size_t min_index_ = 0;
};

}  // namespace keepwarm

#endif  // KEEPWARM_ENGINE_RADIX_QUEUE_HPP
