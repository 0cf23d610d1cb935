// args.cpp: checks a command line against the CLI11 app before CLI11 parses it, so that an
// unknown command or flag is named first (with "did you mean"), instead of surfacing as a
// confusing error about whatever positional argument it shifted into.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "cli.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm::cli {

namespace {

// Optimal string alignment distance (Levenshtein plus adjacent transpositions).
size_t edit_distance(const std::string& a, const std::string& b) {
  const size_t n = a.size(), m = b.size();
  std::vector<std::vector<size_t>> d(n + 1, std::vector<size_t>(m + 1));
  for (size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (size_t i = 1; i <= n; ++i)
    for (size_t j = 1; j <= m; ++j) {
      const size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
    }
  return d[n][m];
}

bool looks_numeric(const std::string& s) {
  char* end = nullptr;
  std::strtod(s.c_str(), &end);
  return end != s.c_str() && *end == '\0';
}

// The long (or, failing that, short) names of a command's options, with dashes.
std::vector<std::string> option_names(const CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::Option* opt : app->get_options()) {
    if (opt->get_positional() && opt->get_lnames().empty() && opt->get_snames().empty()) continue;
    for (const std::string& l : opt->get_lnames()) out.push_back("--" + l);
    for (const std::string& s : opt->get_snames()) out.push_back("-" + s);
  }
  return out;
}

std::vector<std::string> command_names(const CLI::App* app) {
  std::vector<std::string> out;
  for (const CLI::App* sub : app->get_subcommands([](const CLI::App*) { return true; }))
    out.push_back(sub->get_name());
  return out;
}

}  // namespace

std::string did_you_mean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string best;
  size_t best_d = std::string::npos;
  for (const std::string& c : candidates) {
    // A prefix of a longer name counts as close ("--mem" for "--memory").
    const size_t d = (word.size() >= 3 && c.rfind(word, 0) == 0) ? 1 : edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  // Close enough to be a typo: at most 2 edits, and fewer than half the word.
  if (best.empty() || best_d > 2 || best_d * 2 >= std::max<size_t>(word.size(), 2)) return "";
  return best;
}

ArgumentCheck check_arguments(CLI::App& app, int argc, char** argv) {
  ArgumentCheck out;
  out.command = "keepwarm";
  const CLI::App* cur = &app;
  bool positional_only = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (positional_only) continue;
    if (arg == "--") {
      positional_only = true;
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-' && !looks_numeric(arg)) {
      const bool is_long = arg.rfind("--", 0) == 0;
      const std::string name = is_long ? arg.substr(0, arg.find('=')) : arg.substr(0, 2);
      const CLI::Option* opt = cur->get_option_no_throw(name);
      if (opt == nullptr && cur == &app && (name == "-V" || name == "--version")) continue;
      if (opt == nullptr) {
        out.error = "unknown option '" + name + "'";
        const std::string hint = did_you_mean(name, option_names(cur));
        if (!hint.empty()) out.error += " (did you mean '" + hint + "'?)";
        return out;
      }
      // An option that takes a value and has no "=value" / "-xVALUE": its value follows.
      const bool takes_value = opt->get_type_size_max() > 0;
      const bool value_attached = is_long ? arg.find('=') != std::string::npos : arg.size() > 2;
      if (takes_value && !value_attached) ++i;
      continue;
    }
    // A word: a subcommand of the current command, or a positional argument.
    const std::vector<std::string> subs = command_names(cur);
    if (subs.empty()) continue;
    const std::vector<const CLI::App*> match =
        cur->get_subcommands([&](const CLI::App* a) { return a->check_name(arg); });
    if (!match.empty()) {
      cur = match.front();
      out.command += " " + match.front()->get_name();
      continue;
    }
    // A command that has subcommands and no positionals of its own: this must be a command.
    const std::vector<const CLI::Option*> options = cur->get_options();
    const bool has_positionals = std::any_of(
        options.begin(), options.end(), [](const CLI::Option* o) { return o->get_positional(); });
    if (!has_positionals) {
      out.error = "unknown command '" + arg + "'";
      const std::string hint = did_you_mean(arg, subs);
      if (!hint.empty()) out.error += " (did you mean '" + hint + "'?)";
      std::string list;
      for (const std::string& s : subs) list += (list.empty() ? "" : ", ") + s;
      out.error += "; commands: " + list;
      return out;
    }
  }
  return out;
}

CLI::Validator whole_number(uint64_t min, uint64_t max) {
  const std::string range = max == UINT64_MAX ? ">= " + std::to_string(min)
                                              : std::to_string(min) + ".." + std::to_string(max);
  return CLI::Validator(
      [=](std::string& value) -> std::string {
        char* end = nullptr;
        errno = 0;
        const unsigned long long v = std::strtoull(value.c_str(), &end, 10);
        if (value.empty() || *end != '\0' || value[0] == '-' || errno == ERANGE)
          return "'" + value + "' is not a whole number " + range;
        if (v < min || v > max) return "'" + value + "' is out of range (" + range + ")";
        return "";
      },
      "");
}

CLI::Validator real_number(double min) {
  return CLI::Validator(
      [=](std::string& value) -> std::string {
        char* end = nullptr;
        const double v = std::strtod(value.c_str(), &end);
        if (value.empty() || *end != '\0' || !std::isfinite(v))
          return "'" + value + "' is not a finite number";
        if (v < min) return "'" + value + "' must be >= " + format_number(min);
        return "";
      },
      "");
}

void tidy_help(CLI::App& app) {
  for (CLI::Option* opt : app.get_options([](const CLI::Option*) { return true; })) {
    if (opt->get_type_size_max() == 0) continue;  // a flag
    // get_type_name() is the C++ type, then ":" and each validator's description.
    const std::string full = opt->get_type_name();
    std::string type = full.substr(0, full.find(':'));
    if (opt->get_positional() && opt->get_lnames().empty() && opt->get_snames().empty()) {
      // A positional's name says what it is ("IN", "DIR"): nothing after it.
      type.clear();
      for (int i = 0;; ++i) {
        try {
          opt->get_validator(i)->description("");
        } catch (const CLI::OptionNotFound&) {
          break;
        }
      }
    } else if (full.size() > type.size() &&
               (full.substr(type.size()) == ":FILE" || full.substr(type.size()) == ":DIR")) {
      // An existing file or directory: say just that.
      type = full.substr(type.size() + 1);
      opt->get_validator(0)->description("");
    } else {
      // CLI11's C++ type names mean nothing to a user.
      if (type == "TEXT") type = "VALUE";
      if (type == "UINT" || type == "INT") type = "N";
      if (type == "FLOAT") type = "X";
    }
    opt->type_name(type);
  }
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; })) tidy_help(*sub);
}

}  // namespace keepwarm::cli
