// relaxation.cpp: the intervals of the relaxation (docs/bounds.md) and the Lagrangian bound
// for given prices, with the exact matching of warm starts to predecessors.
#include <algorithm>
#include <cmath>
#include <numeric>

#include <sstream>

#include "bound_internal.hpp"
#include "keepwarm/util/io.hpp"

namespace keepwarm::bound {

Relaxation build_relaxation(const Trace& trace, double overhead_ms, double overhead_frac) {
  Relaxation r;
  const size_t nf = trace.functions.size();
  r.invocations = trace.invocation_count();
  r.arrivals_of.assign(nf, 0);
  std::vector<double> shortest(nf);
  for (size_t f = 0; f < nf; ++f) {
    const Function& fn = trace.functions[f];
    // The engine computes a cold run as cold_ms * (1 + frac) + ms and a warm one as warm_ms.
    shortest[f] = std::min(fn.warm_ms, fn.cold_ms * (1.0 + overhead_frac) + overhead_ms);
  }
  std::vector<std::vector<double>> times(nf);
  std::vector<uint32_t> finished(nf, 0);  // per f: arrivals j so far with a_j + d_f <= now
  for (size_t i = 0; i < r.invocations; ++i) {
    const double t = trace.times[i];
    const uint32_t f = trace.function_of[i];
    std::vector<double>& ts = times[f];
    uint32_t& q = finished[f];
    // Same expression as the engine's finish time (now + duration), compared as it does.
    while (q < ts.size() && ts[q] + shortest[f] <= t) ++q;
    const uint32_t rank = static_cast<uint32_t>(ts.size());
    if (q == 0) {
      ++r.compulsory;
    } else {
      Candidate c;
      c.start = ts[q - 1] + shortest[f];
      c.end = t + shortest[f];
      c.arrival = i;
      c.fn = f;
      c.rank = rank;
      c.pred_rank = q - 1;
      c.memory_mb = trace.functions[f].memory_mb;
      r.candidates.push_back(c);
    }
    ts.push_back(t);
    ++r.arrivals_of[f];
  }
  return r;
}

namespace detail {

Prepared prepare(const Relaxation& r, uint64_t memory_mb, const std::vector<double>* given) {
  Prepared p;
  p.memory_mb = memory_mb;
  const size_t n = r.candidates.size();
  p.state.assign(n, kOversized);
  if (given != nullptr) {
    p.points = *given;
  } else {
    for (const Candidate& c : r.candidates)
      if (c.memory_mb <= memory_mb && c.start < c.end) {
        p.points.push_back(c.start);
        p.points.push_back(c.end);
      }
    std::sort(p.points.begin(), p.points.end());
    p.points.erase(std::unique(p.points.begin(), p.points.end()), p.points.end());
  }
  p.s.assign(n, 0);
  p.e.assign(n, 0);
  for (size_t k = 0; k < n; ++k) {
    const Candidate& c = r.candidates[k];
    if (c.memory_mb > memory_mb) {
      ++p.oversized;
      continue;
    }
    if (!(c.start < c.end)) {
      p.state[k] = kFree;
      continue;
    }
    p.state[k] = kInterval;
    const auto find = [&](double t) {
      const auto it = std::lower_bound(p.points.begin(), p.points.end(), t);
      if (it == p.points.end() || *it != t)
        throw std::invalid_argument("lagrangian_bound: an interval end is not among the points");
      return static_cast<uint32_t>(it - p.points.begin());
    };
    p.s[k] = find(c.start);
    p.e[k] = find(c.end);
  }
  // Matching slots: per function a sentinel, then one slot per arrival.
  p.slot_base.assign(r.arrivals_of.size(), 0);
  uint32_t base = 0;
  for (size_t f = 0; f < r.arrivals_of.size(); ++f) {
    p.slot_base[f] = base;
    base += r.arrivals_of[f] + 1;
  }
  p.slots = base;
  return p;
}

double evaluate(const Relaxation& r, const Prepared& p, const std::vector<double>& lambda,
                Workspace& w) {
  const size_t n = r.candidates.size();
  const size_t np = p.points.size();
  if (lambda.size() != (np == 0 ? 0 : np - 1))
    throw std::invalid_argument("lagrangian_bound: one price per segment between points");
  // prefix[i] = sum of prices of the segments before point i.
  w.prefix.assign(np, 0.0L);
  long double price_sum = 0;
  for (size_t i = 0; i + 1 < np; ++i) {
    const long double l = lambda[i];
    price_sum += l;
    w.prefix[i + 1] = w.prefix[i] + l;
  }
  w.weight.resize(n);
  w.order.clear();
  for (size_t k = 0; k < n; ++k) {
    if (p.state[k] == kOversized) continue;
    long double wk = 1.0L;
    if (p.state[k] == kInterval)
      wk -= static_cast<long double>(r.candidates[k].memory_mb) *
            (w.prefix[p.e[k]] - w.prefix[p.s[k]]);
    w.weight[k] = wk;
    if (wk > 0) w.order.push_back(static_cast<uint32_t>(k));
  }
  std::sort(w.order.begin(), w.order.end(), [&](uint32_t a, uint32_t b) {
    return w.weight[a] > w.weight[b] || (w.weight[a] == w.weight[b] && a < b);
  });
  // Greedy on the transversal matroid: k may take any free predecessor slot <= p(k) of its
  // function (nested prefixes), so the latest free one is as good as any.
  w.parent.resize(p.slots);
  std::iota(w.parent.begin(), w.parent.end(), 0u);
  const auto find = [&](uint32_t x) {
    while (w.parent[x] != x) {
      w.parent[x] = w.parent[w.parent[x]];
      x = w.parent[x];
    }
    return x;
  };
  w.chosen.assign(n, 0);
  long double gain = 0;
  for (const uint32_t k : w.order) {
    const Candidate& c = r.candidates[k];
    const uint32_t sentinel = p.slot_base[c.fn];
    const uint32_t slot = find(sentinel + 1 + c.pred_rank);
    if (slot == sentinel) continue;
    w.parent[slot] = slot - 1;
    w.chosen[k] = 1;
    gain += w.weight[k];
  }
  const long double value = static_cast<long double>(r.invocations) -
                            static_cast<long double>(p.memory_mb) * price_sum - gain;
  return static_cast<double>(value);
}

}  // namespace detail

double lagrangian_bound(const Relaxation& relaxation, uint64_t memory_mb,
                        const std::vector<double>& points, const std::vector<double>& lambda,
                        std::vector<uint8_t>* chosen) {
  for (const double l : lambda)
    if (!(l >= 0)) throw std::invalid_argument("lagrangian_bound: prices must be >= 0");
  const detail::Prepared p = detail::prepare(relaxation, memory_mb, &points);
  detail::Workspace w;
  const double v = detail::evaluate(relaxation, p, lambda, w);
  if (chosen != nullptr) *chosen = w.chosen;
  return v;
}

std::string csv_header() {
  return "trace,memory_mb,invocations,lower_bound,compulsory,method,wall_s,oversized,bound,"
         "flow_value,flow_bound,iterations,optimum,search_best,search_floor,search_nodes,"
         "search_s\n";
}

std::string csv_row(const std::string& trace, const BoundResult& b, bool reproducible) {
  std::ostringstream s;
  s << csv_field(trace) << ',' << b.memory_mb << ',' << b.invocations << ',' << b.lower_bound << ','
    << b.compulsory << ',' << b.method << ',' << format_fixed(reproducible ? 0.0 : b.wall_s, 3)
    << ',' << b.oversized << ',' << format_fixed(b.bound, 3) << ',' << format_fixed(b.flow_value, 3)
    << ',' << format_fixed(b.flow_bound, 3) << ',' << b.iterations << ',';
  // The search's columns are empty where it did not run; optimum only where it is proven.
  const SearchResult& q = b.search;
  if (q.optimal()) s << q.best;
  s << ',';
  if (q.ran)
    s << q.best << ',' << q.floor << ',' << q.nodes;
  else
    s << ",,";
  s << ',' << format_fixed(reproducible ? 0.0 : q.wall_s, 3) << '\n';
  return s.str();
}

}  // namespace keepwarm::bound
