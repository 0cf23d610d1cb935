// oracle: an offline reference policy with lookahead (it sees every future arrival). A
// heuristic in the spirit of Belady's MIN, not an optimal policy.
//
// Evicting an idle container of f, which has r running and k idle containers, is assumed to
// cost a cold start at the first future arrival of f at which f's concurrency reaches r + k,
// where the concurrency at arrival i is the number of f's arrivals j <= i still running at a_i
// if every one ran warm (a_j + warm_ms > a_i). Score of f = (that time - now) x memory_mb
// (infinite when no such arrival remains): the victim is an idle container of the function
// with the highest score, i.e. the cost that comes furthest in the future, and, for equal
// distance, the one that frees the most memory. Ties: the larger memory, then the lower
// function index.
//
// Rollouts (parameter rollout_candidates > 0, the default): at a victim choice the oracle also
// replays, in its own model of the engine, the next rollout_horizon arrivals once for each of
// the rollout_candidates best-scored functions (evicting it first, then choosing victims by the
// score above), and evicts the one whose replay misses least (ties: the better score). The
// replay is of the default model (no overheads: the plugin cannot see them). A budget of
// rollout_budget replayed arrivals per cell bounds the cost; once it is spent the oracle
// chooses by the score alone. rollout_candidates = 0 is the plain heuristic (oracle 1.0.0).
//
// Cost: "first future arrival with concurrency >= K" is the next arrival itself for K <= 1,
// else (arrival lists sorted, checked once per function, O(A_f), A_f: the arrivals of f) a
// look at the next 16 arrivals from their times alone (arrival i reaches K iff
// a_{i-K+1} + warm_ms > a_i), else a walk in a 16-ary max tree over f's concurrencies,
// O(log A_f), built the first time f needs it, O(A_f) (a function never looked up beyond its
// next 16 arrivals, or at all, costs no tree; create() itself is O(functions)). Its answer i
// from arrival s is memoised and reused for every later s' <= i while the function's
// container count stays K. A victim choice refreshes the cached times of the functions whose
// state changed since the last one and scans the functions that have idle containers,
// O(F_idle); arrivals, starts and finishes O(1), each touching one 64-byte record of the
// function and one of the container's slot.
// Rollouts: the arrivals of every function are merged (k-way, lazily, as far as the replays
// read); a replay keeps the running containers in a radix heap (every finish is at or after
// now) and the functions with idle containers in a list scanned as above:
// O(horizon x (1 + F_idle x evictions per arrival)) per replayed candidate. Most of that work is
// shared, with the same decisions as replaying every candidate alone:
// - The candidates' replays run in step, each with a hash of its state (idle and running
//   containers, the running ones' finish times) kept in O(1) per change. Once a replay's state
//   equals an earlier candidate's after the same arrivals (same hash, then compared in full),
//   the two futures are the same: it stops, and its misses are the earlier one's plus the
//   difference so far. Candidates that differ by one container mostly meet within the first
//   tenth of the horizon.
// - The replays that ran to the horizon are kept (their start, their misses and hashes after
//   each step, and their end state). At the next victim choice the engine is usually in the
//   state that the evicted candidate's replay predicted (no overheads, the same tie order):
//   that replay is moved on to now and, if its state then equals the first candidate's
//   (compared in full, with the arrivals still to come), every kept replay is moved on as far,
//   and each candidate in the state of one follows it: its misses are the rest of that replay,
//   extended from its end state to the new horizon, and its own replay runs only as far as
//   comparisons with the others need. Only the others are replayed in step; one that meets a
//   kept replay no candidate follows (same hash, then in full) follows it from there.
// Each candidate that can make room is charged its whole replay against the budget (the
// arrivals in its horizon), as when replayed alone.
#include <keepwarm/policy.hpp>

#include <algorithm>
#include <array>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <functional>
#include <span>
#include <stdexcept>
#include <utility>
#include <vector>

namespace {

// The replay's running containers: a monotone priority queue (a radix heap) of (finish time,
// function) that hands out, in no particular order, every entry due by a time. Times are keyed
// by their bit patterns mapped to preserve order (key(a) <= key(b) iff a <= b, -0 as +0).
// Entries are pushed at or after the last time asked for (finish >= now), except that an entry
// at or before the last key taken out goes to bucket 0 and comes out at the next call, as it
// would from an ordinary heap.
class FinishQueue {
 public:
  static uint64_t key(double t) {
    t += 0.0;  // -0 -> +0
    uint64_t b = 0;
    std::memcpy(&b, &t, sizeof b);
    return (b >> 63) != 0 ? ~b : b | (uint64_t{1} << 63);
  }
  void reset(uint64_t last) {
    while (mask_ != 0) {
      const int i = std::countr_zero(mask_);
      mask_ &= mask_ - 1;
      buckets_[static_cast<size_t>(i) + 1].clear();
    }
    buckets_[0].clear();
    last_ = last;
  }
  void push(uint64_t k, uint32_t fn) {
    if (k <= last_) {
      buckets_[0].push_back(Entry{k, fn});
      return;
    }
    const int b = 64 - std::countl_zero(k ^ last_);  // 1..64
    const uint64_t bit = uint64_t{1} << (b - 1);
    std::vector<Entry>& v = buckets_[static_cast<size_t>(b)];
    v.push_back(Entry{k, fn});
    if ((mask_ & bit) == 0) {
      mask_ |= bit;
      min_[static_cast<size_t>(b)] = k;
    } else if (k < min_[static_cast<size_t>(b)]) {
      min_[static_cast<size_t>(b)] = k;
    }
  }
  // Takes out every entry with key <= t, calling done(key, fn) for each.
  template <class Done>
  void pop_until(uint64_t t, const Done& done) {
    for (;;) {
      if (!buckets_[0].empty()) {
        for (const Entry& e : buckets_[0]) done(e.key, e.fn);
        buckets_[0].clear();
      }
      if (mask_ == 0) return;
      const size_t b = static_cast<size_t>(std::countr_zero(mask_)) + 1;
      if (min_[b] > t) return;
      // The smallest key is in bucket b: it becomes the last key, and the rest of bucket b
      // moves to lower buckets.
      mask_ &= mask_ - 1;
      last_ = min_[b];
      std::vector<Entry>& v = buckets_[b];
      for (const Entry& e : v) push(e.key, e.fn);
      v.clear();
    }
  }
  // Appends every entry, as (key, function), in no particular order.
  void append_to(std::vector<std::pair<uint64_t, uint32_t>>& out) const {
    for (const std::vector<Entry>& v : buckets_)
      for (const Entry& e : v) out.emplace_back(e.key, e.fn);
  }

