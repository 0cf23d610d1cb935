// policy_hpp.cpp: keepwarm/policy.hpp compiles alone as C++20.
#include <keepwarm/policy.hpp>

static_assert(!std::is_copy_constructible_v<keepwarm::Policy>);
