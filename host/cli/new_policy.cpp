// new_policy.cpp: `keepwarm new-policy NAME [DIR]`: write a small, buildable policy project
// (CMakeLists.txt, NAME.cpp with every hook, README.md, experiment.toml) that goes from scaffold
// to a ranked comparison against the built-ins in three commands.
#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <memory>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "cli.hpp"
#include "keepwarm/traces/trace.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm::cli {

namespace fs = std::filesystem;

namespace {

// Policies the generated experiment compares against.
constexpr const char* kBaselines[] = {"rand", "lru"};

struct NewPolicyOptions {
  std::string name;
  std::string dir;
  std::string trace;
};

class ScaffoldError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Identifier-like: a letter, then letters, digits or underscores; at most 64 characters. The name
// is the policy's name, the CMake target, the plugin file's stem and part of a C++ class name.
std::string name_problem(const std::string& name) {
  if (name.empty()) return "is empty";
  if (name.size() > 64) return "is longer than 64 characters";
  const auto alpha = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); };
  const auto digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!alpha(name[0])) return "must start with a letter";
  for (const char c : name)
    if (!alpha(c) && !digit(c) && c != '_')
      return "may contain only letters, digits and '_' (found '" + std::string(1, c) + "')";
  for (const char* b : kBaselines)
    if (name == b) return "is a built-in policy's name";
  return "";
}

// my_policy -> MyPolicy; the class always ends in "Policy" and never equals keepwarm::Policy.
std::string class_name(const std::string& name) {
  std::string out;
  bool upper = true;
  for (const char c : name) {
    if (c == '_') {
      upper = true;
      continue;
    }
    out += upper && c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c;
    upper = false;
  }
  if (out.size() < 6 || out.compare(out.size() - 6, 6, "Policy") != 0) out += "Policy";
  if (out == "Policy") out = "MyPolicy";
  return out;
}

// The shipped sample trace next to the executable (installed: <prefix>/share/keepwarm/traces;
// the build tree links the same place to the source tree's traces/).
fs::path find_sample_trace() {
  const fs::path exe_dir = executable_dir();
  if (exe_dir.empty()) return {};
  std::error_code ec;
  const fs::path p =
      (exe_dir / ".." / "share" / "keepwarm" / "traces" / "sample").lexically_normal();
  return fs::exists(p, ec) ? fs::canonical(p, ec) : fs::path();
}

// How to run this keepwarm from the current directory: "keepwarm" when that name on PATH is
// this executable, else its path (relative when it is below the current directory).
std::string keepwarm_command() {
  std::error_code ec;
  const fs::path self = fs::weakly_canonical(executable_dir() / "keepwarm", ec);
  if (const char* path = std::getenv("PATH"); path != nullptr) {
    std::stringstream ss(path);
    for (std::string dir; std::getline(ss, dir, ':');) {
      if (dir.empty()) continue;
      const fs::path candidate = fs::path(dir) / "keepwarm";
      if (fs::exists(candidate, ec) && fs::weakly_canonical(candidate, ec) == self)
        return "keepwarm";
    }
  }
  const fs::path cwd = fs::current_path(ec);
  const fs::path rel = fs::relative(self, cwd, ec);
  if (!ec && !rel.empty() && *rel.begin() != "..") return (fs::path(".") / rel).string();
  return self.string();
}

// How to point CMake at the keepwarm package this executable belongs to.
std::string package_hint() {
  const fs::path exe_dir = executable_dir();
  std::error_code ec;
  if (exe_dir.empty()) return "-DCMAKE_PREFIX_PATH=<keepwarm install prefix>";
  const fs::path up = fs::weakly_canonical(exe_dir / "..", ec);
  if (fs::exists(up / "keepwarmConfig.cmake", ec)) return "-Dkeepwarm_DIR=" + up.string();
  return "-DCMAKE_PREFIX_PATH=" + up.string();
}

