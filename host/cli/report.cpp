// report.cpp: `keepwarm report DIR`: regenerate the plots and report.html of a run's output
// directory from its results files alone (results.json, results.csv, functions.csv).
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "keepwarm/report/report.hpp"

namespace keepwarm::cli {

void add_report_command(CLI::App& app) {
  struct Options {
    std::string dir;
    bool log_y = false, svg_only = false, quiet = false;
  };
  auto o = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Regenerate summary.csv, plots/<trace>-{cold,dropped,latency,vs-baseline,tradeoff}.svg\n"
      "(and .png/.pdf with rsvg-convert) and report.html in a run's output directory from\n"
      "results.json, results.csv and functions.csv (the same files `keepwarm run` writes, byte\n"
      "for byte, given the same --log-y / --svg-only).");
  cmd->add_option("DIR", o->dir, "output directory of `keepwarm run`")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--log-y", o->log_y, "plot cold starts, drops and added latency on a log y axis");
  cmd->add_flag("--svg-only", o->svg_only,
                "write the plots as SVG only (no PNG/PDF copies through rsvg-convert)");
  cmd->add_flag("-q,--quiet", o->quiet, "print nothing but errors");
  cmd->callback([o] {
    try {
      const ReportData data = read_report_data(o->dir);
      ReportOptions options;
      options.log_y = o->log_y;
      options.raster = !o->svg_only;
      std::vector<std::string> notes;
      const std::vector<std::string> written = write_report(data, o->dir, options, &notes);
      if (!o->quiet) {
        std::cout << "wrote summary.csv, report.html and " << written.size() - 1 << " plots to "
                  << o->dir << "\n";
        for (const std::string& n : notes) std::cout << "  " << n << "\n";
      }
      set_exit_code(0);
    } catch (const std::exception& e) {
      std::cerr << "keepwarm report: " << e.what() << "\n";
      set_exit_code(1);
    }
  });
}

}  // namespace keepwarm::cli
