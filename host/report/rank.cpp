// rank.cpp: statistics over seeds (Student t intervals), the views of a run per trace, the
// ranking (competition ranks, the overall geometric-mean score) and summary.csv / the summary
// in results.json.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <map>
#include <numbers>
#include <set>
#include <sstream>

#include "keepwarm/report/report.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm {

// ---- statistics --------------------------------------------------------------------------

namespace {

// P(|T| < t) for Student's t with df degrees of freedom (integer df: a finite sum in
// theta = atan(t / sqrt(df)); see e.g. Abramowitz & Stegun 26.7.3-4).
double t_two_sided_mass(double t, uint64_t df) {
  const double theta = std::atan(t / std::sqrt(static_cast<double>(df)));
  const double c2 = std::cos(theta) * std::cos(theta), s = std::sin(theta);
  if (df % 2 == 1) {
    if (df == 1) return 2 * theta / std::numbers::pi;
    double term = 1, sum = 1;
    for (uint64_t k = 2; k + 1 <= df - 1; k += 2) {  // terms (2*4*..*k)/(3*5*..*(k+1)) c^k
      term *= static_cast<double>(k) / static_cast<double>(k + 1) * c2;
      sum += term;
    }
    return 2 / std::numbers::pi * (theta + s * std::cos(theta) * sum);
  }
  double term = 1, sum = 1;
  for (uint64_t k = 1; k + 1 <= df - 1; k += 2) {  // terms (1*3*..*k)/(2*4*..*(k+1)) c^(k+1)
    term *= static_cast<double>(k) / static_cast<double>(k + 1) * c2;
    sum += term;
  }
  return s * sum;
}

}  // namespace

double student_t_critical(double confidence, uint64_t df) {
  if (!(confidence > 0 && confidence < 1) || df == 0)
    return std::numeric_limits<double>::quiet_NaN();
  double lo = 0, hi = 1;
  while (t_two_sided_mass(hi, df) < confidence) hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-14 * hi; ++i) {
    const double mid = (lo + hi) / 2;
    (t_two_sided_mass(mid, df) < confidence ? lo : hi) = mid;
  }
  return (lo + hi) / 2;
}

Stat summarize(const std::vector<double>& values) {
  Stat s;
  s.n = values.size();
  if (s.n == 0) return s;
  double sum = 0;
  for (const double v : values) sum += v;
  s.mean = sum / static_cast<double>(s.n);
  if (s.n < 2 ||
      std::all_of(values.begin(), values.end(), [&](double v) { return v == values[0]; }))
    return s;  // (equal values: exactly 0, without rounding noise)
  double ss = 0;
  for (const double v : values) ss += (v - s.mean) * (v - s.mean);
  s.sd = std::sqrt(ss / static_cast<double>(s.n - 1));
  s.ci95 = student_t_critical(0.95, s.n - 1) * s.sd / std::sqrt(static_cast<double>(s.n));
  return s;
}

// ---- views -------------------------------------------------------------------------------

std::string resolve_baseline(const std::string& wanted, const std::vector<std::string>& policies) {
  auto has = [&](const std::string& p) {
    return std::find(policies.begin(), policies.end(), p) != policies.end();
  };
  if (!wanted.empty() && has(wanted)) return wanted;
  if (has(kBaselinePolicy)) return kBaselinePolicy;
  return policies.empty() ? "" : policies.front();
}

