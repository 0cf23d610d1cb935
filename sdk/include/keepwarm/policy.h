/* keepwarm/policy.h: the keepwarm policy ABI, plain C (C11 and C++ compatible).
 *
 * A policy plugin is a shared library that exports exactly one function,
 * keepwarm_policy_entry(), returning a pointer to a static kw_policy_descriptor.
 * The host checks the descriptor's ABI version, creates one policy instance per
 * simulated cell with create(), and drives it through the hooks below. The
 * policy talks back to the simulation through the kw_host callback table it
 * receives in create().
 *
 * Rules of the ABI
 * - Only plain C types cross the boundary; no exceptions, no C++ objects.
 * - Evolution is append-only: fields are only ever added at the end of a
 *   struct, never reordered or changed. A revised callback gets a new name.
 *   Every struct that may grow carries its size in `struct_size`.
 * - Strings are NUL-terminated UTF-8. Each field says who owns the memory.
 * - Threading: the host may run many cells at once on different threads, but a
 *   single policy instance is only ever called from one thread at a time, and
 *   kw_host callbacks may only be called from inside a hook (or create) of the
 *   instance that received that host.
 * - Times are milliseconds on the trace's clock (double, fractional allowed).
 *   Memory is in megabytes (MB).
 */
#ifndef KEEPWARM_POLICY_H
#define KEEPWARM_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ABI version. The host refuses a plugin whose major differs from its own or
 * whose minor is newer than its own. The CMake build reads these two lines. */
#define KW_ABI_VERSION_MAJOR 1
#define KW_ABI_VERSION_MINOR 1

/* Name of the single exported entry point. */
#define KW_ENTRY_SYMBOL "keepwarm_policy_entry"

typedef struct kw_abi_version {
  uint32_t major;
  uint32_t minor;
} kw_abi_version;

/* Dense function index, 0 .. function_count()-1, stable for a whole run. */
typedef uint32_t kw_function_id;

/* Container handle, unique among the containers alive at any moment of one
 * run (a handle may be reused after its container was removed). Its low 32
 * bits, KW_CONTAINER_SLOT(c), are a dense slot index: smaller than the most
 * containers ever alive at once in the run, and shared by no two live
 * containers, so a policy may index plain arrays with it. */
typedef uint64_t kw_container_id;
#define KW_CONTAINER_SLOT(c) ((uint32_t)((c)&0xffffffffu))

/* Returned by choose_victim to say "no victim" (a policy error if idle
 * containers exist, since the host only asks when one is needed). */
#define KW_NO_CONTAINER ((kw_container_id)UINT64_MAX)

/* How a container came to run (or to exist, for prewarms). */
typedef enum kw_start_kind {
  KW_START_COLD = 0,   /* new container, runs for the cold time */
  KW_START_WARM = 1,   /* idle container reused, runs for the warm time */
  KW_START_PREWARM = 2 /* new idle container made by a prewarm request */
} kw_start_kind;

/* Why a container left memory. */
typedef enum kw_removal_reason {
  KW_REMOVED_EVICTED = 1, /* chosen by choose_victim to make room */
  KW_REMOVED_EXPIRED = 2, /* its keep-alive deadline passed while idle */
  KW_REMOVED_RELEASED = 3 /* (ABI 1.1) let go by the policy through remove_now; counted in no
                             metric (FaasCache's HIST releases a used prewarm when it finishes) */
} kw_removal_reason;

/* Simulation compatibility mode of the run (see docs/model.md). */
typedef enum kw_compat_mode {
  KW_COMPAT_NONE = 0,            /* keepwarm's exact model */
  KW_COMPAT_FAASCACHE = 1,       /* reproduce the FaasCache Python reference */
  KW_COMPAT_FAASCACHE_COURSE = 2 /* (ABI 1.1) reproduce the FaasCache course skeleton */
} kw_compat_mode;

typedef enum kw_log_level { KW_LOG_DEBUG = 0, KW_LOG_INFO = 1, KW_LOG_WARN = 2 } kw_log_level;

