// engine.cpp: the discrete-event simulation of one cell (trace x policy x memory x seed).
//
// Data structures, chosen so that no step scans all containers and the hot path allocates
// nothing once vectors have grown to the run's high-water mark:
// - containers live in a slab indexed by slot; a handle is (generation << 32 | slot);
// - each function keeps its idle containers in an intrusive chain, most recently idled on top
//   (a warm start takes the top); a container evicted or expired from below the top stays on
//   the chain as a zombie until it comes to the top or zombies outnumber the idle (link_idle),
//   so that no operation writes a neighbour's record;
// - three queues hold pending events: running containers' finish times (a timing wheel,
//   wheel_queue.hpp: every finish is scheduled after the last one handled), keep-alive
//   deadlines (deadline_queue.hpp: a reuse or removal only forgets a deadline, and a new one
//   waits in a list until the clock nears it, as most are cancelled long before), and
//   timers/prewarms (a binary heap). Finishes and deadlines are 16-byte integer keys.
//   At equal times finishes go first, then expiries, then timers and prewarms; each kind in the
//   order it was scheduled;
// - finishes are cheap when many containers of a function run at once: every warm start of a
//   function runs for the same time (its warm time), and every cold start for its cold time, and
//   starts happen in time order, so each function's warm runs (and its cold runs) finish in the
//   order they started. Each function keeps two FIFO run queues (intrusive, through the
//   containers), and the finish queue holds only the head of each non-empty queue: a start
//   behind another of the same kind is an O(1) append, a finish replaces the queue's top by the
//   next of its queue. The queue pops exactly the (time, schedule order) sequence a heap of all
//   running containers would;
// - the per-function data of the hot path (idle chain, run queues, memory, durations, counters)
//   is one record, so an invocation touches one or two cache lines of its function; with many
//   functions the replay prefetches the records of arrivals a few ahead in the trace, and the
//   finish queue the containers of the finishes due next (those in its earliest bucket).
#include "keepwarm/engine/engine.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <string>

#include "keepwarm/engine/deadline_queue.hpp"
#include "keepwarm/engine/wheel_queue.hpp"
#include "keepwarm/traces/formats.hpp"

#ifndef KEEPWARM_PREFETCH_DISTANCE
#define KEEPWARM_PREFETCH_DISTANCE 8
#endif

namespace keepwarm {

const char* compat_name(Compat c) noexcept {
  return c == Compat::faascache          ? "faascache"
         : c == Compat::faascache_course ? "faascache-course"
                                         : "none";
}

namespace {

constexpr uint32_t kNil = UINT32_MAX;

// zombie: removed (its handle is dead, its memory free) while its slot is still a link of its
// function's idle chain (link_idle); the slot is free again once it is off the chain.
enum class State : uint8_t { free, idle, running, zombie };

// The policy's words per container (kw_host::container_words), inside the container's record.
constexpr uint32_t kContainerWords = 3;

// One cache line per container, the policy's words included (the engine fetches it ahead when
// it will reuse or finish the container, so the policy's per-container state comes with it).
struct alignas(64) Container {
  uint32_t fn = 0;
  uint32_t generation = 0;
  State state = State::free;
  bool prewarmed_unused = false;  // created by a prewarm and not yet used
  uint8_t run_kind = 0;           // while running: its run queue (kWarmRun or kColdRun)
  uint32_t prev = kNil;           // idle or zombie: the next link of its function's idle chain
  uint32_t run_next = kNil;       // while running: the next container of the same run queue
  uint64_t next_key = 0;          // while running: run_next's finish event (SlotEvent::key, order),
  uint64_t next_order = 0;        // kept here so that a finish reads only its own container;
                                  // while idle: the order of its live keep-alive deadline
                                  // (kNoDeadline if none), expiries_' record of it
  uint64_t words[kContainerWords] = {};  // the policy's (kw_host::container_words)
};
static_assert(sizeof(Container) == 64, "one cache line per container");

constexpr uint8_t kWarmRun = 0;
constexpr uint8_t kColdRun = 1;

// Everything the hot path needs of one function, in one 64-byte cache line: the idle list, the
// run queues, the durations and the counters an invocation or an eviction updates (their low
// 32 bits; a carry goes to the function's FunctionCold record, so counts are exact at any size).
struct alignas(64) FunctionState {
  uint32_t idle_tail = kNil;  // the idle chain's top (link_idle)
  uint32_t idle = 0;          // idle containers (on the chain)
  uint32_t zombies = 0;       // zombies on the chain
  uint32_t running = 0;
  uint32_t run_head[2] = {kNil, kNil};  // run queues (warm, cold), earliest finish first
  uint32_t run_tail[2] = {kNil, kNil};
  uint32_t memory_mb = 0;
  uint32_t warm = 0;       // low 32 bits of the warm starts
  uint32_t cold = 0;       // low 32 bits of the cold starts
  uint32_t evictions = 0;  // low 32 bits of the evictions
  double warm_ms = 0;
  double cold_duration = 0;  // cold time with the configured overhead
};
static_assert(sizeof(FunctionState) == 64, "one cache line per function");

// What the hot path rarely touches of a function: the high 32 bits of FunctionState's counters
// and the counters of rare events.
struct FunctionCold {
  uint32_t warm_hi = 0, cold_hi = 0, evictions_hi = 0;
  uint64_t dropped = 0;
  uint64_t expirations = 0;
};

// Adds 1 to a 64-bit count kept as a 32-bit low half in the hot record and a high half elsewhere.
inline void count(uint32_t& lo, uint32_t& hi) noexcept {
  if (++lo == 0) [[unlikely]]
    ++hi;
}
inline uint64_t joined(uint32_t lo, uint32_t hi) noexcept {
  return (static_cast<uint64_t>(hi) << 32) | lo;
}

// Maps a double to an unsigned integer of the same order (every value but NaN), so that event
// keys compare as integers: without branches, hence without mispredictions in heap sifts.
inline uint64_t orderable(double t) noexcept {
  uint64_t u;
  std::memcpy(&u, &t, sizeof u);
  return (u >> 63) != 0 ? ~u : (u | (uint64_t{1} << 63));
}
inline double from_orderable(uint64_t u) noexcept {
  u = (u >> 63) != 0 ? (u & ~(uint64_t{1} << 63)) : ~u;
  double t;
  std::memcpy(&t, &u, sizeof t);
  return t;
}

__extension__ typedef unsigned __int128 U128;

// An event of one container (its finish, or its keep-alive deadline), 16 bytes: the time as an
// orderable integer, then the order it was scheduled in (high 40 bits, the tie-break) packed
// with the container's slot (low 24).
struct SlotEvent {
  static constexpr unsigned kSlotBits = 24;
  static constexpr uint64_t kSlotMask = (uint64_t{1} << kSlotBits) - 1;
  uint64_t key;
  uint64_t order;
  SlotEvent(double t, uint64_t seq, uint32_t slot) noexcept
      : key(orderable(t)), order((seq << kSlotBits) | slot) {}
  SlotEvent() noexcept : key(0), order(0) {}
  SlotEvent(uint64_t k, uint64_t o) noexcept : key(k), order(o) {}
  double time() const noexcept { return from_orderable(key); }
  uint32_t slot() const noexcept { return static_cast<uint32_t>(order & kSlotMask); }
  // One 128-bit comparison (a compare and a subtract with borrow, no branch).
  static bool before(const SlotEvent& a, const SlotEvent& b) noexcept {
    return ((static_cast<U128>(a.key) << 64) | a.order) <
           ((static_cast<U128>(b.key) << 64) | b.order);
  }
};
struct TimedEvent {
  double t;
  uint64_t seq;
  bool prewarm;
  uint64_t payload;  // timer token or function index
  double time() const noexcept { return t; }
  static bool before(const TimedEvent& a, const TimedEvent& b) noexcept {
    return a.t < b.t || (a.t == b.t && a.seq < b.seq);
  }
};

// A kArity-ary min-heap ordered by E::before (time, then push order); sifts move a hole instead
// of swapping and choose among the children by selects, without data-dependent branches. Equal
// times pop in push order, which makes runs deterministic.
template <class E>
class EventHeap {
  // Binary: measured faster than 4-ary (which this was) and 8-ary in bench_scale, by 5-8% with
  // 50,000 functions, when it held the finishes (thousands of run queues).
  static constexpr size_t kArity = 2;

