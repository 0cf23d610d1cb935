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
// Cost: create() precomputes per function the concurrency of every arrival and a max segment
// tree over it, O(arrivals) in all. "First future arrival with concurrency >= K" is a descent
// in that tree, O(log A_f) (A_f: the arrivals of f), asked only when the function's state
// (arrivals seen, containers alive) changed since the last time. A victim choice scores each
// function that has idle containers: O(F_idle) per eviction plus those queries; arrivals, starts
// and finishes O(1).
#include <keepwarm/policy.hpp>

#include <algorithm>
#include <cmath>
#include <vector>

namespace {

class Oracle final : public keepwarm::Policy {
 public:
  static constexpr const char* kName = "oracle";
  static constexpr const char* kVersion = "1.0.0";
  static constexpr const char* kDescription =
      "offline lookahead heuristic: evict the container whose next needed cold start is furthest "
      "away, weighted by memory (not optimal)";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr uint64_t kFlags = KW_POLICY_NEEDS_LOOKAHEAD;

  explicit Oracle(const kw_host* h) : Policy(h) {
    const uint32_t n = host().function_count();
    profiles_.resize(n);
    seen_.assign(n, 0);
    idle_of_.resize(n);
    where_in_active_.assign(n, kAbsent);
    running_.assign(n, 0);
    cache_.assign(n, Cached{});
    memory_.resize(n);
    for (uint32_t f = 0; f < n; ++f) memory_[f] = host().function(f).memory_mb;
    for (uint32_t f = 0; f < n; ++f) build(f);
  }

  void on_arrival(kw_function_id fn) override { ++seen_[fn]; }

  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    if (kind == KW_START_WARM) take_idle(c, fn);
    ++running_[fn];  // oracle requests no prewarm: every container starts running
  }
  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    --running_[fn];
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= pos_.size()) pos_.resize(slot + 1, kAbsent);
    pos_[slot] = static_cast<uint32_t>(idle_of_[fn].size());
    idle_of_[fn].push_back(c);
    if (idle_of_[fn].size() == 1) {
      where_in_active_[fn] = static_cast<uint32_t>(active_.size());
      active_.push_back(fn);
    }
  }
  void on_container_removed(kw_container_id c, kw_function_id fn, kw_removal_reason) override {
    take_idle(c, fn);
  }

  kw_container_id choose_victim(kw_function_id) override {
    const double now = host().now();
    uint32_t best = kAbsent;
    double best_score = -1, best_mb = 0;
    for (const uint32_t f : active_) {
      const double mb = memory_[f];
      const uint32_t need = running_[f] + static_cast<uint32_t>(idle_of_[f].size());
      Cached& cache = cache_[f];
      if (cache.seen != seen_[f] || cache.need != need) {
        cache = Cached{seen_[f], need, next_cold(f, need)};
      }
      const double t = cache.time;
      const double score = std::isinf(t) ? INFINITY : (t - now) * mb;
      if (best == kAbsent || score > best_score ||
          (score == best_score && (mb > best_mb || (mb == best_mb && f < best)))) {
        best = f;
        best_score = score;
        best_mb = mb;
      }
    }
    return best == kAbsent ? KW_NO_CONTAINER : idle_of_[best].back();
  }

 private:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  struct Profile {
    std::span<const double> times;
    uint32_t leaves = 1;        // power of two >= times.size()
    std::vector<uint32_t> max;  // segment tree over concurrency, 1-based, size 2 x leaves
  };

  void build(uint32_t f) {
    Profile& p = profiles_[f];
    p.times = host().arrivals(f);
    const size_t m = p.times.size();
    while (p.leaves < m) p.leaves *= 2;
    p.max.assign(2 * static_cast<size_t>(p.leaves), 0);
    const double warm = host().function(f).warm_ms;
    size_t first_running = 0;
    for (size_t i = 0; i < m; ++i) {
      while (first_running < i && p.times[first_running] + warm <= p.times[i]) ++first_running;
      p.max[p.leaves + i] = static_cast<uint32_t>(i - first_running + 1);
    }
    for (size_t i = p.leaves - 1; i >= 1; --i) p.max[i] = std::max(p.max[2 * i], p.max[2 * i + 1]);
  }

  // Time of the first arrival of f not yet seen whose concurrency is >= need; INFINITY if none.
  double next_cold(uint32_t f, uint32_t need) const {
    const Profile& p = profiles_[f];
    const size_t from = seen_[f];
    if (from >= p.times.size() || p.max[1] < need) return INFINITY;
    // Leftmost leaf >= from with value >= need: walk up from the leaf `from` to the first
    // subtree to its right that holds such a value, then down.
    size_t node = p.leaves + from;
    if (p.max[node] >= need) return p.times[from];
    for (;;) {
      // Move to the next subtree to the right at the lowest level possible.
      while (node & 1) {
        node >>= 1;
        if (node == 0) return INFINITY;
      }
      ++node;
      if (p.max[node] >= need) break;
    }
    while (node < p.leaves) node = p.max[2 * node] >= need ? 2 * node : 2 * node + 1;
    const size_t i = node - p.leaves;
    return i < p.times.size() ? p.times[i] : INFINITY;
  }

  void take_idle(kw_container_id c, kw_function_id fn) {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= pos_.size() || pos_[slot] == kAbsent) return;
    std::vector<kw_container_id>& list = idle_of_[fn];
    const uint32_t p = pos_[slot];
    list[p] = list.back();
    pos_[KW_CONTAINER_SLOT(list[p])] = p;
    list.pop_back();
    pos_[slot] = kAbsent;
    if (list.empty()) {
      const uint32_t w = where_in_active_[fn];
      active_[w] = active_.back();
      where_in_active_[active_[w]] = w;
      active_.pop_back();
      where_in_active_[fn] = kAbsent;
    }
  }

  // The answer of next_cold for a function's state (arrivals seen, containers alive), reused
  // while that state does not change.
  struct Cached {
    uint64_t seen = UINT64_MAX;
    uint32_t need = 0;
    double time = 0;
  };

  std::vector<Profile> profiles_;
  std::vector<uint32_t> running_;
  std::vector<Cached> cache_;
  std::vector<double> memory_;
  std::vector<uint64_t> seen_;  // arrivals of each function so far
  std::vector<std::vector<kw_container_id>> idle_of_;
  std::vector<uint32_t> pos_;     // slot -> index in idle_of_[fn]
  std::vector<uint32_t> active_;  // functions with idle containers
  std::vector<uint32_t> where_in_active_;
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Oracle)