/* One function of the trace. Owned by the host, valid (and unchanged) for the
 * whole lifetime of the policy instance. */
typedef struct kw_function_info {
  const char* id;     /* the function's name in the trace (UTF-8) */
  uint32_t memory_mb; /* memory of one container, > 0 */
  double cold_ms;     /* execution time of a cold start (before overhead) */
  double warm_ms;     /* execution time of a warm start */
} kw_function_info;

/* A policy's answer to kw_host::prefetch_hint (appended after ABI 1.1): word `word` of a
 * container's words (kw_host::container_words) holds v, an index + 1 into an array of
 * `scale`-byte entries at *base (v = 0 or *base NULL: nothing to fetch). Ahead of a warm start the
 * host fetches entry v - 1 of the container it will reuse and, with KW_PREFETCH_HEAP_CHILDREN,
 * entries 2v - 1 and 2v (its children in a binary heap kept in that array: where a removal's sift
 * reads). *base may move: the host reads it each time. Only a hint: a wrong one costs time, never a
 * fault or a different result. base NULL (the host's default): no hint. */
typedef struct kw_prefetch_hint {
  const void* const* base;
  uint32_t word;
  uint32_t scale; /* bytes per entry */
  uint32_t flags; /* KW_PREFETCH_* */
} kw_prefetch_hint;
#define KW_PREFETCH_HEAP_CHILDREN 1u

/* Callbacks from the policy into the host. The table and everything it points
 * to is owned by the host and valid until destroy() returns. Pass `host`
 * itself as the first argument of every call. */
