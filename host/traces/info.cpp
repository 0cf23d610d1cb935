// info.cpp: summary statistics of a trace (`keepwarm trace info`).
#include <algorithm>
#include <queue>

#include "keepwarm/traces/formats.hpp"

namespace keepwarm {

TraceSummary summarize_trace(const Trace& trace, size_t top) {
  TraceSummary s;
  s.functions = trace.functions.size();
  s.invocations = trace.times.size();
  if (!trace.times.empty()) {
    s.first_ms = trace.times.front();
    s.last_ms = trace.times.back();
  }
  for (const Function& f : trace.functions) {
    s.total_memory_mb += f.memory_mb;
    s.min_memory_mb = s.min_memory_mb == 0 ? f.memory_mb : std::min(s.min_memory_mb, f.memory_mb);
    s.max_memory_mb = std::max(s.max_memory_mb, f.memory_mb);
  }
  if (s.functions > 0) s.mean_memory_mb = static_cast<double>(s.total_memory_mb) / s.functions;

  std::vector<uint64_t> counts(trace.functions.size(), 0);
  // Both passes release what they have read (views of a mapped or spilled trace then cost no
  // memory for it).
  constexpr size_t kChunk = size_t{1} << 20;
  const size_t n = trace.times.size();
  for (size_t b = 0; b < n; b += kChunk) {
    const size_t e = std::min(n, b + kChunk);
    for (size_t i = b; i < e; ++i) ++counts[trace.function_of[i]];
    trace.function_of.release(b, e);
  }
  std::vector<uint32_t> order(counts.size());
  for (uint32_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(),
                   [&](uint32_t a, uint32_t b) { return counts[a] > counts[b]; });
  for (size_t i = 0; i < std::min(top, order.size()); ++i)
    s.top_functions.emplace_back(order[i], counts[order[i]]);

  // Unlimited memory, containers never removed: an invocation reuses an idle container of its
  // function (warm, runs warm_ms) or creates one (cold, runs cold_ms). Finishes at time t happen
  // before arrivals at t, as in the engine.
  using Finish = std::pair<double, uint32_t>;
  std::priority_queue<Finish, std::vector<Finish>, std::greater<>> running;
  std::vector<uint64_t> idle(trace.functions.size(), 0);
  for (size_t i = 0; i < trace.times.size(); ++i) {
    const double t = trace.times[i];
    while (!running.empty() && running.top().first <= t) {
      ++idle[running.top().second];
      running.pop();
    }
    const uint32_t f = trace.function_of[i];
    const Function& fn = trace.functions[f];
    if (idle[f] > 0) {
      --idle[f];
      running.emplace(t + fn.warm_ms, f);
    } else {
      ++s.peak_containers;
      s.peak_container_memory_mb += fn.memory_mb;
      running.emplace(t + fn.cold_ms, f);
    }
    s.peak_concurrency = std::max<uint64_t>(s.peak_concurrency, running.size());
    if ((i + 1) % kChunk == 0) {
      trace.times.release(i + 1 - kChunk, i + 1);
      trace.function_of.release(i + 1 - kChunk, i + 1);
    }
  }
  return s;
}

}  // namespace keepwarm
