// solve.cpp: the bound at one memory size: the interval LP as a min-cost flow (LEMON's network
// simplex), its prices evaluated with the matching, then improved by projected subgradient
// steps on the Lagrangian (each step's value is a valid bound; the best is kept).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>

#include "bound_internal.hpp"

#ifdef KEEPWARM_HAVE_LEMON
#define LEMON_ONLY_TEMPLATES 1
#include <lemon/network_simplex.h>
#include <lemon/smart_graph.h>
#endif

namespace keepwarm::bound {

bool solver_available() noexcept {
#ifdef KEEPWARM_HAVE_LEMON
  return true;
#else
  return false;
#endif
}

namespace {

#ifdef KEEPWARM_HAVE_LEMON
// A miss is worth kCostScale in the flow's integer costs: an interval of m MB not kept costs
// round(kCostScale / m) per MB. The rounding only affects how good the prices are, not the
// validity of the bound (which is evaluated from the prices alone).
constexpr double kCostScale = 1e9;

// Rounds a certified value up to the misses it implies, leaving room for rounding error.
uint64_t misses_at_least(double bound) {
  const double b = std::ceil(bound - 1e-6);
  return b <= 0 ? 0 : static_cast<uint64_t>(b);
}

// The interval LP (FOO) on the segments [lo, hi) of the points, intervals clipped to them: a
// path through the points with capacity M; an interval of m MB enters at its start and leaves
// at its end, along the path (kept: uses memory) or on its own arc (not kept: costs 1/m per
// MB, one miss for the whole interval). Segments whose capacity cannot bind (all intervals over
// them fit) are contracted. Writes the prices of segments [core_lo, core_hi) into lambda and,
// for intervals starting there, the kept fraction into keep; returns the LP's misses over
// those intervals.
double solve_window(const Relaxation& r, const detail::Prepared& p,
                    const std::vector<uint32_t>& ids, const std::vector<uint8_t>& binding,
                    uint32_t lo, uint32_t hi, uint32_t core_lo, uint32_t core_hi,
                    std::vector<double>& lambda, std::vector<float>& keep) {
  using Graph = lemon::SmartDigraph;
  // Node of each point in [lo, hi]: a new node only after a binding segment.
  std::vector<int> node_of(hi - lo + 1);
  int nodes_n = 0;
  node_of[0] = 0;
  for (uint32_t i = lo; i < hi; ++i) node_of[i - lo + 1] = binding[i] ? ++nodes_n : nodes_n;
  ++nodes_n;
  Graph g;
  g.reserveNode(nodes_n);
  std::vector<Graph::Node> nodes(static_cast<size_t>(nodes_n));
  for (int i = 0; i < nodes_n; ++i) nodes[static_cast<size_t>(i)] = g.addNode();
  Graph::ArcMap<int64_t> cap(g);
  Graph::ArcMap<int64_t> cost(g);
  Graph::NodeMap<int64_t> supply(g, 0);
  for (int i = 0; i + 1 < nodes_n; ++i) {
    const Graph::Arc a = g.addArc(nodes[static_cast<size_t>(i)], nodes[static_cast<size_t>(i + 1)]);
    cap[a] = static_cast<int64_t>(p.memory_mb);
    cost[a] = 0;
  }
  std::vector<std::pair<uint32_t, Graph::Arc>> arcs;
  for (const uint32_t k : ids) {
    const uint32_t s = std::max(p.s[k], lo), e = std::min(p.e[k], hi);
    if (s >= e) continue;
    const int u = node_of[s - lo], v = node_of[e - lo];
    if (u == v) {  // no binding segment in between: kept for free
      if (p.s[k] >= core_lo && p.s[k] < core_hi) keep[k] = 1.0f;
      continue;
    }
    const int64_t m = r.candidates[k].memory_mb;
    const Graph::Arc a = g.addArc(nodes[static_cast<size_t>(u)], nodes[static_cast<size_t>(v)]);
    cap[a] = m;
    cost[a] = std::llround(kCostScale / static_cast<double>(m));
    supply[nodes[static_cast<size_t>(u)]] += m;
    supply[nodes[static_cast<size_t>(v)]] -= m;
    arcs.emplace_back(k, a);
  }
  if (arcs.empty()) return 0;
  using NS = lemon::NetworkSimplex<Graph, int64_t, int64_t>;
  NS ns(g);
  ns.upperMap(cap).costMap(cost).supplyMap(supply);
  if (ns.run() != NS::OPTIMAL)
    throw std::runtime_error("bound: the min-cost flow solver found no optimum");
  long double misses = 0;
  for (const auto& [k, a] : arcs) {
    if (p.s[k] < core_lo || p.s[k] >= core_hi) continue;
    const double frac = static_cast<double>(ns.flow(a)) / r.candidates[k].memory_mb;
    misses += frac;
    keep[k] = static_cast<float>(1.0 - frac);
  }
  // Price of a segment = the potential's rise over it (LEMON: reduced cost = cost + pi(u) -
  // pi(v)), clipped at 0; contracted segments have price 0.
  for (uint32_t i = std::max(lo, core_lo); i < std::min(hi, core_hi); ++i) {
    const int u = node_of[i - lo], v = node_of[i - lo + 1];
    lambda[i] =
        u == v ? 0.0
               : std::max(0.0, static_cast<double>(ns.potential(nodes[static_cast<size_t>(v)]) -
                                                   ns.potential(nodes[static_cast<size_t>(u)])) /
                                   kCostScale);
  }
  return static_cast<double>(misses);
}

// Prices for every segment: the whole LP at once when it is small, otherwise windows of
// Options::window segments, each solved with Options::overlap segments of context on both sides
// (any prices are valid; windows only make them slightly worse near their edges). Returns the LP's
// misses.
double flow_prices(const Relaxation& r, const detail::Prepared& p, const Options& options,
                   std::vector<double>& lambda, std::vector<float>& keep) {
  const uint32_t kWindow = std::max<uint32_t>(1, options.window);
  const uint32_t kOverlap = options.overlap;
  const size_t n = r.candidates.size();
  const uint32_t segs = static_cast<uint32_t>(p.points.size() - 1);
  keep.assign(n, 0.0f);
  // Coverage if every interval were kept: a segment binds only where it exceeds M.
  std::vector<double> diff(p.points.size() + 1, 0.0);
  std::vector<uint32_t> ids;
  for (size_t k = 0; k < n; ++k) {
    if (p.state[k] == detail::kFree) keep[k] = 1.0f;
    if (p.state[k] != detail::kInterval) continue;
    diff[p.s[k]] += r.candidates[k].memory_mb;
    diff[p.e[k]] -= r.candidates[k].memory_mb;
    ids.push_back(static_cast<uint32_t>(k));
  }
  std::vector<uint8_t> binding(segs, 0);
  double run = 0;
  for (uint32_t i = 0; i < segs; ++i) {
    run += diff[i];
    binding[i] = run > static_cast<double>(p.memory_mb) + 0.5;
  }
  std::sort(ids.begin(), ids.end(), [&](uint32_t a, uint32_t b) { return p.s[a] < p.s[b]; });
  long double misses = static_cast<long double>(p.oversized);
  // Windows count binding segments only (the others are contracted away): before[i] = binding
  // segments before point i; a window's core holds kWindow of them, its context kOverlap.
  std::vector<uint32_t> before(segs + 1, 0);
  for (uint32_t i = 0; i < segs; ++i) before[i + 1] = before[i] + binding[i];
  const uint32_t total = before[segs];
  // First point with at least b binding segments before it.
  const auto point_at = [&](uint32_t b) {
    return static_cast<uint32_t>(std::lower_bound(before.begin(), before.end(), b) -
                                 before.begin());
  };
  if (total <= kWindow + 2 * kOverlap) {
    misses += solve_window(r, p, ids, binding, 0, segs, 0, segs + 1, lambda, keep);
    return static_cast<double>(misses);
  }
  std::vector<uint32_t> in_window;
  for (uint32_t b = 0; b < total; b += kWindow) {
    const uint32_t core = b == 0 ? 0 : point_at(b);
    const uint32_t core_hi = b + kWindow >= total ? segs + 1 : point_at(b + kWindow);
    const uint32_t lo = b > kOverlap ? point_at(b - kOverlap) : 0;
    const uint32_t hi = b + kWindow + kOverlap >= total ? segs : point_at(b + kWindow + kOverlap);
    in_window.clear();
    for (const uint32_t k : ids)
      if (p.s[k] < hi && p.e[k] > lo) in_window.push_back(k);
    // Intervals are counted (misses, keep) by the window whose core holds their start.
    misses += solve_window(r, p, in_window, binding, lo, hi, core, core_hi, lambda, keep);
  }
  return static_cast<double>(misses);
}
#endif

}  // namespace

BoundResult solve(const Relaxation& r, uint64_t memory_mb, const Options& options) {
#ifndef KEEPWARM_HAVE_LEMON
  (void)r;
  (void)memory_mb;
  (void)options;
  throw std::runtime_error(
      "keepwarm was built without the min-cost flow solver (LEMON, Debian package "
      "liblemon-dev): the bound is not available");
#else
  const auto started = std::chrono::steady_clock::now();
  BoundResult out;
  out.memory_mb = memory_mb;
  out.invocations = r.invocations;
  out.compulsory = r.compulsory;
  out.method = "flow+lagrange";
  const detail::Prepared p = detail::prepare(r, memory_mb, nullptr);
  out.oversized = p.oversized;
  const size_t n = r.candidates.size();
  const size_t np = p.points.size();

  std::vector<double> lambda(np == 0 ? 0 : np - 1, 0.0);
  if (np > 1) {
    std::vector<float> keep;
    out.flow_value = flow_prices(r, p, options, lambda, keep) + static_cast<double>(r.compulsory);
    if (options.want_keep) out.keep = std::move(keep);
  } else {
    out.flow_value = static_cast<double>(r.compulsory + p.oversized);
    if (options.want_keep) {
      out.keep.assign(n, 0.0f);
      for (size_t k = 0; k < n; ++k) out.keep[k] = p.state[k] == detail::kFree ? 1.0f : 0.0f;
    }
  }

  detail::Workspace w;
  double best = detail::evaluate(r, p, lambda, w);
  out.flow_bound = best;

  // Projected subgradient ascent (Polyak steps towards a target slightly above the best).
  std::vector<double> cover(np, 0.0), grad(lambda.size(), 0.0), trial(lambda.size());
  double theta = 1.0, current = best;
  int since_better = 0;
  for (int it = 0; it < options.max_iterations && np > 1; ++it) {
    if (std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count() >
        options.time_limit_s)
      break;
    std::fill(cover.begin(), cover.end(), 0.0);
    for (size_t k = 0; k < n; ++k)
      if (w.chosen[k] && p.state[k] == detail::kInterval) {
        cover[p.s[k]] += r.candidates[k].memory_mb;
        cover[p.e[k]] -= r.candidates[k].memory_mb;
      }
    double running = 0, norm2 = 0;
    for (size_t i = 0; i + 1 < np; ++i) {
      running += cover[i];
      double gi = running - static_cast<double>(memory_mb);  // > 0: over memory, raise the price
      if (lambda[i] <= 0 && gi < 0) gi = 0;
      grad[i] = gi;
      norm2 += gi * gi;
    }
    if (norm2 == 0) break;  // the maximising set fits: no price change can help
    const double target = best + std::max(1.0, 0.01 * std::fabs(best));
    const double step = theta * (target - current) / norm2;
    for (size_t i = 0; i < lambda.size(); ++i)
      lambda[i] = std::max(0.0, lambda[i] + step * grad[i]);
    current = detail::evaluate(r, p, lambda, w);
    ++out.iterations;
    if (current > best + 1e-9) {
      best = current;
      since_better = 0;
    } else if (++since_better >= 5) {
      theta /= 2;
      since_better = 0;
      if (theta < 1e-4) break;
    }
  }
  out.bound = best;
  out.lower_bound = misses_at_least(best);
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
#endif
}

}  // namespace keepwarm::bound