typedef struct kw_host {
  uint32_t struct_size; /* sizeof(kw_host) as the host was built */
  void* host_data;      /* opaque, for the host only */

  /* Current simulated time, ms. */
  double (*now)(const struct kw_host* host);
  /* Number of functions in the trace. */
  uint32_t (*function_count)(const struct kw_host* host);
  /* Function info; NULL if fn is out of range. */
  const kw_function_info* (*function)(const struct kw_host* host, kw_function_id fn);
  /* Server memory capacity and memory held by all containers, MB. */
  uint64_t (*capacity_mb)(const struct kw_host* host);
  uint64_t (*used_mb)(const struct kw_host* host);
  /* Idle and running containers of fn right now. */
  uint32_t (*idle_count)(const struct kw_host* host, kw_function_id fn);
  uint32_t (*running_count)(const struct kw_host* host, kw_function_id fn);

  /* Keep-alive: remove idle container c at deadline_ms unless it is reused
   * first (reuse cancels the deadline). Only valid while c is idle. A new call
   * replaces the previous deadline; INFINITY clears it. A deadline at or
   * before now removes c as soon as the current hook returns. */
  void (*set_keepalive)(const struct kw_host* host, kw_container_id c, double deadline_ms);
  /* Prewarm: at at_ms, create an idle container of fn if that much memory is
   * free then (never evicts). A time before now means now; it is processed
   * after the current hook returns. Requests after the trace's last arrival
   * never fire. */
  void (*request_prewarm)(const struct kw_host* host, kw_function_id fn, double at_ms);
  /* Timer: call on_timer(token) at at_ms (same rules for past times). */
  void (*set_timer)(const struct kw_host* host, double at_ms, uint64_t token);

  /* Seeded random source: 64 uniformly distributed bits. The sequence depends
   * only on the run's seed and the order of calls. */
  uint64_t (*random_u64)(const struct kw_host* host);

  /* Parameter value as text ("600", "0.5", "true", "abc"), the user's value
   * or the declared default; NULL for a name the policy did not declare.
   * Owned by the host, valid until destroy() returns. */
  const char* (*param)(const struct kw_host* host, const char* name);

  /* Diagnostic message, copied by the host. */
  void (*log)(const struct kw_host* host, kw_log_level level, const char* message);
  /* Report a fatal policy error (copied). The host stops this run after the
   * current hook returns and reports the message with the plugin's name. */
  void (*report_error)(const struct kw_host* host, const char* message);

  /* Compatibility mode of this run. */
  kw_compat_mode (*compat_mode)(const struct kw_host* host);

  /* Lookahead, only for policies with KW_POLICY_NEEDS_LOOKAHEAD: the sorted
   * arrival times of fn over the whole trace. Returns false (and sets
   * nothing) for other policies or a bad fn. The array is owned by the host
   * and valid until destroy() returns. */
  bool (*arrivals)(const struct kw_host* host, kw_function_id fn, const double** times,
                   uint64_t* count);

  /* ---- ABI 1.1: a plugin built for 1.1 is only loaded by a host that has these. */
  /* The run's seed (what random_u64 is seeded with), for policies that must reproduce another
   * generator's draws (rand in faascache-course compat mode: CPython's random). */
  uint64_t (*seed)(const struct kw_host* host);
  /* Creates an idle container of fn at once if that much memory is free, calling no hook (the
   * caller knows). Counted as a prewarm; logged like one. Returns it, or KW_NO_CONTAINER. */
  kw_container_id (*prewarm_now)(const struct kw_host* host, kw_function_id fn);
  /* Removes idle container c at once, calling no hook. reason: KW_REMOVED_EXPIRED (counted as an
   * expiration), KW_REMOVED_EVICTED (as an eviction) or KW_REMOVED_RELEASED (in no metric).
   * Returns false (and does nothing) if c is not an idle container. */
  bool (*remove_now)(const struct kw_host* host, kw_container_id c, kw_removal_reason reason);

  /* Appended after ABI 1.1, found by struct_size (a host built before it has a smaller
   * struct_size; then call now()): the host's clock, read-only data the policy may read at any
   * time during a hook instead of calling now(). Same value as now(). */
  const double* clock;
  /* Appended after ABI 1.1, found by struct_size like clock: hooks this instance does not need
   * although its descriptor has them (KW_SKIP_* bits). The policy may set bits in create() only;
   * the host then never calls those hooks of this instance (and treats choose_warm as returning
   * KW_NO_CONTAINER). NULL or absent: every hook in the descriptor is called. */
  uint32_t* skip_hooks;
  /* Appended after ABI 1.1, found by struct_size like clock: container_word_count 64-bit words
   * per container for the policy's own use, kept by the host inside its record of the container
   * (which it touches, and with many functions fetches ahead, when the container is reused or
   * finishes), so that per-container state there costs the policy no cache miss of its own.
   * Word k (k < container_word_count) of the container in slot s = KW_CONTAINER_SLOT(c) is
   * (*container_words)[s * container_word_stride + k]. The host sets a slot's words to 0 when it
   * creates a container there and otherwise never reads or writes them; they belong to the live
   * container of that slot, and during on_container_removed still to the removed one.
   * *container_words moves when the host creates a container: read it again in every hook and
   * after prewarm_now. NULL or container_word_count 0: no words. */
  uint64_t* const* container_words;
  uint32_t container_word_stride; /* in words */
  uint32_t container_word_count;
  /* Appended after ABI 1.1, found by struct_size like clock: inside on_container_idle(c), a
   * policy may store c's keep-alive deadline in *idle_keepalive instead of calling
   * set_keepalive(c, ...): when the hook returns, a value that is not NaN is applied exactly as
   * set_keepalive(c, value) would be (INFINITY clears), after everything else the hook did, and
   * *idle_keepalive is NaN again. One store instead of a call, on the hook that runs once per
   * invocation. Only for the container of the running on_container_idle; NULL or absent: call
   * set_keepalive. */
  double* idle_keepalive;
  /* Appended after ABI 1.1, found by struct_size like clock: where the policy's own state of a
   * container lies, so that a host that fetches ahead the container a warm start will reuse
   * (with many functions) fetches that state too. Only a hint: it changes nothing a run does.
   * The policy may fill *prefetch_hint in create() only. NULL or absent: no hint. */
  kw_prefetch_hint* prefetch_hint;
} kw_host;

