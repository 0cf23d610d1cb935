// experiment.cpp: reading experiment TOML files with toml++, with every error pointing at
// file:line:column.
#include "keepwarm/experiment/experiment.hpp"

#include <toml++/toml.h>
#include <cmath>
#include <set>
#include <sstream>

#include "keepwarm/util/io.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

namespace {

std::string where(const fs::path& file, const toml::source_region& src) {
  std::ostringstream s;
  s << file.string();
  if (src.begin.line > 0) s << ':' << src.begin.line << ':' << src.begin.column;
  return s.str();
}

[[noreturn]] void fail(const fs::path& file, const toml::node& node, const std::string& msg) {
  throw ConfigError(where(file, node.source()) + ": " + msg);
}

void check_keys(const fs::path& file, const toml::table& table, const std::string& section,
                const std::set<std::string>& allowed) {
  for (const auto& [key, node] : table) {
    if (allowed.count(std::string(key.str())) == 0) {
      std::string list;
      for (const std::string& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw ConfigError(where(file, key.source()) + ": unknown key '" + std::string(key.str()) +
                        "' in [" + section + "] (allowed: " + list + ")");
    }
  }
}

std::string get_string(const fs::path& file, const toml::node& node, const std::string& what) {
  if (const auto* s = node.as_string()) return s->get();
  fail(file, node, what + " must be a string");
}

double get_number(const fs::path& file, const toml::node& node, const std::string& what) {
  if (const auto* i = node.as_integer()) return static_cast<double>(i->get());
  if (const auto* d = node.as_floating_point()) return d->get();
  fail(file, node, what + " must be a number");
}

uint64_t get_positive_int(const fs::path& file, const toml::node& node, const std::string& what) {
  if (const auto* i = node.as_integer(); i != nullptr && i->get() > 0)
    return static_cast<uint64_t>(i->get());
  fail(file, node, what + " must be a whole number > 0");
}

const toml::array& get_array(const fs::path& file, const toml::node& node,
                             const std::string& what) {
  if (const auto* a = node.as_array()) return *a;
  fail(file, node, what + " must be an array");
}

// A parameter value as the text policies read back: strings as they are, numbers as the
// shortest text that reads back the same (format_number; 1 and 1.0 both give "1", 0.1 gives
// "0.1"), booleans as true / false.
std::string param_text(const fs::path& file, const toml::node& node, const std::string& what) {
  if (const auto* s = node.as_string()) return s->get();
  if (const auto* i = node.as_integer()) return std::to_string(i->get());
  if (const auto* d = node.as_floating_point()) return format_number(d->get());
  if (const auto* b = node.as_boolean()) return b->get() ? "true" : "false";
  fail(file, node, what + " must be a string, number or boolean");
}

}  // namespace

std::vector<uint64_t> parse_memory_list(const std::string& text) {
  std::vector<uint64_t> out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    while (!item.empty() && item.front() == ' ') item.erase(item.begin());
    while (!item.empty() && item.back() == ' ') item.pop_back();
    if (item.empty()) throw ConfigError("empty memory size in '" + text + "'");
    double scale = 1;
    std::string num = item;
    const char last = static_cast<char>(std::tolower(static_cast<unsigned char>(num.back())));
    if (last == 'g' || last == 'm') {
      scale = last == 'g' ? 1024 : 1;
      num.pop_back();
    }
    char* end = nullptr;
    const double v = std::strtod(num.c_str(), &end);
    const double mb = v * scale;
    if (num.empty() || *end != '\0' || !(mb >= 1) || mb != std::floor(mb) || mb > 1e15)
      throw ConfigError("bad memory size '" + item + "' (expected MB as a whole number > 0, " +
                        "e.g. 2000, or GB with a g suffix, e.g. 4g)");
    out.push_back(static_cast<uint64_t>(mb));
  }
  if (out.empty()) throw ConfigError("no memory sizes given");
  return out;
}