 public:
  bool empty() const noexcept { return v_.empty(); }
  double top_time() const noexcept { return v_.empty() ? INFINITY : v_.front().time(); }
  const E& top() const noexcept { return v_.front(); }
  // Replaces the top (the heap must not be empty) by e: one sift instead of a pop and a push.
  void replace_top(const E& e) noexcept {
    v_.front() = e;
    sift_down(0);
  }
  void push(const E& e) {
    v_.push_back(e);
    sift_up(v_.size() - 1);
  }
  E pop() noexcept {
    const E top = v_.front();
    remove_at(0);
    return top;
  }
  void reserve(size_t n) { v_.reserve(n); }

 private:
  static bool before(const E& a, const E& b) noexcept { return E::before(a, b); }
  // The index of the earliest of v_[first .. first + k - 1] (k a power of 2).
  template <size_t k>
  size_t tournament(size_t first) const noexcept {
    if constexpr (k == 2) {
      return before(v_[first + 1], v_[first]) ? first + 1 : first;
    } else {
      const size_t a = tournament<k / 2>(first);
      const size_t b = tournament<k / 2>(first + k / 2);
      return before(v_[b], v_[a]) ? b : a;
    }
  }
  void place(size_t i, const E& e) noexcept { v_[i] = e; }
  void remove_at(size_t i) noexcept {
    const E last = v_.back();
    v_.pop_back();
    if (i == v_.size()) return;
    v_[i] = last;
    sift_down(sift_up(i));
  }
  size_t sift_up(size_t i) noexcept {
    const E e = v_[i];
    while (i > 0) {
      const size_t parent = (i - 1) / kArity;
      if (!before(e, v_[parent])) break;
      place(i, v_[parent]);
      i = parent;
    }
    place(i, e);
    return i;
  }
  void sift_down(size_t i) noexcept {
    const E e = v_[i];
    const size_t n = v_.size();
    for (;;) {
      const size_t first = kArity * i + 1;
      if (first >= n) break;
      size_t best = first;
      if (first + kArity <= n) {
        // All the children: a tournament of selects, no data-dependent branch.
        best = tournament<kArity>(first);
      } else {
        for (size_t c = first + 1; c < n; ++c) best = before(v_[c], v_[best]) ? c : best;
      }
      if (!before(v_[best], e)) break;
      place(i, v_[best]);
      i = best;
    }
    place(i, e);
  }

