// hybrid-histogram: the hybrid histogram keep-alive policy of "Serverless in the Wild"
// (Shahrad et al., USENIX ATC 2020, section 4.2).
//
// Idle time (IT) of a function: from the end of its last execution (the moment its last busy
// container went idle) to its next invocation; 0 when an invocation arrives while another one
// of the function is still running. ITs go into a per-function histogram of range_min minutes
// in bin_min-minute bins; longer ITs are counted as out of bound (OOB).
//
// When a container of f goes idle and it is f's only container:
// - fewer than min_samples ITs seen: fixed keep-alive (fixed_keepalive_min, default 240 minutes,
//   the same as range_min's default, as the paper's standard keep-alive fallback), no prewarm;
// - OOB ratio > oob_threshold: time-series prediction. The paper fits ARIMA to the ITs; this
//   plugin forecasts the next IT with exponential smoothing (alpha = ewma_alpha), O(1) per
//   event and no model fitting, then, like the paper, prewarms at (1 - arima_margin) x forecast
//   and keeps alive until (1 + arima_margin) x forecast;
// - histogram representative (coefficient of variation of the bin counts > cv_threshold):
//   prewarm window = head_pct percentile x (1 - margin), keep-alive until tail_pct percentile x
//   (1 + margin), both measured from now. A prewarm window of 0 keeps this container alive;
//   otherwise the container is unloaded now and a new one prewarmed at the window's start;
// - otherwise (not representative): the fixed keep-alive.
// A container of f that goes idle while f has others gets the same keep-alive deadline but
// never triggers an unload or prewarm. Under memory pressure the least recently used idle
// container is evicted (keepwarm/priority_policy.hpp).
//
// Keep-alive deadlines are the host's (set_idle_keepalive, set_keepalive's cheaper form for the
// container going idle; a reuse cancels them).
//
// In faascache compat mode the policy is FaasCache's HIST instead (its own histogram of whole
// minutes between arrivals, TTL purge at the next arrival, a prewarm at every arrival while the
// window is open, release of a used container of a prewarmed function when it finishes), in
// keepwarm/faascache_pool.hpp.
//
// Cost per event: O(log n) heaps, and O(log_64 B) word operations at most for a histogram of B
// bins (B = 240: two levels). Each idle time updates the bin counts, the sum of their squares
// (for the CV) and two percentile cursors, which move at most to the next occupied bin on either
// side, found in a bit set of occupied bins. A function's window is computed, in O(1), at each of
// its idle hooks. What an invocation reads and writes of its function is one cache line (State),
// but for the count of the first bin and the container count in a 16-byte record (Busy).
#include <keepwarm/priority_policy.hpp>

#include <array>
#include <bit>
#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "thresholds.hpp"

namespace {

class HybridHistogram final : public keepwarm::PriorityPolicy<HybridHistogram> {
 public:
  static constexpr const char* kName = "hybrid-histogram";
  static constexpr keepwarm::faascache::Rule kFaasCacheRule = keepwarm::faascache::Rule::hist;
  static constexpr const char* kVersion = "1.1.0";
  static constexpr bool kUsesFrequency = false;  // the priority is the time of the last start
  // PriorityPolicy's idle heap, not its lists: with the lists this policy's cells on the
  // 1000-function day took 1.046x (100%) and 1.052x (10%) the time (docs/performance.md).
  static constexpr int kIdleLists = 0;
  static constexpr const char* kDescription =
      "hybrid histogram keep-alive and prewarming (Serverless in the Wild, ATC 2020)";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr const char* kUrl =
      "Shahrad et al., Serverless in the Wild: characterizing and optimizing the serverless "
      "workload at a large cloud provider, USENIX ATC 2020";
  static constexpr std::array<kw_param_decl, 12> kParams{{
      {"range_min", KW_PARAM_DOUBLE, "240", "histogram range, minutes"},
      {"bin_min", KW_PARAM_DOUBLE, "1", "histogram bin width, minutes"},
      {"cv_threshold", KW_PARAM_DOUBLE, "2",
       "the histogram is representative when the CV of its bin counts exceeds this"},
      {"min_samples", KW_PARAM_INT, "10", "idle times needed before the histogram is used"},
      {"head_pct", KW_PARAM_DOUBLE, "5", "percentile of the prewarm window"},
      {"tail_pct", KW_PARAM_DOUBLE, "99", "percentile of the keep-alive window's end"},
      {"margin", KW_PARAM_DOUBLE, "0.1", "margin on head (minus) and tail (plus), fraction"},
      {"oob_threshold", KW_PARAM_DOUBLE, "0.5",
       "out-of-bound idle-time ratio above which the time-series forecast is used"},
      {"fixed_keepalive_min", KW_PARAM_DOUBLE, "240",
       "fixed keep-alive when the histogram is not usable, minutes"},
      {"ewma_alpha", KW_PARAM_DOUBLE, "0.5", "smoothing factor of the idle-time forecast"},
      {"arima_margin", KW_PARAM_DOUBLE, "0.15",
       "forecast mode: prewarm at (1 - m) x forecast, keep alive to (1 + m) x forecast"},
      {"prewarm", KW_PARAM_BOOL, "true", "false: never unload/prewarm, keep-alive only"},
  }};