Experiment load_experiment(const fs::path& file) {
  toml::table root;
  try {
    root = toml::parse_file(file.string());
  } catch (const toml::parse_error& e) {
    const auto& src = e.source();
    std::ostringstream s;
    s << file.string() << ':' << src.begin.line << ':' << src.begin.column << ": "
      << e.description();
    throw ConfigError(s.str());
  }
  const fs::path base = file.has_parent_path() ? file.parent_path() : fs::path(".");
  Experiment ex;
  ex.source = file;
  ex.name = file.stem().string();

  check_keys(file, root, "top level", {"experiment", "cold_start", "policy"});

  if (const toml::node* node = root.get("experiment")) {
    const toml::table* t = node->as_table();
    if (t == nullptr) fail(file, *node, "[experiment] must be a table");
    check_keys(file, *t, "experiment",
               {"name", "traces", "memory_mb", "policies", "seeds", "compat", "jobs", "out",
                "plugin_path", "bound"});
    for (const auto& [key, value] : *t) {
      const std::string k(key.str());
      if (k == "name") {
        ex.name = get_string(file, value, "name");
      } else if (k == "traces") {
        for (const toml::node& item : get_array(file, value, "traces")) {
          const fs::path p = get_string(file, item, "each trace");
          ex.traces.push_back(p.is_absolute() ? p : (base / p).lexically_normal());
        }
      } else if (k == "memory_mb") {
        for (const toml::node& item : get_array(file, value, "memory_mb"))
          ex.memory_mb.push_back(get_positive_int(file, item, "each memory size (MB)"));
      } else if (k == "policies") {
        for (const toml::node& item : get_array(file, value, "policies")) {
          std::string p = get_string(file, item, "each policy");
          // A plugin path in the file is relative to the file too.
          if (p.find('/') != std::string::npos && !fs::path(p).is_absolute())
            p = (base / p).lexically_normal().string();
          ex.origin["policy:" + p] = where(file, item.source());
          ex.policies.push_back(p);
        }
      } else if (k == "seeds") {
        ex.seeds.clear();
        if (value.is_integer()) {
          const uint64_t n = get_positive_int(file, value, "seeds");
          for (uint64_t s = 1; s <= n; ++s) ex.seeds.push_back(s);
        } else if (value.is_array()) {
          for (const toml::node& item : *value.as_array()) {
            const auto* i = item.as_integer();
            if (i == nullptr || i->get() < 0) fail(file, item, "each seed must be an integer >= 0");
            ex.seeds.push_back(static_cast<uint64_t>(i->get()));
          }
          if (ex.seeds.empty()) fail(file, value, "seeds must not be empty");
        } else {
          fail(file, value, "seeds must be a count (e.g. 3) or a list of seeds (e.g. [1, 7])");
        }
      } else if (k == "compat") {
        const std::string c = get_string(file, value, "compat");
        if (c == "none")
          ex.compat = Compat::none;
        else if (c == "faascache")
          ex.compat = Compat::faascache;
        else
          fail(file, value, "compat must be \"none\" or \"faascache\", not \"" + c + "\"");
      } else if (k == "jobs") {
        const auto* i = value.as_integer();
        if (i == nullptr || i->get() < 0) fail(file, value, "jobs must be an integer >= 0");
        ex.jobs = static_cast<unsigned>(i->get());
      } else if (k == "out") {
        const fs::path p = get_string(file, value, "out");
        ex.out_dir = p.is_absolute() ? p : (base / p).lexically_normal();
      } else if (k == "bound") {
        const auto* b = value.as_boolean();
        if (b == nullptr) fail(file, value, "bound must be true or false");
        ex.bound = b->get();
      } else if (k == "plugin_path") {
        for (const toml::node& item : get_array(file, value, "plugin_path")) {
          const fs::path p = get_string(file, item, "each plugin directory");
          ex.plugin_paths.push_back(p.is_absolute() ? p : (base / p).lexically_normal());
        }
      }
    }
  }

  if (const toml::node* node = root.get("cold_start")) {
    const toml::table* t = node->as_table();
    if (t == nullptr) fail(file, *node, "[cold_start] must be a table");
    check_keys(file, *t, "cold_start", {"overhead_ms", "overhead_pct"});
    if (const toml::node* v = t->get("overhead_ms")) {
      ex.overhead_ms = get_number(file, *v, "overhead_ms");
      if (!(ex.overhead_ms >= 0)) fail(file, *v, "overhead_ms must be >= 0");
    }
    if (const toml::node* v = t->get("overhead_pct")) {
      ex.overhead_frac = get_number(file, *v, "overhead_pct");
      if (!(ex.overhead_frac >= 0))
        fail(file, *v, "overhead_pct must be >= 0 (a fraction: 0.2 adds 20% of the cold time)");
    }
  }

  if (const toml::node* node = root.get("policy")) {
    const toml::table* t = node->as_table();
    if (t == nullptr) fail(file, *node, "[policy] must hold one table per policy");
    for (const auto& [name, params] : *t) {
      const toml::table* pt = params.as_table();
      if (pt == nullptr)
        fail(file, params, "[policy." + std::string(name.str()) + "] must be a table");
      const std::string policy(name.str());
      auto& out = ex.params[policy];
      ex.origin["params:" + policy] = where(file, name.source());
      for (const auto& [pname, pvalue] : *pt) {
        const std::string param(pname.str());
        out[param] = param_text(file, pvalue, "parameter " + param);
        ex.origin["param:" + policy + "." + param] = where(file, pname.source());
      }
    }
  }
  return ex;
}

}  // namespace keepwarm
