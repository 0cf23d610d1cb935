// cli.hpp: the keepwarm command line. main.cpp builds the CLI11 app; each subcommand lives in
// its own <name>.cpp and registers itself through one of these functions.
#pragma once

#include <CLI/CLI.hpp>
#include <cstdint>
#include <string>
#include <vector>

namespace keepwarm::cli {

void add_run_command(CLI::App& app);         // keepwarm run (run.cpp)
void add_plugins_command(CLI::App& app);     // keepwarm plugins (plugins.cpp)
void add_report_command(CLI::App& app);      // keepwarm report (report.cpp)
void add_trace_commands(CLI::App& app);      // keepwarm trace info|convert|import-azure|generate
void add_new_policy_command(CLI::App& app);  // keepwarm new-policy (new_policy.cpp)
void add_bound_command(CLI::App& app);       // keepwarm bound (bound.cpp)

// A command line checked before CLI11 parses it (args.cpp): `command` is the command path it
// names ("keepwarm trace info"), `error` says what is wrong ("" if nothing): an unknown command
// or option, named, with "did you mean" where one is close.
struct ArgumentCheck {
  std::string command;
  std::string error;
};
ArgumentCheck check_arguments(CLI::App& app, int argc, char** argv);
// The candidate closest to word if it is close enough to be a typo, else "".
std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates);

// Help text without CLI11's internal type names: positionals show their name only, and
// TEXT / INT / UINT / FLOAT read VALUE / N / N / X. Run after every command is added.
void tidy_help(CLI::App& app);

// Validators with short messages for numeric options ("--jobs: 'abc' is not a whole number").
CLI::Validator whole_number(uint64_t min, uint64_t max);
CLI::Validator real_number(double min);

// Subcommands run from their callbacks and record their exit status here.
void set_exit_code(int code);
int exit_code();

}  // namespace keepwarm::cli
