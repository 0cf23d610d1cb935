// search.cpp: the exact optimum over victim choices, by iterative deepening over the engine's
// eviction decisions (docs/bounds.md, "The exact search").
//
// The search replays the default model (docs/model.md) itself: arrivals in trace order,
// finishes at or before an arrival first, a warm start whenever the function has an idle
// container, a drop when free + idle memory is short, otherwise a cold start that, when free
// memory is short, evicts idle containers chosen one at a time until enough is free. That last
// choice is the only freedom a policy has that does not expire or prewarm containers, so the
// search branches there, over every multiset of idle containers the engine could be handed (a
// multiset V is possible iff free + sum(V) >= need > free + sum(V) - max(V): evicting the
// largest last, every earlier prefix was still short). Idle containers of one function are
// interchangeable (same memory, no other state), so a multiset is a count per function.
//
// Pruning: misses so far + a lower bound on the misses still to come, per function. It replays
// the function alone with unlimited memory from its current containers (idle ones, and running
// ones until their finish times), never removing one, with every later run as short as the
// function's shortest (d = min(warm, cold)). That replay misses at arrival k exactly when
// C + m < busy_k + 1, where C is the containers the function has now, m the replay's misses
// before k and busy_k the running containers whose finish is after a_k plus the later arrivals j
// < k with a_j + d > a_k. Any schedule that serves k warm has a container idle at a_k besides one
// per invocation still running, and it has at most C + (its cold starts before k) containers;
// its served invocations run at least d and its dropped ones are misses. So its misses before
// k are at least busy_k + 1 - C, and by induction it misses at least as often as the replay
// up to every k (docs/bounds.md). Between evictions a function's value is counted down with
// its misses (still a bound on what is left) and recomputed after an eviction or a drop; with
// fewer containers a function cannot miss less, so the larger of the two is kept.
//
// Levels T = floor, floor + 1, ...: a level explores every branch whose bound is <= T. A level
// that ends without a schedule of <= T misses proves the optimum is > T; the first level that
// finds one has found the optimum. A first dive (a heuristic: Belady's rule on a replay of the
// engine's durations) gives a schedule, hence an upper end for the levels.
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <limits>
#include <map>
#include <vector>

#include "keepwarm/bound/bound.hpp"
#include "keepwarm/util/hash.hpp"

namespace keepwarm::bound {

namespace {

struct Finish {
  double time;
  uint32_t fn;
  bool operator>(const Finish& o) const noexcept { return time > o.time; }
};

struct State {
  size_t next = 0;  // the next arrival to replay
  uint64_t misses = 0;
  uint64_t used = 0;     // MB held by containers (running and idle)
  uint64_t idle_mb = 0;  // MB held by idle containers
  std::vector<uint32_t> idle;
  std::vector<uint32_t> seen;   // arrivals of each function replayed
  std::vector<Finish> running;  // a min-heap on time
  // The lower bound's parts: per function, the misses its replay (the top of the file)
  // predicted when last computed, minus those it has had since; dirty when it must be
  // recomputed (after an eviction or a drop of the function).
  std::vector<uint64_t> predicted;
  std::vector<uint8_t> dirty;
  uint64_t predicted_sum = 0;
};

class Search {
 public:
  Search(const Trace& trace, uint64_t memory_mb, const SearchOptions& options)
      : trace_(trace), memory_(memory_mb), options_(options) {
    const size_t n = trace.functions.size();
    arrivals_.resize(n);
    for (size_t i = 0; i < trace.invocation_count(); ++i)
      arrivals_[trace.function_of[i]].push_back(trace.times[i]);
    cold_.resize(n);
    warm_.resize(n);
    mb_.resize(n);
    for (size_t f = 0; f < n; ++f) {
      const Function& fn = trace.functions[f];
      cold_[f] = fn.cold_ms * (1.0 + options.overhead_frac) + options.overhead_ms;
      warm_[f] = fn.warm_ms;
      mb_[f] = fn.memory_mb;
      shortest_.push_back(std::min(warm_[f], cold_[f]));
    }
  }