  explicit HybridHistogram(const kw_host* h)
      : PriorityPolicy(h),
        bin_ms_(host().param_double("bin_min") * 60'000.0),
        cv_threshold_(host().param_double("cv_threshold")),
        min_samples_(static_cast<uint64_t>(std::max<int64_t>(0, host().param_int("min_samples")))),
        head_(host().param_double("head_pct") / 100.0),
        tail_(host().param_double("tail_pct") / 100.0),
        margin_(host().param_double("margin")),
        oob_threshold_(host().param_double("oob_threshold")),
        fixed_ms_(host().param_double("fixed_keepalive_min") * 60'000.0),
        alpha_(host().param_double("ewma_alpha")),
        arima_margin_(host().param_double("arima_margin")),
        prewarm_(host().param_bool("prewarm")) {
    const double range_ms = host().param_double("range_min") * 60'000.0;
    if (!(bin_ms_ > 0) || !(range_ms >= bin_ms_))
      throw std::invalid_argument("need bin_min > 0 and range_min >= bin_min");
    if (!(std::ceil(range_ms / bin_ms_) <= kMaxBins))
      throw std::invalid_argument("need range_min / bin_min <= 65536 (the histogram's bins)");
    if (!(head_ >= 0 && head_ <= tail_ && tail_ <= 1))
      throw std::invalid_argument("need 0 <= head_pct <= tail_pct <= 100");
    if (!(alpha_ > 0 && alpha_ <= 1)) throw std::invalid_argument("need 0 < ewma_alpha <= 1");
    bins_ = static_cast<uint32_t>(std::ceil(range_ms / bin_ms_));
    uint64_t bits = bins_;  // of the level below
    do {
      const uint32_t words = static_cast<uint32_t>((bits + 63) / 64);
      level_offset_[occupied_levels_] = occupied_words_;
      level_words_[occupied_levels_++] = words;
      occupied_words_ += words;
      bits = words;
    } while (bits > 1);
    const uint32_t n = host().function_count();
    fn_.resize(n);
    busy_.resize(n);
    counts_.assign(static_cast<size_t>(n) * bins_, 0);
    occupied_.assign(static_cast<size_t>(n) * occupied_words_, 0);
  }

  double priority(kw_function_id, double, double) const noexcept { return host().now(); }

  void on_arrival(kw_function_id fn) override {
    if (compat()) return PriorityPolicy::on_arrival(fn);  // FaasCache's HIST: faascache_pool.hpp
    State& s = fn_[fn];
    if (s.last_end == -INFINITY) [[unlikely]] {  // f's first arrival
      s.last_end = 0;
      return;
    }
    if (s.running > 0)
      record_zero(fn, s);  // the common case of a busy function
    else
      record(fn, s, std::max(0.0, host().now() - s.last_end));
  }

  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    if (compat())
      return PriorityPolicy::on_container_started(c, fn,
                                                  kind);  // FaasCache's HIST: faascache_pool.hpp
    PriorityPolicy::on_container_started(c, fn, kind);
    fn_[fn].running += kind != KW_START_PREWARM;
    if (kind != KW_START_WARM) ++busy_[fn].alive;
    if (kind == KW_START_PREWARM) [[unlikely]]
      prewarmed_ = c;
  }

  // Only a container kept idle enters the LRU structures (PriorityPolicy::on_container_idle): an
  // unloaded one is removed by the host right after this hook, before any eviction, and removing
  // a container that was never made idle there is a no-op. The host moves a keep-alive deadline
  // in the past to now.
  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    if (compat())
      return PriorityPolicy::on_container_idle(c, fn);  // FaasCache's HIST: faascache_pool.hpp
    State& s = fn_[fn];
    const double now = host().now();
    if (c == prewarmed_) [[unlikely]] {  // a prewarmed container: alive until the planned deadline
      prewarmed_ = KW_NO_CONTAINER;
      PriorityPolicy::on_container_idle(c, fn);
      host().set_idle_keepalive(c, busy_[fn].prewarm_deadline);
      return;
    }
    --s.running;
    s.last_end = now;
    const Window w = window(s);
    if (prewarm_ && w.prewarm_ms > 0 && busy_[fn].alive == 1) {  // f's only container (c is idle)
      host().set_idle_keepalive(c, now);  // unload now, come back just before the next invocation
      busy_[fn].prewarm_deadline = now + w.keepalive_end_ms;
      host().request_prewarm(fn, now + w.prewarm_ms);
    } else {
      PriorityPolicy::on_container_idle(c, fn);
      host().set_idle_keepalive(c, now + w.keepalive_end_ms);
    }
  }

