// test_queues.cpp: the engine's finish queue (keepwarm/engine/wheel_queue.hpp, and the radix
// queue it keeps for the events beyond its wheel, keepwarm/engine/radix_queue.hpp), its keep-alive
// deadlines (keepwarm/engine/deadline_queue.hpp) and the SDK's IndexedHeap
// (keepwarm/indexed_heap.hpp) against an ordered set, on random operation sequences.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <functional>
#include <keepwarm/indexed_heap.hpp>
#include <random>
#include <set>
#include <utility>
#include <vector>

#include "keepwarm/engine/deadline_queue.hpp"
#include "keepwarm/engine/radix_queue.hpp"
#include "keepwarm/engine/wheel_queue.hpp"

using namespace keepwarm;

namespace {

struct Event {
  uint64_t key = 0;
  uint64_t order = 0;
  double time() const noexcept { return static_cast<double>(key); }
};
using Value = std::pair<uint64_t, uint64_t>;

// Pushes (monotone, like the engine's finishes, unless `backwards` > 0: then that share of the
// pushes lies before the last pop) and pops at random; every top must be the set's minimum.
// Keys are up to `spread` after the last pop (`far`: one push in 50 up to 1000 times further).
template <class Q>
void check_queue(Q& q, uint64_t seed, double backwards, uint64_t spread = 5000, bool far = false,
                 int steps = 20000) {
  SCOPED_TRACE("seed " + std::to_string(seed) + ", spread " + std::to_string(spread));
  std::mt19937_64 rng(seed);
  std::set<Value> ref;
  uint64_t now = 1000, seq = 0;
  for (int step = 0; step < steps; ++step) {
    if (ref.empty() || rng() % 100 < 55) {
      uint64_t key = now + rng() % spread;
      if (far && rng() % 50 == 0) key = now + rng() % (1000 * spread);
      if (rng() % 4 == 0) key = now;  // equal times: the order decides
      if (backwards > 0 && std::uniform_real_distribution<double>(0, 1)(rng) < backwards)
        key = now > 500 ? now - rng() % 500 : 0;
      // The engine's order: schedule number (high bits) and slot (low 24 bits).
      const uint64_t order = (++seq << 24) | (rng() & 0xffffff);
      q.push(Event{key, order});
      ref.emplace(key, order);
    } else {
      ASSERT_FALSE(q.empty());
      const Value top = *ref.begin();
      ASSERT_EQ(q.top().key, top.first) << "step " << step;
      ASSERT_EQ(q.top().order, top.second) << "step " << step;
      EXPECT_EQ(q.top_time(), static_cast<double>(top.first));
      now = std::max(now, top.first);
      if (rng() % 2 == 0) {
        q.pop();
        ref.erase(ref.begin());
      } else {  // replace_top with a later event, as a finish with a next in its run queue
        ref.erase(ref.begin());
        const Event next{now + rng() % (spread * 3 / 5 + 1), (++seq << 24) | (rng() & 0xffffff)};
        q.replace_top(next);
        ref.emplace(next.key, next.order);
      }
    }
    ASSERT_EQ(q.size(), ref.size());
  }
  while (!ref.empty()) {
    ASSERT_EQ(q.top().order, ref.begin()->second);
    q.pop();
    ref.erase(ref.begin());
  }
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.top_time(), INFINITY);
}

void check_radix(uint64_t seed, double backwards) {
  RadixQueue<Event> q;
  check_queue(q, seed, backwards);
}

// A deadline: a time, a distinct order, a container slot in the order's low 24 bits.
struct Deadline {
  uint64_t key = 0;
  uint64_t order = 0;
  double time() const noexcept { return static_cast<double>(key); }
  uint32_t slot() const noexcept { return static_cast<uint32_t>(order & 0xffffff); }
  static bool before(const Deadline& a, const Deadline& b) noexcept {
    return a.key < b.key || (a.key == b.key && a.order < b.order);
  }
};