std::vector<TraceView> build_views(const ReportData& d) {
  std::vector<std::string> trace_names;
  for (const auto& t : d.settings.traces) trace_names.push_back(t.name);
  for (const ReportCell& c : d.cells)
    if (std::find(trace_names.begin(), trace_names.end(), c.trace) == trace_names.end())
      trace_names.push_back(c.trace);
  std::vector<TraceView> views;
  for (const std::string& name : trace_names) {
    TraceView v;
    v.name = name;
    std::set<uint64_t> memory;
    std::set<std::string> present;
    struct Samples {
      std::vector<double> misses, cold_pct, dropped_pct, idle, latency;
    };
    std::map<std::pair<std::string, uint64_t>, Samples> samples;
    for (const ReportCell& c : d.cells) {
      if (c.trace != name) continue;
      PolicyMean& m = v.mean[{c.policy, c.memory_mb}];
      ++m.runs;
      m.cold += static_cast<double>(c.cold);
      m.dropped += static_cast<double>(c.dropped);
      m.evictions += static_cast<double>(c.evictions);
      m.cold_pct += c.cold_pct;
      m.dropped_pct += c.dropped_pct;
      m.idle_mb_s += c.idle_mb_s;
      m.added_latency_ms += c.added_latency_ms;
      m.invocations += static_cast<double>(c.invocations);
      Samples& s = samples[{c.policy, c.memory_mb}];
      s.misses.push_back(static_cast<double>(c.cold + c.dropped));
      s.cold_pct.push_back(c.cold_pct);
      s.dropped_pct.push_back(c.dropped_pct);
      s.idle.push_back(c.idle_mb_s);
      s.latency.push_back(
          c.invocations == 0 ? 0.0 : c.added_latency_ms / static_cast<double>(c.invocations));
      memory.insert(c.memory_mb);
      present.insert(c.policy);
    }
    for (auto& [key, m] : v.mean) {
      const double n = static_cast<double>(m.runs);
      m.cold /= n;
      m.dropped /= n;
      m.evictions /= n;
      m.cold_pct /= n;
      m.dropped_pct /= n;
      m.idle_mb_s /= n;
      m.added_latency_ms /= n;
      m.invocations /= n;
      const Samples& s = samples.at(key);
      m.misses_stat = summarize(s.misses);
      m.cold_pct_stat = summarize(s.cold_pct);
      m.dropped_pct_stat = summarize(s.dropped_pct);
      m.idle_stat = summarize(s.idle);
      m.latency_per_inv_stat = summarize(s.latency);
      v.seeds[key.first] = std::max(v.seeds[key.first], m.runs);
    }
    for (const std::string& p : d.settings.policies)
      if (present.erase(p)) v.policies.push_back(p);
    for (const std::string& p : present) v.policies.push_back(p);  // not in settings: by name
    v.memory.assign(memory.begin(), memory.end());
    v.baseline = resolve_baseline(d.settings.baseline, v.policies);
    for (const ReportBound& b : d.bounds)
      if (b.trace == name && memory.count(b.memory_mb) != 0) {
        v.bound[b.memory_mb] = b.lower_bound;
        if (b.has_optimum) v.optimum[b.memory_mb] = b.optimum;
      }
    views.push_back(std::move(v));
  }
  return views;
}

// ---- the ranking -------------------------------------------------------------------------

namespace {

double relative_change(double v, double base) {
  if (base == 0) return v == 0 ? 0.0 : std::numeric_limits<double>::quiet_NaN();
  return (v - base) / base;
}

// Competition ranks for a sorted list: an item equal to the one before it (same(i-1, i))
// shares its rank; the next different one gets its position.
template <class Same>
std::vector<size_t> competition_ranks(size_t n, Same same) {
  std::vector<size_t> ranks(n);
  for (size_t i = 0; i < n; ++i) ranks[i] = (i > 0 && same(i - 1, i)) ? ranks[i - 1] : i + 1;
  return ranks;
}

}  // namespace

std::string format_change_ci(double lo, double hi) {
  if (!std::isfinite(lo) || !std::isfinite(hi)) return "";
  char buf[64];
  std::snprintf(buf, sizeof buf, "[%+.1f%%, %+.1f%%]", 100 * lo, 100 * hi);
  return buf;
}

std::string sign_convention(const std::string& baseline) {
  return "vs " + baseline + ": change in cold starts + dropped invocations relative to " +
         baseline + " (the baseline); negative is better (-20% = 20% fewer than " + baseline +
         ", +20% = 20% more), = when both are 0";
}

