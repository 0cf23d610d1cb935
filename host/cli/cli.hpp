// cli.hpp: the keepwarm command line. main.cpp builds the CLI11 app; each subcommand lives in
// its own <name>.cpp and registers itself through one of these functions.
#pragma once

#include <CLI/CLI.hpp>

namespace keepwarm::cli {

void add_run_command(CLI::App& app);         // keepwarm run (run.cpp)
void add_plugins_command(CLI::App& app);     // keepwarm plugins (plugins.cpp)
void add_report_command(CLI::App& app);      // keepwarm report (report.cpp)
void add_trace_commands(CLI::App& app);      // keepwarm trace info|convert|import-azure|generate
void add_new_policy_command(CLI::App& app);  // keepwarm new-policy (new_policy.cpp)
void add_bound_command(CLI::App& app);       // keepwarm bound (bound.cpp)

// Subcommands run from their callbacks and record their exit status here.
void set_exit_code(int code);
int exit_code();

}  // namespace keepwarm::cli