// Sets (a new deadline of a slot replaces its old one), cancels and pops deadlines at random,
// the clock moving to each pop, as the engine does; `slots` containers, windows from 0 to
// `window` (a mix of short and long ones when `mixed`); `fire` in 100,000 steps a deadline fires.
// lower_bound() must never be after the earliest deadline, top_time() must be it, and pops must
// come in (time, order) order.
void check_deadlines(uint64_t seed, uint32_t slots, uint64_t window, bool mixed,
                     unsigned fire = 8000, double cut_window = 60'000) {
  SCOPED_TRACE("seed " + std::to_string(seed) + ", cut window " + std::to_string(cut_window));
  std::mt19937_64 rng(seed);
  DeadlineQueue<Deadline> q(SlotOrders{}, cut_window);
  std::set<Value> ref;
  constexpr Value kNone{0, UINT64_MAX};
  std::vector<Value> live(slots, kNone);  // per slot: its deadline in ref
  uint64_t now = 0, seq = 0;
  for (int step = 0; step < 60000; ++step) {
    const uint32_t slot = static_cast<uint32_t>(rng() % slots);
    const unsigned op = static_cast<unsigned>(rng() % 100000);
    if (op < 50000) {  // a container goes idle: a deadline, replacing the slot's
      const uint64_t w = mixed && rng() % 3 == 0 ? window * 100 : window;
      const Deadline d{now + (w == 0 ? 0 : rng() % (w + 1)), (++seq << 24) | slot};
      if (live[slot] != kNone) ref.erase(live[slot]);
      q.push(d);
      live[slot] = {d.key, d.order};
      ref.insert(live[slot]);
    } else if (op < 90000) {  // a reuse or an eviction cancels it
      q.erase(slot);
      if (live[slot] != kNone) ref.erase(live[slot]);
      live[slot] = kNone;
    } else if (op < 90000 + fire) {  // the clock reaches the earliest deadline: it fires
      if (ref.empty()) {
        ASSERT_TRUE(q.empty());
        continue;
      }
      const Value top = *ref.begin();
      ASSERT_LE(q.lower_bound(), static_cast<double>(top.first)) << "step " << step;
      ASSERT_EQ(q.top_time(), static_cast<double>(top.first)) << "step " << step;
      const Deadline d = q.pop();
      ASSERT_EQ(d.order, top.second) << "step " << step;
      ref.erase(ref.begin());
      live[d.slot()] = kNone;
      now = std::max(now, top.first);
    } else if (!ref.empty()) {  // time passes without a deadline firing
      now = std::max(now, std::min(now + 50, ref.begin()->first));
    }
    ASSERT_EQ(q.size(), ref.size());
    ASSERT_EQ(q.empty(), ref.empty());
    for (const uint32_t s : {slot, static_cast<uint32_t>(rng() % slots)})
      ASSERT_EQ(q.contains(s), live[s] != kNone);
    if (!ref.empty()) {
      ASSERT_LE(q.lower_bound(), static_cast<double>(ref.begin()->first));
    }
  }
  while (!ref.empty()) {
    ASSERT_EQ(q.top_time(), static_cast<double>(ref.begin()->first));
    ASSERT_EQ(q.pop().order, ref.begin()->second);
    ref.erase(ref.begin());
  }
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.top_time(), INFINITY);
  EXPECT_EQ(q.lower_bound(), INFINITY);
}

