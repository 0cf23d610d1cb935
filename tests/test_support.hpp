// test_support.hpp: helpers shared by the tests: tiny hand-made traces, the built-in plugins,
// temporary directories, running the keepwarm executable, and the optional ../shared data.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "keepwarm/engine/engine.hpp"
#include "keepwarm/loader/plugin.hpp"
#include "keepwarm/traces/trace.hpp"

namespace keepwarm::test {

// A trace from functions and (time_ms, function id) pairs.
Trace make_trace(std::vector<Function> functions,
                 const std::vector<std::pair<double, std::string>>& invocations);

// The worked example of docs/model.md: x 100 MB cold 1000 warm 100, y 100 MB cold 1500 warm
// 100, z 250 MB cold 1000 warm 100; invocations 0 x, 10 y, 2000 z, 3000 y, 4000 x.
Trace worked_example();

// A built-in plugin (from the build tree's plugin directory) by policy name.
PluginPtr builtin(const std::string& name);
// A test-only plugin file from tests/plugins in the build tree, e.g. "test-wrong-major.so".
std::filesystem::path test_plugin_file(const std::string& file);

// Runs one cell with the plugin's default parameters, the given memory and, optionally, the
// compatibility mode, seed and cold-start overheads (SimConfig::overhead_ms, overhead_frac).
CellResult run(const Trace& trace, const PluginPtr& plugin, uint64_t memory_mb,
               Compat compat = Compat::none, uint64_t seed = 1, double overhead_ms = 0,
               double overhead_frac = 0);

// Every arrival (with the container that served it), removal and prewarm of a run, as text, to
// compare two runs event by event.
class EventText final : public EventObserver {
 public:
  void arrival(double t, uint32_t fn, Outcome outcome, kw_container_id c) override;
  void removal(double t, kw_container_id c, uint32_t fn, uint32_t memory_mb,
               kw_removal_reason reason) override;
  void prewarm(double t, kw_container_id c, uint32_t fn, bool created) override;
  std::vector<std::string> events;
};

// A fresh directory removed at scope exit.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& p) const { return path_ / p; }

 private:
  std::filesystem::path path_;
};

// Writes text to a file (creating parent directories).
void write_text(const std::filesystem::path& file, const std::string& text);
std::string read_text(const std::filesystem::path& file);

// Writes a deterministic native trace (functions.csv, invocations.csv) into dir: functions fn0..
// with varied sizes and costs, and invocations drawn from a fixed LCG, skewed towards the low
// function numbers. The defaults give enough pressure for evictions at small memory sizes.
void write_pressure_trace(const std::filesystem::path& dir, int functions = 30,
                          int invocations = 6000);

struct CommandResult {
  int exit_code;
  std::string output;  // stdout and stderr together
};
// Runs the keepwarm executable with a shell-quoted argument string.
CommandResult run_keepwarm(const std::string& args);
// A CSV file with a header, as rows of column -> field (RFC 4180 quotes undone). Each row must
// have as many fields as the header (a test failure otherwise).
struct CsvTable {
  std::vector<std::string> header;
  std::vector<std::map<std::string, std::string>> rows;
};
CsvTable read_csv(const std::filesystem::path& file);

// Runs a shell command (sh -c), stdout and stderr together.
CommandResult run_command(const std::string& shell_command);

// The reference data directory: $KEEPWARM_REFERENCE_DIR when set and non-empty (for worktrees
// and other checkouts without ../shared beside them), else ../shared/reference next to the
// source tree, or empty when that is absent (tests then GTEST_SKIP).
std::filesystem::path shared_reference_dir();

}  // namespace keepwarm::test