  SearchResult run() {
    SearchResult result;
    result.ran = true;
    started_ = std::chrono::steady_clock::now();
    State root;
    const size_t n = trace_.functions.size();
    root.idle.assign(n, 0);
    root.seen.assign(n, 0);
    root.predicted.assign(n, 0);
    root.dirty.assign(n, 1);
    refresh(root);
    const uint64_t root_bound = root.predicted_sum;
    result.floor = std::max(root_bound, options_.known_floor);
    best_ = dive(root);
    if (best_ == kNone) {
      result.ran = false;
      result.note = timed_out_ ? "the first schedule took longer than the time limit"
                               : "the first schedule took more than the work budget";
      result.nodes = nodes_;
      result.wall_s = elapsed();
      return result;
    }
    result.best = best_;
    if (decisions_ > kMaxDepth) {
      result.note = "too many eviction decisions for the exact search";
      result.nodes = nodes_;
      result.wall_s = elapsed();
      return result;
    }
    for (uint64_t level = result.floor; level < best_ && !out_of_budget(); ++level) {
      found_ = false;
      complete_ = true;
      level_ = level;
      explore(root);
      if (!complete_) {
        if (too_many_) result.note = "a decision had too many victim choices to enumerate";
        break;
      }
      if (found_) {
        result.floor = level;  // every lower level ended empty
        break;
      }
      result.floor = level + 1;
    }
    result.best = best_;
    if (result.floor > result.best) result.floor = result.best;
    result.nodes = nodes_;
    result.work = work_;
    result.wall_s = elapsed();
    return result;
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }
  bool out_of_budget() {
    if (nodes_ >= options_.max_nodes || work_ >= options_.max_work) return true;
    if ((nodes_ & 63) == 0 && elapsed() > options_.time_limit_s) timed_out_ = true;
    return timed_out_;
  }

  // The function's misses from here on, alone with unlimited memory, with `fewer` of its idle
  // containers gone and later runs lasting `warm` / `cold`. With both the function's shortest
  // run, a lower bound (the top of the file); with warm_ms and cold_ms, the dive's guess.
  uint64_t replay(const State& s, uint32_t f, uint32_t fewer, double warm, double cold) {
    const std::vector<double>& a = arrivals_[f];
    size_t i = s.seen[f];
    if (i >= a.size()) return 0;
    heap_.assign(s.idle[f] - fewer, -std::numeric_limits<double>::infinity());
    for (const Finish& r : s.running)
      if (r.fn == f) heap_.push_back(r.time);
    std::make_heap(heap_.begin(), heap_.end(), std::greater<>());
    uint64_t misses = 0;
    work_ += a.size() - i;
    for (; i < a.size(); ++i) {
      const double t = a[i];
      if (!heap_.empty() && heap_.front() <= t) {
        std::pop_heap(heap_.begin(), heap_.end(), std::greater<>());
        heap_.back() = t + warm;
      } else {
        ++misses;
        heap_.push_back(t + cold);
      }
      std::push_heap(heap_.begin(), heap_.end(), std::greater<>());
    }
    return misses;
  }
  uint64_t alone(const State& s, uint32_t f, uint32_t fewer = 0) {
    return replay(s, f, fewer, shortest_[f], shortest_[f]);
  }
  uint64_t replay_without(const State& s, uint32_t f, uint32_t fewer) {
    return replay(s, f, fewer, warm_[f], cold_[f]);
  }
  void refresh(State& s) {
    for (uint32_t f = 0; f < s.dirty.size(); ++f)
      if (s.dirty[f]) {
        s.predicted_sum -= s.predicted[f];
        s.predicted[f] = alone(s, f);
        s.predicted_sum += s.predicted[f];
        s.dirty[f] = 0;
      }
  }
  static void miss(State& s, uint32_t f) {
    ++s.misses;
    if (!s.dirty[f] && s.predicted[f] > 0) {
      --s.predicted[f];
      --s.predicted_sum;
    }
  }