// The cut's windows: the engine's (past every deadline of these tests: a settle moves all),
// none (only the earliest time), shorter than the deadlines' windows (a few move, the others
// are parked and scanned again), and unlimited.
constexpr double kCutWindows[] = {60'000, 0, 7, 300, INFINITY};

TEST(DeadlineQueue, MatchesAnOrderedSet) {
  for (const double cut : kCutWindows)
    for (uint64_t seed = 1; seed <= 4; ++seed) check_deadlines(seed, 64, 1000, false, 8000, cut);
}
TEST(DeadlineQueue, ManySlotsMixedWindows) {
  // Enough cancellations between pops that the lists and the heap are filtered.
  for (const double cut : kCutWindows)
    for (uint64_t seed = 1; seed <= 3; ++seed) check_deadlines(seed, 3000, 2000, true, 8000, cut);
}
TEST(DeadlineQueue, RareFiringsFilterTheLists) {
  // Thousands of deadlines set and cancelled between two that fire.
  for (const double cut : kCutWindows)
    for (uint64_t seed = 1; seed <= 3; ++seed) check_deadlines(seed, 3000, 2000, true, 5, cut);
}
TEST(DeadlineQueue, EqualTimesPopInOrder) {
  for (const double cut : kCutWindows)
    for (uint64_t seed = 1; seed <= 3; ++seed) check_deadlines(seed, 16, 0, false, 8000, cut);
}

// A deadline at any double time.
struct TimedDeadline {
  double t = 0;
  uint64_t order = 0;
  double time() const noexcept { return t; }
  uint32_t slot() const noexcept { return static_cast<uint32_t>(order & 0xffffff); }
  static bool before(const TimedDeadline& a, const TimedDeadline& b) noexcept {
    return a.t < b.t || (a.t == b.t && a.order < b.order);
  }
};

TEST(DeadlineQueue, HugeTimesPastTheCut) {
  // Times where the cut's window vanishes in rounding (the cut is the earliest time itself):
  // still the order of an ordered set.
  for (const double base : {1.6e12, 1e300}) {
    SCOPED_TRACE(base);
    DeadlineQueue<TimedDeadline> q(SlotOrders{}, 7);
    std::set<std::pair<double, uint64_t>> ref;
    std::mt19937_64 rng(7);
    uint64_t seq = 0;
    for (uint32_t slot = 0; slot < 500; ++slot) {
      // Many equal times at 1e300, a tenth apart at most.
      const double t = base < 1e200 ? base + static_cast<double>(rng() % 160)
                                    : base * (1 + static_cast<double>(rng() % 100) / 1e3);
      const TimedDeadline d{t, (++seq << 24) | slot};
      q.push(d);
      ref.emplace(d.t, d.order);
    }
    for (uint32_t slot = 0; slot < 500; slot += 3) {
      q.erase(slot);
      std::erase_if(ref, [&](const auto& v) { return (v.second & 0xffffff) == slot; });
    }
    ASSERT_EQ(q.size(), ref.size());
    while (!ref.empty()) {
      ASSERT_LE(q.lower_bound(), ref.begin()->first);
      ASSERT_EQ(q.top_time(), ref.begin()->first);
      ASSERT_EQ(q.pop().order, ref.begin()->second);
      ref.erase(ref.begin());
    }
    EXPECT_TRUE(q.empty());
  }
}
TEST(DeadlineQueue, RejectsANegativeWindow) {
  EXPECT_THROW(DeadlineQueue<Deadline>(SlotOrders{}, -1), std::invalid_argument);
  EXPECT_THROW(DeadlineQueue<Deadline>(SlotOrders{}, NAN), std::invalid_argument);
}

// The orders in a store outside the queue, as the engine keeps them in its containers: a slot
// without a deadline may hold other orders meanwhile (a running container's, of other events),
// and holds kNoDeadline again before its next deadline. Dead entries must stay dead.
struct OutsideOrders {
  std::vector<uint64_t>* orders;
  bool has(uint32_t slot) const noexcept { return slot < orders->size(); }
  void add(uint32_t) const noexcept {}
  uint64_t& operator[](uint32_t slot) const noexcept { return (*orders)[slot]; }
};
TEST(DeadlineQueue, OrdersKeptOutside) {
  constexpr uint32_t kSlots = 200;
  std::vector<uint64_t> orders(kSlots, kNoDeadline);
  DeadlineQueue<Deadline, OutsideOrders> q{OutsideOrders{&orders}};
  std::set<Value> ref;
  std::vector<Value> live(kSlots, {0, UINT64_MAX});
  std::vector<bool> busy(kSlots, false);
  std::mt19937_64 rng(3);
  uint64_t now = 0, seq = 0;
  for (int step = 0; step < 50000; ++step) {
    const uint32_t slot = static_cast<uint32_t>(rng() % kSlots);
    const unsigned op = static_cast<unsigned>(rng() % 10);
    if (op < 4 && !busy[slot]) {  // idle: a deadline
      const Deadline d{now + rng() % 500, (++seq << 24) | slot};
      if (live[slot].second != UINT64_MAX) ref.erase(live[slot]);
      q.push(d);
      live[slot] = {d.key, d.order};
      ref.insert(live[slot]);
    } else if (op < 7 && !busy[slot]) {  // reused: cancelled, then the slot's word is the run's
      q.erase(slot);
      if (live[slot].second != UINT64_MAX) ref.erase(live[slot]);
      live[slot] = {0, UINT64_MAX};
      busy[slot] = true;
      orders[slot] = (++seq << 24) | static_cast<uint32_t>(rng() % kSlots);
    } else if (op < 9 && busy[slot]) {  // idle again: no deadline yet
      busy[slot] = false;
      orders[slot] = kNoDeadline;
    } else if (!ref.empty()) {  // the earliest fires
      ASSERT_EQ(q.top_time(), static_cast<double>(ref.begin()->first)) << "step " << step;
      const Deadline d = q.pop();
      ASSERT_EQ(d.order, ref.begin()->second) << "step " << step;
      live[d.slot()] = {0, UINT64_MAX};
      now = std::max(now, ref.begin()->first);
      ref.erase(ref.begin());
    }
    ASSERT_EQ(q.size(), ref.size()) << "step " << step;
  }
}

TEST(RadixQueue, PopsInOrderOfTimeThenOrder) {
  for (uint64_t seed = 1; seed <= 5; ++seed) check_radix(seed, 0.0);
}

TEST(RadixQueue, PushesBeforeTheLastPopAreStillOrdered) {
  for (uint64_t seed = 1; seed <= 3; ++seed) check_radix(seed, 0.02);
}

// The wheel at tick widths from far below to far above the spacing of the keys (most events in
// one bucket; most beyond the wheel, in its overflow), and with the width left to adapt.
TEST(WheelQueue, PopsInOrderOfTimeThenOrder) {
  for (int width_log2 : {-4, 0, 3, 8, 16}) {
    for (uint64_t seed = 1; seed <= 3; ++seed) {
      SCOPED_TRACE("width 2^" + std::to_string(width_log2));
      WheelQueue<Event> q(IgnoreNear{}, width_log2);
      check_queue(q, seed, 0.0);
    }
  }
}

TEST(WheelQueue, FarEventsWaitBeyondTheWheel) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    WheelQueue<Event> q(IgnoreNear{}, 0);  // ticks of 1: the far events (1 in 50) overflow
    check_queue(q, seed, 0.0, 3000, true);
  }
}