  void on_container_removed(kw_container_id c, kw_function_id fn,
                            kw_removal_reason reason) override {
    if (!compat()) --busy_[fn].alive;
    PriorityPolicy::on_container_removed(c, fn, reason);
  }

 private:
  static constexpr uint32_t kMaxBins = 65536;  // so that a bin number fits 16 bits

  // A percentile of a function's in-range idle times, kept up to date by record(): target is the
  // rank (1-based) max(1, ceil(q x samples)) of the sample that sets it, its bin (in State, 16
  // bits) the smallest bin whose cumulative count reaches target; below counts the samples in
  // lower bins, here those in its bin (so below < target <= below + here). The counts are at most
  // the samples: 32-bit.
  struct Cursor {
    uint32_t target = 1;
    uint32_t below = 0;
    uint32_t here = 0;
  };
  struct Window {
    double prewarm_ms;        // from the end of the execution
    double keepalive_end_ms;  // from the end of the execution
  };
  // What an arrival, a start or an idle hook of the function reads and writes: one cache line.
  // Idle times are counted in 32 bits (as the bins are): record() fails past 2^32 - 1 of one
  // function.
  struct alignas(64) State {
    double last_end = -INFINITY;  // of its last execution; -INFINITY before its first arrival
    double forecast = -1;
    double sum_sq = 0;  // sum of squared bin counts
    uint32_t in_range = 0, oob = 0;
    // f's running containers as the host counts them (running_count), kept here from the
    // hooks: from a cold or warm start to its next idle hook.
    uint32_t running = 0;
    Cursor head, tail;  // the head_ and tail_ percentiles
    uint16_t head_bin = 0, tail_bin = 0;
  };
  static_assert(sizeof(State) == 64);
  // The rest of a function's state, 16 bytes: the count of its first bin, where a busy
  // function's idle times fall (0 while it runs; the other bins are in counts_), and its alive
  // containers as the host counts them (running_count + idle_count): from a cold start or a
  // prewarm to the removal.
  struct Busy {
    uint32_t first_bin = 0;
    uint32_t alive = 0;
    double prewarm_deadline = 0;
  };
  static_assert(sizeof(Busy) == 16);
  // A function's bin counts: bin 0 in its Busy record, the others in counts_.
  struct Bins {
    uint32_t* first;
    uint32_t* all;  // counts_ of the function; entry 0 unused
    uint32_t& operator[](uint32_t bin) const noexcept { return bin == 0 ? *first : all[bin]; }
  };
  Bins bins_of(kw_function_id fn) noexcept {
    return Bins{&busy_[fn].first_bin, &counts_[static_cast<size_t>(fn) * bins_]};
  }
  [[noreturn, gnu::cold, gnu::noinline]] static void too_many(kw_function_id fn) {
    throw std::overflow_error("hybrid-histogram: function " + std::to_string(fn) +
                              " has more than 4294967295 idle times; its counts are 32-bit");
  }