// Memory sizes that put the trace under pressure: an eighth, a quarter and half of the memory
// all its functions would hold with one container each (at least the largest function).
std::vector<uint64_t> memory_levels(const fs::path& trace) {
  std::vector<uint64_t> fallback = {1000, 2000, 4000};
  if (trace.empty()) return fallback;
  try {
    const Trace t = load_trace(trace);
    uint64_t total = 0, largest = 0;
    for (const Function& f : t.functions) {
      total += f.memory_mb;
      largest = std::max<uint64_t>(largest, f.memory_mb);
    }
    if (total == 0) return fallback;
    std::vector<uint64_t> out;
    for (const uint64_t div : {8, 4, 2}) {
      uint64_t m = std::max(largest, total / div);
      m = std::max<uint64_t>(100, (m + 99) / 100 * 100);
      if (out.empty() || m > out.back()) out.push_back(m);
    }
    return out;
  } catch (const std::exception&) {
    return fallback;
  }
}

std::string replace_all(std::string text, const std::string& from, const std::string& to) {
  for (size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size()))
    text.replace(at, from.size(), to);
  return text;
}

std::string toml_string(const std::string& s) {
  std::string out = "\"";
  for (const char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

const char* const kCMakeLists =
    R"tmpl(# Builds the @NAME@ keepwarm policy plugin (@NAME@.so) against the keepwarm SDK package.
#   cmake -S . -B build @HINT@
#   cmake --build build
cmake_minimum_required(VERSION 3.22)
project(@NAME@ VERSION 0.1.0 LANGUAGES CXX)

if(NOT CMAKE_BUILD_TYPE AND NOT CMAKE_CONFIGURATION_TYPES)
  set(CMAKE_BUILD_TYPE Release CACHE STRING "Build type" FORCE)
endif()

# The SDK: keepwarm::sdk and keepwarm_add_policy (a MODULE library with hidden visibility that
# exports only keepwarm_policy_entry). SDK 1.x plugins load in every keepwarm 1.x host.
find_package(keepwarm 1.0 REQUIRED)
keepwarm_add_policy(@NAME@ @NAME@.cpp)
)tmpl";

const char* const kSource =
    R"src(// @NAME@: a keepwarm keep-alive policy (generated by `keepwarm new-policy @NAME@`).
//
// As generated it works: an idle container is kept for `keepalive_ms` after it goes idle, and
// when memory runs short the least recently used idle container is evicted. Change the hooks
// to try your idea. Exact hook timing and the determinism rules: docs/writing-a-policy.md in
// keepwarm's sources; every field of the C ABI: docs/sdk.md.
#include <keepwarm/indexed_heap.hpp>
#include <keepwarm/policy.hpp>

#include <array>
#include <cstdint>
#include <vector>

namespace {

class @CLASS@ final : public keepwarm::Policy {
 public:
  // ---- Metadata: `keepwarm plugins --details` shows it, results.json records name and version.
  static constexpr const char* kName = "@NAME@";   // what experiments call the policy
  static constexpr const char* kVersion = "0.1.0";  // bump it whenever behaviour changes
  static constexpr const char* kDescription =
      "keep idle containers for keepalive_ms, evict the least recently used";
  static constexpr const char* kAuthor = "Your Name <you@example.org>";
  static constexpr const char* kUrl = "https://example.org/@NAME@ (or a citation)";
  // KW_POLICY_RANDOMISED if results depend on host().random_u64() (then run with several
  // seeds); KW_POLICY_NEEDS_LOOKAHEAD to read future arrivals (oracles only).
  static constexpr uint64_t kFlags = 0;
  // Declared parameters: the host checks users' values against the type and passes the default
  // otherwise. Set them with `--param @NAME@.keepalive_ms=60000` or [policy.@NAME@] in TOML.
  static constexpr std::array<kw_param_decl, 1> kParams{{
      {"keepalive_ms", KW_PARAM_DOUBLE, "600000",
       "how long an idle container is kept, ms (0 = until evicted)"},
  }};

  // create(): one instance per simulated cell (trace x memory x seed), at the first arrival's
  // time. Read parameters here; an exception reports a policy error and fails the cell.
  explicit @CLASS@(const kw_host* h) : keepwarm::Policy(h) {
    keepalive_ms_ = host().param_double("keepalive_ms");
  }

  // An invocation of fn arrives at host().now(), before the host looks for a container. Timers
  // and prewarms requested here for now (or earlier) happen before the invocation is placed.
  void on_arrival(kw_function_id /*fn*/) override {}

  // Container c of fn started: KW_START_COLD (new, runs cold), KW_START_WARM (an idle container
  // reused; its keep-alive deadline is cancelled) or KW_START_PREWARM (created idle by a
  // prewarm; on_container_idle follows at once).
  void on_container_started(kw_container_id c, kw_function_id /*fn*/,
                            kw_start_kind /*kind*/) override {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    idle_.erase(slot);  // a warm start takes it out of the idle set (no-op otherwise)
    if (slot >= last_used_.size()) last_used_.resize(slot + 1, 0.0);
    last_used_[slot] = host().now();
  }

  // Container c of fn became idle (its invocation finished, or it was just prewarmed). From now
  // until it is reused or removed, set_keepalive(c, ...) is accepted (here or in any later hook).
  void on_container_idle(kw_container_id c, kw_function_id /*fn*/) override {
    const uint32_t slot = KW_CONTAINER_SLOT(c);
    idle_.push(slot, last_used_[slot]);
    if (slot >= ids_.size()) ids_.resize(slot + 1, KW_NO_CONTAINER);
    ids_[slot] = c;
    if (keepalive_ms_ > 0) host().set_keepalive(c, host().now() + keepalive_ms_);
  }

  // A cold start of for_fn needs memory: return one idle container to evict. Called again and
  // again until enough memory is free; only called when evicting can make enough room.
  kw_container_id choose_victim(kw_function_id /*for_fn*/) override {
    return idle_.empty() ? KW_NO_CONTAINER : ids_[idle_.top()];
  }

  // Container c of fn left memory: KW_REMOVED_EVICTED (you chose it) or KW_REMOVED_EXPIRED
  // (its keep-alive deadline passed while idle). Its handle may be reused afterwards.
  void on_container_removed(kw_container_id c, kw_function_id /*fn*/,
                            kw_removal_reason /*reason*/) override {
    idle_.erase(KW_CONTAINER_SLOT(c));
  }

  // A timer set with host().set_timer(at_ms, token) fired (after finishes and expiries at the
  // same time, before the arrival at that time).
  void on_timer(uint64_t /*token*/) override {}

  // The run ended at the last arrival; nothing scheduled after it fires.
  void on_end() override {}

  // fn has idle containers and an invocation: pick which one serves it, or KW_NO_CONTAINER for
  // the host's default (the most recently idled one).
  kw_container_id choose_warm(kw_function_id /*fn*/) override { return KW_NO_CONTAINER; }

 private:
  double keepalive_ms_ = 0;
  keepwarm::IndexedHeap<double> idle_;  // idle slots by last use, oldest on top
  std::vector<double> last_used_;       // by slot
  std::vector<kw_container_id> ids_;    // by slot: the live container's handle
};

}  // namespace

// The one exported symbol of the plugin (keepwarm_policy_entry).
KEEPWARM_EXPORT_POLICY(@CLASS@)
)src";

