// keepwarm/util/sha256.hpp: SHA-256 (FIPS 180-4), to fingerprint plugin files so that published
// results name the exact build that produced them.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace keepwarm {

class Sha256 {
 public:
  Sha256() noexcept;
  void update(const void* data, size_t size) noexcept;
  void update(std::string_view text) noexcept { update(text.data(), text.size()); }
  // The digest of everything passed to update(); the object must not be used afterwards.
  std::array<uint8_t, 32> finish() noexcept;

 private:
  void block(const uint8_t* p) noexcept;
  uint32_t h_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t length_ = 0;  // bytes
};

// Lower-case hex of a digest.
std::string to_hex(const std::array<uint8_t, 32>& digest);
// Hex SHA-256 of a string.
std::string sha256_hex(std::string_view data);
// Hex SHA-256 of a file's contents. Throws std::runtime_error if it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& file);

}  // namespace keepwarm