  std::vector<E> v_;
};

std::string format_time(double t) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3f", t);
  return buf;
}

class Simulation {
 public:
  Simulation(const Trace& trace, const PluginPtr& plugin, const SimConfig& config,
             const Lookahead* lookahead, EventObserver* observer)
      : trace_(trace),
        plugin_(plugin),
        desc_(plugin->descriptor()),
        config_(config),
        lookahead_(lookahead),
        observer_(observer),
        random_(config.seed),
        functions_(trace.functions.size()),
        cold_(trace.functions.size()) {
    infos_.reserve(trace.functions.size());
    for (size_t i = 0; i < trace.functions.size(); ++i) {
      const Function& f = trace.functions[i];
      infos_.push_back(kw_function_info{f.id.c_str(), f.memory_mb, f.cold_ms, f.warm_ms});
      FunctionState& fs = functions_[i];
      fs.memory_mb = f.memory_mb;
      fs.warm_ms = f.warm_ms;
      // The course skeleton computes base + run + pct x run, in that order: the rounding decides
      // which of two containers finishing at about the same time is free first.
      fs.cold_duration = config.compat == Compat::faascache_course
                             ? config.overhead_ms + f.cold_ms + config.overhead_frac * f.cold_ms
                             : f.cold_ms * (1.0 + config.overhead_frac) + config.overhead_ms;
    }
    if (plugin->needs_lookahead() && lookahead_ == nullptr) {
      owned_lookahead_.arrivals = trace.arrivals_by_function();
      lookahead_ = &owned_lookahead_;
    }
    for (const auto& [name, value] : config.params) params_.emplace(name, value);
    // Policy log messages at or above KEEPWARM_LOG (debug, info, warn; default warn) go to stderr.
    if (const char* env = std::getenv("KEEPWARM_LOG"); env != nullptr) {
      const std::string v = env;
      log_level_ = v == "debug" ? KW_LOG_DEBUG : v == "info" ? KW_LOG_INFO : KW_LOG_WARN;
    }
    // The clock starts at the first arrival (policies may read it in create()).
    now_ = trace.times.empty() ? 0.0 : trace.times.front();
    init_host();
  }

  CellResult run() {
    const auto started = std::chrono::steady_clock::now();
    self_ = desc_.create(&host_);
    if (self_ == nullptr) fail("create() failed" + (error_.empty() ? "" : ": " + error_));
    check_error();
    // Hooks the instance said it does not need (kw_host::skip_hooks) are not called.
    on_arrival_ = (skip_hooks_ & KW_SKIP_ON_ARRIVAL) != 0 ? nullptr : desc_.on_arrival;
    choose_warm_ = (skip_hooks_ & KW_SKIP_CHOOSE_WARM) != 0 ? nullptr : desc_.choose_warm;
    hint_ = prefetch_ && prefetch_hint_.base != nullptr && prefetch_hint_.word < kContainerWords;
    try {
      replay();
    } catch (...) {
      desc_.destroy(self_);
      throw;
    }
    desc_.destroy(self_);
    result_.metrics.invocations = trace_.invocation_count();
    result_.metrics.wall_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    result_.per_function.reserve(functions_.size());
    for (size_t fn = 0; fn < functions_.size(); ++fn) {
      const FunctionState& fs = functions_[fn];
      const FunctionCold& fc = cold_[fn];
      FunctionMetrics m;
      m.warm = joined(fs.warm, fc.warm_hi);
      m.cold = joined(fs.cold, fc.cold_hi);
      m.dropped = fc.dropped;
      m.evictions = joined(fs.evictions, fc.evictions_hi);
      m.expirations = fc.expirations;
      m.invocations = m.warm + m.cold + m.dropped;
      result_.per_function.push_back(m);
    }
    return std::move(result_);
  }

 private:
  // ---- the replay loop -------------------------------------------------------------------
  void replay() {
    const size_t n = trace_.invocation_count();
    const double* times = trace_.times.data();
    const uint32_t* fns = trace_.function_of.data();
    // In blocks, so that a trace that is a view of a mapped file is released behind the replay
    // (Column::release): a cell's memory does not grow with the trace's length.
    constexpr size_t kBlock = size_t{1} << 18;
    for (size_t begin = 0; begin < n; begin += kBlock) {
      const size_t end = std::min(n, begin + kBlock);
      if (prefetch_)
        replay_range<true>(times, fns, begin, end, n);
      else
        replay_range<false>(times, fns, begin, end, n);
      trace_.times.release(begin, end);
      trace_.function_of.release(begin, end);
    }
    // The run ends at the last arrival (the clock is there now): nothing after it fires.
    result_.metrics.idle_mb_s = idle_area_ / 1000.0;
    if (desc_.on_end != nullptr) desc_.on_end(self_);
    check_error();
  }

  template <bool kPrefetchArrivals>
  void replay_range(const double* times, const uint32_t* fns, size_t begin, size_t end, size_t n) {
    for (size_t i = begin; i < end; ++i) {
      if constexpr (kPrefetchArrivals) prefetch_arrival(fns, i, n);
      const double t = times[i];
      advance(t);
      const uint32_t fn = fns[i];
      if (on_arrival_ != nullptr) {
        const uint64_t scheduled = seq_;
        on_arrival_(self_, fn);
        check_error();
        // Deadlines, timers and prewarms the hook asked for at or before now. Every event is
        // scheduled with a new seq_, and everything at or before now was handled above: if the
        // hook scheduled nothing, nothing is due.
        if (seq_ != scheduled) advance(t);
      }
      place(fn);
      check_error();
    }
  }

