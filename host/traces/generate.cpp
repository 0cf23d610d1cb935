// generate.cpp: synthetic traces. A FaasCache TraceGen-style mix (exponential
// inter-arrival times per function) and an Azure-like population (rates log-uniform over many
// orders of magnitude, lognormal durations and memory, optional diurnal rate via thinning).
// Every random number comes from Rng (xoshiro256** seeded by splitmix64) and samplers written
// here, so a seed gives the same trace with any compiler and standard library.
#include <toml++/toml.h>
#include <algorithm>
#include <cmath>
#include <numbers>
#include <queue>
#include <set>
#include <stdexcept>

#include "keepwarm/traces/formats.hpp"
#include "keepwarm/util/io.hpp"
#include "keepwarm/util/toml_depth.hpp"

namespace keepwarm {

namespace {

uint64_t splitmix64(uint64_t& x) noexcept {
  uint64_t z = (x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

constexpr uint64_t rotl(uint64_t x, int k) noexcept { return (x << k) | (x >> (64 - k)); }

// Merges per-function sorted arrival lists into a trace (ties broken by function order).
void merge_arrivals(Trace& trace, const std::vector<std::vector<double>>& arrivals) {
  size_t total = 0;
  for (const auto& a : arrivals) total += a.size();
  trace.times.reserve(total);
  trace.function_of.reserve(total);
  using Head = std::pair<double, uint32_t>;
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heap;
  std::vector<size_t> next(arrivals.size(), 0);
  for (uint32_t f = 0; f < arrivals.size(); ++f)
    if (!arrivals[f].empty()) heap.emplace(arrivals[f][0], f);
  while (!heap.empty()) {
    const auto [t, f] = heap.top();
    heap.pop();
    trace.times.push_back(t);
    trace.function_of.push_back(f);
    if (++next[f] < arrivals[f].size()) heap.emplace(arrivals[f][next[f]], f);
  }
}

// Rounds to whole microseconds so the text form round-trips compactly.
double round_us(double ms) { return std::round(ms * 1000.0) / 1000.0; }

std::string function_name(const char* prefix, size_t i, size_t n) {
  std::string digits = std::to_string(i);
  const size_t width = std::to_string(n > 0 ? n - 1 : 0).size();
  return prefix + std::string(width - std::min(width, digits.size()), '0') + digits;
}

}  // namespace

Rng::Rng(uint64_t seed) noexcept {
  uint64_t x = seed;
  for (uint64_t& s : s_) s = splitmix64(x);
}

uint64_t Rng::next() noexcept {
  const uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Rng::uniform() noexcept { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Rng::uniform_open() noexcept {
  return (static_cast<double>(next() >> 12) + 0.5) * 0x1.0p-52;
}

double Rng::exponential(double mean) noexcept { return -mean * std::log(uniform_open()); }

double Rng::normal() noexcept {
  const double u1 = uniform_open();
  const double u2 = uniform();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * std::numbers::pi * u2);
}

double Rng::lognormal(double mu, double sigma) noexcept { return std::exp(mu + sigma * normal()); }

uint64_t Rng::below(uint64_t n) noexcept {
  // Rejection of the top partial block, then modulo: exactly uniform.
  const uint64_t threshold = (0 - n) % n;
  uint64_t x = next();
  while (x < threshold) x = next();
  return x % n;
}

Trace generate_mix(const MixSpec& spec) {
  if (!(spec.duration_ms > 0) || !std::isfinite(spec.duration_ms))
    throw std::invalid_argument("duration must be > 0");
  Trace trace;
  trace.name = "mix";
  for (size_t i = 0; i < spec.functions.size(); ++i)
    for (size_t j = 0; j < i; ++j)
      if (spec.functions[i].id == spec.functions[j].id)
        throw std::invalid_argument("duplicate function id '" + spec.functions[i].id + "'");
  std::vector<std::vector<double>> arrivals;
  for (size_t f = 0; f < spec.functions.size(); ++f) {
    const MixFunction& m = spec.functions[f];
    if (m.id.empty()) throw std::invalid_argument("function " + std::to_string(f) + " has no id");
    if (m.memory_mb == 0)
      throw std::invalid_argument("function '" + m.id + "': memory must be > 0");
    if (!(m.cold_ms >= 0) || !(m.warm_ms >= 0))
      throw std::invalid_argument("function '" + m.id + "': times must be >= 0");
    if (!(m.iat_ms > 0)) throw std::invalid_argument("function '" + m.id + "': iat must be > 0");
    trace.functions.push_back(Function{m.id, m.memory_mb, m.cold_ms, m.warm_ms});
    // One independent stream per function: adding a function does not shift the others.
    Rng rng(spec.seed ^ (0x5851f42d4c957f2dull * (f + 1)));
    std::vector<double> a;
    for (double t = rng.exponential(m.iat_ms); t < spec.duration_ms; t += rng.exponential(m.iat_ms))
      a.push_back(round_us(t));
    arrivals.push_back(std::move(a));
  }
  merge_arrivals(trace, arrivals);
  return trace;
}

MixSpec default_mix(size_t n, double duration_ms, uint64_t seed) {
  // Sizes and timings in the ranges of FaasCache's TraceGen examples (ML inference, web, batch).
  MixSpec spec;
  spec.duration_ms = duration_ms;
  spec.seed = seed;
  Rng rng(seed ^ 0xa0761d6478bd642full);
  static const uint32_t memories[] = {32, 64, 128, 128, 256, 256, 384, 512};
  for (size_t i = 0; i < n; ++i) {
    MixFunction f;
    f.id = function_name("f", i, n);
    f.memory_mb = memories[rng.below(std::size(memories))];
    f.warm_ms = std::round(std::clamp(rng.lognormal(std::log(200.0), 1.2), 5.0, 60000.0));
    f.cold_ms = std::round(f.warm_ms * (1.5 + rng.exponential(2.0)) + 200.0);
    // Mean inter-arrival between 2 s and 30 min, log-uniform.
    f.iat_ms = std::round(2000.0 * std::exp(rng.uniform() * std::log(900.0)));
    spec.functions.push_back(std::move(f));
  }
  return spec;
}

Trace generate_azure_like(const AzureLikeSpec& s) {
  if (s.functions == 0) throw std::invalid_argument("functions must be > 0");
  if (!(s.duration_ms > 0) || !std::isfinite(s.duration_ms))
    throw std::invalid_argument("duration must be > 0");
  if (!(s.min_per_day > 0) || !(s.max_per_day >= s.min_per_day))
    throw std::invalid_argument("need 0 < min rate <= max rate");
  if (!(s.diurnal_amplitude >= 0 && s.diurnal_amplitude <= 1))
    throw std::invalid_argument("diurnal amplitude must be in [0, 1]");
  if (!(s.warm_median_ms > 0) || !(s.memory_median_mb > 0) || s.memory_min_mb == 0 ||
      s.memory_max_mb < s.memory_min_mb || !(s.cold_extra_median > 0) || s.warm_sigma < 0 ||
      s.memory_sigma < 0 || s.cold_extra_sigma < 0)
    throw std::invalid_argument("bad duration or memory parameters");

  constexpr double kDay = 86400000.0;
  Trace trace;
  trace.name = "azure-like";
  Rng rng(s.seed);
  std::vector<double> rates;  // per ms
  for (size_t i = 0; i < s.functions; ++i) {
    const double per_day =
        s.min_per_day * std::exp(rng.uniform() * std::log(s.max_per_day / s.min_per_day));
    rates.push_back(per_day / kDay);
    Function f;
    f.id = function_name("fn", i, s.functions);
    f.warm_ms = round_us(std::max(1.0, rng.lognormal(std::log(s.warm_median_ms), s.warm_sigma)));
    f.cold_ms = round_us(f.warm_ms *
                         (1.0 + rng.lognormal(std::log(s.cold_extra_median), s.cold_extra_sigma)));
    const double mem = std::ceil(rng.lognormal(std::log(s.memory_median_mb), s.memory_sigma));
    f.memory_mb = static_cast<uint32_t>(std::clamp(mem, static_cast<double>(s.memory_min_mb),
                                                   static_cast<double>(s.memory_max_mb)));
    trace.functions.push_back(std::move(f));
  }
  // Arrivals: a homogeneous Poisson process at the peak rate, thinned by rate(t) / peak.
  const double amp = s.diurnal_amplitude;
  std::vector<std::vector<double>> arrivals(s.functions);
  uint64_t total = 0;
  for (size_t i = 0; i < s.functions; ++i) {
    Rng r(s.seed ^ (0x9e3779b97f4a7c15ull * (i + 1)));
    const double peak = rates[i] * (1.0 + amp);
    for (double t = r.exponential(1.0 / peak); t < s.duration_ms; t += r.exponential(1.0 / peak)) {
      if (amp > 0) {
        const double level =
            (1.0 + amp * std::sin(2.0 * std::numbers::pi * (t / kDay - s.diurnal_phase))) /
            (1.0 + amp);
        if (r.uniform() >= level) continue;
      }
      arrivals[i].push_back(round_us(t));
      if (s.max_invocations > 0 && ++total > s.max_invocations)
        throw std::invalid_argument("more than " + std::to_string(s.max_invocations) +
                                    " invocations; lower the rates, duration or function count");
    }
  }
  merge_arrivals(trace, arrivals);
  return trace;
}

}  // namespace keepwarm

// ---- TOML configuration ---------------------------------------------------------------------

namespace keepwarm {

MixSpec MixConfig::spec() const {
  if (explicit_functions.empty()) return default_mix(functions, duration_ms, seed);
  MixSpec s;
  s.functions = explicit_functions;
  s.duration_ms = duration_ms;
  s.seed = seed;
  return s;
}

namespace {

class ConfigReader {
 public:
  ConfigReader(const std::filesystem::path& file, const toml::table& table)
      : file_(file), table_(table) {}

  [[noreturn]] void fail(const toml::node* node, const std::string& what) const {
    const uint64_t line = node ? node->source().begin.line : 0;
    const uint64_t col = node ? node->source().begin.column : 0;
    throw TraceError(file_, line, col, what);
  }
  template <typename T>
  void number(const char* key, T* out) {
    used_.insert(key);
    const toml::node* n = table_.get(key);
    if (!n) return;
    double v = 0;
    if (const auto i = n->value_exact<int64_t>())
      v = static_cast<double>(*i);
    else if (const auto d = n->value_exact<double>())
      v = *d;
    else
      fail(n, std::string("'") + key + "' must be a number");
    if constexpr (std::is_integral_v<T>) {
      if (v < 0 || v != std::floor(v) || v > 1.8e19)
        fail(n, std::string("'") + key + "' must be a whole number >= 0");
    }
    *out = static_cast<T>(v);
  }
  void duration(double* out) {
    number("duration_ms", out);
    double hours = -1;
    number("duration_h", &hours);
    if (hours >= 0) {
      if (table_.get("duration_ms"))
        fail(table_.get("duration_h"), "give duration_ms or duration_h, not both");
      *out = hours * 3600000.0;
    }
  }
  // Every key of the table must have been asked for (or marked used).
  void check_unknown() const {
    for (const auto& [k, v] : table_)
      if (!used_.count(std::string(k.str())))
        fail(&v, "unknown key '" + std::string(k.str()) + "'");
  }
  std::set<std::string>& used() { return used_; }

 private:
  const std::filesystem::path& file_;
  const toml::table& table_;
  std::set<std::string> used_;
};

}  // namespace

void read_generator_config(const std::filesystem::path& file, MixConfig* mix,
                           AzureLikeSpec* azure) {
  toml::table table;
  std::string text;
  try {
    text = read_file(file);
  } catch (const std::exception&) {
    throw TraceError(file, 0, 0, "cannot read the file");
  }
  // toml++ parses recursively: refuse what would overflow the stack before parsing.
  if (const TomlDepthProblem deep = check_toml_depth(text); deep.line != 0)
    throw TraceError(file, deep.line, deep.column, deep.message);
  try {
    table = toml::parse(text, file.string());
  } catch (const toml::parse_error& e) {
    throw TraceError(file, e.source().begin.line, e.source().begin.column,
                     std::string(e.description()));
  }
  ConfigReader r(file, table);
  r.used().insert("kind");
  if (const toml::node* kind = table.get("kind")) {
    const auto k = kind->value<std::string>();
    const std::string want = mix ? "mix" : "azure";
    if (!k || *k != want) r.fail(kind, "kind must be \"" + want + "\" for this generator");
  }
  if (mix) {
    r.number("seed", &mix->seed);
    r.duration(&mix->duration_ms);
    r.number("functions", &mix->functions);
    r.used().insert("function");
    if (const toml::node* fns = table.get("function")) {
      const toml::array* arr = fns->as_array();
      if (!arr) r.fail(fns, "'function' must be an array of tables ([[function]])");
      for (const toml::node& n : *arr) {
        const toml::table* t = n.as_table();
        if (!t) r.fail(&n, "each [[function]] must be a table");
        MixFunction f;
        const toml::node* id = t->get("id");
        if (!id || !id->value<std::string>()) r.fail(&n, "[[function]] needs a string 'id'");
        f.id = *id->value<std::string>();
        if (const std::string problem = function_name_problem(f.id); !problem.empty())
          r.fail(id, "function id '" + f.id + "' " + problem);
        ConfigReader fr(file, *t);
        fr.number("memory_mb", &f.memory_mb);
        fr.number("cold_ms", &f.cold_ms);
        fr.number("warm_ms", &f.warm_ms);
        fr.number("iat_ms", &f.iat_ms);
        fr.used().insert("id");
        fr.check_unknown();
        if (f.memory_mb == 0) r.fail(&n, "function '" + f.id + "': memory_mb must be > 0");
        if (!(f.iat_ms > 0)) r.fail(&n, "function '" + f.id + "': iat_ms must be > 0");
        mix->explicit_functions.push_back(std::move(f));
      }
    }
  } else {
    AzureLikeSpec& s = *azure;
    r.number("seed", &s.seed);
    r.duration(&s.duration_ms);
    r.number("functions", &s.functions);
    r.number("min_per_day", &s.min_per_day);
    r.number("max_per_day", &s.max_per_day);
    r.number("warm_median_ms", &s.warm_median_ms);
    r.number("warm_sigma", &s.warm_sigma);
    r.number("cold_extra_median", &s.cold_extra_median);
    r.number("cold_extra_sigma", &s.cold_extra_sigma);
    r.number("memory_median_mb", &s.memory_median_mb);
    r.number("memory_sigma", &s.memory_sigma);
    r.number("memory_min_mb", &s.memory_min_mb);
    r.number("memory_max_mb", &s.memory_max_mb);
    r.number("diurnal_amplitude", &s.diurnal_amplitude);
    r.number("diurnal_phase", &s.diurnal_phase);
    r.number("max_invocations", &s.max_invocations);
  }
  r.check_unknown();
}

}  // namespace keepwarm
