// test_queues.cpp: the engine's finish queue (keepwarm/engine/radix_queue.hpp) and the SDK's
// IndexedHeap (keepwarm/indexed_heap.hpp) against an ordered set, on random operation sequences.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <keepwarm/indexed_heap.hpp>
#include <random>
#include <set>
#include <utility>

#include "keepwarm/engine/radix_queue.hpp"

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
void check_radix(uint64_t seed, double backwards) {
  std::mt19937_64 rng(seed);
  RadixQueue<Event> q;
  std::set<Value> ref;
  uint64_t now = 1000, seq = 0;
  for (int step = 0; step < 20000; ++step) {
    if (ref.empty() || rng() % 100 < 55) {
      uint64_t key = now + rng() % 5000;
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
        const Event next{now + rng() % 3000, (++seq << 24) | (rng() & 0xffffff)};
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

TEST(RadixQueue, PopsInOrderOfTimeThenOrder) {
  for (uint64_t seed = 1; seed <= 5; ++seed) check_radix(seed, 0.0);
}

TEST(RadixQueue, PushesBeforeTheLastPopAreStillOrdered) {
  for (uint64_t seed = 1; seed <= 3; ++seed) check_radix(seed, 0.02);
}

TEST(RadixQueue, HighBitsOfTheKeyAndTheOrder) {
  // Keys that differ only in their top bit, and orders only in theirs.
  RadixQueue<Event> q;
  q.push(Event{uint64_t{1} << 63, 5});
  q.push(Event{1, uint64_t{1} << 63});
  q.push(Event{1, 3});
  q.push(Event{(uint64_t{1} << 63) | 1, 0});
  const Value expected[] = {
      {1, 3}, {1, uint64_t{1} << 63}, {uint64_t{1} << 63, 5}, {(uint64_t{1} << 63) | 1, 0}};
  for (const Value& v : expected) {
    ASSERT_FALSE(q.empty());
    EXPECT_EQ(q.top().key, v.first);
    EXPECT_EQ(q.top().order, v.second);
    q.pop();
  }
  EXPECT_TRUE(q.empty());
}

// IndexedHeap: push, erase (the top, as a victim, or any slot), pop and update at random; the
// top must be the (key, insertion) minimum of the set.
TEST(IndexedHeap, MatchesAnOrderedSet) {
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    std::mt19937_64 rng(seed);
    IndexedHeap<double> heap;
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

}  // namespace