  // The trace is known ahead, so the records an arrival will touch are fetched into the cache
  // while earlier arrivals are served (with many functions, most of them would be misses): the
  // function record of the arrival kPrefetch * 2 ahead, and for the one kPrefetch ahead (whose
  // record was fetched one stage ago) the container its idle list's tail names now, the one a
  // warm start would reuse. Only hints: nothing here changes what the simulation does.
  static constexpr size_t kPrefetch = KEEPWARM_PREFETCH_DISTANCE;
  // Always inline: GCC finds a function that only prefetches free of side effects and drops
  // calls to it.
  [[gnu::always_inline]] void prefetch_arrival(const uint32_t* fns, size_t i,
                                               size_t n) const noexcept {
    if (i + 2 * kPrefetch < n) __builtin_prefetch(&functions_[fns[i + 2 * kPrefetch]], 1);
    if (i + kPrefetch < n) {
      const uint32_t tail = functions_[fns[i + kPrefetch]].idle_tail;
      if (tail < containers_.size()) __builtin_prefetch(&containers_[tail], 1);
    }
    // The policy's state of the container for the arrival kPrefetch / 2 ahead (its record was
    // fetched kPrefetch / 2 arrivals ago): kw_host::prefetch_hint.
    if (hint_ && i + kPrefetch / 2 < n) {
      const uint32_t tail = functions_[fns[i + kPrefetch / 2]].idle_tail;
      if (tail < containers_.size()) {
        const uint64_t v = containers_[tail].words[prefetch_hint_.word];
        // As integers: a wrong hint is never undefined behaviour.
        const uintptr_t base = reinterpret_cast<uintptr_t>(*prefetch_hint_.base);
        if (v != 0 && base != 0) {
          const uintptr_t scale = prefetch_hint_.scale;
          __builtin_prefetch(reinterpret_cast<const void*>(base + (v - 1) * scale), 1);
          if ((prefetch_hint_.flags & KW_PREFETCH_HEAP_CHILDREN) != 0)
            __builtin_prefetch(reinterpret_cast<const void*>(base + (2 * v - 1) * scale), 0);
        }
      }
    }
    // The next finish: its container was fetched when it neared the top (finishes_'s
    // FetchContainer); now its function's record.
    if (!finishes_.empty())
      __builtin_prefetch(&functions_[containers_[finishes_.top().slot()].fn], 1);
  }

  // Handles, in time order, every pending event at or before t; then sets the clock to t.
  void advance(double t) {
    for (;;) {
      const double tf = finishes_.top_time();
      if (!(other_bound_ <= t && other_bound_ <= tf)) [[likely]] {
        // No deadline, timer or prewarm is due before the next finish or t (a hook may schedule
        // them: other_bound_ is checked again after each finish).
        if (!(tf <= t)) break;
        set_clock(tf);
        finish_next();
        check_error();
        continue;
      }
      const double tt = timed_.top_time();
      // A bound at or before the earliest deadline, exact when it could be the next event.
      double te = expiries_.lower_bound();
      if (te <= t && te <= tf && te <= tt) te = expiries_.top_time();
      const double m = std::min(tf, std::min(te, tt));
      other_bound_ = std::min(te, tt);  // tight now (te exact if it could come first)
      if (!(m <= t)) break;
      set_clock(m);
      if (tf == m) {
        finish_next();
      } else if (te == m) {
        remove(expiries_.pop().slot(), KW_REMOVED_EXPIRED);
        other_bound_ = std::min(expiries_.lower_bound(), timed_.top_time());
      } else {
        const TimedEvent e = timed_.pop();
        other_bound_ = std::min(expiries_.lower_bound(), timed_.top_time());
        if (e.prewarm)
          prewarm(static_cast<uint32_t>(e.payload));
        else if (desc_.on_timer != nullptr)
          desc_.on_timer(self_, e.payload);
      }
      check_error();
    }
    set_clock(t);
  }

  // Moves the clock forward to t, adding the idle memory held since to the idle MB*ms.
  void set_clock(double t) noexcept {
    if (t > now_) {
      idle_area_ += static_cast<double>(idle_mb_) * (t - now_);
      now_ = t;
    }
  }

  // Serves one invocation of fn at now_.
  void place(uint32_t fn) {
    FunctionState& fs = functions_[fn];
    if (fs.idle > 0) {
      uint32_t slot = fs.zombies == 0 ? fs.idle_tail : live_top(fs);
      if (choose_warm_ != nullptr) {
        const kw_container_id chosen = choose_warm_(self_, fn);
        check_error();
        if (chosen != KW_NO_CONTAINER) {
          slot = checked_idle(chosen, "choose_warm");
          if (containers_[slot].fn != fn)
            fail("choose_warm returned container " + std::to_string(chosen) +
                 " of another function");
        }
      }
      Container& c = containers_[slot];
      take_idle(slot, fs);
      c.state = State::running;
      expiries_.erase(slot);  // reuse cancels the keep-alive deadline
      ++fs.running;
      if (c.prewarmed_unused) {
        c.prewarmed_unused = false;
        ++result_.metrics.prewarm_hits;
      }
      ++result_.metrics.warm;
      count(fs.warm, cold_[fn].warm_hi);
      start_run(slot, fs, kWarmRun, now_ + fs.warm_ms);
      if (observer_ != nullptr) [[unlikely]]
        observer_->arrival(now_, fn, Outcome::warm, handle(slot));
      if (desc_.on_container_started != nullptr)
        desc_.on_container_started(self_, handle(slot), fn, KW_START_WARM);
      return;
    }

    const uint64_t need = fs.memory_mb;
    if (config_.memory_mb - used_mb_ < need) {
      if (!make_room(fn, need)) {
        ++result_.metrics.dropped;
        ++cold_[fn].dropped;
        if (observer_ != nullptr) [[unlikely]]
          observer_->arrival(now_, fn, Outcome::dropped, KW_NO_CONTAINER);
        return;
      }
    }
    const uint32_t slot = allocate(fn);
    Container& c = containers_[slot];
    c.state = State::running;
    ++fs.running;
    ++result_.metrics.cold;
    count(fs.cold, cold_[fn].cold_hi);
    const double duration = fs.cold_duration;
    result_.metrics.added_latency_ms += duration - fs.warm_ms;
    start_run(slot, fs, kColdRun, now_ + duration);
    if (observer_ != nullptr) [[unlikely]]
      observer_->arrival(now_, fn, Outcome::cold, handle(slot));
    if (desc_.on_container_started != nullptr)
      desc_.on_container_started(self_, handle(slot), fn, KW_START_COLD);
  }

