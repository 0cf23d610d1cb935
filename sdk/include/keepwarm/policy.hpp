// keepwarm/policy.hpp: header-only C++20 layer over the C ABI in policy.h.
//
// Derive from keepwarm::Policy, override the hooks you need, give the class a
// few static members describing it, and export it with one macro:
//
//   class Lru final : public keepwarm::Policy {
//    public:
//     static constexpr const char *kName = "lru";
//     static constexpr const char *kVersion = "1.0.0";
//     static constexpr const char *kDescription = "evict the least recently used idle container";
//     using Policy::Policy;
//     kw_container_id choose_victim(kw_function_id for_fn) override;
//   };
//   KEEPWARM_EXPORT_POLICY(Lru)
//
// Optional static members: kAuthor, kUrl (const char *), kFlags (uint64_t,
// KW_POLICY_*), kParams (a std::array<kw_param_decl, N>).
//
// Hooks run inside noexcept trampolines: an exception thrown from a hook is
// reported to the host as a policy error (the run stops, with the message).
#ifndef KEEPWARM_POLICY_HPP
#define KEEPWARM_POLICY_HPP

#include <keepwarm/policy.h>

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

namespace keepwarm {

// Thin, inlined wrapper over the kw_host callback table.
class Host {
 public:
  explicit Host(const kw_host* host) noexcept
      : h_(host),
        clock_(host->struct_size >= offsetof(kw_host, clock) + sizeof host->clock ? host->clock
                                                                                  : nullptr),
        idle_keepalive_(host->struct_size >=
                                offsetof(kw_host, idle_keepalive) + sizeof host->idle_keepalive
                            ? host->idle_keepalive
                            : nullptr) {}

  const kw_host* raw() const noexcept { return h_; }
  // The host's clock as data when the host provides it (no call), else through now().
  double now() const noexcept { return clock_ != nullptr ? *clock_ : h_->now(h_); }
  uint32_t function_count() const noexcept { return h_->function_count(h_); }
  const kw_function_info& function(kw_function_id fn) const {
    const kw_function_info* info = h_->function(h_, fn);
    if (info == nullptr) throw std::out_of_range("function id out of range");
    return *info;
  }
  uint64_t capacity_mb() const noexcept { return h_->capacity_mb(h_); }
  uint64_t used_mb() const noexcept { return h_->used_mb(h_); }
  uint64_t free_mb() const noexcept { return capacity_mb() - used_mb(); }
  uint32_t idle_count(kw_function_id fn) const noexcept { return h_->idle_count(h_, fn); }
  uint32_t running_count(kw_function_id fn) const noexcept { return h_->running_count(h_, fn); }
  void set_keepalive(kw_container_id c, double deadline_ms) const noexcept {
    h_->set_keepalive(h_, c, deadline_ms);
  }
  void clear_keepalive(kw_container_id c) const noexcept { h_->set_keepalive(h_, c, INFINITY); }
  // Inside on_container_idle(c), for c only: set_keepalive(c, deadline_ms), applied when the
  // hook returns (kw_host::idle_keepalive: a store instead of a call), or called now on a host
  // without it.
  void set_idle_keepalive(kw_container_id c, double deadline_ms) const noexcept {
    if (idle_keepalive_ != nullptr && !std::isnan(deadline_ms))  // NaN: set_keepalive reports it
      *idle_keepalive_ = deadline_ms;
    else
      h_->set_keepalive(h_, c, deadline_ms);
  }
  // In create() (a policy's constructor) only: where this instance's state of a container lies
  // (kw_prefetch_hint), for a host that fetches ahead the containers warm starts will reuse.
  // Ignored by a host built before kw_host::prefetch_hint. Only a hint: results do not change.
  void set_prefetch_hint(const kw_prefetch_hint& hint) const noexcept {
    if (h_->struct_size >= offsetof(kw_host, prefetch_hint) + sizeof h_->prefetch_hint &&
        h_->prefetch_hint != nullptr)
      *h_->prefetch_hint = hint;
  }
  void request_prewarm(kw_function_id fn, double at_ms) const noexcept {
    h_->request_prewarm(h_, fn, at_ms);
  }
  void set_timer(double at_ms, uint64_t token) const noexcept { h_->set_timer(h_, at_ms, token); }
  kw_compat_mode compat_mode() const noexcept { return h_->compat_mode(h_); }
  bool faascache_compat() const noexcept { return compat_mode() == KW_COMPAT_FAASCACHE; }
  bool faascache_course_compat() const noexcept {
    return compat_mode() == KW_COMPAT_FAASCACHE_COURSE;
  }
  // ABI 1.1 callbacks (a 1.1 plugin is only ever loaded by a host that has them).
  uint64_t seed() const noexcept { return h_->seed(h_); }
  kw_container_id prewarm_now(kw_function_id fn) const noexcept { return h_->prewarm_now(h_, fn); }
  bool remove_now(kw_container_id c, kw_removal_reason reason) const noexcept {
    return h_->remove_now(h_, c, reason);
  }