Ranking rank_policies(const TraceView& v) {
  Ranking ranking;
  ranking.baseline = v.baseline;
  std::map<std::string, double> total_misses, total_evictions, rank_sum, log_ratio_sum;
  std::map<std::string, size_t> levels, scored;
  std::map<std::string, size_t> position;  // in v.policies: the order of ties
  for (size_t i = 0; i < v.policies.size(); ++i) position[v.policies[i]] = i;
  for (uint64_t mem : v.memory) {
    std::vector<std::string> order;
    for (const std::string& p : v.policies)
      if (v.mean.count({p, mem})) order.push_back(p);
    auto same = [&](const std::string& a, const std::string& b) {
      const PolicyMean& x = v.mean.at({a, mem});
      const PolicyMean& y = v.mean.at({b, mem});
      return x.misses() == y.misses() && x.evictions == y.evictions;
    };
    std::sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
      const PolicyMean& x = v.mean.at({a, mem});
      const PolicyMean& y = v.mean.at({b, mem});
      if (x.misses() != y.misses()) return x.misses() < y.misses();
      if (x.evictions != y.evictions) return x.evictions < y.evictions;
      return position.at(a) < position.at(b);  // ties: experiment order
    });
    const std::vector<size_t> ranks = competition_ranks(
        order.size(), [&](size_t i, size_t j) { return same(order[i], order[j]); });
    const auto base = v.mean.find({v.baseline, mem});
    MemoryRanking& level = ranking.per_memory.emplace_back();
    level.memory_mb = mem;
    for (size_t i = 0; i < order.size(); ++i) {
      const PolicyMean& m = v.mean.at({order[i], mem});
      MemoryRanking::Row& row = level.rows.emplace_back();
      row.policy = order[i];
      row.rank = ranks[i];
      if (base == v.mean.end()) {
        row.vs_baseline = "-";
        row.change = row.change_lo = row.change_hi = std::numeric_limits<double>::quiet_NaN();
      } else {
        row.vs_baseline = format_relative(m.misses(), base->second.misses());
        row.change = relative_change(m.misses(), base->second.misses());
        row.change_lo = row.change_hi = std::numeric_limits<double>::quiet_NaN();
        const Stat& ps = m.misses_stat;
        const Stat& bs = base->second.misses_stat;
        const bool p_rand = ps.n > 1, b_rand = bs.n > 1;
        if (order[i] != v.baseline && p_rand != b_rand) {
          if (p_rand && bs.mean > 0) {
            row.change_lo = ps.lo() / bs.mean - 1;
            row.change_hi = ps.hi() / bs.mean - 1;
          } else if (b_rand && bs.lo() > 0) {
            row.change_lo = ps.mean / bs.hi() - 1;
            row.change_hi = ps.mean / bs.lo() - 1;
          }
        }
        log_ratio_sum[order[i]] += std::log((m.misses() + 1) / (base->second.misses() + 1));
        ++scored[order[i]];
      }
      total_misses[order[i]] += m.misses();
      total_evictions[order[i]] += m.evictions;
      rank_sum[order[i]] += static_cast<double>(ranks[i]);
      ++levels[order[i]];
    }
  }
  auto score = [&](const std::string& p) {
    const auto it = scored.find(p);
    return it == scored.end() ? std::numeric_limits<double>::quiet_NaN()
                              : std::exp(log_ratio_sum[p] / static_cast<double>(it->second));
  };
  std::vector<std::string> order;
  for (const auto& [p, n] : levels) order.push_back(p);
  auto key_less = [&](const std::string& a, const std::string& b) {  // without the name
    const double sa = score(a), sb = score(b);
    if (std::isnan(sa) != std::isnan(sb)) return std::isnan(sb);  // unscored last
    if (!std::isnan(sa) && sa != sb) return sa < sb;
    if (total_misses[a] != total_misses[b]) return total_misses[a] < total_misses[b];
    return total_evictions[a] < total_evictions[b];
  };
  std::sort(order.begin(), order.end(), [&](const std::string& a, const std::string& b) {
    if (key_less(a, b)) return true;
    if (key_less(b, a)) return false;
    return position.at(a) < position.at(b);
  });
  const std::vector<size_t> ranks = competition_ranks(order.size(), [&](size_t i, size_t j) {
    return !key_less(order[i], order[j]) && !key_less(order[j], order[i]);
  });
  for (size_t i = 0; i < order.size(); ++i) {
    const std::string& p = order[i];
    OverallRanking& row = ranking.overall.emplace_back();
    row.policy = p;
    row.rank = ranks[i];
    row.score = score(p);
    row.scored_sizes = scored.count(p) ? scored[p] : 0;
    row.misses = total_misses[p];
    row.evictions = total_evictions[p];
    row.mean_rank = rank_sum[p] / static_cast<double>(levels[p]);
    row.vs_baseline = std::isnan(row.score) ? "-" : format_relative(row.score, 1.0);
  }
  return ranking;
}

// ---- summary.csv and results.json's summary ---------------------------------------------