const char* const kExperiment =
    R"tmpl(# @NAME@ against the built-ins: rand (the baseline every ranking is relative to) and lru.
# Relative paths are relative to this file, so from any directory:
#   keepwarm run @DIR@/experiment.toml
[experiment]
name = "@NAME@-vs-builtins"
traces = [@TRACE@]@TRACE_NOTE@
memory_mb = [@MEMORY@]
policies = ["@NAME@", "rand", "lru"]
seeds = 3                  # rand is randomised: 3 seeds; deterministic policies run once
plugin_path = ["build"]    # where `cmake --build build` puts @NAME@.so
out = "results"            # results.csv/.json, functions.csv, report.html, plots/

# Parameters of @NAME@ (defaults shown; see `keepwarm plugins --details --plugin-path build`).
[policy.@NAME@]
keepalive_ms = 600000
)tmpl";

const char* const kReadme = R"tmpl(# @NAME@: a keepwarm policy

A keep-alive / eviction policy plugin for [keepwarm](https://github.com/keepwarm), generated by
`keepwarm new-policy @NAME@`. As generated it keeps idle containers for `keepalive_ms` and
evicts the least recently used one when memory runs short; edit `@NAME@.cpp` to make it yours.

## Build

Needs a C++20 compiler, CMake >= 3.22 and keepwarm 1.x (installed, or a build tree):

    cmake -S . -B build @HINT@
    cmake --build build

`find_package(keepwarm 1.0)` accepts any keepwarm 1.x; `keepwarm_add_policy` builds
`build/@NAME@.so` as a MODULE library with hidden visibility, exporting only
`keepwarm_policy_entry` (check with `nm -D --defined-only build/@NAME@.so`).

## Run against the built-ins

    keepwarm run experiment.toml

runs @NAME@, rand (the baseline) and lru on the trace in `experiment.toml` at each memory size,
prints the ranking and writes `results/`: `results.csv` and `results.json` (one row per run),
`functions.csv` (per function), `report.html` (open it in a browser) and `plots/*.svg`. Point
`traces` at your own traces (a directory with functions.csv and invocations.csv, see
keepwarm's traces/README) or override on the command line:

    keepwarm run experiment.toml --trace other/trace --memory 500,1000,2000

Try a parameter: `keepwarm run experiment.toml --param @NAME@.keepalive_ms=60000`.
List what keepwarm sees: `keepwarm plugins --details --plugin-path build`.

## Keep it deterministic

Use only `host().random_u64()` (and `uniform`, `uniform01`) for randomness, set
`KW_POLICY_RANDOMISED` if you do, never read the wall clock, and never let iteration order over
pointers or unordered containers decide anything. Then a seed gives the same results on every
machine.

## Share it

- Publish this directory (source, CMakeLists.txt, README, experiment.toml). Others build it
  with the two commands above against their keepwarm 1.x.
- Users install the plugin by copying `@NAME@.so` into a directory on the search path:
  `--plugin-path DIR`, `KEEPWARM_PLUGIN_PATH`, or `<prefix>/lib/keepwarm/plugins`.
- Bump `kVersion` with every behaviour change. `results.json` records each plugin's name,
  version and the SHA-256 of its file, so published results name the exact build.
- Fill in `kAuthor` and `kUrl` (a URL or a citation): `keepwarm plugins --details` shows them.
)tmpl";

void write_file(const fs::path& file, const std::string& text) {
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out) throw ScaffoldError(file.string() + ": cannot write");
}