  void record(kw_function_id fn, State& s, double it) {
    s.forecast = s.forecast < 0 ? it : alpha_ * it + (1 - alpha_) * s.forecast;
    const double b = it / bin_ms_;  // >= 0: its bin is its integer part
    if (b >= bins_) {               // as floor(b) >= bins_, an integer
      if (s.oob == UINT32_MAX) [[unlikely]]
        too_many(fn);
      ++s.oob;
      return;
    }
    if (s.in_range == UINT32_MAX) [[unlikely]]
      too_many(fn);
    const uint32_t bin = static_cast<uint32_t>(b);
    const Bins counts = bins_of(fn);
    uint64_t* occupied = &occupied_[static_cast<size_t>(fn) * occupied_words_];
    uint32_t& cnt = counts[bin];
    if (cnt == 0) occupy(occupied, bin);
    s.sum_sq += 2.0 * cnt + 1;
    ++cnt;
    ++s.in_range;
    const double n = static_cast<double>(s.in_range);
    follow(s.head, s.head_bin, head_, n, bin, counts, occupied);
    follow(s.tail, s.tail_bin, tail_, n, bin, counts, occupied);
  }

  // record(fn, 0), in fewer steps: the same updates in the same order, for the bin a busy
  // function's idle times fall into. An idle time of 0 is in range (bins_ >= 1) and lands in
  // bin 0, below or at every cursor, so no cursor moves up; forecast becomes
  // alpha x 0 + (1 - alpha) x forecast, where alpha x 0 adds +0 (alpha > 0).
  void record_zero(kw_function_id fn, State& s) {
    if (s.in_range == UINT32_MAX) [[unlikely]]
      too_many(fn);
    s.forecast = s.forecast < 0 ? 0.0 : (1 - alpha_) * s.forecast;
    uint32_t& first = busy_[fn].first_bin;
    if (first == 0) occupy(&occupied_[static_cast<size_t>(fn) * occupied_words_], 0);
    s.sum_sq += 2.0 * first + 1;
    ++first;
    ++s.in_range;
    const double n = static_cast<double>(s.in_range);
    follow_zero(fn, s.head, s.head_bin, head_, n);
    follow_zero(fn, s.tail, s.tail_bin, tail_, n);
  }
  // follow(c, bin, q, n, 0, ...): bin 0 is at or below the cursor's bin.
  void follow_zero(kw_function_id fn, Cursor& c, uint16_t& bin, double q, double n) noexcept {
    c.target += q * n > static_cast<double>(c.target);
    if (bin == 0) {
      ++c.here;
      return;
    }
    ++c.below;
    if (c.below < c.target) [[likely]]
      return;
    move_down(c, bin, bins_of(fn), &occupied_[static_cast<size_t>(fn) * occupied_words_]);
  }

  // Moves percentile cursor c (fraction q) after one sample was added to bin (n samples in
  // range now). The target rank max(1, ceil(q n)) grows by one exactly when q n, as computed,
  // exceeds it: rounding is monotone and q <= 1, so one more sample never raises ceil(q n) by
  // more than one. The loops step over occupied bins only; since one sample raises the target
  // and each cumulative count by at most one, the cursor stays or moves to the next occupied bin
  // on one side.
  // (cursor_bin is c's bin.)
  void follow(Cursor& c, uint16_t& cursor_bin, double q, double n, uint32_t bin, const Bins& counts,
              const uint64_t* occupied) const noexcept {
    c.target += q * n > static_cast<double>(c.target);
    const uint64_t target = c.target;
    if (bin < cursor_bin)
      ++c.below;
    else if (bin == cursor_bin)
      ++c.here;
    // (below + here is at most the samples: no overflow.)
    while (c.below + c.here < target) {  // the target sample lies in a higher bin
      c.below += c.here;
      cursor_bin = static_cast<uint16_t>(next_occupied(occupied, cursor_bin + 1u));
      c.here = counts[cursor_bin];
    }
    move_down(c, cursor_bin, counts, occupied);
  }
  // Moves cursor c (at bin) down while its target sample lies in a lower bin.
  void move_down(Cursor& c, uint16_t& bin, const Bins& counts,
                 const uint64_t* occupied) const noexcept {
    while (c.below >= c.target) {
      bin = static_cast<uint16_t>(prev_occupied(occupied, bin - 1u));
      c.here = counts[bin];
      c.below -= c.here;
    }
  }

