// faascache_pool_hpp.cpp: keepwarm/faascache_pool.hpp compiles alone as C++20.
#include <keepwarm/faascache_pool.hpp>
