// file_read.hpp: reading trace files (private to host/traces): one sized read of a regular
// file, or its descriptor for mapping; every error is a TraceError naming the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>

namespace keepwarm {

// Reads a whole trace file with one read (sized by fstat); throws TraceError naming the file.
std::string read_trace_bytes(const std::filesystem::path& file);

// Opens a regular file for reading and gives its size; throws TraceError naming the file.
// The caller closes the descriptor.
int open_trace_file(const std::filesystem::path& file, size_t* size);

}  // namespace keepwarm
