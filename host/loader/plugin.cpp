// plugin.cpp: loading policy plugins with Boost.DLL, the ABI check, parameter resolution, and
// the plugin search path.
#include "keepwarm/loader/plugin.hpp"

#include "keepwarm/util/io.hpp"
#include "keepwarm/util/process.hpp"
#include "keepwarm/util/sha256.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <set>
#include <sstream>

namespace keepwarm {

namespace fs = std::filesystem;

struct Plugin::Library {
  boost::dll::shared_library lib;
};

Plugin::~Plugin() = default;

std::string Plugin::version() const {
  return normalized_.version != nullptr ? normalized_.version : "";
}

std::string Plugin::label() const {
  if (file_.empty()) return "'" + name_ + "'";
  return "'" + name_ + "' (" + file_.string() + ")";
}

std::string abi_incompatibility(kw_abi_version plugin, kw_abi_version host) {
  if (plugin.major == host.major && plugin.minor <= host.minor) return "";
  std::ostringstream msg;
  msg << "plugin built against keepwarm SDK ABI " << plugin.major << "." << plugin.minor
      << ", but this keepwarm provides ABI " << host.major << "." << host.minor << " (";
  if (plugin.major != host.major)
    msg << "the major version must match; rebuild the plugin against this SDK)";
  else
    msg << "the plugin needs a newer host; upgrade keepwarm or rebuild the plugin)";
  return msg.str();
}

// Checks the raw descriptor's version and size, then copies it into normalized_: a plugin built
// against an older SDK has a shorter descriptor, and the host must not read past its end; the
// fields it lacks stay zero (NULL hooks, which the host skips). Then checks the name, the
// required hooks and the parameter declarations. Errors start with `where`.
void Plugin::adopt(const kw_policy_descriptor* raw, const std::string& where) {
  const std::string why =
      abi_incompatibility(raw->abi, kw_abi_version{KW_ABI_VERSION_MAJOR, KW_ABI_VERSION_MINOR});
  if (!why.empty()) throw PluginError(where + ": " + why);
  // Every field before choose_warm exists since ABI 1.0.
  if (raw->struct_size < offsetof(kw_policy_descriptor, choose_warm))
    throw PluginError(where + ": descriptor is too small (" + std::to_string(raw->struct_size) +
                      " bytes); corrupt or not a keepwarm plugin");
  normalized_ = kw_policy_descriptor{};
  std::memcpy(&normalized_, raw, std::min<size_t>(raw->struct_size, sizeof normalized_));
  const kw_policy_descriptor& d = normalized_;
  if (d.name == nullptr || d.name[0] == '\0')
    throw PluginError(where + ": descriptor has no policy name");
  if (d.create == nullptr || d.destroy == nullptr || d.choose_victim == nullptr)
    throw PluginError(where + ": policy '" + d.name +
                      "' lacks a required hook (create, destroy and choose_victim are required)");
  for (const char* c = d.name; *c != '\0'; ++c)
    if (static_cast<unsigned char>(*c) < 0x20 || *c == 0x7f)
      throw PluginError(where + ": the policy name holds a control character");
  if (d.param_count > 0 && d.params == nullptr)
    throw PluginError(where + ": policy '" + d.name + "' declares " +
                      std::to_string(d.param_count) + " parameters but its params array is NULL");
  if (d.param_count > 4096)
    throw PluginError(where + ": policy '" + d.name + "' declares " +
                      std::to_string(d.param_count) + " parameters; corrupt descriptor?");
  std::set<std::string> seen;
  for (uint32_t i = 0; i < d.param_count; ++i) {
    const kw_param_decl& p = d.params[i];
    if (p.name == nullptr || p.default_value == nullptr)
      throw PluginError(where + ": parameter #" + std::to_string(i + 1) + " of policy '" + d.name +
                        "' has no name or default");
    if (!seen.insert(p.name).second)
      throw PluginError(where + ": policy '" + d.name + "' declares parameter '" + p.name +
                        "' twice");
  }
  name_ = d.name;
}

std::shared_ptr<const Plugin> Plugin::load(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) throw PluginError(file.string() + ": no such plugin file");
  auto plugin = std::shared_ptr<Plugin>(new Plugin());
  plugin->file_ = fs::absolute(file, ec);
  plugin->library_ = std::make_unique<Library>();
  boost::dll::fs::error_code load_ec;
  plugin->library_->lib.load(boost::dll::fs::path(file.string()),
                             boost::dll::load_mode::rtld_local | boost::dll::load_mode::rtld_now,
                             load_ec);
  if (load_ec) {
    throw PluginError(file.string() + ": cannot load as a shared library (" + load_ec.message() +
                      ")");
  }
  if (!plugin->library_->lib.has(KW_ENTRY_SYMBOL))
    throw PluginError(file.string() + ": not a keepwarm policy plugin (it does not export " +
                      KW_ENTRY_SYMBOL + ")");
  const auto entry = plugin->library_->lib.get<const kw_policy_descriptor*()>(KW_ENTRY_SYMBOL);
  const kw_policy_descriptor* raw = entry();
  if (raw == nullptr)
    throw PluginError(file.string() + ": " + KW_ENTRY_SYMBOL + "() returned no descriptor");
  plugin->adopt(raw, file.string());
  try {
    plugin->sha256_ = sha256_file_hex(file);
  } catch (const std::exception& e) {
    throw PluginError(e.what());
  }
  return plugin;
}