  // Replays from s.next until a cold start needs victims (returns true, s at that arrival with
  // its finishes settled) or the trace ends (false).
  bool advance(State& s) {
    const size_t count = trace_.invocation_count();
    while (s.next < count) {
      ++work_;
      const double t = trace_.times[s.next];
      const uint32_t f = trace_.function_of[s.next];
      while (!s.running.empty() && s.running.front().time <= t) {
        const uint32_t g = s.running.front().fn;
        std::pop_heap(s.running.begin(), s.running.end(), std::greater<>());
        s.running.pop_back();
        ++s.idle[g];
        s.idle_mb += mb_[g];
      }
      if (s.idle[f] > 0) {
        --s.idle[f];
        s.idle_mb -= mb_[f];
        start(s, f, t + warm_[f]);
        continue;
      }
      const uint64_t need = mb_[f];
      const uint64_t free = memory_ - s.used;
      if (free >= need) {
        s.used += need;
        miss(s, f);
        start(s, f, t + cold_[f]);
        continue;
      }
      if (free + s.idle_mb < need) {  // dropped: its container never runs
        miss(s, f);
        s.dirty[f] = 1;
        ++s.seen[f];
        ++s.next;
        continue;
      }
      return true;
    }
    return false;
  }
  void start(State& s, uint32_t f, double finish) {
    s.running.push_back(Finish{finish, f});
    std::push_heap(s.running.begin(), s.running.end(), std::greater<>());
    ++s.seen[f];
    ++s.next;
  }

  // A child of a decision: the victims (count per function, with each function's bound after
  // the eviction) and the child's bound. The child state is built only when it is explored.
  struct Evict {
    uint32_t fn, count;
    uint64_t predicted;
  };
  struct Child {
    uint64_t bound;
    uint64_t evicted_mb;
    double soonest;  // the earliest next arrival of a victim's function
    std::vector<Evict> victims;
  };
  double next_use(const State& s, uint32_t g) const {
    const std::vector<double>& a = arrivals_[g];
    return s.seen[g] < a.size() ? a[s.seen[g]] : std::numeric_limits<double>::infinity();
  }

  // Every victim multiset the engine allows at decision state s (refreshed) whose bound is at
  // most `limit`, sorted by bound, then by how far away the victims are needed again (furthest
  // first, as Belady's rule), then by the memory evicted (least first). Sets complete_ =
  // false if there were more than kMaxChildren.
  std::vector<Child> children(State& s, uint64_t limit) {
    const uint32_t f = trace_.function_of[s.next];
    const uint64_t need = mb_[f], free = memory_ - s.used;
    const uint64_t base = s.misses + s.predicted_sum;
    // Per option g: the bound's increase for evicting 1, 2, ... of its idle containers (only
    // as many as a possible multiset can hold: (n - 1) m_g < need - free).
    struct Option {
      uint32_t fn;
      std::vector<uint64_t> predicted;  // [n]: g's bound with n evicted; [0] = now
    };
    std::vector<Option> options;
    for (uint32_t g = 0; g < s.idle.size(); ++g) {
      if (s.idle[g] == 0) continue;
      // With fewer containers a function cannot miss less, so g's current bound holds after
      // the eviction too: the larger of the two is kept (and the bound only grows).
      Option o{g, {s.predicted[g]}};
      for (uint32_t n = 1; n <= s.idle[g]; ++n) {
        o.predicted.push_back(std::max(alone(s, g, n), s.predicted[g]));
        if (n * mb_[g] >= need - free) break;
      }
      options.push_back(std::move(o));
    }
    std::vector<Child> out;
    std::vector<Evict> take;
    bool overflow = false;
    // Grows the multiset `take` with options from `from` on (each function once, with a
    // count), recording it whenever it frees enough. Recursion is as deep as the multiset has
    // functions, not as the options are many. sum - max only grows, so a count stops as soon
    // as sum - max reaches need - free; the bound only grows, so it stops above the limit.
    uint64_t steps = 0;
    auto rec = [&](auto& self, size_t from, uint64_t sum, uint64_t max, uint64_t bound) -> void {
      if (free + sum >= need) {
        if (out.size() >= kMaxChildren) {
          overflow = true;
          return;
        }
        double soonest = std::numeric_limits<double>::infinity();
        for (const Evict& e : take) soonest = std::min(soonest, next_use(s, e.fn));
        out.push_back(Child{bound, sum, soonest, take});
      }
      for (size_t i = from; i < options.size() && !overflow; ++i) {
        if (++steps > kMaxSteps) {
          overflow = true;
          return;
        }
        const Option& o = options[i];
        const uint64_t m = mb_[o.fn];
        for (uint32_t n = 1; n < o.predicted.size(); ++n) {
          const uint64_t nsum = sum + n * m, nmax = std::max(max, m);
          const uint64_t nbound = bound + o.predicted[n] - o.predicted[0];
          if (free + nsum - nmax >= need || nbound > limit) break;
          take.push_back(Evict{o.fn, n, o.predicted[n]});
          self(self, i + 1, nsum, nmax, nbound);
          take.pop_back();
        }
      }
    };
    rec(rec, 0, 0, 0, base);
    if (overflow) {
      too_many_ = true;
      complete_ = false;
    }
    std::stable_sort(out.begin(), out.end(), [](const Child& x, const Child& y) {
      if (x.bound != y.bound) return x.bound < y.bound;
      if (x.soonest != y.soonest) return x.soonest > y.soonest;
      return x.evicted_mb < y.evicted_mb;
    });
    return out;
  }

