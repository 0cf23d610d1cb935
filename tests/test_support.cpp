// test_support.cpp: see test_support.hpp.
#include "test_support.hpp"

#include <gtest/gtest.h>

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <stdexcept>

#include "keepwarm/util/io.hpp"

namespace keepwarm::test {

namespace fs = std::filesystem;

Trace make_trace(std::vector<Function> functions,
                 const std::vector<std::pair<double, std::string>>& invocations) {
  Trace t;
  t.name = "test";
  std::map<std::string, uint32_t> index;
  for (size_t i = 0; i < functions.size(); ++i) index[functions[i].id] = static_cast<uint32_t>(i);
  t.functions = std::move(functions);
  for (const auto& [time, fn] : invocations) {
    t.times.push_back(time);
    t.function_of.push_back(index.at(fn));
  }
  t.validate();
  return t;
}

Trace worked_example() {
  return make_trace({{"x", 100, 1000, 100}, {"y", 100, 1500, 100}, {"z", 250, 1000, 100}},
                    {{0, "x"}, {10, "y"}, {2000, "z"}, {3000, "y"}, {4000, "x"}});
}

PluginPtr builtin(const std::string& name) {
  static PluginRegistry registry({fs::path(KEEPWARM_PLUGIN_DIR)});
  return registry.find(name);
}

fs::path test_plugin_file(const std::string& file) {
  return fs::path(KEEPWARM_TEST_PLUGIN_DIR) / file;
}

CellResult run(const Trace& trace, const PluginPtr& plugin, uint64_t memory_mb, Compat compat,
               uint64_t seed, double overhead_ms, double overhead_frac) {
  SimConfig config;
  config.memory_mb = memory_mb;
  config.compat = compat;
  config.seed = seed;
  config.overhead_ms = overhead_ms;
  config.overhead_frac = overhead_frac;
  config.params = plugin->resolve_params({});
  return simulate(trace, plugin, config);
}

TempDir::TempDir() {
  static int counter = 0;
  path_ = fs::temp_directory_path() /
          ("keepwarm-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
  fs::remove_all(path_);
  fs::create_directories(path_);
}
TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

void write_text(const fs::path& file, const std::string& text) {
  if (file.has_parent_path()) fs::create_directories(file.parent_path());
  std::ofstream out(file, std::ios::binary);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + file.string());
}

std::string read_text(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file.string());
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void write_pressure_trace(const fs::path& dir, int functions, int invocations) {
  std::ostringstream f, inv;
  f << "function,memory_mb,cold_ms,warm_ms\n";
  for (int i = 0; i < functions; ++i)
    f << "fn" << i << "," << 64 * (1 + i % 5) << "," << 500 + 37 * i << "," << 20 + 3 * i << "\n";
  inv << "time_ms,function\n";
  uint64_t x = 12345;
  double t = 0;
  for (int i = 0; i < invocations; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    t += static_cast<double>((x >> 33) % 200);
    const int fn =
        static_cast<int>((x >> 20) % functions) % (1 + static_cast<int>((x >> 40) % functions));
    inv << t << ",fn" << fn << "\n";
  }
  write_text(dir / "functions.csv", f.str());
  write_text(dir / "invocations.csv", inv.str());
}

CsvTable read_csv(const fs::path& file) {
  CsvTable csv;
  std::istringstream in(read_text(file));
  std::string line;
  bool first = true;
  while (std::getline(in, line)) {
    const std::vector<std::string> fields = split_csv_line(line);
    if (first) {
      csv.header = fields;
      first = false;
      continue;
    }
    EXPECT_EQ(fields.size(), csv.header.size()) << file << ": " << line;
    std::map<std::string, std::string> row;
    for (size_t i = 0; i < fields.size() && i < csv.header.size(); ++i)
      row[csv.header[i]] = fields[i];
    csv.rows.push_back(std::move(row));
  }
  return csv;
}

CommandResult run_keepwarm(const std::string& args) {
  return run_command(std::string("'") + KEEPWARM_EXE + "' " + args);
}

CommandResult run_command(const std::string& shell_command) {
  const std::string cmd = "{ " + shell_command + " ; } 2>&1";
  FILE* pipe = ::popen(cmd.c_str(), "r");
  if (pipe == nullptr) throw std::runtime_error("popen failed");
  std::string out;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), pipe)) > 0) out.append(buf.data(), n);
  const int status = ::pclose(pipe);
  return CommandResult{WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

fs::path shared_reference_dir() {
  if (const char* env = std::getenv("KEEPWARM_REFERENCE_DIR"); env != nullptr && *env != '\0')
    return fs::path(env);
  const fs::path dir = fs::path(KEEPWARM_SOURCE_DIR) / ".." / "shared" / "reference";
  std::error_code ec;
  return fs::is_directory(dir, ec) ? dir.lexically_normal() : fs::path();
}

void EventText::arrival(double t, uint32_t fn, Outcome outcome, kw_container_id c) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "a %.17g %u %d %llu", t, fn, static_cast<int>(outcome),
                static_cast<unsigned long long>(c));
  events.emplace_back(buf);
}
void EventText::removal(double t, kw_container_id c, uint32_t fn, uint32_t,
                        kw_removal_reason reason) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "r %.17g %llu %u %d", t, static_cast<unsigned long long>(c), fn,
                static_cast<int>(reason));
  events.emplace_back(buf);
}
void EventText::prewarm(double t, kw_container_id c, uint32_t fn, bool created) {
  char buf[128];
  std::snprintf(buf, sizeof buf, "p %.17g %llu %u %d", t, static_cast<unsigned long long>(c), fn,
                created ? 1 : 0);
  events.emplace_back(buf);
}

}  // namespace keepwarm::test
