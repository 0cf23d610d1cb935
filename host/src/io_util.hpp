// io_util.hpp: small file helpers shared by the host: whole-file reads, atomic writes
// (temporary file then rename), and shortest round-trip number formatting.
#pragma once

#include <filesystem>
#include <string>

namespace keepwarm {

// Reads a whole file; throws std::runtime_error naming the file on failure.
std::string read_file(const std::filesystem::path& file);

// Writes content to file.tmp.<pid> then renames it over file, so readers never see a torn file.
void write_file_atomic(const std::filesystem::path& file, const std::string& content);

// Shortest text that reads back as the same double ("1", "0.5", "1e+20").
std::string format_number(double v);

// Reads a whole trace file with one read (sized by fstat); throws TraceError naming the file.
std::string read_trace_bytes(const std::filesystem::path& file);

}  // namespace keepwarm
