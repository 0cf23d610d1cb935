// keepwarm/engine/wheel_queue.hpp: a monotone priority queue of events on a timing wheel, for
// the engine's finishes. E has `uint64_t key, order` (compared as key, then order), and
// `double time()`, non-decreasing in the key.
//
// Time is cut into ticks of `width` (a power of two); the wheel has kBuckets buckets, one per
// tick from the tick of the last popped event (cur_) on, so that a bucket holds the events of one
// tick. An event within kBuckets ticks goes into its bucket, a singly linked list, O(1); one
// further out waits in an overflow queue (RadixQueue) and enters the wheel when cur_ comes within
// kBuckets ticks of it. The minimum is kept, so top() is a load; a pop unlinks it and finds the
// next one: the first non-empty bucket at or after cur_ (a bit set of non-empty buckets), then
// the smallest event of that bucket (exact comparisons of key and order). Ticks only group
// events: they come from a non-decreasing function of the time, so events in earlier buckets are
// earlier, and the order within a bucket is the events' own. The queue pops exactly the increasing
// sequence of the values pushed, as any heap of the same total order would (values must be
// distinct).
//
// The width adapts: every kRetune pops the queue counts the events it scanned in buckets and the
// pushes that overflowed; many overflows double the width, long scans halve it (the events are
// filed again, O(n)), down to a floor found where halving only made events overflow. A push below
// the last pop (the engine makes none) is still correct: the wheel is rebuilt from that tick, O(n).
//
// It replaced the radix queue (radix_queue.hpp) as the engine's finish queue: there each event
// moved through several buckets and the lowest bucket was scanned at every pop. lru on the
// 1000-function day, the whole cell under callgrind: at 50% of peak 5.34G -> 4.90G instructions
// and 36.2M -> 25.6M mispredicted branches, at 10% 8.43G -> 7.91G and 58.2M -> 46.9M
// (docs/performance.md, "Finishes on a timing wheel").
#ifndef KEEPWARM_ENGINE_WHEEL_QUEUE_HPP
#define KEEPWARM_ENGINE_WHEEL_QUEUE_HPP

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "keepwarm/engine/radix_queue.hpp"

namespace keepwarm {

// The events of the bucket a pop finds the minimum in are the next to be popped: Near(e) is
// called for each (the engine fetches their containers into the cache). The default does nothing.
struct IgnoreNear {
  template <class E>
  void operator()(const E&) const noexcept {}
};

template <class E, class Near = IgnoreNear>
class WheelQueue {
 public:
  static constexpr unsigned kBucketBits = 12;
  static constexpr uint32_t kBuckets = uint32_t{1} << kBucketBits;
  static constexpr uint32_t kRetune = 1024;  // pops between looks at the width
  static constexpr int kMinWidthLog2 = -30, kMaxWidthLog2 = 40;

  // width_log2: the first tick's width is 2^width_log2 time units (clamped to the range above).
  explicit WheelQueue(Near near = Near{}, int width_log2 = 4) : near_(near) {
    set_width(width_log2);
    for (uint32_t& h : heads_) h = kNil;
  }

  bool empty() const noexcept { return size_ == 0; }
  size_t size() const noexcept { return size_; }
  double top_time() const noexcept { return size_ == 0 ? INFINITY : min_.time(); }
  // The minimum (the queue must not be empty).
  const E& top() const noexcept { return min_; }
  // The width of a tick now, as a power of two (tests).
  int width_log2() const noexcept { return width_log2_; }

  void push(const E& e) {
    const int64_t t = tick(e);
    if (size_ == 0) {
      // Nothing filed: the wheel starts at t if t is not within it.
      if (t < cur_ || t - cur_ >= static_cast<int64_t>(kBuckets)) cur_ = t;
    } else if (t < cur_) [[unlikely]] {
      refile(t);  // before the last pop
    }
    ++size_;
    if (t - cur_ < static_cast<int64_t>(kBuckets)) [[likely]] {
      const uint32_t node = insert(e, t);
      if (size_ == 1 || before(e, min_)) set_min(e, t, node, kNil);
      return;
    }
    ++overflowed_;  // (later than the minimum, which is in the wheel)
    overflow_.push(e);
    over_tick_ = tick(overflow_.top());
  }