  // Random numbers from the run's seeded source.
  uint64_t random_u64() const noexcept { return h_->random_u64(h_); }
  // Uniform integer in [0, n), n > 0, without modulo bias.
  uint64_t uniform(uint64_t n) const noexcept {
    const uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do {
      x = random_u64();
    } while (x >= limit);
    return x % n;
  }
  // Uniform double in [0, 1).
  double uniform01() const noexcept { return static_cast<double>(random_u64() >> 11) * 0x1.0p-53; }

  // Declared parameters (the user's value or the declared default). Throws
  // std::invalid_argument for an undeclared name or an unparsable value.
  std::string_view param(const char* name) const {
    const char* v = h_->param(h_, name);
    if (v == nullptr)
      throw std::invalid_argument(std::string("undeclared parameter '") + name + "'");
    return v;
  }
  int64_t param_int(const char* name) const {
    const std::string s(param(name));
    char* end = nullptr;
    const long long v = std::strtoll(s.c_str(), &end, 10);
    if (s.empty() || *end != '\0')
      throw std::invalid_argument(std::string("parameter '") + name + "' is not an integer: " + s);
    return v;
  }
  double param_double(const char* name) const {
    const std::string s(param(name));
    char* end = nullptr;
    const double v = std::strtod(s.c_str(), &end);
    if (s.empty() || *end != '\0')
      throw std::invalid_argument(std::string("parameter '") + name + "' is not a number: " + s);
    return v;
  }
  bool param_bool(const char* name) const {
    const std::string_view s = param(name);
    if (s == "true") return true;
    if (s == "false") return false;
    throw std::invalid_argument(std::string("parameter '") + name +
                                "' is not true or false: " + std::string(s));
  }

  // Sorted arrival times of fn (lookahead policies only; empty otherwise).
  std::span<const double> arrivals(kw_function_id fn) const noexcept {
    const double* times = nullptr;
    uint64_t count = 0;
    if (!h_->arrivals(h_, fn, &times, &count)) return {};
    return {times, static_cast<size_t>(count)};
  }

  void log(kw_log_level level, const std::string& message) const noexcept {
    h_->log(h_, level, message.c_str());
  }
  void report_error(const char* message) const noexcept { h_->report_error(h_, message); }

 private:
  const kw_host* h_;
  const double* clock_;     // kw_host::clock, or nullptr for a host built before it
  double* idle_keepalive_;  // kw_host::idle_keepalive, or nullptr for a host built before it
};

// Base class of a C++ policy. Not copyable or movable: the host holds a
// pointer to it for the whole run.
class Policy {
 public:
  explicit Policy(const kw_host* host) : host_(host) {}
  virtual ~Policy() = default;
  Policy(const Policy&) = delete;
  Policy& operator=(const Policy&) = delete;
  Policy(Policy&&) = delete;
  Policy& operator=(Policy&&) = delete;

  // Hooks; see kw_policy_descriptor in policy.h for exact timing.
  virtual void on_arrival(kw_function_id /*fn*/) {}
  virtual void on_container_started(kw_container_id /*c*/, kw_function_id /*fn*/,
                                    kw_start_kind /*kind*/) {}
  virtual void on_container_idle(kw_container_id /*c*/, kw_function_id /*fn*/) {}
  virtual kw_container_id choose_victim(kw_function_id for_fn) = 0;
  virtual void on_container_removed(kw_container_id /*c*/, kw_function_id /*fn*/,
                                    kw_removal_reason /*reason*/) {}
  virtual void on_timer(uint64_t /*token*/) {}
  virtual void on_end() {}
  // KW_NO_CONTAINER lets the host reuse the most recently idled container.
  virtual kw_container_id choose_warm(kw_function_id /*fn*/) { return KW_NO_CONTAINER; }

  const Host& host() const noexcept { return host_; }

 protected:
  // Tells the host (call from the constructor) that this instance's overrides of some hooks
  // would do nothing (KW_SKIP_* bits of policy.h), so that it skips the calls. Ignored by a host
  // built before kw_host::skip_hooks.
  void skip_hooks(uint32_t mask) const noexcept {
    const kw_host* h = host_.raw();
    if (h->struct_size >= offsetof(kw_host, skip_hooks) + sizeof h->skip_hooks &&
        h->skip_hooks != nullptr)
      *h->skip_hooks |= mask;
  }

 private:
  Host host_;
};

namespace detail {

inline void report_exception(const kw_host* host) noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    host->report_error(host, e.what());
  } catch (...) {
    host->report_error(host, "unknown C++ exception");
  }
}

template <class P>
struct Trampolines {
  static P* self(void* s) noexcept { return static_cast<P*>(s); }
  static const kw_host* host_of(void* s) noexcept { return self(s)->host().raw(); }

