// bound_internal.hpp: what relaxation.cpp and solve.cpp share (not installed).
#pragma once

#include <cstdint>
#include <stdexcept>
#include <vector>

#include "keepwarm/bound/bound.hpp"

namespace keepwarm::bound::detail {

enum : uint8_t { kOversized = 0, kFree = 1, kInterval = 2 };

// A relaxation at one memory size: each candidate's interval as indices into the sorted
// distinct points, and the slots of the matching.
struct Prepared {
  uint64_t memory_mb = 0;
  std::vector<double> points;
  std::vector<uint8_t> state;  // per candidate: kOversized, kFree (empty interval), kInterval
  std::vector<uint32_t> s, e;  // per candidate: indices of start and end in points
  std::vector<uint32_t> slot_base;
  uint32_t slots = 0;
  uint64_t oversized = 0;
};

struct Workspace {
  std::vector<long double> prefix;
  std::vector<long double> weight;
  std::vector<uint32_t> order;
  std::vector<uint32_t> parent;
  std::vector<uint8_t> chosen;
};

// points: the given ones, or (null) the distinct ends of the candidates that fit in memory.
Prepared prepare(const Relaxation& r, uint64_t memory_mb, const std::vector<double>* points);
// The Lagrangian bound for prices lambda (one per segment); w.chosen gets the maximising set.
double evaluate(const Relaxation& r, const Prepared& p, const std::vector<double>& lambda,
                Workspace& w);

}  // namespace keepwarm::bound::detail
