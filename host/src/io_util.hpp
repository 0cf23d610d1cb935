// io_util.hpp: small file helpers shared by the host: whole-file reads, atomic writes
// (temporary file then rename), and shortest round-trip number formatting.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace keepwarm {

// Reads a whole file; throws std::runtime_error naming the file on failure.
std::string read_file(const std::filesystem::path& file);

// Writes content to file.tmp.<pid> then renames it over file, so readers never see a torn file.
void write_file_atomic(const std::filesystem::path& file, const std::string& content);

// Shortest text that reads back as the same double ("1", "0.5", "1e+20").
std::string format_number(double v);

// A CSV field as RFC 4180 writes it: as is, or in double quotes (quotes doubled) when it holds
// a comma, a quote or a line break.
std::string csv_field(std::string_view s);

// Splits one CSV line into fields, undoing csv_field's quoting.
std::vector<std::string> split_csv_line(std::string_view line);

// Reads a whole trace file with one read (sized by fstat); throws TraceError naming the file.
std::string read_trace_bytes(const std::filesystem::path& file);

// Opens a regular file for reading and gives its size; throws TraceError naming the file.
// The caller closes the descriptor.
int open_trace_file(const std::filesystem::path& file, size_t* size);

}  // namespace keepwarm