 private:
  struct Entry {
    uint64_t key;
    uint32_t fn;
  };
  std::array<std::vector<Entry>, 65> buckets_;  // b > 0: highest bit differing from last_ is b-1
  std::array<uint64_t, 65> min_{};
  uint64_t mask_ = 0;  // bit b-1: bucket b is not empty
  uint64_t last_ = 0;
};

class Oracle final : public keepwarm::Policy {
 public:
  static constexpr const char* kName = "oracle";
  static constexpr const char* kVersion = "1.1.1";
  static constexpr const char* kDescription =
      "offline lookahead heuristic: evict the container whose next needed cold start is furthest "
      "away, weighted by memory (not optimal)";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr uint64_t kFlags = KW_POLICY_NEEDS_LOOKAHEAD;
  static constexpr std::array<kw_param_decl, 3> kParams{{
      {"rollout_candidates", KW_PARAM_INT, "4",
       "victims tried by replaying the future at each eviction (0: score alone)"},
      {"rollout_horizon", KW_PARAM_INT, "2000", "arrivals replayed per try"},
      {"rollout_budget", KW_PARAM_INT, "4000000",
       "arrivals replayed per cell at most; then the score alone decides"},
  }};

  explicit Oracle(const kw_host* h)
      : Policy(h),
        candidates_(host().param_int("rollout_candidates")),
        horizon_(host().param_int("rollout_horizon")),
        budget_(host().param_int("rollout_budget")) {
    if (candidates_ < 0 || horizon_ < 0 || budget_ < 0)
      throw std::invalid_argument("rollout parameters must be >= 0");
    // The replays model keepwarm's own rules; the compat modes evict by other ones (a victim
    // may be asked for even when the arrival is then dropped), so there the score alone decides.
    if (host().compat_mode() != KW_COMPAT_NONE) candidates_ = 0;
    const uint32_t n = host().function_count();
    profiles_.resize(n);
    tree_store_.resize(n);
    fns_.resize(n);
    cache_.assign(n, Cached{});
    memory_.resize(n);
    mem_.resize(n);
    warm_.resize(n);
    cold_.resize(n);
    for (uint32_t f = 0; f < n; ++f) {
      const kw_function_info& info = host().function(f);
      memory_[f] = info.memory_mb;
      mem_[f] = info.memory_mb;
      warm_[f] = info.warm_ms;
      cold_[f] = info.cold_ms;
      fns_[f].warm = info.warm_ms;
      fns_[f].cold = info.cold_ms;
    }
    for (uint32_t f = 0; f < n; ++f) {
      profiles_[f].times = host().arrivals(f);
      profiles_[f].warm = warm_[f];
    }
    if (candidates_ > 0) build_rollout();
  }

