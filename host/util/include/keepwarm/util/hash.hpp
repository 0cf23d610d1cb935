// keepwarm/util/hash.hpp: a 64-bit finaliser (every input bit moves every output bit), for the
// checkpoint's fingerprint and the bound search's state keys.
#pragma once

#include <cstdint>

namespace keepwarm {

inline uint64_t mix64(uint64_t x) noexcept {
  x ^= x >> 31;
  x *= 0xD6E8FEB86659FD93ull;
  x ^= x >> 29;
  x *= 0xCA5A826395121157ull;
  x ^= x >> 32;
  return x;
}

}  // namespace keepwarm
