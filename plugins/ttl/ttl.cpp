// ttl: fixed keep-alive. Every container that goes idle is kept for keepalive_min minutes
// (host set_keepalive) and then removed unless reused first; under memory pressure the least
// recently used idle container is evicted. O(log n) per event.
//
// faascache compat mode reproduces the reference's TTL: a container's time to live counts from
// the start of the last invocation it served, and expired containers of f are purged only when
// f is next invoked (inside on_arrival, by set_keepalive(c, now)); so expired containers of
// other functions keep holding memory. Eviction is LRU with per-function recency, and a warm
// start reuses the idle container of f that started longest ago.
#include <keepwarm/policy.hpp>
#include <keepwarm/priority_policy.hpp>

#include <array>
#include <vector>

namespace {

class Ttl final : public keepwarm::PriorityPolicy<Ttl> {
 public:
  static constexpr const char* kName = "ttl";
  static constexpr const char* kVersion = "1.0.0";
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
  }

  double priority(kw_function_id, double, double) const noexcept { return host().now(); }

  void on_arrival(kw_function_id fn) override {
    if (!compat()) return;
    const double now = host().now();
    expired_.clear();
    for (const uint32_t slot : idle_slots(fn))
      if (started_at_slot(slot) + ttl_ms_ < now) expired_.push_back(id_of_slot(slot));
    for (const kw_container_id c : expired_) host().set_keepalive(c, now);
  }

  void on_container_idle(kw_container_id c, kw_function_id fn) override {
    PriorityPolicy::on_container_idle(c, fn);
    if (!compat()) host().set_keepalive(c, host().now() + ttl_ms_);
  }

  kw_container_id choose_warm(kw_function_id fn) override {
    if (!compat()) return KW_NO_CONTAINER;
    uint32_t best = UINT32_MAX;
    for (const uint32_t slot : idle_slots(fn))
      if (best == UINT32_MAX || started_at_slot(slot) < started_at_slot(best)) best = slot;
    return best == UINT32_MAX ? KW_NO_CONTAINER : id_of_slot(best);
  }

 private:
  double ttl_ms_;
  std::vector<kw_container_id> expired_;
};

}  // namespace

KEEPWARM_EXPORT_POLICY(Ttl)
