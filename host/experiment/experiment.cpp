// experiment.cpp: reading experiment TOML files with toml++, with every error pointing at
// file:line:column.
#include "keepwarm/experiment/experiment.hpp"

#include <toml++/toml.h>
#include <cmath>
#include <set>
#include <sstream>

#include "keepwarm/traces/trace.hpp"
#include "keepwarm/util/io.hpp"
#include "keepwarm/util/toml_depth.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

namespace {

// More seeds than this is a mistake (each seed is a cell per randomised policy and memory size).
constexpr uint64_t kMaxSeeds = 100000;

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
  if (const auto* d = node.as_floating_point()) {
    if (!std::isfinite(d->get())) fail(file, node, what + " must be a finite number");
    return d->get();
  }
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

// A parameter's values: one value, or an array of them (a sweep).
std::vector<std::string> param_values(const fs::path& file, const toml::node& node,
                                      const std::string& what) {
  std::vector<std::string> out;
  if (const auto* a = node.as_array()) {
    for (const toml::node& item : *a) out.push_back(param_text(file, item, what + " (each value)"));
    if (out.empty()) fail(file, node, what + ": an empty list sweeps nothing");
    return out;
  }
  out.push_back(param_text(file, node, what));
  return out;
}

// An entry of policies = [...]: "name", "path/to/plugin.so", or an inline table
// { policy = "ttl", label = "ttl-short", params = { keepalive_min = [5, 10] } }.
PolicyEntry policy_entry(const fs::path& file, const fs::path& base, const toml::node& item,
                         std::map<std::string, std::string>* origin, const std::string& key) {
  PolicyEntry entry;
  auto plugin_ref = [&](std::string p) {
    // A plugin path in the file is relative to the file too.
    if (p.find('/') != std::string::npos && !fs::path(p).is_absolute())
      p = (base / p).lexically_normal().string();
    return p;
  };
  if (item.is_string()) {
    entry.policy = plugin_ref(get_string(file, item, "each policy"));
    return entry;
  }
  const toml::table* t = item.as_table();
  if (t == nullptr)
    fail(file, item,
         "each policy must be a name, a plugin file, or a table like { policy = \"ttl\", label = "
         "\"ttl-5\", params = { keepalive_min = 5 } }");
  check_keys(file, *t, "policies entry", {"policy", "label", "params"});
  const toml::node* p = t->get("policy");
  if (p == nullptr) fail(file, item, "a policies entry needs policy = \"NAME\"");
  entry.policy = plugin_ref(get_string(file, *p, "policy"));
  if (const toml::node* l = t->get("label")) {
    entry.label = get_string(file, *l, "label");
    if (entry.label.empty() || entry.label.find_first_of(",[]=\n\r\t") != std::string::npos)
      fail(file, *l,
           "label must be non-empty, without commas, brackets, '=' or control characters");
  }
  if (const toml::node* params = t->get("params")) {
    const toml::table* pt = params->as_table();
    if (pt == nullptr) fail(file, *params, "params must be a table, e.g. { keepalive_min = 5 }");
    for (const auto& [pname, pvalue] : *pt) {
      const std::string param(pname.str());
      entry.params[param] = param_values(file, pvalue, "parameter " + param);
      (*origin)[key + "." + param] = where(file, pname.source());
    }
  }
  return entry;
}

}  // namespace

uint64_t resolve_memory_pct(double pct, uint64_t peak_mb) {
  const double mb = std::round(static_cast<double>(peak_mb) * pct / 100.0);
  return mb < 1 ? 1 : static_cast<uint64_t>(mb);
}

void parse_memory_sizes(const std::string& text, std::vector<uint64_t>* mb,
                        std::vector<double>* pct) {
  mb->clear();
  pct->clear();
  std::stringstream ss(text);
  std::string item;
  std::string absolute;
  while (std::getline(ss, item, ',')) {
    std::string t = item;
    while (!t.empty() && t.front() == ' ') t.erase(t.begin());
    while (!t.empty() && t.back() == ' ') t.pop_back();
    if (!t.empty() && t.back() == '%') {
      t.pop_back();
      char* end = nullptr;
      const double v = std::strtod(t.c_str(), &end);
      if (t.empty() || *end != '\0' || !std::isfinite(v) || !(v > 0) || v > 1e6)
        throw ConfigError("bad relative memory size '" + item +
                          "' (expected a percentage of the trace's peak > 0, e.g. 25%)");
      pct->push_back(v);
    } else {
      absolute += (absolute.empty() ? "" : ",") + item;
    }
  }
  if (!absolute.empty()) *mb = parse_memory_list(absolute);
  if (mb->empty() && pct->empty()) throw ConfigError("no memory sizes given");
}

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

const char* isolation_name(Isolation i) { return i == Isolation::process ? "process" : "none"; }

void apply_mode_defaults(Experiment& ex) {
  if (ex.compat != Compat::faascache_course) return;
  if (!ex.overhead_ms_given) ex.overhead_ms = 3000;
  if (!ex.overhead_frac_given) ex.overhead_frac = 0.2;
}

