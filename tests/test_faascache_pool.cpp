// test_faascache_pool.cpp: the SDK's emulations of CPython, checked against values CPython 3.11
// printed for the same operations (the scripts are in the comments):
// - keepwarm::faascache::PyHeap: heapq.heapify (both the plain order and the C module's
//   cache-friendly order above 2,500 entries), heappop, heappush and list.remove on elements
//   that compare by key only, so that the order of equal keys is the algorithm's;
// - keepwarm::PythonRandom: random.seed(n), getrandbits(32) and choice;
// and a PriorityPolicy written without kFaasCacheRule (as before SDK 1.1), whose own priority()
// runs inside the reference's pool in compat mode.
#include <gtest/gtest.h>

#include <keepwarm/faascache_pool.hpp>
#include <keepwarm/priority_policy.hpp>
#include <keepwarm/python_random.hpp>

#include <cstdint>
#include <vector>

#include "test_support.hpp"

namespace {

struct Elem {
  int key;
  uint32_t id;
  bool operator==(const Elem& o) const { return id == o.id; }  // list.remove: identity
};
struct ByKey {
  bool operator()(const Elem& a, const Elem& b) const { return a.key < b.key; }
};
using Heap = keepwarm::faascache::PyHeap<Elem, ByKey>;

// Polynomial hash of the ids in array order (Python: x = (x * 1000003 + e.i) % (2**61 - 1)).
uint64_t order_hash(const std::vector<Elem>& v) {
  constexpr uint64_t kMod = (uint64_t{1} << 61) - 1;
  const auto mulmod = [](uint64_t a, uint64_t b) {  // a < kMod; double and add, all < 2^62
    uint64_t r = 0;
    for (; b != 0; b >>= 1, a = (a << 1) % kMod)
      if ((b & 1) != 0) r = (r + a) % kMod;
    return r;
  };
  uint64_t x = 0;
  for (const Elem& e : v) x = (mulmod(x, 1000003) + e.id) % kMod;
  return x;
}

// CPython:
//   v = [E((i * 7919) % 13, i) for i in range(n)]       # E compares by k only
//   heapify(v) -> a; heapify(v) -> b; pop 50 -> sum((p+1) * id); push E(j % 3, 100000 + j)
//   for j < 20 -> c; v.remove(v[len(v) // 2]); heapify(v) -> d
struct Expected {
  uint32_t n;
  uint64_t a, b, pops, c, d;
};
constexpr Expected kCPython[] = {
    {10, 2135786108071314167u, 2135786108071314167u, 271, 229064429283201319u, 17116712048250780u},
    {2000, 772294603146661253u, 1272131440161560612u, 1466114, 215287713403801313u,
     2201354380913231781u},
    {2500, 1487238248618300068u, 682474114730572074u, 1569503, 246422634115943351u,
     90673982279258325u},
    {2501, 1639506323888835116u, 1971657883984877546u, 1569503, 1504663505320699695u,
     28098007327092762u},
    {3001, 2160556410339815004u, 237013579156143194u, 1569503, 2202403436466396981u,
     712781769635942099u},
    {7777, 327313820932393548u, 324160588757619431u, 5075902, 979681909446592788u,
     1233663738181085951u},
};

TEST(FaasCachePool, PyHeapOrdersEqualKeysExactlyAsCPythonHeapq) {
  for (const Expected& x : kCPython) {
    SCOPED_TRACE("n = " + std::to_string(x.n));
    Heap h;
    for (uint32_t i = 0; i < x.n; ++i)
      h.items().push_back(Elem{static_cast<int>((uint64_t{i} * 7919) % 13), i});
    h.heapify();
    EXPECT_EQ(order_hash(h.items()), x.a);
    h.heapify();  // a valid heap, yet equal keys move
    EXPECT_EQ(order_hash(h.items()), x.b);
    uint64_t pops = 0;
    for (uint32_t p = 0; p < std::min<uint32_t>(50, x.n); ++p) pops += (p + 1) * h.pop().id;
    EXPECT_EQ(pops, x.pops);
    for (uint32_t j = 0; j < 20; ++j) h.push(Elem{static_cast<int>(j % 3), 100000 + j});
    EXPECT_EQ(order_hash(h.items()), x.c);
    const Elem middle = h.items()[h.size() / 2];
    EXPECT_TRUE(h.remove(middle));
    h.heapify();
    EXPECT_EQ(order_hash(h.items()), x.d);
  }
}

TEST(FaasCachePool, PythonRandomDrawsWhatCPythonDraws) {
  // CPython: random.seed(s); [getrandbits(32) for _ in range(3)];
  //          [choice(list(range(n))) for n in (1, 2, 3, 7, 100, 1000)]
  struct Case {
    uint64_t seed;
    uint32_t bits[3];
    uint32_t choices[6];
  };
  const Case cases[] = {
      {1, {577090037u, 2444712010u, 3639700191u}, {0, 1, 0, 3, 97, 460}},
      {2, {4106135923u, 3707026329u, 4070888059u}, {0, 0, 0, 2, 21, 753}},
      {3, {1022050301u, 2545373330u, 2337446730u}, {0, 1, 2, 3, 80, 594}},
      {0, {3626764237u, 1654615998u, 3255389356u}, {0, 0, 1, 4, 62, 414}},
      {1099511627781u, {2166296868u, 2220160828u, 1153647273u}, {0, 0, 0, 0, 17, 244}},
  };
  const uint32_t sizes[] = {1, 2, 3, 7, 100, 1000};
  for (const Case& c : cases) {
    SCOPED_TRACE("seed " + std::to_string(c.seed));
    keepwarm::PythonRandom r(c.seed);
    for (const uint32_t b : c.bits) EXPECT_EQ(r.getrandbits(32), b);
    for (int i = 0; i < 6; ++i) EXPECT_EQ(r.choice_index(sizes[i]), c.choices[i]);
  }
}

// Policies of their own, with the formulas of lru and gd but no kFaasCacheRule: in compat mode
// PriorityPolicy evaluates their priority() where the reference computes its priorities, so
// they must make exactly the built-in lru's and gd's choices.
class OwnLru final : public keepwarm::PriorityPolicy<OwnLru> {
 public:
  static constexpr const char* kName = "own-lru";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "lru without kFaasCacheRule";
  using PriorityPolicy::PriorityPolicy;
  double priority(kw_function_id, double, double) const noexcept { return host().now(); }
};
class OwnGd final : public keepwarm::PriorityPolicy<OwnGd> {
 public:
  static constexpr const char* kName = "own-gd";
  static constexpr const char* kVersion = "0";
  static constexpr const char* kDescription = "gd without kFaasCacheRule";
  using PriorityPolicy::PriorityPolicy;
  double priority(kw_function_id fn, double clock, double frequency) const {
    const kw_function_info& f = host().function(fn);
    return clock + frequency * ((f.cold_ms - f.warm_ms) / f.memory_mb);
  }
};

TEST(FaasCachePool, OwnPriorityRunsInsideTheReferencesPool) {
  using namespace keepwarm;
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const Trace trace = load_trace(dir / "t");
  const PluginPtr own_lru = Plugin::from_descriptor(descriptor_for<OwnLru>(), "test");
  const PluginPtr own_gd = Plugin::from_descriptor(descriptor_for<OwnGd>(), "test");
  for (const uint64_t memory : {300u, 600u, 1500u}) {
    SCOPED_TRACE(std::to_string(memory) + " MB");
    const CellMetrics a = test::run(trace, own_lru, memory, Compat::faascache).metrics;
    const CellMetrics b = test::run(trace, test::builtin("lru"), memory, Compat::faascache).metrics;
    EXPECT_GT(a.evictions, 0u);
    EXPECT_EQ(a.cold, b.cold);
    EXPECT_EQ(a.dropped, b.dropped);
    EXPECT_EQ(a.evictions, b.evictions);
    const CellMetrics c = test::run(trace, own_gd, memory, Compat::faascache).metrics;
    const CellMetrics d = test::run(trace, test::builtin("gd"), memory, Compat::faascache).metrics;
    EXPECT_EQ(c.cold, d.cold);
    EXPECT_EQ(c.dropped, d.dropped);
    EXPECT_EQ(c.evictions, d.evictions);
  }
}

}  // namespace
