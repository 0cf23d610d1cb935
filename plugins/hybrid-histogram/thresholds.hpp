// thresholds.hpp: the two threshold tests of the hybrid-histogram policy's window, decided
// without a division or a square root where that gives the same answer.
//
// Each is first decided by the same inequality in exact arithmetic, multiplied out; only when
// the two sides are within a relative 1e-9 of each other, where the rounding of the expression
// as written could decide, is the expression evaluated as written. Outside that band the
// multiplied-out test gives the expression's answer: both are computed with rounding errors of
// a few units of 1e-16, relative to the magnitudes compared. Bit-identical results, and one
// invocation's worth of division and square root latency saved on the policy's hot path.
// (tests/test_hist_thresholds.cpp checks both against the expressions.)
#ifndef KEEPWARM_PLUGINS_HYBRID_HISTOGRAM_THRESHOLDS_HPP
#define KEEPWARM_PLUGINS_HYBRID_HISTOGRAM_THRESHOLDS_HPP

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace hybrid_histogram {

// double(part) / double(total) > threshold (part and total are counts, total > 0).
inline bool ratio_exceeds(uint64_t part, uint64_t total, double threshold) noexcept {
  const double p = static_cast<double>(part), t = static_cast<double>(total);
  const double d = p - threshold * t, slack = 1e-9 * (p + std::abs(threshold) * t);
  if (d > slack) return true;
  if (d < -slack) return false;
  return p / t > threshold;
}

// The coefficient of variation of `bins` bin counts with sum n > 0 and sum of squares
// sum_sq exceeds threshold, as computed by mean = n / bins, variance = max(0, sum_sq / bins -
// mean^2), cv = sqrt(variance) / mean. For a threshold c >= 0, cv > c iff sum_sq x bins >
// (1 + c^2) n^2.
inline bool cv_exceeds(double sum_sq, uint64_t n_samples, uint32_t bins,
                       double threshold) noexcept {
  const double n = static_cast<double>(n_samples);
  if (threshold >= 0) {
    const double lhs = sum_sq * bins, rhs = (1 + threshold * threshold) * n * n;
    const double d = lhs - rhs, slack = 1e-9 * (lhs + rhs);
    if (d > slack) return true;
    if (d < -slack) return false;
  }
  const double mean = n / bins;
  const double var = std::max(0.0, sum_sq / bins - mean * mean);
  const double cv = std::sqrt(var) / mean;
  return cv > threshold;
}

}  // namespace hybrid_histogram

#endif  // KEEPWARM_PLUGINS_HYBRID_HISTOGRAM_THRESHOLDS_HPP