  // Evicts idle containers chosen by the policy so that `need` MB fit. Returns false when the
  // invocation must be dropped.
  bool make_room(uint32_t fn, uint64_t need) {
    if (config_.compat != Compat::none) {
      // Both references asks for victims until their memory alone covers the need, ignoring what
      // is already free, and keeps what it evicted even if the invocation is then dropped.
      uint64_t freed = 0;
      while (freed < need && idle_count_ > 0) freed += evict_one(fn);
      return config_.memory_mb - used_mb_ >= need;
    }
    if (config_.memory_mb - used_mb_ + idle_mb_ < need) return false;
    while (config_.memory_mb - used_mb_ < need) evict_one(fn);
    return true;
  }

  uint32_t evict_one(uint32_t for_fn) {
    const kw_container_id victim = desc_.choose_victim(self_, for_fn);
    check_error();
    return remove(checked_idle(victim, "choose_victim"), KW_REMOVED_EVICTED);
  }

  // Schedules the finish of running container slot (of fs) at time finish, at the tail of its
  // run queue: queues are in finish order because every run of a queue lasts the same time.
  void start_run(uint32_t slot, FunctionState& fs, uint8_t kind, double finish) {
    const SlotEvent e{finish, seq_++, slot};
    Container& c = containers_[slot];
    c.run_kind = kind;
    c.run_next = kNil;
    if (fs.run_tail[kind] == kNil) {
      fs.run_head[kind] = slot;
      finishes_.push(e);  // a new head
    } else {
      Container& tail = containers_[fs.run_tail[kind]];
      tail.run_next = slot;
      tail.next_key = e.key;
      tail.next_order = e.order;
    }
    fs.run_tail[kind] = slot;
  }

  // Finishes the container at the top of the finish queue (the earliest head of a run queue).
  void finish_next() {
    const uint32_t slot = finishes_.top().slot();
    Container& c = containers_[slot];
    FunctionState& fs = functions_[c.fn];
    const uint8_t kind = c.run_kind;
    const uint32_t next = c.run_next;
    fs.run_head[kind] = next;
    if (next == kNil) {
      fs.run_tail[kind] = kNil;
      finishes_.pop();
    } else {
      finishes_.replace_top(SlotEvent{c.next_key, c.next_order});
    }
    if (prefetch_ && !finishes_.empty())
      __builtin_prefetch(&containers_[finishes_.top().slot()], 1);
    finish(slot);
  }

  void finish(uint32_t slot) {
    Container& c = containers_[slot];
    const uint32_t fn = c.fn;
    c.state = State::idle;
    c.next_order = kNoDeadline;  // (its run_next's finish is in finishes_ by now)
    --functions_[fn].running;
    link_idle(slot);
    if (desc_.on_container_idle != nullptr) idle_hook(slot, fn);
  }

  // Calls on_container_idle for the container in slot, then applies the keep-alive deadline the
  // hook may have left in kw_host::idle_keepalive.
  void idle_hook(uint32_t slot, uint32_t fn) {
    const kw_container_id id = handle(slot);
    desc_.on_container_idle(self_, id, fn);
    if (!std::isnan(idle_keepalive_)) {
      const double deadline = idle_keepalive_;
      idle_keepalive_ = NAN;
      set_keepalive(id, deadline);
    }
  }

  // kw_host::set_keepalive.
  void set_keepalive(kw_container_id id, double deadline) {
    const uint32_t slot = KW_CONTAINER_SLOT(id);
    if (slot >= containers_.size() || containers_[slot].state != State::idle ||
        containers_[slot].generation != static_cast<uint32_t>(id >> 32) || std::isnan(deadline))
        [[unlikely]]
      return bad_keepalive(id);
    // A new deadline replaces the old one (push cancels it); INFINITY only clears it.
    if (deadline == INFINITY)
      expiries_.erase(slot);
    else
      push_deadline(SlotEvent{std::max(deadline, now_), seq_++, slot});
  }
  // Every deadline and timed event is pushed here, so that other_bound_ stays at or before them.
  void push_deadline(const SlotEvent& e) {
    expiries_.push(e);
    other_bound_ = std::min(other_bound_, e.time());
  }
  void push_timed(const TimedEvent& e) {
    timed_.push(e);
    other_bound_ = std::min(other_bound_, e.t);
  }
  // Out of line, so that the checks above cost the hot path few registers.
  [[gnu::noinline, gnu::cold]] void bad_keepalive(kw_container_id id) {
    const uint32_t slot = live_slot(id);
    if (slot == kNil || containers_[slot].state != State::idle)
      soft_fail("set_keepalive on container " + std::to_string(id) +
                ", which is not an idle container");
    else
      soft_fail("set_keepalive with a NaN deadline");
  }

  // Creates an idle container of fn if its memory is free (kNil otherwise), calling no hook.
  uint32_t create_prewarmed(uint32_t fn) {
    const uint64_t mb = functions_[fn].memory_mb;
    if (config_.memory_mb - used_mb_ < mb) {
      if (observer_ != nullptr) [[unlikely]]
        observer_->prewarm(now_, KW_NO_CONTAINER, fn, false);
      return kNil;
    }
    const uint32_t slot = allocate(fn);
    Container& c = containers_[slot];
    c.state = State::idle;
    c.prewarmed_unused = true;
    link_idle(slot);
    ++result_.metrics.prewarms;
    if (observer_ != nullptr) [[unlikely]]
      observer_->prewarm(now_, handle(slot), fn, true);
    return slot;
  }