  static void* create(const kw_host* host) noexcept {
    try {
      return static_cast<void*>(new P(host));
    } catch (...) {
      report_exception(host);
      return nullptr;
    }
  }
  static void destroy(void* s) noexcept { delete self(s); }
  static void on_arrival(void* s, kw_function_id fn) noexcept {
    try {
      self(s)->on_arrival(fn);
    } catch (...) {
      report_exception(host_of(s));
    }
  }
  static void on_container_started(void* s, kw_container_id c, kw_function_id fn,
                                   kw_start_kind kind) noexcept {
    try {
      self(s)->on_container_started(c, fn, kind);
    } catch (...) {
      report_exception(host_of(s));
    }
  }
  static void on_container_idle(void* s, kw_container_id c, kw_function_id fn) noexcept {
    try {
      self(s)->on_container_idle(c, fn);
    } catch (...) {
      report_exception(host_of(s));
    }
  }
  static kw_container_id choose_victim(void* s, kw_function_id fn) noexcept {
    try {
      return self(s)->choose_victim(fn);
    } catch (...) {
      report_exception(host_of(s));
      return KW_NO_CONTAINER;
    }
  }
  static void on_container_removed(void* s, kw_container_id c, kw_function_id fn,
                                   kw_removal_reason reason) noexcept {
    try {
      self(s)->on_container_removed(c, fn, reason);
    } catch (...) {
      report_exception(host_of(s));
    }
  }
  static void on_timer(void* s, uint64_t token) noexcept {
    try {
      self(s)->on_timer(token);
    } catch (...) {
      report_exception(host_of(s));
    }
  }
  static void on_end(void* s) noexcept {
    try {
      self(s)->on_end();
    } catch (...) {
      report_exception(host_of(s));
    }
  }
  static kw_container_id choose_warm(void* s, kw_function_id fn) noexcept {
    try {
      return self(s)->choose_warm(fn);
    } catch (...) {
      report_exception(host_of(s));
      return KW_NO_CONTAINER;
    }
  }
};

template <class P>
constexpr const char* author_of() {
  if constexpr (requires { P::kAuthor; })
    return P::kAuthor;
  else
    return nullptr;
}
template <class P>
constexpr const char* url_of() {
  if constexpr (requires { P::kUrl; })
    return P::kUrl;
  else
    return nullptr;
}
template <class P>
constexpr uint64_t flags_of() {
  if constexpr (requires { P::kFlags; })
    return P::kFlags;
  else
    return 0;
}
template <class P>
constexpr const kw_param_decl* params_of() {
  if constexpr (requires { P::kParams; })
    return P::kParams.data();
  else
    return nullptr;
}
template <class P>
constexpr uint32_t param_count_of() {
  if constexpr (requires { P::kParams; })
    return static_cast<uint32_t>(P::kParams.size());
  else
    return 0;
}

}  // namespace detail

// The static descriptor of policy class P.
// A hook that P does not override is left NULL in the descriptor, so the host skips the call
// altogether (the pointer-to-member type names the class that declares the hook).
#define KEEPWARM_DETAIL_HOOK(P, T, hook) \
  (std::is_same_v<decltype(&P::hook), decltype(&::keepwarm::Policy::hook)> ? nullptr : &T::hook)

template <class P>
const kw_policy_descriptor* descriptor_for() noexcept {
  static_assert(std::is_base_of_v<Policy, P>, "a keepwarm policy derives from keepwarm::Policy");
  using T = detail::Trampolines<P>;
  static const kw_policy_descriptor descriptor = {
      {KW_ABI_VERSION_MAJOR, KW_ABI_VERSION_MINOR},
      static_cast<uint32_t>(sizeof(kw_policy_descriptor)),
      P::kName,
      P::kVersion,
      P::kDescription,
      detail::author_of<P>(),
      detail::url_of<P>(),
      detail::flags_of<P>(),
      detail::params_of<P>(),
      detail::param_count_of<P>(),
      &T::create,
      &T::destroy,
      KEEPWARM_DETAIL_HOOK(P, T, on_arrival),
      KEEPWARM_DETAIL_HOOK(P, T, on_container_started),
      KEEPWARM_DETAIL_HOOK(P, T, on_container_idle),
      &T::choose_victim,
      KEEPWARM_DETAIL_HOOK(P, T, on_container_removed),
      KEEPWARM_DETAIL_HOOK(P, T, on_timer),
      KEEPWARM_DETAIL_HOOK(P, T, on_end),
      KEEPWARM_DETAIL_HOOK(P, T, choose_warm),
  };
  return &descriptor;
}

#undef KEEPWARM_DETAIL_HOOK

}  // namespace keepwarm

// Exports class P as this library's policy (use once per plugin library).
#define KEEPWARM_EXPORT_POLICY(P)                                                \
  extern "C" KW_EXPORT const kw_policy_descriptor* keepwarm_policy_entry(void) { \
    return ::keepwarm::descriptor_for<P>();                                      \
  }

#endif  // KEEPWARM_POLICY_HPP