  // Occupied bins of a function, a bit set of occupied_levels_ levels: bit i of level 0 is set
  // when bin i holds a sample, bit j of level k + 1 when word j of level k is not zero. Bins are
  // never emptied (the histogram only grows), so bits are only ever set.
  void occupy(uint64_t* occupied, uint32_t i) const noexcept {
    for (uint32_t k = 0; k < occupied_levels_; ++k) {
      uint64_t& w = occupied[level_offset_[k] + (i >> 6)];
      const bool was_empty = w == 0;
      w |= uint64_t{1} << (i & 63);
      if (!was_empty) return;
      i >>= 6;
    }
  }
  // The lowest occupied bin >= i (there must be one).
  uint32_t next_occupied(const uint64_t* occupied, uint32_t i) const noexcept {
    uint32_t k = 0;
    for (;; ++k) {  // climb to the first level with a set bit at or after i
      if ((i >> 6) < level_words_[k]) {
        const uint64_t m = occupied[level_offset_[k] + (i >> 6)] & (~uint64_t{0} << (i & 63));
        if (m != 0) {
          i = (i & ~63u) | static_cast<uint32_t>(std::countr_zero(m));
          break;
        }
      }
      i = (i >> 6) + 1;
    }
    while (k-- > 0)  // descend along the lowest set bits
      i = (i << 6) | static_cast<uint32_t>(std::countr_zero(occupied[level_offset_[k] + i]));
    return i;
  }
  // The highest occupied bin <= i (there must be one).
  uint32_t prev_occupied(const uint64_t* occupied, uint32_t i) const noexcept {
    uint32_t k = 0;
    for (;; ++k) {
      const uint64_t m = occupied[level_offset_[k] + (i >> 6)] & (~uint64_t{0} >> (63 - (i & 63)));
      if (m != 0) {
        i = (i & ~63u) | (63 - static_cast<uint32_t>(std::countl_zero(m)));
        break;
      }
      i = (i >> 6) - 1;
    }
    while (k-- > 0)
      i = (i << 6) | (63 - static_cast<uint32_t>(std::countl_zero(occupied[level_offset_[k] + i])));
    return i;
  }

  // The window of a function (computed at each idle hook: most follow a new idle time).
  Window window(const State& s) const {
    const uint64_t total = uint64_t{s.in_range} + s.oob;
    const Window fixed{0, fixed_ms_};
    if (total < std::max<uint64_t>(min_samples_, 1)) return fixed;
    // With no OOB idle time the ratio, 0, exceeds no threshold >= 0 (nor NaN): the test is only
    // needed otherwise.
    if ((s.oob != 0 || oob_threshold_ < 0) &&
        hybrid_histogram::ratio_exceeds(s.oob, total, oob_threshold_))
      return Window{(1 - arima_margin_) * s.forecast, (1 + arima_margin_) * s.forecast};
    if (s.in_range == 0) return fixed;
    if (!hybrid_histogram::cv_exceeds(s.sum_sq, s.in_range, bins_, cv_threshold_)) return fixed;
    const double head = s.head_bin * bin_ms_ * (1 - margin_);
    const double tail = (s.tail_bin + 1) * bin_ms_ * (1 + margin_);
    return Window{head, tail};
  }

  double bin_ms_, cv_threshold_;
  uint64_t min_samples_;
  double head_, tail_, margin_, oob_threshold_, fixed_ms_, alpha_, arima_margin_;
  bool prewarm_;
  uint32_t bins_ = 1;
  uint32_t occupied_levels_ = 0;
  std::array<uint32_t, 6> level_words_{};   // words of each level of the occupied-bin bit set
  std::array<uint32_t, 6> level_offset_{};  // first word of each level
  uint32_t occupied_words_ = 0;             // all levels
  std::vector<State> fn_;
  std::vector<Busy> busy_;
  std::vector<uint32_t> counts_;    // per function, bins_ entries
  std::vector<uint64_t> occupied_;  // per function, occupied_words_ entries
  // The container just prewarmed, until its first idle hook: the host calls on_container_idle
  // for a prewarm right after its on_container_started, and handles are unique among live
  // containers.
  kw_container_id prewarmed_ = KW_NO_CONTAINER;
};

}  // namespace

KEEPWARM_EXPORT_POLICY(HybridHistogram)
