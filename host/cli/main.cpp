// main.cpp: the keepwarm executable: builds the command line and dispatches to subcommands.
// Every error message starts with the command it belongs to ("keepwarm run: ...").
#include <cstdio>
#include <exception>
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{
      "keepwarm " KEEPWARM_VERSION
      ": a workbench for serverless keep-alive and container-eviction policies.\n"
      "Replays invocation traces against policy plugins at several server memory sizes and "
      "ranks them by cold starts, dropped invocations and evictions.",
      "keepwarm"};
  app.set_version_flag("-V,--version", KEEPWARM_VERSION, "Print the version and exit");
  app.require_subcommand(1);
  app.footer(
      "Run 'keepwarm COMMAND --help' for a command's options. Docs: docs/ in the source tree.");
  keepwarm::cli::add_run_command(app);
  keepwarm::cli::add_plugins_command(app);
  keepwarm::cli::add_report_command(app);
  keepwarm::cli::add_trace_commands(app);
  keepwarm::cli::add_new_policy_command(app);
  keepwarm::cli::add_bound_command(app);
  app.add_subcommand("version", "Print the version and exit")->callback([] {
    std::cout << KEEPWARM_VERSION << "\n";
  });
  keepwarm::cli::tidy_help(app);
  if (argc <= 1) {  // no command: show what there is
    std::cout << app.help();
    return 1;
  }
  const keepwarm::cli::ArgumentCheck check = keepwarm::cli::check_arguments(app, argc, argv);
  if (!check.error.empty()) {
    std::cerr << check.command << ": " << check.error << "\n"
              << "  (see '" << check.command << " --help')\n";
    return 1;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    // CLI11's own message, under the command it belongs to; bad input is exit 1 throughout.
    std::cerr << check.command << ": " << e.what() << "\n"
              << "  (see '" << check.command << " --help')\n";
    return 1;
  } catch (const std::exception& e) {
    std::cerr << check.command << ": " << e.what() << "\n";
    return 1;
  }
  return keepwarm::cli::exit_code();
}
