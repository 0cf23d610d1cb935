// search.cpp: finding traces by name on the trace search path, as plugins are found on theirs.
#include <cstdlib>
#include <set>
#include <sstream>

#include "keepwarm/traces/trace.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

std::vector<fs::path> trace_search_path() {
  std::vector<fs::path> out;
  if (const char* env = std::getenv("KEEPWARM_TRACE_PATH"); env != nullptr) {
    std::stringstream ss(env);
    for (std::string dir; std::getline(ss, dir, ':');)
      if (!dir.empty()) out.emplace_back(dir);
  }
  if (const fs::path exe = executable_dir(); !exe.empty())
    out.push_back((exe / ".." / "share" / "keepwarm" / "traces").lexically_normal());
  return out;
}

fs::path find_trace(const std::string& ref) {
  std::error_code ec;
  const fs::path given(ref);
  if (fs::exists(given, ec)) return given;
  // Only a bare name is looked up; a path that does not exist is an error about that path.
  if (ref.empty() || ref.find('/') != std::string::npos)
    throw TraceError(given, 0, 0, "no such file or directory");
  const std::vector<fs::path> path = trace_search_path();
  for (const fs::path& dir : path)
    for (const char* ext : {"", ".kwt", ".pckl"}) {
      const fs::path candidate = dir / (ref + ext);
      if (fs::exists(candidate, ec)) return candidate;
    }
  std::string searched, names;
  std::set<std::string> available;
  for (const fs::path& dir : path) {
    searched += (searched.empty() ? "" : ", ") + dir.string();
    for (const auto& e : fs::directory_iterator(dir, ec)) {
      const fs::path p = e.path();
      if (e.is_directory(ec) || p.extension() == ".kwt" || p.extension() == ".pckl")
        available.insert(p.extension() == ".kwt" || p.extension() == ".pckl"
                             ? p.stem().string()
                             : p.filename().string());
    }
  }
  for (const std::string& n : available) names += (names.empty() ? "" : ", ") + n;
  throw TraceError(given, 0, 0,
                   "no such file or directory, and no trace of that name on the trace search "
                   "path (" +
                       (searched.empty() ? std::string("empty") : searched) +
                       "; KEEPWARM_TRACE_PATH adds directories)" +
                       (names.empty() ? std::string() : "; traces there: " + names));
}

}  // namespace keepwarm