  void on_arrival(kw_function_id fn) override {
    Fn& r = fns_[fn];
    ++r.seen;
    mark_dirty(fn, r);
  }

  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    Fn& r = fns_[fn];
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= slots_.size()) slots_.resize(slot + 1, Slot{});
    Slot& sl = slots_[slot];
    if (kind == KW_START_WARM) take_idle(sl, r);
    ++r.running;  // oracle requests no prewarm: every container starts running
    mark_dirty(fn, r);
    if (candidates_ > 0) {
      sl.finish = host().now() + (kind == KW_START_WARM ? r.warm : r.cold);
      sl.fn = fn;
    }
  }
  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    Fn& r = fns_[fn];
    --r.running;
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= slots_.size()) slots_.resize(slot + 1, Slot{});
    Slot& sl = slots_[slot];
    sl.finish = -1;
    sl.pos = static_cast<uint32_t>(r.idle.size());
    r.idle.push_back(c);
    if (r.idle.size() == 1) {
      r.where = static_cast<uint32_t>(active_.size());
      active_.push_back(fn);
      active_time_.push_back(0);  // refreshed before it is read
      active_mb_.push_back(memory_[fn]);
      mark_dirty(fn, r);
    }
  }
  void on_container_removed(kw_container_id c, kw_function_id fn, kw_removal_reason) override {
    Fn& r = fns_[fn];
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot < slots_.size()) take_idle(slots_[slot], r);
    mark_dirty(fn, r);
  }

  kw_container_id choose_victim(kw_function_id for_fn) override {
    const uint32_t best = best_by_score();
    if (best == kAbsent) return KW_NO_CONTAINER;
    const uint32_t chosen = candidates_ > 0 && spent_ < budget_ ? by_rollout(for_fn, best) : best;
    return fns_[chosen].idle.back();
  }

 private:
  // The answer of next_cold for a function's state (arrivals seen, containers alive), reused
  // while that state does not change.
  struct Cached {
    uint64_t lo = UINT64_MAX, hi = 0;  // valid for arrivals seen in [lo, hi] (none: lo > hi)
    uint32_t need = 0;
    double time = 0;
  };

  // The engine's state per function, in one cache line: arrivals so far, running containers,
  // index in active_ (kAbsent: no idle container), the idle containers, warm and cold times,
  // whether active_time_ must be refreshed.
  struct alignas(64) Fn {
    uint64_t seen = 0;
    uint32_t running = 0;
    uint32_t where = kAbsent;
    std::vector<kw_container_id> idle;
    double warm = 0, cold = 0;
    uint8_t dirty = 0;
  };
  // Per container slot: its expected finish while running (< 0 otherwise) and function, and
  // its index in its function's idle list while idle (kAbsent otherwise).
  struct Slot {
    double finish = -1;
    uint32_t fn = 0;
    uint32_t pos = kAbsent;
  };

  // The function whose idle container has the highest score (see the top of the file).
  uint32_t best_by_score() {
    for (const uint32_t f : dirty_) {
      Fn& r = fns_[f];
      r.dirty = 0;
      if (r.where != kAbsent)
        active_time_[r.where] =
            memo_next_cold(cache_[f], f, r.running + static_cast<uint32_t>(r.idle.size()), r.seen);
    }
    dirty_.clear();
    return argmax_score(active_.data(), active_time_.data(), active_mb_.data(), active_.size(),
                        host().now());
  }
  // f's state (arrivals seen, containers) changed: its next_cold time in active_time_ is
  // refreshed before the next victim choice.
  void mark_dirty(uint32_t f, Fn& r) {
    if (!r.dirty) {
      r.dirty = 1;
      dirty_.push_back(f);
    }
  }
  double score_of(uint32_t f, double now) {
    const Fn& r = fns_[f];
    const uint32_t need = r.running + static_cast<uint32_t>(r.idle.size());
    const double t = memo_next_cold(cache_[f], f, need, r.seen);
    return std::isinf(t) ? INFINITY : (t - now) * memory_[f];
  }

  // ---- rollouts --------------------------------------------------------------------------
  struct Arrival {
    double time;
    uint32_t fn;
    uint32_t rank;  // position among fn's arrivals
  };
  // A running container in the replay: its finish time and function. Every finish due by an
  // arrival is applied before it, and the order among those does not matter (each only moves
  // a container of its function from running to idle), so the heap orders by time alone.
  struct Finish {
    double time;
    uint32_t fn;
  };

  // Every arrival by time, then function, then rank: a k-way merge of the per-function arrival
  // lists (each sorted), the same order as a stable sort by (time, function) of the list of
  // every function's arrivals in turn. The merge runs lazily (merge_until): the rollouts stop
  // once the budget is spent, and need only the arrivals up to there.
  void build_rollout() {
    const uint32_t n = host().function_count();
    bool sorted = true;
    for (uint32_t f = 0; f < n && sorted; ++f) {
      const std::span<const double> ts = profiles_[f].times;
      for (size_t i = 1; i < ts.size() && sorted; ++i) sorted = !(ts[i] < ts[i - 1]);
    }
    if (!sorted) {  // the SDK promises sorted lists; stay correct if a host breaks that
      for (uint32_t f = 0; f < n; ++f) {
        const std::span<const double> ts = profiles_[f].times;
        for (uint32_t i = 0; i < ts.size(); ++i) merged_.push_back(Arrival{ts[i], f, i});
      }
      std::stable_sort(merged_.begin(), merged_.end(), [](const Arrival& a, const Arrival& b) {
        return a.time < b.time || (a.time == b.time && a.fn < b.fn);
      });
      return;
    }
    // Min-heap of each function's next arrival, by (time, function).
    for (uint32_t f = 0; f < n; ++f)
      if (!profiles_[f].times.empty()) heads_.push_back(Arrival{profiles_[f].times[0], f, 0});
    std::make_heap(heads_.begin(), heads_.end(), head_after);
  }
  static bool head_after(const Arrival& a, const Arrival& b) {
    return a.time > b.time || (a.time == b.time && a.fn > b.fn);
  }
  // Appends the next arrival of the merge to merged_; false when every arrival is there.
  bool merge_one() {
    if (heads_.empty()) return false;
    Arrival& top = heads_.front();
    merged_.push_back(top);
    const std::span<const double> ts = profiles_[top.fn].times;
    if (top.rank + 1 < ts.size()) {
      ++top.rank;
      top.time = ts[top.rank];
      sift_down(heads_);
    } else {
      std::pop_heap(heads_.begin(), heads_.end(), head_after);
      heads_.pop_back();
    }
    return true;
  }
  // Extends merged_ until it holds an arrival at or after t (or every arrival).
  void merge_until(double t) {
    while ((merged_.empty() || merged_.back().time < t) && merge_one()) {
    }
  }
  // Restores the heap order after the root grew.
  static void sift_down(std::vector<Arrival>& h) {
    const size_t n = h.size();
    size_t i = 0;
    const Arrival x = h[0];
    for (;;) {
      size_t c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && head_after(h[c], h[c + 1])) ++c;
      if (!head_after(x, h[c])) break;
      h[i] = h[c];
      i = c;
    }
    h[i] = x;
  }

  // One replay's state (reused across victim choices): per function idle and running counts,
  // the functions with idle containers (with their next_cold time and memory at the same
  // index, and the functions whose time must be refreshed before the next victim choice), the
  // running containers' finishes, the memory, the arrivals seen of each function, a hash of the
  // state and the misses so far.
  struct Sim {
    std::vector<uint32_t> idle, running, active, where, dirty;
    std::vector<uint64_t> seen;
    std::vector<double> at, am;
    std::vector<uint8_t> is_dirty;
    std::vector<Cached> cache;  // next_cold memo for this replay's states
    FinishQueue finish;
    uint64_t used = 0, idle_mb = 0;
    // Sum over idle containers and running ones of a hash of each: the state (counts, finish
    // multiset; the memory follows from them) updated in O(1) per change, to find replays
    // whose states coincide before comparing them in full.
    uint64_t hash = 0;
    uint64_t misses = 0;
  };

  // A replay kept from the last victim choice: its state at the start of the window (moved
  // on as the engine goes), the misses and the hash of its state after each step from base
  // on, and its state at the end of the window; start and end replay on from merged_ indices
  // start_next and end_next.
  struct Track {
    Sim start, end;
    size_t start_next = 0, end_next = 0;
    std::vector<uint64_t> misses, hashes;
    size_t base = 0;
  };

  static uint64_t mix(uint64_t z) {
    z ^= z >> 30;
    z *= 0xbf58476d1ce4e5b9ULL;
    z ^= z >> 27;
    z *= 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  static uint64_t idle_hash(uint32_t f) { return mix(f + 0x9e3779b97f4a7c15ULL); }
  static uint64_t finish_hash(uint64_t key, uint32_t f) {
    return mix(key ^ mix(f + 0x632be59bd9b4e019ULL));
  }

  double sim_next_cold(Sim& s, uint32_t f) const {
    return memo_next_cold(s.cache[f], f, s.idle[f] + s.running[f], s.seen[f]);
  }
  // f's state changed: its next_cold is refreshed before the next victim choice.
  static void sim_dirty(Sim& s, uint32_t f) {
    if (!s.is_dirty[f]) {
      s.is_dirty[f] = 1;
      s.dirty.push_back(f);
    }
  }

  // Evicts one idle container in the replay, chosen by the score (the same choice as
  // best_by_score would make in the replay's state): the highest score, then the larger
  // memory, then the lower function index. Scores are never NaN (memory > 0, times finite or
  // +infinity, and (+inf - now) x memory = +inf), so the maximum does not depend on the order
  // of s.active.
  uint32_t sim_victim(Sim& s, double now) const {
    for (const uint32_t f : s.dirty) {
      s.is_dirty[f] = 0;
      if (s.idle[f] > 0) s.at[s.where[f]] = sim_next_cold(s, f);
    }
    s.dirty.clear();
    return argmax_score(s.active.data(), s.at.data(), s.am.data(), s.active.size(), now);
  }
  // The function of highest score (t[w] - now) x m[w] among fs[0..k), then of larger memory,
  // then of lower index; kAbsent if k = 0. A score below the best so far (the common case) is
  // passed over at once.
  static uint32_t argmax_score(const uint32_t* fs, const double* t, const double* m, size_t k,
                               double now) {
    uint32_t best = kAbsent;
    double top = -INFINITY, best_mb = 0;
    for (size_t w = 0; w < k; ++w) {
      const double sc = (t[w] - now) * m[w];  // +infinity for t = +infinity (m > 0)
      if (sc < top) continue;
      const uint32_t f = fs[w];
      if (sc > top || m[w] > best_mb || (m[w] == best_mb && f < best)) {
        top = sc;
        best = f;
        best_mb = m[w];
      }
    }
    return best;
  }
  void sim_join_idle(Sim& s, uint32_t f) const {
    s.hash += idle_hash(f);
    s.idle_mb += mem_[f];
    if (s.idle[f]++ == 0) {
      const auto w = static_cast<uint32_t>(s.active.size());
      s.where[f] = w;
      s.active.push_back(f);
      s.at[w] = 0;  // refreshed before it is read
      s.am[w] = memory_[f];
      sim_dirty(s, f);
    }
  }
  void sim_take_idle(Sim& s, uint32_t f) const {
    s.hash -= idle_hash(f);
    s.idle_mb -= mem_[f];
    if (--s.idle[f] == 0) {
      const uint32_t w = s.where[f];
      const size_t last = s.active.size() - 1;
      s.active[w] = s.active[last];
      s.at[w] = s.at[last];
      s.am[w] = s.am[last];
      s.where[s.active[w]] = w;
      s.active.pop_back();
    }
  }
  void sim_evict(Sim& s, uint32_t f) const {
    sim_take_idle(s, f);
    sim_dirty(s, f);
    s.used -= mem_[f];
  }
  static void sim_start(Sim& s, double finish, uint32_t f) {
    const uint64_t key = FinishQueue::key(finish);
    s.finish.push(key, f);
    s.hash += finish_hash(key, f);
    ++s.running[f];
  }

  // Sets s to the state at the victim choice with `first` evicted, then further victims by
  // the score until for_fn fits, and for_fn's container started; false if no victim is left
  // before it fits (then `first` is never chosen).
  bool sim_begin(Sim& s, uint32_t for_fn, uint32_t first, double now, uint64_t cap) const {
    s.idle = base_idle_;
    s.running = base_running_;
    s.seen = base_seen_;
    for (const uint32_t f : s.dirty) s.is_dirty[f] = 0;
    s.dirty.clear();
    s.active = active_;
    for (uint32_t w = 0; w < s.active.size(); ++w) {
      const uint32_t f = s.active[w];
      s.where[f] = w;
      s.at[w] = sim_next_cold(s, f);
      s.am[w] = memory_[f];
    }
    s.finish.reset(base_last_);
    for (const Finish& r : base_finish_) s.finish.push(FinishQueue::key(r.time), r.fn);
    s.used = base_used_;
    s.idle_mb = base_idle_mb_;
    s.hash = base_hash_;
    s.misses = 0;
    const uint64_t need = mem_[for_fn];
    sim_evict(s, first);
    while (cap - s.used < need) {
      const uint32_t v = sim_victim(s, now);
      if (v == kAbsent) return false;
      sim_evict(s, v);
    }
    s.used += need;
    sim_dirty(s, for_fn);
    sim_start(s, now + cold_[for_fn], for_fn);
    return true;
  }

  // Serves arrival a in s (s.seen already counts it): finishes due by then first, then a
  // warm start, or a cold one (a miss) after evictions by the score, or a drop (a miss too).
  void sim_arrival(Sim& s, const Arrival& a, uint64_t cap) const {
    s.finish.pop_until(FinishQueue::key(a.time), [&](uint64_t key, uint32_t f) {
      s.hash -= finish_hash(key, f);
      --s.running[f];
      sim_join_idle(s, f);
    });
    const uint32_t fn = a.fn;
    sim_dirty(s, fn);
    if (s.idle[fn] > 0) {
      sim_take_idle(s, fn);
      sim_start(s, a.time + warm_[fn], fn);
      return;
    }
    ++s.misses;
    const uint64_t m = mem_[fn];
    if (cap - s.used < m) {
      if (cap - s.used + s.idle_mb < m) return;  // dropped
      while (cap - s.used < m) {
        const uint32_t v = sim_victim(s, a.time);
        if (v == kAbsent) return;  // dropped
        sim_evict(s, v);
      }
    }
    s.used += m;
    sim_start(s, a.time + cold_[fn], fn);
  }

  // Whether a and b are in the same state: then their futures are the same (the order of the
  // idle list and of the finish queue's buckets, and the memos, do not affect any choice).
  bool same_state(const Sim& a, const Sim& b) {
    if (a.hash != b.hash || a.used != b.used || a.idle_mb != b.idle_mb || a.idle != b.idle ||
        a.running != b.running || a.seen != b.seen)
      return false;
    cmp_a_.clear();
    cmp_b_.clear();
    a.finish.append_to(cmp_a_);
    b.finish.append_to(cmp_b_);
    std::sort(cmp_a_.begin(), cmp_a_.end());
    std::sort(cmp_b_.begin(), cmp_b_.end());
    return cmp_a_ == cmp_b_;
  }

  uint32_t by_rollout(uint32_t for_fn, uint32_t best) {
    // Candidates: the best-scored functions, best first.
    const double now = host().now();
    scored_.clear();
    for (const uint32_t f : active_) scored_.emplace_back(score_of(f, now), f);
    if (scored_.size() < 2) return best;
    // Only the first k are replayed: the order is total (distinct functions), so they are
    // the same as in a full sort.
    const size_t k = std::min<size_t>(scored_.size(), static_cast<size_t>(candidates_));
    std::partial_sort(scored_.begin(), scored_.begin() + static_cast<ptrdiff_t>(k), scored_.end(),
                      [&](const auto& a, const auto& b) {
                        return a.first > b.first ||
                               (a.first == b.first &&
                                (memory_[a.second] > memory_[b.second] ||
                                 (memory_[a.second] == memory_[b.second] && a.second < b.second)));
                      });
    if (std::isinf(scored_[0].first)) return best;  // never needed again: nothing is lost
    const uint32_t n = host().function_count();
    base_idle_.resize(n);
    base_seen_.resize(n);
    base_running_.assign(n, 0);
    base_used_ = host().used_mb();
    base_idle_mb_ = 0;
    base_hash_ = 0;
    for (uint32_t f = 0; f < n; ++f) {
      base_idle_[f] = static_cast<uint32_t>(fns_[f].idle.size());
      base_seen_[f] = fns_[f].seen;
      base_idle_mb_ += static_cast<uint64_t>(base_idle_[f]) * mem_[f];
      base_hash_ += base_idle_[f] * idle_hash(f);
    }
    base_finish_.clear();
    for (const Slot& r : slots_)
      if (r.finish >= 0) {
        base_finish_.push_back(Finish{r.finish, r.fn});
        ++base_running_[r.fn];
        base_hash_ += finish_hash(FinishQueue::key(r.finish), r.fn);
      }
    base_last_ = FinishQueue::key(now);
    for (const Finish& r : base_finish_)
      base_last_ = std::min(base_last_, FinishQueue::key(r.time));
    merge_until(now);
    const size_t from = static_cast<size_t>(
        std::lower_bound(merged_.begin(), merged_.end(), now,
                         [](const Arrival& a, double t) { return a.time < t; }) -
        merged_.begin());
    const uint64_t cap = host().capacity_mb();
    if (sims_.size() < k) {
      sims_.resize(k);
      rec_m_.resize(k);
      rec_h_.resize(k);
    }
    // Every candidate's replay runs in step with the others. Once two replays reach the same
    // state after the same arrivals, the later one is dropped: its misses will be the earlier
    // one's from there on, plus the difference so far (same_of_, ahead_).
    live_.clear();
    same_of_.assign(k, kAbsent);
    ahead_.assign(k, 0);
    misses_.assign(k, 0);
    lazy_of_.clear();  // no candidate follows a kept replay while they start
    for (uint32_t i = 0; i < k; ++i) {
      Sim& s = sims_[i];
      if (s.cache.size() != n) size_sim(s, n);
      if (sim_begin(s, for_fn, scored_[i].second, now, cap)) {
        same_of_[i] = i;
        if (!merge_same(i)) live_.push_back(i);
      }
    }
    if (live_.empty()) {
      chosen_track_ = kAbsent;
      return best;  // no victim can make room
    }
    // The replays of the last victim choice that ran to its horizon are kept (tracks_). The
    // engine usually followed the one of the candidate it evicted (chosen_track_): moved on
    // by the arrivals up to now, its state is usually the first candidate's (r). Then every
    // kept replay is moved on as far, and each candidate in a kept replay's state follows it:
    // its misses are the rest of that replay, extended to the new horizon, and its own replay
    // runs only as far as comparisons with the others need (lazily).
    const uint32_t r = live_[0];
    lazy_of_.assign(k, kAbsent);
    track_of_.assign(k, kAbsent);
    open_.clear();
    open_at_.assign(tracks_.size(), 0);
    lazy_at_.assign(k, 0);
    lazy_next_.assign(k, from);
    cap_ = cap;
    int64_t length = -1;  // of the window, if r follows a kept replay
    if (chosen_track_ != kAbsent) {
      const int64_t shift = follow_track(tracks_[chosen_track_], sims_[r], from, now, cap);
      if (shift >= 0) {
        lazy_of_[r] = chosen_track_;
        used_track_.assign(tracks_.size(), 0);
        used_track_[chosen_track_] = 1;
        for (uint32_t q = 0; q < tracks_.size(); ++q) {
          if (q == chosen_track_) continue;
          Track& t = tracks_[q];
          bool ok = true;
          for (int64_t j = 0; j < shift && ok; ++j) ok = sim_step(t.start, t.start_next, cap);
          if (!ok) continue;
          shift_track(t, static_cast<size_t>(shift));
          for (size_t j = 1; j < live_.size(); ++j) {
            const uint32_t c = live_[j];
            if (lazy_of_[c] == kAbsent && same_state(t.start, sims_[c]) &&
                same_arrivals(from, t.start_next, sims_[c])) {
              lazy_of_[c] = q;
              used_track_[q] = 1;
              break;
            }
          }
          // A kept replay no candidate starts in may still be met later (open_).
          if (!used_track_[q]) open_.push_back(q);
        }
        for (uint32_t q = 0; q < tracks_.size(); ++q) {
          if (!used_track_[q]) continue;
          const int64_t len = extend_track(tracks_[q], cap);
          if (q == chosen_track_) length = len;
        }
      }
    }
    // The others are replayed in step, their misses and hashes after each step recorded.
    size_t stepped = 0;
    for (const uint32_t c : live_)
      if (lazy_of_[c] == kAbsent) {
        ++stepped;
        rec_m_[c].assign(1, 0);
        rec_h_[c].assign(1, sims_[c].hash);
      }
    step_ = 0;
    size_t i = from;
    while (step_ < horizon_ && stepped > 0) {
      if (i == merged_.size() && !merge_one()) break;
      const Arrival& a = merged_[i++];
      // Already served (the engine's tie order differs)? (The seen counts of the replays at
      // this step are the same.)
      if (a.rank < seen_now(a.fn)) continue;
      ++step_;
      for (const uint32_t c : live_) {
        if (lazy_of_[c] != kAbsent) continue;
        Sim& s = sims_[c];
        ++s.seen[a.fn];
        sim_arrival(s, a, cap);
        rec_m_[c].push_back(s.misses);
        rec_h_[c].push_back(s.hash);
      }
      if (live_.size() > 1) {
        size_t kept = 1;
        for (size_t j = 1; j < live_.size(); ++j) {
          live_[kept] = live_[j];
          if (lazy_of_[live_[j]] == kAbsent &&
              (merge_same(live_[j], kept) || meet_open(live_[j], i, cap)))
            --stepped;
          else
            ++kept;
        }
        live_.resize(kept);
      }
    }
    const int64_t done = length >= 0 ? length : step_;
    // Every candidate that could make room is charged the whole replay, as if replayed alone.
    uint32_t chosen = best;
    uint64_t fewest = UINT64_MAX;
    uint32_t chosen_i = kAbsent;
    for (uint32_t c = 0; c < k; ++c) {
      if (same_of_[c] == kAbsent) continue;  // this victim cannot make room: never chosen
      spent_ += done;
      const uint32_t o = same_of_[c];
      if (track_of_[c] != kAbsent) {
        misses_[c] = tracks_[track_of_[c]].misses.back() + ahead_[c];
      } else if (o != c) {
        misses_[c] = misses_[o] + ahead_[c];  // the replay followed (o < c) is final by now
      } else if (lazy_of_[c] != kAbsent) {
        const Track& t = tracks_[lazy_of_[c]];
        misses_[c] = t.misses.back() - t.misses[t.base];
      } else {
        misses_[c] = sims_[c].misses;
      }
      if (misses_[c] < fewest) {
        fewest = misses_[c];
        chosen = scored_[c].second;
        chosen_i = c;
      }
    }
    keep_tracks(for_fn, now, cap, from, i, chosen_i);
    return chosen;
  }

  // The replays kept for the next victim choice: every one that ran to the horizon (the
  // candidates not dropped for an earlier one), from its start.
  void keep_tracks(uint32_t for_fn, double now, uint64_t cap, size_t from, size_t end,
                   uint32_t chosen_i) {
    const uint32_t n = host().function_count();
    next_tracks_.clear();
    chosen_track_ = kAbsent;
    for (const uint32_t c : live_) {
      if (lazy_of_[c] != kAbsent) continue;
      // A fresh track: the candidate's start again, its end and records.
      Track t;
      if (!spare_tracks_.empty()) {
        t = std::move(spare_tracks_.back());
        spare_tracks_.pop_back();
      }
      if (t.start.cache.size() != n) size_sim(t.start, n);
      sim_begin(t.start, for_fn, scored_[c].second, now, cap);
      t.start_next = from;
      std::swap(t.end, sims_[c]);
      t.end_next = end;
      t.misses.swap(rec_m_[c]);
      t.hashes.swap(rec_h_[c]);
      t.base = 0;
      if (c == chosen_i) chosen_track_ = static_cast<uint32_t>(next_tracks_.size());
      next_tracks_.push_back(std::move(t));
    }
    for (uint32_t q = 0; q < tracks_.size(); ++q) {
      uint32_t c = kAbsent;
      for (const uint32_t l : live_)
        if (lazy_of_[l] == q) c = l;
      if (c == kAbsent) {
        spare_tracks_.push_back(std::move(tracks_[q]));
        continue;
      }
      if (c == chosen_i) chosen_track_ = static_cast<uint32_t>(next_tracks_.size());
      next_tracks_.push_back(std::move(tracks_[q]));
    }
    tracks_.swap(next_tracks_);
    next_tracks_.clear();
  }
  // Extends kept replay t from its end state to the horizon; its length then.
  int64_t extend_track(Track& t, uint64_t cap) {
    int64_t len = static_cast<int64_t>(t.misses.size() - 1 - t.base);
    while (len < horizon_ && sim_step(t.end, t.end_next, cap)) {
      ++len;
      t.misses.push_back(t.end.misses);
      t.hashes.push_back(t.end.hash);
    }
    return len;
  }
  // If candidate c's replay, at merged_[next] now, is in the state of a kept replay that no
  // candidate follows (moved on as far), follows that one from now on and returns true.
  bool meet_open(uint32_t c, size_t next, uint64_t cap) {
    const Sim& s = sims_[c];
    const auto step = static_cast<size_t>(step_);
    for (const uint32_t q : open_) {
      Track& t = tracks_[q];
      if (t.base + step >= t.hashes.size()) extend_track(t, cap);
      if (t.base + step >= t.hashes.size() || t.hashes[t.base + step] != s.hash) continue;
      for (; open_at_[q] < step_; ++open_at_[q]) sim_step(t.start, t.start_next, cap);
      if (same_state(t.start, s) && same_arrivals(next, t.start_next, s)) {
        extend_track(t, cap);
        track_of_[c] = q;
        ahead_[c] = s.misses - t.misses[t.base + step];  // mod 2^64, as in merge_same
        return true;
      }
    }
    return false;
  }
  // The arrivals of f seen at the current step by the replays stepped (all the same).
  uint64_t seen_now(uint32_t f) const {
    for (const uint32_t c : live_)
      if (lazy_of_[c] == kAbsent) return sims_[c].seen[f];
    return 0;
  }
  static void shift_track(Track& t, size_t shift) {
    t.base += shift;
    if (t.base > 4096) {  // drop what no longer counts
      const auto drop = static_cast<ptrdiff_t>(t.base);
      t.misses.erase(t.misses.begin(), t.misses.begin() + drop);
      t.hashes.erase(t.hashes.begin(), t.hashes.begin() + drop);
      t.base = 0;
    }
  }

  void size_sim(Sim& s, uint32_t n) const {
    s.cache.assign(n, Cached{});
    s.where.resize(n);
    s.is_dirty.assign(n, 0);
    s.at.resize(n);
    s.am.resize(n);
  }
  // Replays the next arrival that s has not seen, from merged_[next] on; false if none is left.
  bool sim_step(Sim& s, size_t& next, uint64_t cap) {
    for (;;) {
      if (next == merged_.size() && !merge_one()) return false;
      const Arrival& a = merged_[next++];
      if (a.rank < s.seen[a.fn]) continue;
      ++s.seen[a.fn];
      sim_arrival(s, a, cap);
      return true;
    }
  }
  // The number of steps after which kept replay t passes through state s with the arrivals up
  // to now, and with the same arrivals to come as s (from merged_[from] on), moving t there;
  // -1 if it does not.
  int64_t follow_track(Track& t, const Sim& s, size_t from, double now, uint64_t cap) {
    const size_t known = t.misses.size() - 1 - t.base;
    for (size_t j = 0;; ++j) {
      if (same_state(t.start, s) && same_arrivals(from, t.start_next, s)) {
        shift_track(t, j);
        return static_cast<int64_t>(j);
      }
      if (j == known) return -1;
      // The track moves on by the arrivals up to now.
      size_t next = t.start_next;
      for (;; ++next) {
        if (next == merged_.size() && !merge_one()) return -1;
        if (merged_[next].rank >= t.start.seen[merged_[next].fn]) break;
      }
      if (merged_[next].time > now) return -1;
      sim_step(t.start, t.start_next, cap);
    }
  }
  // Whether a replay in state s continues alike from merged_[a] and from merged_[b]: every
  // arrival between them has been seen.
  bool same_arrivals(size_t a, size_t b, const Sim& s) const {
    for (size_t i = std::min(a, b); i < std::max(a, b); ++i)
      if (merged_[i].rank >= s.seen[merged_[i].fn]) return false;
    return true;
  }
  // If candidate i's replay is in the same state as one of the first `upto` live ones, follows
  // that one from now on and returns true.
  bool merge_same(uint32_t i, size_t upto = SIZE_MAX) {
    const Sim& s = sims_[i];
    for (size_t j = 0; j < std::min(upto, live_.size()); ++j) {
      const uint32_t o = live_[j];
      if (lazy_of_.size() > o && lazy_of_[o] != kAbsent) {
        // o's replay is a kept one's: replay it up to here only if the hashes agree.
        const Track& t = tracks_[lazy_of_[o]];
        if (t.hashes[t.base + static_cast<size_t>(step_)] != s.hash) continue;
        for (; lazy_at_[o] < step_; ++lazy_at_[o]) sim_step(sims_[o], lazy_next_[o], cap_);
      }
      if (same_state(sims_[o], s)) {
        same_of_[i] = o;
        ahead_[i] = s.misses - sims_[o].misses;  // mod 2^64: misses_[o] + ahead_[i] is exact
        return true;
      }
    }
    return false;
  }

  static constexpr uint32_t kAbsent = UINT32_MAX;

  // A function's arrivals and, over their concurrencies, a 16-ary max tree: level 0 holds the
  // concurrency of each arrival, level l + 1 the maximum of each block of 16 entries of level l
  // (every level padded with zeros to whole blocks of 16, each block one aligned cache line),
  // up to a level of one block. The levels follow each other in one array (tree_store_).
  static constexpr size_t kFan = 16;
  struct Profile {
    std::span<const double> times;
    const uint32_t* tree = nullptr;  // level 0 (nullptr until built)
    uint32_t top = 0;                // the highest concurrency (once the tree is built)
    int8_t sorted = -1;              // whether times is sorted (-1: not checked yet)
    double warm = 0;
  };
  // The size of the level above one of `below` entries (0: of level 0 over `below` arrivals).
  static size_t level_above(size_t below) {
    return std::max(kFan, (below / kFan + kFan - 1) / kFan * kFan);
  }

  void check_sorted(uint32_t f) const {
    Profile& p = profiles_[f];
    const std::span<const double> ts = p.times;
    bool sorted = true;
    for (size_t i = 1; i < ts.size(); ++i) sorted &= !(ts[i] < ts[i - 1]);
    p.sorted = sorted ? 1 : 0;
  }

  // Builds f's tree; next_cold does so when it first needs it (many functions never have two
  // containers at a victim choice, and with no victim choice no tree is built at all).
  void build(uint32_t f) const {
    Profile& p = profiles_[f];
    const size_t m = p.times.size();
    size_t total = 0;
    for (size_t sz = std::max(kFan, (m + kFan - 1) / kFan * kFan);; sz = level_above(sz)) {
      total += sz;
      if (sz == kFan) break;
    }
    std::vector<uint32_t>& store = tree_store_[f];
    store.assign(total + kFan, 0);
    const auto addr = reinterpret_cast<uintptr_t>(store.data());
    uint32_t* leaf = store.data() + ((64 - addr % 64) % 64) / sizeof(uint32_t);
    const double warm = warm_[f];
    size_t first_running = 0;
    uint32_t top = 0;
    for (size_t i = 0; i < m; ++i) {
      while (first_running < i && p.times[first_running] + warm <= p.times[i]) ++first_running;
      const auto c = static_cast<uint32_t>(i - first_running + 1);
      leaf[i] = c;
      top = std::max(top, c);
    }
    uint32_t* below = leaf;
    for (size_t sz = std::max(kFan, (m + kFan - 1) / kFan * kFan); sz > kFan;) {
      uint32_t* up = below + sz;
      for (size_t b = 0; b < sz / kFan; ++b) {
        uint32_t mx = 0;
        for (size_t k = 0; k < kFan; ++k) mx = std::max(mx, below[b * kFan + k]);
        up[b] = mx;
      }
      below = up;
      sz = level_above(sz);
    }
    p.tree = leaf;
    p.top = top;
  }

  // Index of the first arrival of f from its seen-th on whose concurrency is >= need; the
  // number of f's arrivals if none.
  size_t next_cold(uint32_t f, uint32_t need, uint64_t seen) const {
    const Profile& p = profiles_[f];
    const size_t none = p.times.size();
    const size_t from = seen;
    if (from >= p.times.size()) return none;
    if (need <= 1) return from;  // every arrival's concurrency is >= 1 (it counts itself)
    if (p.tree != nullptr && p.top < need) return none;
    size_t i = from;
    if (p.sorted < 0) check_sorted(f);
    if (p.sorted > 0) {
      // The answer is often among the next few arrivals: look at them first, from the times
      // alone. With sorted times, arrival j < i runs at a_i iff a_j + warm > a_i, and that
      // holds for every j from the first such one on: the concurrency at i (as build counts it)
      // is >= need iff need <= i + 1 and a_{i-need+1} + warm > a_i.
      const std::span<const double> ts = p.times;
      const size_t near = std::min(none, from + kFan);
      for (i = std::max<size_t>(from, need - 1); i < near; ++i)
        if (!(ts[i - need + 1] + p.warm <= ts[i])) return i;
      if (near == none) return none;
      i = near;
    }
    return tree_next_cold(f, need, i);
  }
  // next_cold from arrival i on (i < the number of f's arrivals) through f's tree: up from i,
  // the rest of its block at each level, then the block after it one level up, until an entry
  // >= need; then down to the first such leaf below it. Out of line: the common cases above
  // stay small.
  [[gnu::noinline]] size_t tree_next_cold(uint32_t f, uint32_t need, size_t i) const {
    const Profile& p = profiles_[f];
    const size_t none = p.times.size();
    if (p.tree == nullptr) build(f);
    if (p.top < need) return none;
    std::array<size_t, 17> offset;  // of each level visited, from level 0
    offset[0] = 0;
    uint32_t l = 0;
    size_t sz = std::max(kFan, (none + kFan - 1) / kFan * kFan);
    for (;;) {
      const uint32_t* v = p.tree + offset[l];
      const size_t end = (i | (kFan - 1)) + 1;
      for (; i < end; ++i)
        if (v[i] >= need) break;
      if (i < end) break;
      if (sz == kFan) return none;  // the top level
      i = end / kFan;
      offset[l + 1] = offset[l] + sz;
      ++l;
      sz = level_above(sz);
      if (i >= sz) return none;
    }
    while (l > 0) {
      --l;
      const uint32_t* v = p.tree + offset[l];
      i *= kFan;
      while (v[i] < need) ++i;
    }
    return i < none ? i : none;
  }
  // Time of that arrival (INFINITY if none), through a memo: the answer i found from seen
  // stays the answer for every seen' in [seen, i] (no arrival in between reaches need), and
  // "none" for every seen' >= seen.
  double memo_next_cold(Cached& c, uint32_t f, uint32_t need, uint64_t seen) const {
    if (c.need == need && c.lo <= seen && seen <= c.hi) return c.time;
    const size_t i = next_cold(f, need, seen);
    const std::span<const double> ts = profiles_[f].times;
    if (i >= ts.size())
      c = Cached{seen, UINT64_MAX, need, INFINITY};
    else
      c = Cached{seen, i, need, ts[i]};
    return c.time;
  }

  void take_idle(Slot& sl, Fn& r) {
    if (sl.pos == kAbsent) return;
    std::vector<kw_container_id>& list = r.idle;
    const uint32_t p = sl.pos;
    list[p] = list.back();
    slots_[KW_CONTAINER_SLOT(list[p])].pos = p;
    list.pop_back();
    sl.pos = kAbsent;
    if (list.empty()) {
      const uint32_t w = r.where;
      active_[w] = active_.back();
      active_time_[w] = active_time_.back();
      active_mb_[w] = active_mb_.back();
      fns_[active_[w]].where = w;
      active_.pop_back();
      active_time_.pop_back();
      active_mb_.pop_back();
      r.where = kAbsent;
    }
  }

  mutable std::vector<Profile> profiles_;  // trees built lazily, by const lookups
  mutable std::vector<std::vector<uint32_t>> tree_store_;
  std::vector<Fn> fns_;
  std::vector<Slot> slots_;
  std::vector<Cached> cache_;
  std::vector<double> memory_;
  std::vector<uint32_t> active_;  // functions with idle containers
  // At the same index as active_: the function's next_cold time (as of its last refresh) and
  // memory; the functions whose time must be refreshed.
  std::vector<double> active_time_, active_mb_;
  std::vector<uint32_t> dirty_;
  // Rollouts.
  int64_t candidates_, horizon_, budget_;
  int64_t spent_ = 0;            // arrivals replayed so far
  std::vector<Arrival> merged_;  // the arrivals merged so far, by time then function
  std::vector<Arrival> heads_;   // the merge's heap: each function's next arrival
  std::vector<uint64_t> mem_;    // memory_mb, warm_ms and cold_ms of each function
  std::vector<double> warm_, cold_;
  std::vector<std::pair<double, uint32_t>> scored_;  // by_rollout's candidates
  // The replays' state at the victim choice, the arrivals they have seen, and each replay.
  std::vector<uint32_t> base_idle_, base_running_;
  std::vector<uint64_t> base_seen_;
  std::vector<Finish> base_finish_;
  uint64_t base_used_ = 0, base_idle_mb_ = 0, base_hash_ = 0;
  uint64_t base_last_ = 0;  // the finish queue's starting key: now, or an earlier finish
  std::vector<Sim> sims_;   // by candidate
  // The candidates still replayed; for each candidate, the one whose replay it follows (itself
  // if replayed to the end, kAbsent if it cannot make room), its misses minus that one's at the
  // point they met, and its misses in all.
  std::vector<uint32_t> live_, same_of_;
  std::vector<uint64_t> ahead_, misses_;
  std::vector<std::pair<uint64_t, uint32_t>> cmp_a_, cmp_b_;  // same_state's buffers
  std::vector<Track> tracks_, next_tracks_, spare_tracks_;
  uint32_t chosen_track_ = kAbsent;  // the kept replay of the candidate evicted, if any
  std::vector<uint8_t> used_track_;
  // Per candidate: the kept replay it follows (kAbsent: replayed in step), and how far its own
  // replay has been caught up (step, merged_ index); its misses and hashes after each step.
  std::vector<uint32_t> lazy_of_;
  // The candidates that met a kept replay no candidate started in, and those replays (moved on
  // to the step open_at_ as far as comparisons needed).
  std::vector<uint32_t> track_of_, open_;
  std::vector<int64_t> open_at_;
  std::vector<int64_t> lazy_at_;
  std::vector<size_t> lazy_next_;
  std::vector<std::vector<uint64_t>> rec_m_, rec_h_;
  int64_t step_ = 0;  // of the replays in step
  uint64_t cap_ = 0;
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Oracle)