TEST(WheelQueue, PushesBeforeTheLastPopAreStillOrdered) {
  for (uint64_t seed = 1; seed <= 3; ++seed) {
    WheelQueue<Event> q;
    check_queue(q, seed, 0.02);
  }
}

// A steady queue of 500 events, each pop followed by a push up to `spread` after it; the tops
// checked against an ordered set. Returns the width the wheel settled at.
int steady_width(int width_log2, uint64_t spread) {
  std::mt19937_64 rng(11);
  WheelQueue<Event> q(IgnoreNear{}, width_log2);
  std::set<Value> ref;
  uint64_t now = 0, seq = 0;
  auto push = [&] {
    const Event e{now + rng() % spread, ++seq};
    q.push(e);
    ref.emplace(e.key, e.order);
  };
  for (int i = 0; i < 500; ++i) push();
  for (int step = 0; step < 40000; ++step) {
    EXPECT_EQ(q.top().order, ref.begin()->second);
    now = q.top().key;
    q.pop();
    ref.erase(ref.begin());
    push();
  }
  return q.width_log2();
}

TEST(WheelQueue, TheWidthFollowsTheEvents) {
  constexpr int kBits = WheelQueue<Event>::kBucketBits;  // the wheel spans 2^kBits ticks
  // 500 events over 2^20 overflow the wheel in ticks of 2^4: the width grows until they fit.
  EXPECT_GE(steady_width(4, uint64_t{1} << 20), 20 - kBits);
  // 500 events over 2^12, in ticks of 2^16: all in one bucket, the width shrinks until a
  // bucket holds about one (2^12 / 500 is about 2^3).
  EXPECT_LE(steady_width(16, uint64_t{1} << 12), 5);
  // 500 events over 20 distinct times: scans stay long at any width. It shrinks until they no
  // longer fit (2^(5 - kBits) x 2^kBits = 32 >= 20 > 16), then stays where they fit.
  const int w = steady_width(8, 20);
  EXPECT_GE(w, 5 - kBits);
  EXPECT_LE(w, 6 - kBits);
}

// Pops q empty, checking each top against `expected` in turn; after_pop(v) runs after the pop
// of v.
template <class Q>
void expect_pops(Q& q, const std::vector<Value>& expected,
                 const std::function<void(const Value&)>& after_pop = nullptr) {
  for (const Value& v : expected) {
    ASSERT_FALSE(q.empty());
    EXPECT_EQ(q.top().key, v.first);
    EXPECT_EQ(q.top().order, v.second);
    q.pop();
    if (after_pop) after_pop(v);
  }
  EXPECT_TRUE(q.empty());
}