Experiment load_experiment(const fs::path& file) {
  toml::table root;
  std::string text;
  try {
    text = read_file(file);
  } catch (const std::exception& e) {
    throw ConfigError(e.what());
  }
  // toml++ parses recursively: refuse what would overflow the stack before parsing.
  if (const TomlDepthProblem deep = check_toml_depth(text); deep.line != 0)
    throw ConfigError(file.string() + ':' + std::to_string(deep.line) + ':' +
                      std::to_string(deep.column) + ": " + deep.message);
  try {
    root = toml::parse(text, file.string());
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
               {"name", "traces", "memory_mb", "memory_pct", "policies", "seeds", "compat", "jobs",
                "out", "plugin_path", "baseline", "bound", "isolation", "cell_timeout_s"});
    for (const auto& [key, value] : *t) {
      const std::string k(key.str());
      if (k == "name") {
        ex.name = get_string(file, value, "name");
      } else if (k == "traces") {
        for (const toml::node& item : get_array(file, value, "traces")) {
          const std::string ref = get_string(file, item, "each trace");
          const fs::path p(ref);
          fs::path resolved = p.is_absolute() ? p : (base / p).lexically_normal();
          // A bare name that is not beside the file: a trace on the trace search path.
          std::error_code ec;
          if (!fs::exists(resolved, ec) && ref.find('/') == std::string::npos) {
            try {
              resolved = find_trace(ref);
            } catch (const TraceError&) {
              // Not there either: loading the trace reports the path beside the file.
            }
          }
          ex.traces.push_back(resolved);
        }
      } else if (k == "memory_mb") {
        for (const toml::node& item : get_array(file, value, "memory_mb"))
          ex.memory_mb.push_back(get_positive_int(file, item, "each memory size (MB)"));
      } else if (k == "baseline") {
        ex.baseline = get_string(file, value, "baseline");
        ex.origin["baseline"] = where(file, value.source());
      } else if (k == "memory_pct") {
        for (const toml::node& item : get_array(file, value, "memory_pct")) {
          const double v = get_number(file, item, "each relative memory size (percent)");
          if (!std::isfinite(v) || !(v > 0) || v > 1e6)
            fail(file, item, "each relative memory size must be a percentage > 0, e.g. 25");
          ex.memory_pct.push_back(v);
        }
      } else if (k == "policies") {
        for (const toml::node& item : get_array(file, value, "policies")) {
          const std::string key = "policy:" + std::to_string(ex.policies.size());
          ex.origin[key] = where(file, item.source());
          ex.policies.push_back(policy_entry(file, base, item, &ex.origin, key));
        }
      } else if (k == "seeds") {
        ex.seeds.clear();
        if (value.is_integer()) {
          const uint64_t n = get_positive_int(file, value, "seeds");
          if (n > kMaxSeeds)
            fail(file, value,
                 "seeds = " + std::to_string(n) + " is more than " + std::to_string(kMaxSeeds) +
                     " seeds; give a list to pick seeds");
          for (uint64_t s = 1; s <= n; ++s) ex.seeds.push_back(s);
        } else if (value.is_array()) {
          if (value.as_array()->size() > kMaxSeeds)
            fail(file, value, "more than " + std::to_string(kMaxSeeds) + " seeds");
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
        else if (c == "faascache-course")
          ex.compat = Compat::faascache_course;
        else
          fail(file, value,
               "compat must be \"none\", \"faascache\" or \"faascache-course\", not \"" + c + "\"");
      } else if (k == "jobs") {
        const auto* i = value.as_integer();
        if (i == nullptr || i->get() < 0 || i->get() > 65536)
          fail(file, value, "jobs must be a whole number 0..65536 (0 = all cores)");
        ex.jobs = static_cast<unsigned>(i->get());
      } else if (k == "isolation") {
        const std::string i = get_string(file, value, "isolation");
        if (i == "process")
          ex.isolation = Isolation::process;
        else if (i == "none")
          ex.isolation = Isolation::none;
        else
          fail(file, value, "isolation must be \"process\" or \"none\", not \"" + i + "\"");
      } else if (k == "cell_timeout_s") {
        const std::optional<double> d = value.value<double>();
        if (!d || !std::isfinite(*d) || *d < 0 || *d > 1e9)
          fail(file, value, "cell_timeout_s must be a number of seconds >= 0 (0 = no limit)");
        ex.cell_timeout_s = *d;
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
      ex.overhead_ms_given = true;
      if (!(ex.overhead_ms >= 0)) fail(file, *v, "overhead_ms must be >= 0");
    }
    if (const toml::node* v = t->get("overhead_pct")) {
      ex.overhead_frac = get_number(file, *v, "overhead_pct");
      ex.overhead_frac_given = true;
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
        out[param] = param_values(file, pvalue, "parameter " + param);
        ex.origin["param:" + policy + "." + param] = where(file, pname.source());
      }
    }
  }
  return ex;
}

}  // namespace keepwarm
