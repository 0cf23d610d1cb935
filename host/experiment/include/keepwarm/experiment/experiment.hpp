// keepwarm/experiment/experiment.hpp: an experiment is a grid of cells (trace x policy x memory x
// seed) and the settings they share. It comes from a TOML file, the command line, or both (flags
// win).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "keepwarm/engine/engine.hpp"

namespace keepwarm {

// A configuration error; what() is "file:line:column: message" when it comes from a file.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Experiment {
  std::string name = "experiment";
  std::filesystem::path source;               // the TOML file, if any
  std::vector<std::filesystem::path> traces;  // resolved paths
  std::vector<uint64_t> memory_mb;
  std::vector<std::string> policies;  // names or plugin paths
  std::vector<uint64_t> seeds{1};     // for randomised policies; deterministic ones use seeds[0]
  Compat compat = Compat::none;
  unsigned jobs = 0;  // 0 = all cores
  double overhead_ms = 0;
  double overhead_frac = 0;
  std::map<std::string, std::map<std::string, std::string>> params;  // policy -> name -> value
  std::vector<std::filesystem::path> plugin_paths;
  std::filesystem::path out_dir;  // empty = results/<name>
  bool bound = false;  // also compute the lower bound on misses (docs/bounds.md): bound.csv
  // Where settings came from ("file:line:column"), to point errors found later at their line:
  // "policy:<name>" for an entry of policies, "params:<policy>" for a [policy.<name>] table,
  // "param:<policy>.<name>" for a parameter. A flag that replaces a setting drops its origin.
  std::map<std::string, std::string> origin;
};

// Parses an experiment file. Relative paths resolve against the file's directory. Throws
// ConfigError with file:line:column for syntax errors, unknown keys, wrong types.
Experiment load_experiment(const std::filesystem::path& file);

// Parses "500,1000,2000" (also accepts "1g"/"1.5g" for GB). Throws ConfigError.
std::vector<uint64_t> parse_memory_list(const std::string& text);

}  // namespace keepwarm