  void prewarm(uint32_t fn) {
    const uint32_t slot = create_prewarmed(fn);
    if (slot == kNil) return;
    if (desc_.on_container_started != nullptr)
      desc_.on_container_started(self_, handle(slot), fn, KW_START_PREWARM);
    check_error();
    // Host calls only schedule events, so the container is still idle here.
    if (desc_.on_container_idle != nullptr) idle_hook(slot, fn);
  }

  // Removes an idle container (eviction, expiry or release) and tells the policy (unless the
  // policy asked for it with remove_now). Returns its memory.
  uint32_t remove(uint32_t slot, kw_removal_reason reason, bool tell = true) {
    Container& c = containers_[slot];
    const uint32_t fn = c.fn;
    FunctionState& fs = functions_[fn];
    const uint32_t mb = fs.memory_mb;
    used_mb_ -= mb;
    c.prewarmed_unused = false;
    expiries_.erase(slot);
    const kw_container_id id = handle(slot);
    ++c.generation;
    leave_chain(slot, fs);
    if (reason == KW_REMOVED_EVICTED) {
      ++result_.metrics.evictions;
      count(fs.evictions, cold_[fn].evictions_hi);
    } else if (reason == KW_REMOVED_EXPIRED) {
      ++result_.metrics.expirations;
      ++cold_[fn].expirations;
    }
    if (observer_ != nullptr) [[unlikely]]
      observer_->removal(now_, id, fn, mb, reason);
    if (tell && desc_.on_container_removed != nullptr)
      desc_.on_container_removed(self_, id, fn, reason);
    return mb;
  }

  uint32_t allocate(uint32_t fn) {
    uint32_t slot;
    if (!free_slots_.empty()) {
      slot = free_slots_.back();
      free_slots_.pop_back();
    } else {
      slot = static_cast<uint32_t>(containers_.size());
      if (slot > SlotEvent::kSlotMask)
        throw std::runtime_error("more than " + std::to_string(SlotEvent::kSlotMask + 1) +
                                 " containers alive at once: beyond what keepwarm supports");
      containers_.emplace_back();
      words_ = containers_.front().words;  // the vector may have moved
    }
    Container& c = containers_[slot];
    c.fn = fn;
    c.next_order = kNoDeadline;
    std::fill(std::begin(c.words), std::end(c.words), uint64_t{0});
    used_mb_ += functions_[fn].memory_mb;
    result_.metrics.peak_memory_mb = std::max(result_.metrics.peak_memory_mb, used_mb_);
    return slot;
  }

  // A function's idle containers form a chain through Container::prev from fs.idle_tail, most
  // recently idled first: a warm start takes the first live one, so taking and adding at the top
  // write only the container and the function's record. A container removed from below the top
  // (an eviction or expiry) stays on the chain as a zombie: unlinking it would write its
  // neighbours (with many functions, a cache line each). Zombies leave the chain when they come
  // to its top, or all at once when they outnumber the function's idle containers (rebuild_chain:
  // so a chain is at most twice as long as the function's idle containers once were, and the
  // walk is paid for by the removals that made the zombies).
  void link_idle(uint32_t slot) noexcept {
    Container& c = containers_[slot];
    FunctionState& fs = functions_[c.fn];
    c.prev = fs.idle_tail;
    fs.idle_tail = slot;
    ++fs.idle;
    ++idle_count_;
    idle_mb_ += fs.memory_mb;
  }
  // The first idle container of fs's chain (fs.idle > 0), freeing the zombies above it.
  uint32_t live_top(FunctionState& fs) {
    uint32_t slot = fs.idle_tail;
    while (containers_[slot].state == State::zombie) {
      const uint32_t below = containers_[slot].prev;
      free_slot(slot);
      --fs.zombies;
      slot = below;
    }
    fs.idle_tail = slot;
    return slot;
  }
  // Takes the idle container in slot off fs's chain, to run it: O(1) for the top (live_top); a
  // container below it (chosen by choose_warm) costs a walk of the chain.
  void take_idle(uint32_t slot, FunctionState& fs) {
    if (slot == fs.idle_tail)
      fs.idle_tail = containers_[slot].prev;
    else
      rebuild_chain(fs, slot);
    count_taken(fs);
  }
  // The idle container in slot was removed (its generation already advanced): off the chain if
  // it is the top, else a zombie.
  void leave_chain(uint32_t slot, FunctionState& fs) {
    count_taken(fs);
    if (slot == fs.idle_tail) {
      fs.idle_tail = containers_[slot].prev;
      free_slot(slot);
      return;
    }
    containers_[slot].state = State::zombie;
    if (++fs.zombies > fs.idle) rebuild_chain(fs, kNil);
  }
  void count_taken(FunctionState& fs) noexcept {
    --fs.idle;
    --idle_count_;
    idle_mb_ -= fs.memory_mb;
  }
  // Relinks fs's chain without its zombies (freed) and without `except` (an idle container being
  // taken, or kNil), in the same order.
  [[gnu::noinline]] void rebuild_chain(FunctionState& fs, uint32_t except) {
    uint32_t kept = kNil;  // the last container kept, whose prev is set when the next is found
    uint32_t slot = fs.idle_tail;
    fs.idle_tail = kNil;
    while (slot != kNil) {
      Container& c = containers_[slot];
      const uint32_t below = c.prev;
      if (c.state == State::zombie) {
        free_slot(slot);
      } else if (slot != except) {
        (kept == kNil ? fs.idle_tail : containers_[kept].prev) = slot;
        kept = slot;
      }
      slot = below;
    }
    if (kept != kNil) containers_[kept].prev = kNil;
    fs.zombies = 0;
  }
  void free_slot(uint32_t slot) {
    containers_[slot].state = State::free;
    free_slots_.push_back(slot);
  }

