// bound.cpp: `keepwarm bound --trace T --memory LIST [--out DIR]`: the certified lower bound on
// misses (cold + dropped) at each memory size, written to DIR/bound.csv (docs/bounds.md).
#include <chrono>
#include <cstdio>
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "keepwarm/bound/bound.hpp"
#include "keepwarm/experiment/experiment.hpp"
#include "keepwarm/traces/trace.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm::cli {

namespace {

struct BoundOptions {
  std::vector<std::string> traces;
  std::string memory;
  std::string out = "results/bound";
  double overhead_ms = 0;
  double overhead_pct = 0;
  int iterations = 60;
  double time_limit_s = 5;
  uint32_t window = 4000;
  uint32_t overlap = 2000;
  uint64_t search_nodes = 2000000;
  double search_time_s = 2;
};

}  // namespace

void add_bound_command(CLI::App& app) {
  auto o = std::make_shared<BoundOptions>();
  CLI::App* cmd = app.add_subcommand(
      "bound",
      "A certified lower bound on misses (cold + dropped) that no policy beats in the default\n"
      "model, per trace and memory size: the interval relaxation of docs/bounds.md solved as a\n"
      "min-cost flow, tightened by matching warm starts to predecessors. Writes DIR/bound.csv.");
  cmd->add_option("-t,--trace", o->traces, "trace (repeatable)")->required();
  cmd->add_option("-m,--memory", o->memory, "server memory sizes in MB, comma-separated")
      ->required();
  cmd->add_option("-o,--out", o->out, "output directory (default results/bound)");
  cmd->add_option("--overhead-ms", o->overhead_ms, "fixed time added to every cold start, ms")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--overhead-pct", o->overhead_pct,
                  "cold start overhead as a fraction of the cold time (0.2 = +20%)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--iterations", o->iterations,
                  "subgradient steps after the flow solution, per memory size (default 60)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--time-limit", o->time_limit_s,
                  "seconds allowed for those steps per memory size (default 5)")
      ->check(CLI::NonNegativeNumber);
  cmd->add_option("--window", o->window,
                  "segments per window of the min-cost flow (default 4000; larger: slower, "
                  "slightly tighter)");
  cmd->add_option("--overlap", o->overlap,
                  "segments of context on each side of a window (default 2000)");
  cmd->add_option("--search-nodes", o->search_nodes,
                  "eviction decisions the exact search may explore per memory size (default "
                  "2000000; 0: no search)");
  cmd->add_option("--search-time", o->search_time_s,
                  "seconds the exact search may take per memory size (default 2)")
      ->check(CLI::NonNegativeNumber);
  cmd->footer(
      "Besides the bound, an exact search over every victim choice (for policies that remove\n"
      "containers only when asked for victims) proves the optimum where it can: the columns\n"
      "optimum, search_best and search_floor of bound.csv (docs/bounds.md).");
  cmd->callback([o] {
    try {
      if (!bound::solver_available())
        throw std::runtime_error(
            "this keepwarm was built without the min-cost flow solver (LEMON, Debian package "
            "liblemon-dev): install it and rebuild to compute bounds");
      const std::vector<uint64_t> memory = parse_memory_list(o->memory);
      bound::Options opts;
      opts.max_iterations = o->iterations;
      opts.time_limit_s = o->time_limit_s;
      opts.window = o->window;
      opts.overlap = o->overlap;
      std::string csv = bound::csv_header();
      std::printf("%-16s %10s %12s %12s %12s %10s %10s\n", "trace", "memory_mb", "invocations",
                  "lower_bound", "compulsory", "optimum", "wall_s");
      for (const std::string& path : o->traces) {
        const Trace trace = load_trace(path);
        const bound::Relaxation relax =
            bound::build_relaxation(trace, o->overhead_ms, o->overhead_pct);
        for (const uint64_t m : memory) {
          bound::BoundResult b = bound::solve(relax, m, opts);
          if (o->search_nodes > 0) {
            bound::SearchOptions so;
            so.max_nodes = o->search_nodes;
            so.time_limit_s = o->search_time_s;
            so.overhead_ms = o->overhead_ms;
            so.overhead_frac = o->overhead_pct;
            bound::add_search(b, trace, so);
          }
          csv += bound::csv_row(trace.name, b);
          const std::string opt =
              b.search.optimal() ? std::to_string(b.search.best)
              : b.search.ran ? std::to_string(b.search.floor) + "-" + std::to_string(b.search.best)
                             : "-";
          std::printf("%-16s %10llu %12llu %12llu %12llu %10s %10.3f\n", trace.name.c_str(),
                      static_cast<unsigned long long>(m),
                      static_cast<unsigned long long>(b.invocations),
                      static_cast<unsigned long long>(b.lower_bound),
                      static_cast<unsigned long long>(b.compulsory), opt.c_str(), b.wall_s);
        }
      }
      std::filesystem::create_directories(o->out);
      write_file_atomic(std::filesystem::path(o->out) / "bound.csv", csv);
      std::cout << "wrote " << (std::filesystem::path(o->out) / "bound.csv").string() << "\n";
      set_exit_code(0);
    } catch (const std::exception& e) {
      std::cerr << "keepwarm bound: " << e.what() << "\n";
      set_exit_code(1);
    }
  });
}

}  // namespace keepwarm::cli
