// plugins.cpp: `keepwarm plugins`: list every policy plugin on the search path.
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "keepwarm/loader/plugin.hpp"

namespace keepwarm::cli {

namespace fs = std::filesystem;

namespace {

const char* type_label(kw_param_type t) {
  switch (t) {
    case KW_PARAM_INT:
      return "int";
    case KW_PARAM_DOUBLE:
      return "number";
    case KW_PARAM_BOOL:
      return "bool";
    case KW_PARAM_STRING:
      return "string";
  }
  return "?";
}

struct PluginsOptions {
  bool details = false;
  std::vector<std::string> plugin_paths;
};

int list(const PluginsOptions& o) {
  std::vector<fs::path> dirs(o.plugin_paths.begin(), o.plugin_paths.end());
  PluginRegistry registry(PluginRegistry::default_search_path(dirs));
  const auto& entries = registry.discover();
  std::cout << "search path:";
  for (const fs::path& d : registry.search_path()) std::cout << "\n  " << d.string();
  std::cout << "\n\n";
  size_t ok = 0;
  for (const auto& e : entries) {
    if (!e.plugin) continue;
    ++ok;
    const kw_policy_descriptor& d = e.plugin->descriptor();
    std::cout << e.plugin->name() << "  " << e.plugin->version() << "  (ABI " << d.abi.major << '.'
              << d.abi.minor << ")" << (e.shadowed ? "  [shadowed by an earlier plugin]" : "")
              << "\n    " << (d.description ? d.description : "")
              << "\n    file: " << e.file.string() << "\n";
    if (o.details) {
      if (d.author) std::cout << "    author: " << d.author << "\n";
      if (d.url) std::cout << "    url: " << d.url << "\n";
      std::cout << "    sha256: " << e.plugin->sha256() << "\n";
      std::cout << "    flags:" << (e.plugin->randomised() ? " randomised" : "")
                << (e.plugin->needs_lookahead() ? " needs-lookahead" : "")
                << (d.flags == 0 ? " none" : "") << "\n";
      if (d.param_count == 0) std::cout << "    parameters: none\n";
      for (uint32_t i = 0; i < d.param_count; ++i) {
        const kw_param_decl& p = d.params[i];
        std::cout << "    param " << p.name << " (" << type_label(p.type) << ", default "
                  << p.default_value << ")" << (p.help ? ": " : "") << (p.help ? p.help : "")
                  << "\n";
      }
    }
  }
  size_t bad = 0;
  for (const auto& e : entries) {
    if (e.plugin) continue;
    if (bad++ == 0) std::cout << "\nnot loadable:\n";
    std::cout << "  " << e.error << "\n";
  }
  if (ok == 0) std::cout << "no policy plugins found\n";
  return 0;
}

}  // namespace

void add_plugins_command(CLI::App& app) {
  auto opts = std::make_shared<PluginsOptions>();
  CLI::App* cmd = app.add_subcommand("plugins",
                                     "List every policy plugin on the search path: name, version, "
                                     "ABI version, file, description.");
  cmd->add_flag("-d,--details", opts->details, "also show author, URL, flags and parameters");
  cmd->add_option("--plugin-path", opts->plugin_paths,
                  "extra directory to search first (repeatable; also KEEPWARM_PLUGIN_PATH)");
  cmd->callback([opts] { set_exit_code(list(*opts)); });
}

}  // namespace keepwarm::cli