TEST(WheelQueue, HugeKeysAndHighBitsOfTheOrder) {
  // Keys at the top of their range (far beyond the wheel, in its overflow), and orders that
  // differ only in their top bit.
  WheelQueue<Event> q;
  q.push(Event{uint64_t{1} << 63, 5});
  q.push(Event{1, uint64_t{1} << 63});
  q.push(Event{1, 3});
  q.push(Event{(uint64_t{1} << 63) | 4096, 0});
  q.push(Event{UINT64_MAX, 0});
  expect_pops(q, {{1, 3},
                  {1, uint64_t{1} << 63},
                  {uint64_t{1} << 63, 5},
                  {(uint64_t{1} << 63) | 4096, 0},
                  {UINT64_MAX, 0}});
  // In ticks of 2^-30 every time from 2^31 on is past the last tick: those events share it,
  // wait beyond the wheel until it gets there, then pop in their exact order.
  WheelQueue<Event> fine(IgnoreNear{}, -30);
  fine.push(Event{1, 0});
  fine.push(Event{uint64_t{1} << 41, 1});
  fine.push(Event{uint64_t{1} << 40, 2});
  fine.push(Event{UINT64_MAX, 3});
  fine.push(Event{uint64_t{1} << 40, 1});
  expect_pops(fine,
              {{1, 0},
               {uint64_t{1} << 40, 1},
               {uint64_t{1} << 40, 2},
               {uint64_t{1} << 41, 1},
               {uint64_t{1} << 42, 0},
               {UINT64_MAX, 3}},
              [&](const Value& v) {
                // Pushed once the wheel is at the last tick, into the bucket of the others.
                if (v.first == 1) fine.push(Event{uint64_t{1} << 42, 0});
              });
}

TEST(RadixQueue, HighBitsOfTheKeyAndTheOrder) {
  // Keys that differ only in their top bit, and orders only in theirs.
  RadixQueue<Event> q;
  q.push(Event{uint64_t{1} << 63, 5});
  q.push(Event{1, uint64_t{1} << 63});
  q.push(Event{1, 3});
  q.push(Event{(uint64_t{1} << 63) | 1, 0});
  expect_pops(
      q, {{1, 3}, {1, uint64_t{1} << 63}, {uint64_t{1} << 63, 5}, {(uint64_t{1} << 63) | 1, 0}});
}

// Positions kept outside the heap, as PriorityPolicy keeps them in the host's container words:
// position + 1 in a word per slot, 0 when absent (every word starts at 0).
struct WordPositions {
  std::vector<uint64_t>* words;
  uint32_t get(uint32_t slot) const noexcept { return static_cast<uint32_t>((*words)[slot] - 1); }
  void ensure(uint32_t) const noexcept {}
  void set(uint32_t slot, uint32_t pos) const noexcept {
    (*words)[slot] = static_cast<uint32_t>(pos + 1);
  }
};

// IndexedHeap: push, erase (the top, as a victim, or any slot), pop and update at random; the
// top must be the (key, insertion) minimum of the set.
template <class Heap>
void check_against_an_ordered_set(const std::function<Heap()>& make) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    Heap heap = make();
    std::set<std::pair<double, uint64_t>> ref;  // (key, insertion number)
    std::vector<std::pair<double, uint64_t>> of_slot(64, {0.0, UINT64_MAX});
    uint64_t inserted = 0;
    for (int step = 0; step < 20000; ++step) {
      const uint32_t slot = static_cast<uint32_t>(rng() % of_slot.size());
      const unsigned op = static_cast<unsigned>(rng() % 10);
      if (!heap.contains(slot) && op < 5) {
        const double key = static_cast<double>(rng() % 50);  // many equal keys
        heap.push(slot, key);
        of_slot[slot] = {key, inserted++};
        ref.insert(of_slot[slot]);
      } else if (op < 7 && !heap.empty()) {
        const uint32_t top = heap.top();
        ASSERT_EQ(of_slot[top], *ref.begin()) << "step " << step;
        ref.erase(ref.begin());
        if (op == 5)
          heap.erase(top);
        else
          EXPECT_EQ(heap.pop(), top);
      } else if (heap.contains(slot) && op < 9) {
        ref.erase(of_slot[slot]);
        heap.erase(slot);
      } else if (heap.contains(slot)) {
        ref.erase(of_slot[slot]);
        of_slot[slot].first = static_cast<double>(rng() % 50);
        heap.update(slot, of_slot[slot].first);
        ref.insert(of_slot[slot]);
      }
      ASSERT_EQ(heap.size(), ref.size());
      if (!heap.empty()) {
        ASSERT_EQ(of_slot[heap.top()], *ref.begin()) << "step " << step;
      }
    }
  }
}

