// main.cpp: the keepwarm executable: builds the command line and dispatches to subcommands.
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
  app.set_version_flag("--version", KEEPWARM_VERSION);
  app.require_subcommand(1);
  app.footer(
      "Run 'keepwarm COMMAND --help' for a command's options. Docs: docs/ in the source tree.");
  keepwarm::cli::add_run_command(app);
  keepwarm::cli::add_plugins_command(app);
  keepwarm::cli::add_report_command(app);
  keepwarm::cli::add_trace_commands(app);
  keepwarm::cli::add_new_policy_command(app);
  keepwarm::cli::add_bound_command(app);
  if (argc <= 1) {  // no command: show what there is
    std::cout << app.help();
    return 1;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // CLI11 prints the message (or the help) and has its own codes; bad input is 1 throughout.
    return app.exit(e) == 0 ? 0 : 1;
  } catch (const std::exception& e) {
    std::cerr << "keepwarm: " << e.what() << "\n";
    return 1;
  }
  return keepwarm::cli::exit_code();
}