  kw_container_id handle(uint32_t slot) const noexcept {
    return (static_cast<uint64_t>(containers_[slot].generation) << 32) | slot;
  }
  // Slot of a live container handle, or kNil.
  uint32_t live_slot(kw_container_id id) const noexcept {
    const uint32_t slot = KW_CONTAINER_SLOT(id);
    if (slot >= containers_.size()) return kNil;
    const Container& c = containers_[slot];
    if (c.state == State::free || c.state == State::zombie ||
        c.generation != static_cast<uint32_t>(id >> 32))
      return kNil;
    return slot;
  }
  // The slot of id if it is an idle container; otherwise the run fails, naming the hook. The
  // check is inline (one load and compare of the container); the messages are out of line.
  uint32_t checked_idle(kw_container_id id, const char* hook) {
    const uint32_t slot = KW_CONTAINER_SLOT(id);
    if (slot < containers_.size()) [[likely]] {
      const Container& c = containers_[slot];
      if (c.state == State::idle && c.generation == static_cast<uint32_t>(id >> 32)) [[likely]]
        return slot;
    }
    not_idle(id, hook);
  }
  [[noreturn, gnu::noinline, gnu::cold]] void not_idle(kw_container_id id, const char* hook) {
    const uint32_t slot = live_slot(id);
    if (slot == kNil) {
      if (id == KW_NO_CONTAINER)
        fail(std::string(hook) + " returned no container while " + std::to_string(idle_count_) +
             " idle container(s) exist");
      fail(std::string(hook) + " returned " + std::to_string(id) +
           ", which is not a live container");
    }
    fail(std::string(hook) + " returned container " + std::to_string(id) + " of function '" +
         trace_.functions[containers_[slot].fn].id + "', which is running, not idle");
  }

  void check_error() {
    if (!error_.empty()) [[unlikely]]
      fail(error_);
  }
  [[noreturn]] void fail(const std::string& what) {
    throw PolicyError("policy " + plugin_->label() + " at t=" + format_time(now_) + " ms: " + what);
  }
  void soft_fail(std::string what) {
    if (error_.empty()) error_ = std::move(what);
  }

  // ---- host callbacks --------------------------------------------------------------------
  static Simulation& of(const kw_host* h) { return *static_cast<Simulation*>(h->host_data); }

  void init_host() {
    host_.struct_size = sizeof(kw_host);
    host_.host_data = this;
    host_.now = [](const kw_host* h) { return of(h).now_; };
    host_.clock = &now_;
    host_.skip_hooks = &skip_hooks_;
    host_.container_words = &words_;
    host_.container_word_stride = sizeof(Container) / sizeof(uint64_t);
    host_.container_word_count = kContainerWords;
    host_.function_count = [](const kw_host* h) {
      return static_cast<uint32_t>(of(h).infos_.size());
    };
    host_.function = [](const kw_host* h, kw_function_id fn) -> const kw_function_info* {
      const Simulation& s = of(h);
      return fn < s.infos_.size() ? &s.infos_[fn] : nullptr;
    };
    host_.capacity_mb = [](const kw_host* h) { return of(h).config_.memory_mb; };
    host_.used_mb = [](const kw_host* h) { return of(h).used_mb_; };
    host_.idle_count = [](const kw_host* h, kw_function_id fn) {
      const Simulation& s = of(h);
      return fn < s.functions_.size() ? s.functions_[fn].idle : 0u;
    };
    host_.running_count = [](const kw_host* h, kw_function_id fn) {
      const Simulation& s = of(h);
      return fn < s.functions_.size() ? s.functions_[fn].running : 0u;
    };
    host_.set_keepalive = [](const kw_host* h, kw_container_id c, double deadline) {
      of(h).set_keepalive(c, deadline);
    };
    host_.idle_keepalive = &idle_keepalive_;
    host_.prefetch_hint = &prefetch_hint_;
    host_.request_prewarm = [](const kw_host* h, kw_function_id fn, double at) {
      Simulation& s = of(h);
      if (fn >= s.functions_.size() || std::isnan(at)) {
        s.soft_fail("request_prewarm for function " + std::to_string(fn) +
                    (std::isnan(at) ? " at NaN" : ", which does not exist"));
        return;
      }
      s.push_timed(TimedEvent{std::max(at, s.now_), s.seq_++, true, fn});
    };
    host_.set_timer = [](const kw_host* h, double at, uint64_t token) {
      Simulation& s = of(h);
      if (std::isnan(at)) {
        s.soft_fail("set_timer at NaN");
        return;
      }
      s.push_timed(TimedEvent{std::max(at, s.now_), s.seq_++, false, token});
    };
    host_.random_u64 = [](const kw_host* h) { return of(h).random_.next(); };
    host_.param = [](const kw_host* h, const char* name) -> const char* {
      const Simulation& s = of(h);
      if (name == nullptr) return nullptr;
      const auto it = s.params_.find(name);
      return it == s.params_.end() ? nullptr : it->second.c_str();
    };
    host_.log = [](const kw_host* h, kw_log_level level, const char* message) {
      const Simulation& s = of(h);
      if (message == nullptr || static_cast<int>(level) < s.log_level_) return;
      static const char* const names[] = {"debug", "info", "warning"};
      std::fprintf(stderr, "keepwarm: policy '%s' at t=%.3f ms (%llu MB, seed %llu): %s: %s\n",
                   s.plugin_->name().c_str(), s.now_,
                   static_cast<unsigned long long>(s.config_.memory_mb),
                   static_cast<unsigned long long>(s.config_.seed),
                   names[std::min<int>(std::max<int>(level, 0), 2)], message);
    };
    host_.report_error = [](const kw_host* h, const char* message) {
      of(h).soft_fail(message != nullptr ? message : "error reported without a message");
    };
    host_.compat_mode = [](const kw_host* h) {
      switch (of(h).config_.compat) {
        case Compat::faascache:
          return KW_COMPAT_FAASCACHE;
        case Compat::faascache_course:
          return KW_COMPAT_FAASCACHE_COURSE;
        case Compat::none:
          break;
      }
      return KW_COMPAT_NONE;
    };
    host_.seed = [](const kw_host* h) { return of(h).config_.seed; };
    host_.prewarm_now = [](const kw_host* h, kw_function_id fn) -> kw_container_id {
      Simulation& s = of(h);
      if (fn >= s.functions_.size()) {
        s.soft_fail("prewarm_now for function " + std::to_string(fn) + ", which does not exist");
        return KW_NO_CONTAINER;
      }
      const uint32_t slot = s.create_prewarmed(fn);
      return slot == kNil ? KW_NO_CONTAINER : s.handle(slot);
    };
    host_.remove_now = [](const kw_host* h, kw_container_id c, kw_removal_reason reason) {
      Simulation& s = of(h);
      const uint32_t slot = s.live_slot(c);
      if (slot == kNil || s.containers_[slot].state != State::idle) return false;
      if (reason != KW_REMOVED_EVICTED && reason != KW_REMOVED_EXPIRED &&
          reason != KW_REMOVED_RELEASED) {
        s.soft_fail("remove_now with unknown reason " + std::to_string(static_cast<int>(reason)));
        return false;
      }
      s.remove(slot, reason, false);
      return true;
    };
    host_.arrivals = [](const kw_host* h, kw_function_id fn, const double** times,
                        uint64_t* count) {
      const Simulation& s = of(h);
      if (s.lookahead_ == nullptr || fn >= s.lookahead_->arrivals.size() || times == nullptr ||
          count == nullptr)
        return false;
      *times = s.lookahead_->arrivals[fn].data();
      *count = s.lookahead_->arrivals[fn].size();
      return true;
    };
  }