std::shared_ptr<const Plugin> Plugin::from_descriptor(const kw_policy_descriptor* descriptor,
                                                      std::string origin) {
  auto plugin = std::shared_ptr<Plugin>(new Plugin());
  if (descriptor == nullptr) throw PluginError(origin + ": null descriptor");
  plugin->adopt(descriptor, origin);
  return plugin;
}

static const char* type_name(kw_param_type t) {
  switch (t) {
    case KW_PARAM_INT:
      return "an integer";
    case KW_PARAM_DOUBLE:
      return "a finite number";
    case KW_PARAM_BOOL:
      return "true or false";
    case KW_PARAM_STRING:
      return "a string";
  }
  return "a value";
}

static bool value_fits(kw_param_type t, const std::string& v) {
  char* end = nullptr;
  switch (t) {
    case KW_PARAM_INT:
      errno = 0;
      std::strtoll(v.c_str(), &end, 10);
      return !v.empty() && *end == '\0' && errno != ERANGE;
    case KW_PARAM_DOUBLE: {
      const double d = std::strtod(v.c_str(), &end);
      return !v.empty() && *end == '\0' && std::isfinite(d);
    }
    case KW_PARAM_BOOL:
      return v == "true" || v == "false";
    case KW_PARAM_STRING:
      return true;
  }
  return false;
}

std::map<std::string, std::string> Plugin::resolve_params(
    const std::map<std::string, std::string>& user) const {
  std::map<std::string, std::string> out;
  const kw_policy_descriptor& d = normalized_;
  for (uint32_t i = 0; i < d.param_count; ++i) out[d.params[i].name] = d.params[i].default_value;
  for (const auto& [name, value] : user) {
    const kw_param_decl* decl = nullptr;
    for (uint32_t i = 0; i < d.param_count; ++i)
      if (name == d.params[i].name) decl = &d.params[i];
    if (decl == nullptr) {
      std::string known;
      for (uint32_t i = 0; i < d.param_count; ++i)
        known += (known.empty() ? "" : ", ") + std::string(d.params[i].name);
      throw PluginError("policy '" + name_ + "' has no parameter '" + name + "' (" +
                        (known.empty() ? "it declares none" : "it declares: " + known) + ")");
    }
    if (!value_fits(decl->type, value))
      throw PluginError("parameter '" + name + "' of policy '" + name_ + "' must be " +
                        type_name(decl->type) + ", got '" + value + "'");
    out[name] = value;
  }
  return out;
}

// ---- registry ----------------------------------------------------------------------------

