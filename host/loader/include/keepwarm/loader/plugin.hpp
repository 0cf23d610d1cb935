// keepwarm/loader/plugin.hpp: loading policy plugins (shared libraries exporting
// keepwarm_policy_entry), checking their ABI version and declared parameters, and finding them by
// name on a search path.
#pragma once

#include <keepwarm/policy.h>

#include <filesystem>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace keepwarm {

// A plugin that cannot be used: names the file and says why.
class PluginError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Whether a plugin built against SDK ABI `plugin` can run in a host providing ABI `host`: the
// majors must match and the plugin's minor must not be newer. Returns "" when compatible,
// otherwise why not, naming both versions.
std::string abi_incompatibility(kw_abi_version plugin, kw_abi_version host);

// A loaded policy plugin. The shared library stays loaded as long as any Plugin (or any policy
// instance, which holds a shared_ptr to its Plugin) refers to it.
class Plugin {
 public:
  // Loads a plugin file. Throws PluginError (not a library, no entry symbol, wrong ABI, bad
  // descriptor) with a message naming the file.
  static std::shared_ptr<const Plugin> load(const std::filesystem::path& file);
  // Wraps a descriptor compiled into this process (tests, embedded policies).
  static std::shared_ptr<const Plugin> from_descriptor(const kw_policy_descriptor* descriptor,
                                                       std::string origin);
  ~Plugin();
  Plugin(const Plugin&) = delete;
  Plugin& operator=(const Plugin&) = delete;

  // The descriptor as this host knows it: fields a plugin built against an older SDK does not
  // have (beyond its struct_size) read as zero/NULL.
  const kw_policy_descriptor& descriptor() const noexcept { return normalized_; }
  const std::string& name() const noexcept { return name_; }
  std::string version() const;
  const std::filesystem::path& file() const noexcept { return file_; }
  // Lower-case hex SHA-256 of the plugin file, computed at load ("" for in-process policies).
  const std::string& sha256() const noexcept { return sha256_; }
  bool randomised() const noexcept { return (normalized_.flags & KW_POLICY_RANDOMISED) != 0; }
  bool needs_lookahead() const noexcept {
    return (normalized_.flags & KW_POLICY_NEEDS_LOOKAHEAD) != 0;
  }
  // "name (file)" for messages.
  std::string label() const;

  // Resolves user-given parameter values (as text) against the declared parameters: every
  // declared parameter gets the user's value or its default. Throws PluginError for an
  // undeclared name or a value of the wrong type.
  std::map<std::string, std::string> resolve_params(
      const std::map<std::string, std::string>& user) const;

 private:
  Plugin() = default;
  void adopt(const kw_policy_descriptor* raw, const std::string& where);

  struct Library;
  std::unique_ptr<Library> library_;   // null for in-process descriptors
  kw_policy_descriptor normalized_{};  // the plugin's descriptor, zero-extended to this ABI
  std::filesystem::path file_;
  std::string sha256_;
  std::string name_;
};

using PluginPtr = std::shared_ptr<const Plugin>;

// Loads each file in a child process first, in order, so that a plugin whose loading crashes,
// exits or hangs (a static constructor) is found without harm to this process. Returns per file
// "" (it loaded, or failed with an ordinary error that Plugin::load reports) or why it is unsafe,
// naming the file ("...: crashed while loading: the probe process that loaded it was killed by
// signal 11 (SIGSEGV, ...); not loaded"). A file may take timeout_s to load.
std::vector<std::string> probe_plugin_files(const std::vector<std::filesystem::path>& files,
                                            double timeout_s);

// Where plugins are looked for, in order: explicit --plugin-path directories, then
// KEEPWARM_PLUGIN_PATH (colon-separated), then the built-in plugin directory next to the
// executable (../lib/keepwarm/plugins).
class PluginRegistry {
 public:
  explicit PluginRegistry(std::vector<std::filesystem::path> search_path);
  // The default search path for these explicit directories.
  static std::vector<std::filesystem::path> default_search_path(
      const std::vector<std::filesystem::path>& explicit_dirs);

  // A policy by name, or by path to a plugin file (anything containing '/' or ending in .so,
  // .dylib or .dll).
  // Throws PluginError listing what is available when the name is unknown.
  PluginPtr find(const std::string& name_or_path);

  struct Entry {
    std::filesystem::path file;
    PluginPtr plugin;       // null when loading failed
    std::string error;      // why it failed
    bool shadowed = false;  // another plugin earlier on the path has the same name
  };
  // Whether plugin files are loaded in a child process first (probe_plugin_files; the default).
  void set_probe(bool probe) noexcept { probe_ = probe; }
  static constexpr double kProbeTimeoutSeconds = 30;

  // Every plugin file on the search path, in search order (loads them all; with the probe, a
  // file whose loading crashed a child process is listed with its error and not loaded).
  const std::vector<Entry>& discover();
  const std::vector<std::filesystem::path>& search_path() const noexcept { return search_path_; }
  // What find() noticed and the user should hear, e.g. a plugin that shadows a same-named one
  // later on the path (a built-in): each names both files; a plugin file skipped because its
  // loading crashed a probe process.
  const std::vector<std::string>& warnings() const noexcept { return warnings_; }

 private:
  std::vector<std::filesystem::path> search_path_;
  std::vector<Entry> entries_;
  bool discovered_ = false;
  bool probe_ = true;
  std::map<std::string, PluginPtr> by_path_;
  std::vector<std::string> warnings_;
};

}  // namespace keepwarm
