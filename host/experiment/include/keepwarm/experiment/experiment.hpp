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

// One entry of the experiment's policy list: a plugin (by name or file), an optional label, and
// parameters of its own. A parameter with several values sweeps: the entry expands to one
// variant per value (the cartesian product for several), named "label[name=value,...]" after the
// swept parameters (label defaults to the plugin's name). See resolve_policies (runner.hpp).
struct PolicyEntry {
  std::string policy;                                      // name or plugin path
  std::string label;                                       // "" = the plugin's name
  std::map<std::string, std::vector<std::string>> params;  // name -> values (text)
};

// Where cells run: in worker processes supervised by keepwarm (a crashing, exiting or hanging
// policy costs only its cell), or in keepwarm's own process (docs/results.md).
enum class Isolation { process, none };
const char* isolation_name(Isolation i);

struct Experiment {
  std::string name = "experiment";
  std::filesystem::path source;               // the TOML file, if any
  std::vector<std::filesystem::path> traces;  // resolved paths
  std::vector<uint64_t> memory_mb;            // absolute sizes
  // Sizes relative to each trace's unlimited-memory peak (`trace info`), in percent: resolved
  // per trace to max(1, round(peak x pct / 100)) MB, after the absolute ones.
  std::vector<double> memory_pct;
  std::vector<PolicyEntry> policies;
  std::vector<uint64_t> seeds{1};  // for randomised policies; deterministic ones use seeds[0]
  Compat compat = Compat::none;
  // The policy rankings compare with (`--baseline`); empty = rand when the run has it, else the
  // first policy (resolve_baseline in keepwarm/report/report.hpp).
  std::string baseline;
  unsigned jobs = 0;  // 0 = all cores
  Isolation isolation = Isolation::process;
  // How long one cell may run before its worker is killed and the cell marked failed, seconds
  // (0 = no limit; only with process isolation).
  double cell_timeout_s = 600;
  double overhead_ms = 0;
  double overhead_frac = 0;
  // Whether the two were given (file or flag); if not, faascache-course mode uses the course
  // skeleton's 3000 ms and 0.2 (apply_mode_defaults).
  bool overhead_ms_given = false;
  bool overhead_frac_given = false;
  // [policy.<name>] tables and --param: plugin name -> parameter -> values (several = a sweep).
  // They apply to every entry of that plugin; an entry's own parameters take precedence.
  std::map<std::string, std::map<std::string, std::vector<std::string>>> params;
  std::vector<std::filesystem::path> plugin_paths;
  std::filesystem::path out_dir;  // empty = results/<name>
  bool bound = false;  // also compute the lower bound on misses (docs/bounds.md): bound.csv
  // Where settings came from ("file:line:column"), to point errors found later at their line:
  // "policy:<i>" for the i-th entry of policies, "params:<policy>" for a [policy.<name>] table,
  // "param:<policy>.<name>" for a parameter. A flag that replaces a setting drops its origin.
  std::map<std::string, std::string> origin;
};

// Parses an experiment file. Relative paths resolve against the file's directory. Throws
// ConfigError with file:line:column for syntax errors, unknown keys, wrong types.
Experiment load_experiment(const std::filesystem::path& file);

// Fills what the simulation mode implies and the user did not give: in faascache-course mode
// the cold start overheads are 3000 ms and 0.2 (the course skeleton's) unless given.
void apply_mode_defaults(Experiment& ex);

// Parses "500,1000,2000" (also accepts "1g"/"1.5g" for GB). Throws ConfigError.
std::vector<uint64_t> parse_memory_list(const std::string& text);
// Parses a list that may also hold sizes relative to the trace's peak: "10%,25%,2000,4g".
void parse_memory_sizes(const std::string& text, std::vector<uint64_t>* mb,
                        std::vector<double>* pct);
// A relative size resolved against a trace's unlimited-memory peak.
uint64_t resolve_memory_pct(double pct, uint64_t peak_mb);

}  // namespace keepwarm