// IndexedHeap in lazy order: phases without victims (a query now and then: the heap drops its
// order, pushes append and erases fill holes) alternate with phases of many (scans, then the order
// rebuilt); every least() must be the (key, insertion) minimum, the heap must have been unordered
// and ordered again, and at the end (order restored) it must drain in (key, insertion) order.
template <class Heap>
void check_lazy_order_against_an_ordered_set(const std::function<Heap()>& make) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    Heap heap = make();
    heap.set_lazy_order(true);
    std::set<std::pair<double, uint64_t>> ref;  // (key, insertion number)
    std::vector<std::pair<double, uint64_t>> of_slot(256, {0.0, UINT64_MAX});
    uint64_t inserted = 0, unordered_queries = 0, reorders = 0;
    bool was_ordered = true;
    for (int step = 0; step < 40000; ++step) {
      const bool quiet = (step / 3000) % 2 == 0;
      const uint32_t slot = static_cast<uint32_t>(rng() % of_slot.size());
      const unsigned op = static_cast<unsigned>(rng() % 10);
      const bool query = quiet ? rng() % 400 == 0 : op == 5 || op == 6;
      if (query && !heap.empty()) {
        if (!heap.ordered()) ++unordered_queries;
        const uint32_t least = heap.least();
        ASSERT_EQ(of_slot[least], *ref.begin()) << "seed " << seed << " step " << step;
        ref.erase(ref.begin());
        if (op % 2 == 0)
          heap.erase(least);
        else
          EXPECT_EQ(heap.pop(), least);
      } else if (!heap.contains(slot) && op < 6) {
        const double key = static_cast<double>(rng() % 50);  // many equal keys
        heap.push(slot, key);
        of_slot[slot] = {key, inserted++};
        ref.insert(of_slot[slot]);
      } else if (heap.contains(slot) && op < 9) {
        ref.erase(of_slot[slot]);
        heap.erase(slot);
        EXPECT_FALSE(heap.contains(slot));
      } else if (heap.contains(slot)) {
        ref.erase(of_slot[slot]);
        of_slot[slot].first = static_cast<double>(rng() % 50);
        heap.update(slot, of_slot[slot].first);
        ref.insert(of_slot[slot]);
      }
      if (heap.ordered() && !was_ordered) ++reorders;
      was_ordered = heap.ordered();
      ASSERT_EQ(heap.size(), ref.size());
    }
    EXPECT_GT(unordered_queries, 20u) << "seed " << seed;
    EXPECT_GT(reorders, 3u) << "seed " << seed;
    heap.set_lazy_order(false);
    ASSERT_TRUE(heap.ordered());
    while (!heap.empty()) {
      ASSERT_EQ(of_slot[heap.top()], *ref.begin());
      ref.erase(ref.begin());
      heap.erase(heap.top());
    }
    EXPECT_TRUE(ref.empty());
  }
}

TEST(IndexedHeap, LazyOrderMatchesAnOrderedSet) {
  check_lazy_order_against_an_ordered_set<IndexedHeap<double>>(
      [] { return IndexedHeap<double>(); });
}

TEST(IndexedHeap, LazyOrderWithPositionsOutsideMatchesAnOrderedSet) {
  std::vector<uint64_t> words;
  check_lazy_order_against_an_ordered_set<IndexedHeap<double, WordPositions>>([&words] {
    words.assign(256, 0);
    return IndexedHeap<double, WordPositions>(WordPositions{&words});
  });
}

TEST(IndexedHeap, MatchesAnOrderedSet) {
  check_against_an_ordered_set<IndexedHeap<double>>([] { return IndexedHeap<double>(); });
}

TEST(IndexedHeap, WithPositionsOutsideMatchesAnOrderedSet) {
  std::vector<uint64_t> words;
  check_against_an_ordered_set<IndexedHeap<double, WordPositions>>([&words] {
    words.assign(64, 0);
    return IndexedHeap<double, WordPositions>(WordPositions{&words});
  });
}

}  // namespace