  // s after the child's evictions and the cold start they make room for.
  void apply(State& s, const Child& c) {
    const double t = trace_.times[s.next];
    const uint32_t f = trace_.function_of[s.next];
    for (const Evict& e : c.victims) {
      const uint64_t mb = static_cast<uint64_t>(e.count) * mb_[e.fn];
      s.idle[e.fn] -= e.count;
      s.used -= mb;
      s.idle_mb -= mb;
      s.predicted_sum = s.predicted_sum - s.predicted[e.fn] + e.predicted;
      s.predicted[e.fn] = e.predicted;
    }
    s.used += mb_[f];
    miss(s, f);
    start(s, f, t + cold_[f]);
  }

  uint64_t dive(State s) {
    while (advance(s)) {
      ++decisions_;
      // The dive is bounded by time and work, not by nodes.
      if (work_ >= options_.max_work ||
          ((decisions_ & 63) == 0 && elapsed() > options_.time_limit_s)) {
        timed_out_ = work_ < options_.max_work;
        return kNone;
      }
      refresh(s);
      // The dive is a heuristic: it ranks the victims by the misses they would add if every
      // container ran as the engine runs it (cold starts for cold_ms: not a bound, a better
      // guess), then by Belady's rule (needed again furthest away), then in children()'s order.
      const std::vector<Child> c = children(s, kNone);
      std::map<std::pair<uint32_t, uint32_t>, uint64_t> added;
      const auto cost = [&](const Child& child) {
        uint64_t sum = 0;
        for (const Evict& e : child.victims) {
          auto [it, fresh] = added.try_emplace({e.fn, e.count}, 0);
          if (fresh) {
            const uint64_t fewer = replay_without(s, e.fn, e.count),
                           all = replay_without(s, e.fn, 0);
            it->second = fewer > all ? fewer - all : 0;
          }
          sum += it->second;
        }
        return sum;
      };
      size_t pick = 0;
      uint64_t pick_cost = cost(c[0]);
      for (size_t i = 1; i < c.size(); ++i) {
        const uint64_t k = cost(c[i]);
        if (k < pick_cost || (k == pick_cost && c[i].soonest > c[pick].soonest)) {
          pick = i;
          pick_cost = k;
        }
      }
      apply(s, c[pick]);
    }
    return s.misses;
  }

  // Every branch under s with bound <= level_; stops at the first schedule found.
  void explore(State s) {
    if (!advance(s)) {
      if (s.misses <= level_) {
        found_ = true;
        best_ = std::min(best_, s.misses);
      }
      return;
    }
    if (out_of_budget()) {
      complete_ = false;
      return;
    }
    ++nodes_;
    // A drop since the last decision can raise the bound past the level.
    if (s.misses > level_) return;
    // The same state can be reached along different paths (two victims evicted in either
    // order): a state already shown to have no schedule within `budget` more misses is not
    // explored again.
    const uint64_t budget = level_ - s.misses;
    const Key key = key_of(s);
    if (seen_.failed(key, budget)) return;
    refresh(s);
    const std::vector<Child> kids = children(s, level_);
    for (const Child& c : kids) {
      State next = s;
      apply(next, c);
      explore(std::move(next));
      if (found_ || !complete_) return;
    }
    seen_.record(key, budget);
  }

