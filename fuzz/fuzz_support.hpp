// fuzz_support.hpp: what the fuzz targets share: splitting one input into several files, a
// private scratch directory per process, and the rule every target checks: a parser either
// succeeds or throws the error type it documents; anything else (a crash, a sanitizer report,
// another exception) is a finding.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

namespace keepwarm::fuzz {

// The input cut at NUL bytes into at most n parts (missing parts are empty): one input feeds
// parsers that read several files (a native trace's two CSV files, the Azure dataset's three).
inline std::vector<std::string_view> split(const uint8_t* data, size_t size, size_t n) {
  std::vector<std::string_view> parts;
  std::string_view rest(reinterpret_cast<const char*>(data), size);
  while (parts.size() + 1 < n) {
    const size_t nul = rest.find('\0');
    if (nul == std::string_view::npos) break;
    parts.push_back(rest.substr(0, nul));
    rest.remove_prefix(nul + 1);
  }
  parts.push_back(rest);
  parts.resize(n);
  return parts;
}

// A directory of this process's own under the system's temporary directory.
inline const std::filesystem::path& scratch() {
  static const std::filesystem::path dir = [] {
    const std::filesystem::path d =
        std::filesystem::temp_directory_path() / ("keepwarm-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(d);
    return d;
  }();
  return dir;
}

inline void write(const std::filesystem::path& file, std::string_view bytes) {
  std::ofstream out(file, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace keepwarm::fuzz
