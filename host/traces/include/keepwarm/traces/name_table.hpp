// keepwarm/traces/name_table.hpp: a flat open-addressing hash table from names to dense
// indices, for the CSV readers (function names of native traces, the owner/app/function keys of
// Azure's files), where the lookup of one name per row dominates at tens of thousands of names.
//
// One array of 16-byte slots (the name's 32-bit hash tag, its index, and where its bytes are),
// linear probing, at most half full; the names' bytes are copied into one arena, so a lookup
// reads one slot (usually) and compares the bytes only when the tags match. Indices are assigned
// in insertion order: 0, 1, 2, ...
#ifndef KEEPWARM_TRACES_NAME_TABLE_HPP
#define KEEPWARM_TRACES_NAME_TABLE_HPP

#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace keepwarm {

class NameTable {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  explicit NameTable(size_t expected = 0) { rehash(capacity_for(expected)); }

  size_t size() const noexcept { return count_; }

  // The index of name, or kAbsent.
  uint32_t find(std::string_view name) const noexcept {
    const uint64_t h = hash(name);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    for (size_t i = h & mask_;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.index == kAbsent) return kAbsent;
      if (s.tag == tag && matches(s, name)) return s.index;
    }
  }

  // Inserts name with the next index if absent. Returns (its index, whether it was inserted).
  std::pair<uint32_t, bool> insert(std::string_view name) {
    if (2 * (count_ + 1) > slots_.size()) rehash(2 * slots_.size());
    const uint64_t h = hash(name);
    const uint32_t tag = static_cast<uint32_t>(h >> 32);
    size_t i = h & mask_;
    for (;; i = (i + 1) & mask_) {
      const Slot& s = slots_[i];
      if (s.index == kAbsent) break;
      if (s.tag == tag && matches(s, name)) return {s.index, false};
    }
    Slot& s = slots_[i];
    s.tag = tag;
    if (arena_.size() + name.size() > UINT32_MAX || name.size() > UINT32_MAX)
      throw std::length_error("name table: more than 4 GB of names");
    s.index = static_cast<uint32_t>(count_++);
    s.offset = static_cast<uint32_t>(arena_.size());
    s.length = static_cast<uint32_t>(name.size());
    arena_.append(name);
    slot_of_.push_back(static_cast<uint32_t>(i));
    return {s.index, true};
  }

  // The name of index i (valid until the next insert).
  std::string_view name(uint32_t i) const noexcept { return bytes(slots_[slot_of_[i]]); }

  // 64-bit hash of a byte string: 8 bytes at a time, multiply and fold (not cryptographic).
  static uint64_t hash(std::string_view s) noexcept {
    constexpr uint64_t kMul = 0x9E3779B97F4A7C15ull;
    uint64_t h = 0x243F6A8885A308D3ull ^ (s.size() * kMul);
    const char* p = s.data();
    size_t n = s.size();
    for (; n >= 8; p += 8, n -= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      h = mix(h ^ w);
    }
    if (n > 0) {
      uint64_t w = 0;
      std::memcpy(&w, p, n);
      h = mix(h ^ w ^ (uint64_t{n} << 59));
    }
    return mix(h);
  }

 private:
  struct Slot {
    uint32_t tag = 0;
    uint32_t index = kAbsent;  // kAbsent: empty slot
    uint32_t offset = 0;       // the name is arena_[offset, offset + length)
    uint32_t length = 0;
  };

  static uint64_t mix(uint64_t x) noexcept {
    __extension__ typedef unsigned __int128 U128;
    const U128 m = static_cast<U128>(x) * 0x9FB21C651E98DF25ull;
    return static_cast<uint64_t>(m) ^ static_cast<uint64_t>(m >> 64);
  }
  static size_t capacity_for(size_t expected) noexcept {
    size_t c = 16;
    while (c < 2 * expected) c *= 2;
    return c;
  }
  std::string_view bytes(const Slot& s) const noexcept {
    return std::string_view(arena_.data() + s.offset, s.length);
  }
  bool matches(const Slot& s, std::string_view name) const noexcept {
    return s.length == name.size() &&
           std::memcmp(arena_.data() + s.offset, name.data(), name.size()) == 0;
  }
  void rehash(size_t capacity) {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(capacity, Slot{});
    mask_ = capacity - 1;
    for (const Slot& s : old) {
      if (s.index == kAbsent) continue;
      size_t i = hash(bytes(s)) & mask_;
      while (slots_[i].index != kAbsent) i = (i + 1) & mask_;
      slots_[i] = s;
      slot_of_[s.index] = static_cast<uint32_t>(i);
    }
  }

  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t count_ = 0;
  std::string arena_;              // every name's bytes, back to back
  std::vector<uint32_t> slot_of_;  // index -> its slot
};

}  // namespace keepwarm

#endif  // KEEPWARM_TRACES_NAME_TABLE_HPP
