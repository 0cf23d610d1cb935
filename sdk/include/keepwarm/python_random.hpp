// keepwarm/python_random.hpp: the draws of CPython's `random` module, for policies that must
// reproduce a Python simulator exactly (rand in faascache-course compat mode).
//
// CPython's Random is MT19937 (Matsumoto & Nishimura, 1998). random.seed(n) for an int n seeds it
// with init_by_array over the 32-bit words of |n|, least significant first (one word 0 for n = 0).
// getrandbits(k), k <= 32, is the top k bits of one 32-bit output. choice(seq) is
// seq[_randbelow(len(seq))], and _randbelow(n) draws getrandbits(n.bit_length()) until the value is
// below n. This header reimplements those documented algorithms; it holds no CPython code.
#ifndef KEEPWARM_PYTHON_RANDOM_HPP
#define KEEPWARM_PYTHON_RANDOM_HPP

#include <array>
#include <bit>
#include <cstdint>
#include <vector>

namespace keepwarm {

class PythonRandom {
 public:
  // random.seed(seed) for a non-negative integer seed.
  explicit PythonRandom(uint64_t seed) {
    std::vector<uint32_t> key;
    for (uint64_t s = seed; s != 0; s >>= 32) key.push_back(static_cast<uint32_t>(s));
    if (key.empty()) key.push_back(0);
    init_by_array(key);
  }

  // One 32-bit output of the generator (genrand_uint32).
  uint32_t next_u32() noexcept {
    if (index_ >= kN) twist();
    uint32_t y = mt_[index_++];
    y ^= y >> 11;
    y ^= (y << 7) & 0x9d2c5680u;
    y ^= (y << 15) & 0xefc60000u;
    y ^= y >> 18;
    return y;
  }

  // random.getrandbits(k) for 0 <= k <= 32.
  uint32_t getrandbits(unsigned k) noexcept {
    if (k == 0) return 0;
    return next_u32() >> (32 - k);
  }

  // random._randbelow(n) for 0 < n < 2^32.
  uint32_t randbelow(uint32_t n) noexcept {
    const unsigned k = static_cast<unsigned>(std::bit_width(n));
    uint32_t r = getrandbits(k);
    while (r >= n) r = getrandbits(k);
    return r;
  }

  // The index random.choice picks in a sequence of n > 0 elements.
  uint32_t choice_index(uint32_t n) noexcept { return randbelow(n); }

 private:
  static constexpr unsigned kN = 624;
  static constexpr unsigned kM = 397;

  void init_genrand(uint32_t s) noexcept {
    mt_[0] = s;
    for (unsigned i = 1; i < kN; ++i) mt_[i] = 1812433253u * (mt_[i - 1] ^ (mt_[i - 1] >> 30)) + i;
    index_ = kN;
  }

  void init_by_array(const std::vector<uint32_t>& key) noexcept {
    init_genrand(19650218u);
    const unsigned len = static_cast<unsigned>(key.size());
    unsigned i = 1, j = 0;
    for (unsigned k = kN > len ? kN : len; k != 0; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1664525u)) + key[j] + j;
      ++i;
      ++j;
      if (i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
      if (j >= len) j = 0;
    }
    for (unsigned k = kN - 1; k != 0; --k) {
      mt_[i] = (mt_[i] ^ ((mt_[i - 1] ^ (mt_[i - 1] >> 30)) * 1566083941u)) - i;
      ++i;
      if (i >= kN) {
        mt_[0] = mt_[kN - 1];
        i = 1;
      }
    }
    mt_[0] = 0x80000000u;
    index_ = kN;
  }

  void twist() noexcept {
    constexpr uint32_t kUpper = 0x80000000u, kLower = 0x7fffffffu, kMatrix = 0x9908b0dfu;
    for (unsigned i = 0; i < kN; ++i) {
      const uint32_t y = (mt_[i] & kUpper) | (mt_[(i + 1) % kN] & kLower);
      mt_[i] = mt_[(i + kM) % kN] ^ (y >> 1) ^ ((y & 1u) != 0 ? kMatrix : 0u);
    }
    index_ = 0;
  }

  std::array<uint32_t, kN> mt_{};
  unsigned index_ = kN;
};

}  // namespace keepwarm

#endif  // KEEPWARM_PYTHON_RANDOM_HPP