int scaffold(const NewPolicyOptions& o) {
  const std::string problem = name_problem(o.name);
  if (!problem.empty())
    throw ScaffoldError("policy name '" + o.name + "' " + problem +
                        " (use letters, digits and '_', starting with a letter, e.g. my_policy)");
  const fs::path dir = o.dir.empty() ? fs::path(o.name) : fs::path(o.dir);
  std::error_code ec;
  if (fs::exists(dir, ec)) {
    if (!fs::is_directory(dir, ec))
      throw ScaffoldError(dir.string() + " exists and is not a directory");
    if (!fs::is_empty(dir, ec))
      throw ScaffoldError(dir.string() + " exists and is not empty; refusing to overwrite");
  }
  fs::create_directories(dir, ec);
  if (ec) throw ScaffoldError(dir.string() + ": cannot create (" + ec.message() + ")");

  // The trace, and how experiment.toml names it: by name when it is on the trace search path
  // (the shipped sample, or --trace NAME), else by a path relative to the experiment file, so
  // that the project can be moved and published.
  fs::path trace;
  std::string trace_ref;
  if (o.trace.empty()) {
    trace = find_sample_trace();
    if (!trace.empty()) trace_ref = "sample";
  } else {
    try {
      trace = fs::absolute(find_trace(o.trace), ec);
    } catch (const std::exception& e) {
      throw ScaffoldError("--trace " + o.trace + ": no such trace (" + e.what() + ")");
    }
    trace = fs::weakly_canonical(trace, ec);
    if (!fs::exists(o.trace, ec) && o.trace.find('/') == std::string::npos) {
      trace_ref = o.trace;
    } else {
      const fs::path rel = fs::relative(trace, fs::weakly_canonical(fs::absolute(dir), ec), ec);
      trace_ref = ec || rel.empty() ? trace.string() : rel.generic_string();
    }
  }

  std::string memory;
  for (const uint64_t m : memory_levels(trace))
    memory += (memory.empty() ? "" : ", ") + std::to_string(m);
  const std::string hint = package_hint();
  const auto fill = [&](std::string text) {
    text = replace_all(std::move(text), "@NAME@", o.name);
    text = replace_all(std::move(text), "@CLASS@", class_name(o.name));
    text = replace_all(std::move(text), "@HINT@", hint);
    text = replace_all(std::move(text), "@DIR@", dir.string());
    text = replace_all(std::move(text), "@MEMORY@", memory);
    text = replace_all(std::move(text), "@TRACE@",
                       trace.empty() ? toml_string("path/to/trace") : toml_string(trace_ref));
    text = replace_all(std::move(text), "@TRACE_NOTE@",
                       trace.empty() ? "   # no shipped trace was found: set a trace here" : "");
    return text;
  };
  write_file(dir / "CMakeLists.txt", fill(kCMakeLists));
  write_file(dir / (o.name + ".cpp"), fill(kSource));
  write_file(dir / "experiment.toml", fill(kExperiment));
  write_file(dir / "README.md", fill(kReadme));

  std::cout << "created policy project '" << o.name << "' in " << dir.string() << ":\n"
            << "  CMakeLists.txt  " << o.name << ".cpp  experiment.toml  README.md\n";
  if (trace.empty())
    std::cout << "note: no shipped sample trace was found next to keepwarm; set `traces` in "
              << (dir / "experiment.toml").string() << " (or pass --trace)\n";
  std::cout << "\nbuild it and rank it against rand and lru:\n"
            << "  cmake -S " << dir.string() << " -B " << (dir / "build").string() << " " << hint
            << "\n"
            << "  cmake --build " << (dir / "build").string() << "\n"
            << "  " << keepwarm_command() << " run " << (dir / "experiment.toml").string() << "\n";
  return 0;
}

}  // namespace

void add_new_policy_command(CLI::App& app) {
  auto opts = std::make_shared<NewPolicyOptions>();
  CLI::App* cmd = app.add_subcommand(
      "new-policy",
      "Write a new policy project: CMakeLists.txt, NAME.cpp (every hook, commented), README.md "
      "and experiment.toml comparing it with rand and lru on the sample trace.");
  cmd->add_option("NAME", opts->name, "policy name: letters, digits and '_', e.g. my_policy")
      ->required();
  cmd->add_option("DIR", opts->dir, "directory to create (default ./NAME; must be empty)");
  cmd->add_option("--trace", opts->trace,
                  "trace for experiment.toml (default: the shipped sample trace)");
  cmd->callback([opts] {
    try {
      set_exit_code(scaffold(*opts));
    } catch (const std::exception& e) {
      std::cerr << "keepwarm new-policy: " << e.what() << "\n";
      set_exit_code(1);
    }
  });
}

}  // namespace keepwarm::cli
