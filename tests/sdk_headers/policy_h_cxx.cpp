// policy_h_cxx.cpp: keepwarm/policy.h compiles alone as C++20 too.
#include <keepwarm/policy.h>

static_assert(sizeof(kw_abi_version) == 8, "kw_abi_version is two uint32_t");
static_assert(offsetof(kw_policy_descriptor, abi) == 0, "the ABI version comes first");