std::vector<fs::path> PluginRegistry::default_search_path(
    const std::vector<fs::path>& explicit_dirs) {
  std::vector<fs::path> out = explicit_dirs;
  if (const char* env = std::getenv("KEEPWARM_PLUGIN_PATH"); env != nullptr) {
    std::string s = env;
    size_t start = 0;
    while (start <= s.size()) {
      const size_t colon = s.find(':', start);
      const std::string part =
          s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!part.empty()) out.emplace_back(part);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  const fs::path exe_dir = executable_dir();
  if (!exe_dir.empty())
    out.push_back((exe_dir / ".." / "lib" / "keepwarm" / "plugins").lexically_normal());
  return out;
}

PluginRegistry::PluginRegistry(std::vector<fs::path> search_path)
    : search_path_(std::move(search_path)) {}

std::vector<std::string> probe_plugin_files(const std::vector<fs::path>& files, double timeout_s) {
  std::vector<std::string> why(files.size());
  static constexpr uint32_t kDone = 0xffffffffu;
  size_t start = 0;
  while (start < files.size()) {
    int p[2];
    if (::pipe2(p, O_CLOEXEC) != 0)
      throw PluginError(std::string("cannot start a plugin probe (pipe: ") + std::strerror(errno) +
                        ")");
    pid_t pid = -1;
    try {
      pid = fork_child(p[1], -1, [&files, start]() -> int {
        for (size_t k = start; k < files.size(); ++k) {
          const uint32_t index = static_cast<uint32_t>(k);
          if (!write_all(3, &index, sizeof index)) return 1;
          try {
            Plugin::load(files[k]);
          } catch (...) {
            // An ordinary error: the load in the parent reports it.
          }
        }
        return write_all(3, &kDone, sizeof kDone) ? 0 : 1;
      });
    } catch (const std::exception& e) {
      ::close(p[0]);
      ::close(p[1]);
      throw PluginError(std::string("cannot start a plugin probe: ") + e.what());
    }
    ::close(p[1]);
    long current = -1;
    bool done = false;
    std::string failure;
    for (;;) {
      pollfd fd{p[0], POLLIN, 0};
      const int r = ::poll(&fd, 1, static_cast<int>(timeout_s * 1000));
      if (r < 0 && errno == EINTR) continue;
      uint32_t value = 0;
      if (r == 0) {
        ::kill(pid, SIGKILL);
        reap_child(pid, std::chrono::milliseconds(1000));
        failure = "did not finish loading within " + std::to_string(static_cast<int>(timeout_s)) +
                  " s (the probe process was killed)";
        break;
      }
      if (!read_exact(p[0], &value, sizeof value)) {
        failure = "crashed while loading: the probe process that loaded it " +
                  describe_wait_status(reap_child(pid, std::chrono::milliseconds(2000)));
        break;
      }
      if (value == kDone) {
        reap_child(pid, std::chrono::milliseconds(2000));
        done = true;
        break;
      }
      current = static_cast<long>(value);
    }
    ::close(p[0]);
    if (done) break;
    const size_t bad = current >= 0 ? static_cast<size_t>(current) : start;
    why[bad] = files[bad].string() + ": " + failure + "; not loaded";
    start = bad + 1;
  }
  return why;
}

static bool looks_like_plugin_file(const fs::path& p) {
  const std::string ext = p.extension().string();
  return ext == ".so" || ext == ".dylib" || ext == ".dll";
}

const std::vector<PluginRegistry::Entry>& PluginRegistry::discover() {
  if (discovered_) return entries_;
  discovered_ = true;
  std::set<std::string> names;
  std::vector<fs::path> files;  // in search order
  for (const fs::path& dir : search_path_) {
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    std::vector<fs::path> here;
    for (const auto& entry : fs::directory_iterator(dir, ec))
      if (entry.is_regular_file(ec) && looks_like_plugin_file(entry.path()))
        here.push_back(entry.path());
    std::sort(here.begin(), here.end());
    files.insert(files.end(), here.begin(), here.end());
  }
  // Loading runs a plugin's static constructors: a child process does it first, so that one that
  // crashes, exits or hangs is named and left out instead of taking this process with it.
  const std::vector<std::string> unsafe = probe_ ? probe_plugin_files(files, kProbeTimeoutSeconds)
                                                 : std::vector<std::string>(files.size());
  for (size_t k = 0; k < files.size(); ++k) {
    Entry e;
    e.file = files[k];
    if (!unsafe[k].empty()) {
      e.error = unsafe[k];
      warnings_.push_back(unsafe[k]);
    } else {
      try {
        e.plugin = Plugin::load(files[k]);
        e.shadowed = !names.insert(e.plugin->name()).second;
      } catch (const PluginError& err) {
        e.error = err.what();
      }
    }
    entries_.push_back(std::move(e));
  }
  return entries_;
}

PluginPtr PluginRegistry::find(const std::string& name_or_path) {
  const bool is_path =
      name_or_path.find('/') != std::string::npos || looks_like_plugin_file(fs::path(name_or_path));
  if (is_path) {
    std::error_code ec;
    const std::string key = fs::absolute(name_or_path, ec).lexically_normal().string();
    auto it = by_path_.find(key);
    if (it != by_path_.end()) return it->second;
    if (probe_) {
      const std::vector<std::string> unsafe =
          probe_plugin_files({fs::path(name_or_path)}, kProbeTimeoutSeconds);
      if (!unsafe.front().empty()) throw PluginError(unsafe.front());
    }
    PluginPtr p = Plugin::load(name_or_path);
    by_path_[key] = p;
    return p;
  }
  for (const Entry& e : discover())
    if (e.plugin && e.plugin->name() == name_or_path) {
      // Another plugin of this name later on the path (a built-in, say) is not used: say so.
      for (const Entry& other : entries_)
        if (other.shadowed && other.plugin && other.plugin->name() == name_or_path) {
          const std::string w = "policy '" + name_or_path + "': using " + e.file.string() +
                                ", which shadows " + other.file.string() +
                                " (the first on the plugin search path wins)";
          if (std::find(warnings_.begin(), warnings_.end(), w) == warnings_.end())
            warnings_.push_back(w);
        }
      return e.plugin;
    }
  std::string known;
  for (const Entry& e : entries_)
    if (e.plugin && !e.shadowed) known += (known.empty() ? "" : ", ") + e.plugin->name();
  std::string dirs;
  for (const fs::path& d : search_path_) dirs += (dirs.empty() ? "" : ", ") + d.string();
  std::string msg = "unknown policy '" + name_or_path +
                    "'; available: " + (known.empty() ? "none" : known) + " (searched " +
                    (dirs.empty() ? "nothing" : dirs) + ")";
  for (const Entry& e : entries_)
    if (!e.plugin) msg += "\n  note: " + e.error;
  throw PluginError(msg);
}

}  // namespace keepwarm
