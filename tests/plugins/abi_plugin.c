/* abi_plugin.c: a minimal policy in plain C (evicts the first idle container it knows of),
 * compiled with TEST_ABI_MAJOR/TEST_ABI_MINOR to test the host's ABI version check, and with
 * TEST_OLDER_SDK to play a plugin built against an older SDK whose descriptor ends before
 * choose_warm: the host must read no further than struct_size; TEST_NULL_PARAMS declares
 * parameters without an array of them. */
#include <keepwarm/policy.h>
#include <stdlib.h>

typedef struct state {
  kw_container_id idle[64];
  int count;
} state;

static void* create(const kw_host* host) {
  (void)host;
  return calloc(1, sizeof(state));
}
static void destroy(void* self) { free(self); }
static void drop(state* s, kw_container_id c) {
  for (int i = 0; i < s->count; ++i)
    if (s->idle[i] == c) {
      s->idle[i] = s->idle[--s->count];
      return;
    }
}
static void started(void* self, kw_container_id c, kw_function_id fn, kw_start_kind kind) {
  (void)fn;
  (void)kind;
  drop((state*)self, c);
}
static void idle(void* self, kw_container_id c, kw_function_id fn) {
  state* s = (state*)self;
  (void)fn;
  if (s->count < 64) s->idle[s->count++] = c;
}
static kw_container_id victim(void* self, kw_function_id fn) {
  state* s = (state*)self;
  (void)fn;
  return s->count > 0 ? s->idle[0] : KW_NO_CONTAINER;
}
static void removed(void* self, kw_container_id c, kw_function_id fn, kw_removal_reason r) {
  (void)fn;
  (void)r;
  drop((state*)self, c);
}

#ifdef TEST_OLDER_SDK
/* Lies beyond the declared struct_size: a host that read it would fail the run, since it never
 * returns a container. */
static kw_container_id poisoned_choose_warm(void* self, kw_function_id fn) {
  (void)self;
  (void)fn;
  return (kw_container_id)0xdeadbeefu;
}
#define TEST_STRUCT_SIZE offsetof(kw_policy_descriptor, choose_warm)
#define TEST_CHOOSE_WARM poisoned_choose_warm
#else
#define TEST_STRUCT_SIZE sizeof(kw_policy_descriptor)
#define TEST_CHOOSE_WARM NULL
#endif

static const kw_policy_descriptor descriptor = {
    {TEST_ABI_MAJOR, TEST_ABI_MINOR},
    (uint32_t)TEST_STRUCT_SIZE,
    "c-first-idle",
    "0.1.0",
    "test policy in C: evicts the oldest-known idle container",
    "keepwarm tests",
    NULL,
    0,
    NULL,
#ifdef TEST_NULL_PARAMS
    3, /* param_count > 0 with params == NULL: a broken descriptor the host must refuse */
#else
    0,
#endif
    create,
    destroy,
    NULL,
    started,
    idle,
    victim,
    removed,
    NULL,
    NULL,
    TEST_CHOOSE_WARM,
};

KW_EXPORT const kw_policy_descriptor* keepwarm_policy_entry(void) { return &descriptor; }
