// main.cpp: the keepwarm executable: builds the command line and dispatches to subcommands.
#include <exception>
#include <iostream>

#include "cli.hpp"

int main(int argc, char** argv) {
  CLI::App app{"keepwarm: a workbench for serverless keep-alive and container-eviction policies",
               "keepwarm"};
  app.require_subcommand(1);
  keepwarm::cli::add_trace_commands(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const std::exception& e) {
    std::cerr << "keepwarm: " << e.what() << "\n";
    return 1;
  }
  return 0;
}
