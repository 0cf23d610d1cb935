// report.cpp: `keepwarm report DIR`: regenerate the plots and report.html of a run's output
// directory from its results files alone (results.json, results.csv, functions.csv).
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "keepwarm/report/report.hpp"

namespace keepwarm::cli {

void add_report_command(CLI::App& app) {
  auto dir = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "report",
      "Regenerate plots/<trace>-{cold,dropped,tradeoff}.svg and report.html in a run's output\n"
      "directory from results.json, results.csv and functions.csv (the same files `keepwarm run`\n"
      "writes, byte for byte).");
  cmd->add_option("DIR", *dir, "output directory of `keepwarm run`")
      ->required()
      ->check(CLI::ExistingDirectory);
  cmd->callback([dir] {
    try {
      const ReportData data = read_report_data(*dir);
      const std::vector<std::string> written = write_report(data, *dir);
      std::cout << "wrote " << written.size() << " files to " << *dir << " (report.html and "
                << written.size() - 1 << " plots)\n";
      set_exit_code(0);
    } catch (const std::exception& e) {
      std::cerr << "keepwarm report: " << e.what() << "\n";
      set_exit_code(1);
    }
  });
}

}  // namespace keepwarm::cli
