/* policy_h.c: keepwarm/policy.h compiles alone as C11. */
#include <keepwarm/policy.h>

/* Uses every type once so that the compiler checks them. */
const kw_policy_descriptor* keepwarm_header_check_c(const kw_host* host, kw_param_decl decl,
                                                    kw_function_info info);
const kw_policy_descriptor* keepwarm_header_check_c(const kw_host* host, kw_param_decl decl,
                                                    kw_function_info info) {
  (void)host;
  (void)decl;
  (void)info;
  return (const kw_policy_descriptor*)0;
}
