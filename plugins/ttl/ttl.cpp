// ttl: fixed keep-alive. Every container that goes idle is kept for keepalive_min minutes
// (host set_keepalive) and then removed unless reused first; under memory pressure the least
// recently used idle container is evicted. O(log n) per event.
//
// Deadlines are now + keepalive_min at each idle event, so they come in idle order: the policy
// keeps them in a FIFO queue and holds a single host timer at the queue's head, instead of one
// host keep-alive deadline per idle event (an O(log n) update of the host's deadline heap at
// every idle event and every reuse: about 20% slower in bench_policies). When the timer fires, due
// containers are removed with set_keepalive(c, now), which the host carries out right after the
// hook, before any arrival at that time: the same outcome as a host deadline, at O(1) amortised per
// event.
//
// faascache compat mode reproduces the reference's TTL (keepwarm/faascache_pool.hpp): a
// container's time to live counts from the start of the last invocation it served, and expired
// containers of f are purged only when f is next invoked; so expired containers of other
// functions keep holding memory. Eviction is LRU in the reference's heap order.
#include <keepwarm/policy.hpp>
#include <keepwarm/priority_policy.hpp>

#include <array>
#include <cmath>
#include <deque>
#include <vector>

namespace {

class Ttl final : public keepwarm::PriorityPolicy<Ttl> {
 public:
  static constexpr const char* kName = "ttl";
  static constexpr keepwarm::faascache::Rule kFaasCacheRule = keepwarm::faascache::Rule::ttl;
  static constexpr const char* kVersion = "1.1.0";
  static constexpr bool kUsesFrequency = false;  // the priority is the time of the last start
  static constexpr const char* kDescription =
      "fixed keep-alive: remove idle containers after keepalive_min minutes; evict LRU under "
      "memory pressure";
  static constexpr const char* kAuthor = "keepwarm developers";
  static constexpr std::array<kw_param_decl, 1> kParams{{
      {"keepalive_min", KW_PARAM_DOUBLE, "10",
       "keep-alive time of an idle container, minutes (> 0)"},
  }};

  explicit Ttl(const kw_host* h)
      : PriorityPolicy(h), ttl_ms_(host().param_double("keepalive_min") * 60'000.0) {
    if (!(ttl_ms_ > 0)) throw std::invalid_argument("keepalive_min must be > 0");
    if (compat()) faascache_pool()->set_ttl_ms(ttl_ms_);
  }

  double priority(kw_function_id, double, double) const noexcept { return host().now(); }

  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    PriorityPolicy::on_container_idle(c, fn);
    if (compat()) return;  // the pool purges expired containers at the function's next arrival
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot >= idle_epoch_.size()) idle_epoch_.resize(slot + 1, 0);
    ++idle_epoch_[slot];
    queue_.push_back(Pending{host().now() + ttl_ms_, c, idle_epoch_[slot]});
    if (!timer_pending_) arm();
  }
  void on_container_started(kw_container_id c, kw_function_id fn, kw_start_kind kind) override {
    PriorityPolicy::on_container_started(c, fn, kind);
    if (!compat()) invalidate(c);
  }
  void on_container_removed(kw_container_id c, kw_function_id fn,
                            kw_removal_reason reason) override {
    PriorityPolicy::on_container_removed(c, fn, reason);
    if (!compat()) invalidate(c);
  }
  void on_timer(uint64_t) override {
    timer_pending_ = false;
    const double now = host().now();
    while (!queue_.empty() && (stale(queue_.front()) || queue_.front().deadline <= now)) {
      const Pending p = queue_.front();
      queue_.pop_front();
      if (!stale(p)) host().set_keepalive(p.c, now);  // its removal invalidates it
    }
    arm();
  }

 private:
  struct Pending {
    double deadline;
    kw_container_id c;
    uint64_t epoch;  // idle_epoch_ of c's slot when queued
  };
  bool stale(const Pending& p) const noexcept {
    return idle_epoch_[KW_CONTAINER_SLOT(p.c)] != p.epoch;
  }
  void invalidate(kw_container_id c) {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    if (slot < idle_epoch_.size()) ++idle_epoch_[slot];
  }
  // Sets the timer for the first live deadline in the queue (dropping stale entries).
  void arm() {
    while (!queue_.empty() && stale(queue_.front())) queue_.pop_front();
    if (queue_.empty()) return;
    host().set_timer(queue_.front().deadline, 0);
    timer_pending_ = true;
  }

  double ttl_ms_;
  std::deque<Pending> queue_;
  std::vector<uint64_t> idle_epoch_;
  bool timer_pending_ = false;
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Ttl)