namespace {

std::string num(double v, int decimals = 6) {
  return std::isfinite(v) ? format_fixed(v, decimals) : "";
}

std::string json_num(double v) { return std::isfinite(v) ? format_number(v) : "null"; }

std::string json_str(const std::string& s) {
  std::string out = "\"";
  for (const unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

struct SummaryRow {
  const TraceView* view;
  const MemoryRanking::Row* row;
  uint64_t memory_mb;
  const PolicyMean* m;
};

template <class F>
void for_each_summary_row(const ReportData& d, F f) {
  for (const TraceView& v : build_views(d)) {
    const Ranking r = rank_policies(v);
    // Policy order, then memory: the order of results.csv.
    for (const std::string& p : v.policies)
      for (const MemoryRanking& level : r.per_memory)
        for (const MemoryRanking::Row& row : level.rows)
          if (row.policy == p)
            f(SummaryRow{&v, &row, level.memory_mb, &v.mean.at({p, level.memory_mb})});
  }
}

const char* const kStatNames[] = {"misses", "cold_pct", "dropped_pct", "idle_mb_s",
                                  "latency_ms_per_invocation"};

std::vector<const Stat*> stats_of(const PolicyMean& m) {
  return {&m.misses_stat, &m.cold_pct_stat, &m.dropped_pct_stat, &m.idle_stat,
          &m.latency_per_inv_stat};
}

}  // namespace

std::string summary_csv(const ReportData& d) {
  std::ostringstream out;
  out << "trace,policy,memory_mb,seeds,rank,baseline,vs_baseline_pct,vs_baseline_ci95_lo_pct,"
         "vs_baseline_ci95_hi_pct";
  for (const char* s : kStatNames) out << ',' << s << "_mean," << s << "_sd," << s << "_ci95";
  out << ",cold_mean,dropped_mean,evictions_mean\n";
  for_each_summary_row(d, [&](const SummaryRow& r) {
    out << csv_field(r.view->name) << ',' << csv_field(r.row->policy) << ',' << r.memory_mb << ','
        << r.m->runs << ',' << r.row->rank << ',' << csv_field(r.view->baseline) << ','
        << num(100 * r.row->change) << ',' << num(100 * r.row->change_lo) << ','
        << num(100 * r.row->change_hi);
    for (const Stat* s : stats_of(*r.m))
      out << ',' << num(s->mean) << ',' << num(s->sd) << ',' << num(s->ci95);
    out << ',' << num(r.m->cold) << ',' << num(r.m->dropped) << ',' << num(r.m->evictions) << '\n';
  });
  return out.str();
}

std::string summary_json(const ReportData& d, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  std::ostringstream out;
  out << "[";
  bool first = true;
  for_each_summary_row(d, [&](const SummaryRow& r) {
    out << (first ? "\n" : ",\n") << pad << "  {\"trace\": " << json_str(r.view->name)
        << ", \"policy\": " << json_str(r.row->policy) << ", \"memory_mb\": " << r.memory_mb
        << ", \"seeds\": " << r.m->runs << ", \"rank\": " << r.row->rank
        << ", \"baseline\": " << json_str(r.view->baseline)
        << ", \"vs_baseline_pct\": " << json_num(100 * r.row->change)
        << ", \"vs_baseline_ci95_pct\": [" << json_num(100 * r.row->change_lo) << ", "
        << json_num(100 * r.row->change_hi) << "]";
    const std::vector<const Stat*> stats = stats_of(*r.m);
    for (size_t i = 0; i < stats.size(); ++i)
      out << ", \"" << kStatNames[i] << "\": {\"mean\": " << json_num(stats[i]->mean)
          << ", \"sd\": " << json_num(stats[i]->sd) << ", \"ci95\": " << json_num(stats[i]->ci95)
          << "}";
    out << "}";
    first = false;
  });
  out << (first ? "]" : "\n" + pad + "]");
  return out.str();
}

std::string overall_ranking_json(const ReportData& d, int indent) {
  const std::string pad(static_cast<size_t>(indent), ' ');
  std::ostringstream out;
  out << "[";
  bool first = true;
  for (const TraceView& v : build_views(d)) {
    for (const OverallRanking& r : rank_policies(v).overall) {
      out << (first ? "\n" : ",\n") << pad << "  {\"trace\": " << json_str(v.name)
          << ", \"policy\": " << json_str(r.policy) << ", \"rank\": " << r.rank
          << ", \"baseline\": " << json_str(v.baseline) << ", \"score\": " << json_num(r.score)
          << ", \"scored_memory_sizes\": " << r.scored_sizes
          << ", \"vs_baseline_pct\": " << json_num(100 * (r.score - 1))
          << ", \"misses_sum\": " << json_num(r.misses)
          << ", \"evictions_sum\": " << json_num(r.evictions)
          << ", \"mean_rank\": " << json_num(r.mean_rank) << "}";
      first = false;
    }
  }
  out << (first ? "]" : "\n" + pad + "]");
  return out.str();
}

}  // namespace keepwarm