#define KW_SKIP_ON_ARRIVAL 1u  /* on_arrival would do nothing */
#define KW_SKIP_CHOOSE_WARM 2u /* choose_warm would return KW_NO_CONTAINER */

/* Parameter types a policy can declare. */
typedef enum kw_param_type {
  KW_PARAM_INT = 0,
  KW_PARAM_DOUBLE = 1,
  KW_PARAM_BOOL = 2,
  KW_PARAM_STRING = 3
} kw_param_type;

/* One declared parameter. Static storage of the plugin. */
typedef struct kw_param_decl {
  const char* name;          /* e.g. "keepalive_min" */
  kw_param_type type;        /* the host checks user values against it */
  const char* default_value; /* as text, e.g. "10" */
  const char* help;          /* one line, with units */
} kw_param_decl;

/* Descriptor flags. */
#define KW_POLICY_RANDOMISED ((uint64_t)1 << 0)      /* results depend on seed */
#define KW_POLICY_NEEDS_LOOKAHEAD ((uint64_t)1 << 1) /* uses host->arrivals */

/* Static description of a policy plugin. All pointers are static storage of
 * the plugin (valid while the library is loaded). Hooks other than create,
 * destroy and choose_victim may be NULL. `self` is what create() returned. */
typedef struct kw_policy_descriptor {
  kw_abi_version abi;   /* must be first: KW_ABI_VERSION_MAJOR/MINOR */
  uint32_t struct_size; /* sizeof(kw_policy_descriptor) as built */

  const char* name;        /* short unique name, e.g. "lru" */
  const char* version;     /* the policy's own version, e.g. "1.0.0" */
  const char* description; /* one line */
  const char* author;      /* may be NULL */
  const char* url;         /* URL or citation; may be NULL */
  uint64_t flags;          /* KW_POLICY_* */
  const kw_param_decl* params;
  uint32_t param_count;

  /* Create an instance for one run. Returns NULL on failure (after calling
   * host->report_error with the reason). */
  void* (*create)(const kw_host* host);
  void (*destroy)(void* self);

  /* An invocation of fn arrives now, before the host looks for a container. */
  void (*on_arrival)(void* self, kw_function_id fn);
  /* Container c of fn started running (cold/warm) or was prewarmed. */
  void (*on_container_started)(void* self, kw_container_id c, kw_function_id fn,
                               kw_start_kind kind);
  /* Container c of fn became idle (finished, or just prewarmed). */
  void (*on_container_idle)(void* self, kw_container_id c, kw_function_id fn);
  /* Memory is needed for a cold start of `for_fn`: return one idle container
   * to evict. Called repeatedly, one victim at a time, until enough is free.
   * Returning anything but an idle container is a policy error. */
  kw_container_id (*choose_victim)(void* self, kw_function_id for_fn);
  /* Container c of fn left memory (after choose_victim or on expiry). */
  void (*on_container_removed)(void* self, kw_container_id c, kw_function_id fn,
                               kw_removal_reason reason);
  /* A timer set with set_timer fired. */
  void (*on_timer)(void* self, uint64_t token);
  /* The run ended (at the last arrival). */
  void (*on_end)(void* self);
  /* Optional: pick which idle container of fn serves a warm start. NULL, or a
   * return of KW_NO_CONTAINER, means the host reuses the most recently idled
   * one. Anything else must be an idle container of fn. */
  kw_container_id (*choose_warm)(void* self, kw_function_id fn);
} kw_policy_descriptor;

/* The one exported entry point of a plugin. */
typedef const kw_policy_descriptor* (*kw_entry_fn)(void);

/* Marks the entry point as exported when plugins build with hidden
 * visibility: KW_EXPORT const kw_policy_descriptor *keepwarm_policy_entry(void)
 */
#if defined(_WIN32)
#define KW_EXPORT __declspec(dllexport)
#else
#define KW_EXPORT __attribute__((visibility("default")))
#endif

#ifdef __cplusplus
}
#endif

#endif /* KEEPWARM_POLICY_H */