  const Trace& trace_;
  PluginPtr plugin_;
  const kw_policy_descriptor& desc_;
  const SimConfig& config_;
  const Lookahead* lookahead_;
  Lookahead owned_lookahead_;
  EventObserver* observer_;
  Rng random_;  // xoshiro256** seeded through splitmix64 (keepwarm/traces/formats.hpp)
  kw_host host_{};
  void* self_ = nullptr;
  uint32_t skip_hooks_ = 0;           // set by the policy in create()
  double idle_keepalive_ = NAN;       // kw_host::idle_keepalive: NaN outside on_container_idle
  kw_prefetch_hint prefetch_hint_{};  // set by the policy in create()
  bool hint_ = false;                 // prefetch_ and a hint was given
  decltype(kw_policy_descriptor::on_arrival) on_arrival_ = nullptr;    // after skip_hooks
  decltype(kw_policy_descriptor::choose_warm) choose_warm_ = nullptr;  // after skip_hooks
  std::string error_;
  int log_level_ = KW_LOG_WARN;

  std::vector<kw_function_info> infos_;
  std::map<std::string, std::string, std::less<>> params_;

  std::vector<Container> containers_;
  uint64_t* words_ = nullptr;  // containers_.front().words (kw_host::container_words)
  std::vector<uint32_t> free_slots_;
  std::vector<FunctionState> functions_;
  std::vector<FunctionCold> cold_;
  // Finish events: every one is scheduled after the last one handled, so a timing wheel
  // (wheel_queue.hpp) pops them in (time, schedule order) order, exactly as a heap would.
  // With many functions (prefetch_), the containers of the finishes that come next (those in
  // the wheel's earliest bucket), fetched into the cache.
  struct FetchContainer {
    const Simulation* sim;
    void operator()(const SlotEvent& e) const noexcept {
      if (sim->prefetch_) __builtin_prefetch(&sim->containers_[e.slot()], 1);
    }
  };
  WheelQueue<SlotEvent, FetchContainer> finishes_{FetchContainer{this}};
  // The live order of a container's deadline in its record (Container::next_order, which only a
  // running container uses otherwise; every container with a deadline is idle).
  struct ContainerOrders {
    std::vector<Container>* containers;
    bool has(uint32_t slot) const noexcept { return slot < containers->size(); }
    void add(uint32_t) const noexcept {}  // every slot pushed is a container's
    uint64_t& operator[](uint32_t slot) const noexcept { return (*containers)[slot].next_order; }
  };
  // Keep-alive deadlines, one per idle container at most.
  DeadlineQueue<SlotEvent, ContainerOrders> expiries_{ContainerOrders{&containers_}};
  EventHeap<TimedEvent> timed_;
  // At or before every live deadline and timed event (INFINITY if none; exact after the events
  // are popped or looked at closely in advance(), and lowered by every push; a cancelled deadline
  // may leave it early, which only costs a closer look): while it is after the next finish, the
  // replay handles finishes alone.
  double other_bound_ = INFINITY;
  uint64_t seq_ = 0;
  // Prefetching pays only when the per-function records outgrow the caches: with 300 or 1000
  // functions it cost 1-4% (bench_engine, bench_scale), with 50,000 it saves 15%.
  static constexpr size_t kPrefetchFunctions = 8192;
  bool prefetch_ = trace_.functions.size() >= kPrefetchFunctions;

  double now_ = -INFINITY;
  uint64_t used_mb_ = 0;
  uint64_t idle_mb_ = 0;
  uint32_t idle_count_ = 0;
  double idle_area_ = 0;  // MB*ms

  CellResult result_;
};

}  // namespace

CellResult simulate(const Trace& trace, const PluginPtr& plugin, const SimConfig& config,
                    const Lookahead* lookahead, EventObserver* observer) {
  Simulation sim(trace, plugin, config, lookahead, observer);
  return sim.run();
}

}  // namespace keepwarm