  // Removes the minimum (the queue must not be empty).
  void pop() {
    const uint32_t b = static_cast<uint32_t>(min_tick_) & kMask;
    const uint32_t next = nodes_[min_node_].next;
    if (min_prev_ == kNil)
      heads_[b] = next;
    else
      nodes_[min_prev_].next = next;
    if (heads_[b] == kNil) bits_[b >> 6] &= ~(uint64_t{1} << (b & 63));
    nodes_[min_node_].next = free_;
    free_ = min_node_;
    --wheel_size_;
    --size_;
    cur_ = min_tick_;
    if (over_tick_ - cur_ < static_cast<int64_t>(kBuckets)) [[unlikely]]
      migrate();
    if (++pops_ == kRetune) [[unlikely]]
      retune();
    if (size_ == 0) return;
    if (wheel_size_ == 0) [[unlikely]] {
      pull();
      return;
    }
    find_min();
  }
  // Pops the minimum and pushes e.
  void replace_top(const E& e) {
    pop();
    push(e);
  }

 private:
  static constexpr uint32_t kNil = UINT32_MAX;
  static constexpr uint32_t kMask = kBuckets - 1;
  static constexpr int64_t kTickLimit = int64_t{1} << 61;  // differences fit 63 bits
  __extension__ typedef unsigned __int128 U128;
  struct Node {
    E e;
    uint32_t next;
  };