  // ---- states already explored ------------------------------------------------------------
  // A state's identity is what decides its future: the next arrival, the idle containers per
  // function and the running containers with their finish times (used memory and arrivals seen
  // follow from these). It is kept as two independent 64-bit hashes, the running containers'
  // combined by addition so that their order in the heap does not matter.
  struct Key {
    uint64_t a = 0, b = 0;
    bool operator==(const Key&) const = default;
  };
  static uint64_t mix(uint64_t x, uint64_t seed) {
    return mix64(x + seed * 0x9E3779B97F4A7C15ull);  // a different function per seed
  }
  Key key_of(const State& s) const {
    Key k{mix(s.next, 1), mix(s.next, 2)};
    for (uint32_t f = 0; f < s.idle.size(); ++f)
      if (s.idle[f] != 0) {
        const uint64_t v = (static_cast<uint64_t>(f) << 32) | s.idle[f];
        k.a += mix(v, 3);
        k.b += mix(v, 4);
      }
    for (const Finish& r : s.running) {
      uint64_t bits;
      std::memcpy(&bits, &r.time, sizeof bits);
      const uint64_t v = mix(bits, 5) ^ r.fn;
      k.a += mix(v, 6);
      k.b += mix(v, 7);
    }
    return k;
  }
  // A fixed-size table (a cache: a new state may overwrite an old one, which only costs a
  // repeated exploration): per state, the largest budget of further misses within which it was
  // shown to have no complete schedule.
  class Explored {
   public:
    bool failed(const Key& k, uint64_t budget) const {
      if (slots_.empty()) return false;
      const Slot& s = slots_[k.a & (slots_.size() - 1)];
      return s.used && s.key == k && s.budget >= budget;
    }
    void record(const Key& k, uint64_t budget) {
      if (2 * filled_ >= slots_.size() && slots_.size() < kMaxSlots) grow();
      Slot& s = slots_[k.a & (slots_.size() - 1)];
      if (s.used && s.key == k && s.budget >= budget) return;
      filled_ += !s.used;
      s = Slot{k, budget, true};
    }

   private:
    static constexpr size_t kMaxSlots = size_t{1} << 20;  // 32 MB
    struct Slot {
      Key key;
      uint64_t budget = 0;
      bool used = false;
    };
    void grow() {
      std::vector<Slot> old = std::move(slots_);
      slots_.assign(old.empty() ? 1024 : 2 * old.size(), Slot{});
      filled_ = 0;
      for (const Slot& s : old)
        if (s.used) {
          Slot& t = slots_[s.key.a & (slots_.size() - 1)];
          filled_ += !t.used;
          t = s;
        }
    }
    std::vector<Slot> slots_;
    size_t filled_ = 0;
  };

  static constexpr uint64_t kNone = std::numeric_limits<uint64_t>::max();
  // Beyond these the search only dives: deeper recursion could exhaust the stack, and a
  // decision with more victim multisets than this is not enumerated.
  static constexpr uint64_t kMaxDepth = 5000;
  static constexpr size_t kMaxChildren = 20000;
  static constexpr uint64_t kMaxSteps = 2000000;  // options looked at per decision

  const Trace& trace_;
  uint64_t memory_;
  SearchOptions options_;
  std::vector<std::vector<double>> arrivals_;
  std::vector<double> cold_, warm_, shortest_;
  std::vector<uint64_t> mb_;
  std::vector<double> heap_;
  std::chrono::steady_clock::time_point started_;
  uint64_t nodes_ = 0, decisions_ = 0;
  uint64_t work_ = 0;  // arrivals replayed, by the search and by its bound
  bool timed_out_ = false, too_many_ = false;
  uint64_t best_ = std::numeric_limits<uint64_t>::max();
  uint64_t level_ = 0;
  bool found_ = false, complete_ = true;
  Explored seen_;
};

}  // namespace

SearchResult search_optimum(const Trace& trace, uint64_t memory_mb, const SearchOptions& options) {
  if (options.max_nodes == 0) return SearchResult{};
  return Search(trace, memory_mb, options).run();
}

void add_search(BoundResult& b, const Trace& trace, SearchOptions options) {
  options.known_floor = std::max(options.known_floor, b.lower_bound);
  b.search = search_optimum(trace, b.memory_mb, options);
  b.wall_s += b.search.wall_s;
}

}  // namespace keepwarm::bound