  static bool before(const E& a, const E& b) noexcept {
    return ((static_cast<U128>(a.key) << 64) | a.order) <
           ((static_cast<U128>(b.key) << 64) | b.order);
  }
  void set_width(int width_log2) noexcept {
    width_log2_ = width_log2 < kMinWidthLog2   ? kMinWidthLog2
                  : width_log2 > kMaxWidthLog2 ? kMaxWidthLog2
                                               : width_log2;
    inv_width_ = std::ldexp(1.0, -width_log2_);
  }
  // The tick of e: the time over the width, truncated (non-decreasing in the time; NaN and
  // huge times at the limits).
  int64_t tick(const E& e) const noexcept {
    const double x = e.time() * inv_width_;
    if (!(x < static_cast<double>(kTickLimit))) return kTickLimit;
    if (!(x > -static_cast<double>(kTickLimit))) return -kTickLimit;
    return static_cast<int64_t>(x);
  }
  void set_min(const E& e, int64_t t, uint32_t node, uint32_t prev) noexcept {
    min_ = e;
    min_tick_ = t;
    min_node_ = node;
    min_prev_ = prev;
  }
  // Files e (tick t, within the wheel) at the head of its bucket; returns its node.
  uint32_t insert(const E& e, int64_t t) {
    uint32_t node = free_;
    if (node != kNil) {
      free_ = nodes_[node].next;
    } else {
      node = static_cast<uint32_t>(nodes_.size());
      nodes_.push_back(Node{});
    }
    const uint32_t b = static_cast<uint32_t>(t) & kMask;
    nodes_[node] = Node{e, heads_[b]};
    // The minimum was its bucket's head: now it has a predecessor.
    if (heads_[b] == min_node_ && min_prev_ == kNil && wheel_size_ > 0) min_prev_ = node;
    heads_[b] = node;
    bits_[b >> 6] |= uint64_t{1} << (b & 63);
    ++wheel_size_;
    return node;
  }
  // The smallest event of the first non-empty bucket at or after cur_ (the wheel is not empty).
  void find_min() noexcept {
    const uint32_t start = static_cast<uint32_t>(cur_) & kMask;
    uint32_t w = start >> 6;
    uint64_t m = bits_[w] & (~uint64_t{0} << (start & 63));
    while (m == 0) {  // the wheel is not empty: a set bit comes, at the latest below start
      w = (w + 1) & (kWords - 1);
      m = bits_[w];
    }
    const uint32_t b = (w << 6) | static_cast<uint32_t>(std::countr_zero(m));
    uint32_t best = heads_[b], best_prev = kNil;
    near_(nodes_[best].e);
    for (uint32_t prev = best, n = nodes_[best].next; n != kNil; prev = n, n = nodes_[n].next) {
      ++scanned_;
      near_(nodes_[n].e);
      if (before(nodes_[n].e, nodes_[best].e)) {
        best = n;
        best_prev = prev;
      }
    }
    // Its tick: cur_ plus the distance to its bucket.
    const int64_t t = cur_ + static_cast<int64_t>((b - start) & kMask);
    set_min(nodes_[best].e, t, best, best_prev);
  }
  // The overflow's events within kBuckets ticks of cur_ enter the wheel.
  void migrate() {
    // (over_tick_ is kTickLimit when the overflow is empty, and also when its minimum's time is
    // at the limit: the emptiness decides.)
    while (!overflow_.empty() && over_tick_ - cur_ < static_cast<int64_t>(kBuckets)) {
      const E e = overflow_.top();
      overflow_.pop();
      insert(e, over_tick_);
      over_tick_ = overflow_.empty() ? kTickLimit : tick(overflow_.top());
    }
  }
  // The wheel is empty and the overflow is not: the wheel moves to the overflow's minimum.
  void pull() {
    cur_ = over_tick_;
    migrate();
    find_min();
  }
  // Every event filed again with the tick width of now, the wheel starting at the earliest
  // tick, or at `from` if that is earlier; the minimum found again.
  [[gnu::cold, gnu::noinline]] void refile(int64_t from) {
    std::vector<E> all;
    all.reserve(size_);
    for (uint32_t b = 0; b < kBuckets; ++b) {
      for (uint32_t n = heads_[b]; n != kNil; n = nodes_[n].next) all.push_back(nodes_[n].e);
      heads_[b] = kNil;
    }
    while (!overflow_.empty()) {
      all.push_back(overflow_.top());
      overflow_.pop();
    }
    for (uint64_t& w : bits_) w = 0;
    nodes_.clear();
    free_ = kNil;
    wheel_size_ = 0;
    over_tick_ = kTickLimit;
    cur_ = from;
    for (const E& e : all) cur_ = std::min(cur_, tick(e));
    for (const E& e : all) {
      const int64_t t = tick(e);
      if (t - cur_ < static_cast<int64_t>(kBuckets)) {
        insert(e, t);
      } else {
        overflow_.push(e);
        over_tick_ = tick(overflow_.top());
      }
    }
    if (wheel_size_ > 0) find_min();
  }
  // Every kRetune pops: a width with fewer overflows, or shorter scans. Scans that a narrower
  // width does not shorten (events at equal times) would halve the width until the events
  // overflow, then double it again: a growth right after a shrink sets a floor for the width.
  [[gnu::cold, gnu::noinline]] void retune() {
    const uint64_t pops = pops_, scanned = scanned_, overflowed = overflowed_;
    pops_ = scanned_ = overflowed_ = 0;
    int change = 0;
    if (overflowed > pops / 8 && width_log2_ < kMaxWidthLog2)
      change = 1;
    else if (scanned > pops / 4 && overflowed < pops / 32 && width_log2_ > floor_log2_)
      change = -1;
    if (change == 1 && last_change_ == -1) floor_log2_ = width_log2_ + 1;
    if (change != 0) last_change_ = change;
    if (change == 0) return;
    set_width(width_log2_ + change);
    // (min_ is the event just popped: at or before every event left.)
    if (size_ > 0) refile(tick(min_));
  }

  static constexpr uint32_t kWords = kBuckets / 64;
  [[no_unique_address]] Near near_{};
  int width_log2_ = 0;
  double inv_width_ = 1.0;
  int64_t cur_ = -kTickLimit;   // the tick of the last popped event (at or before every tick)
  uint32_t heads_[kBuckets];    // per bucket, its first node (kNil: empty)
  uint64_t bits_[kWords] = {};  // bit b: bucket b is not empty
  std::vector<Node> nodes_;
  uint32_t free_ = kNil;  // free nodes, linked by next
  size_t size_ = 0, wheel_size_ = 0;
  RadixQueue<E> overflow_;
  int64_t over_tick_ = kTickLimit;  // the overflow's minimum's tick (kTickLimit if empty)
  E min_{};
  int64_t min_tick_ = 0;
  uint32_t min_node_ = kNil, min_prev_ = kNil;
  uint64_t pops_ = 0, scanned_ = 0, overflowed_ = 0;
  int last_change_ = 0, floor_log2_ = kMinWidthLog2;
};

}  // namespace keepwarm

#endif  // KEEPWARM_ENGINE_WHEEL_QUEUE_HPP
