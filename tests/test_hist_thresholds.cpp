// test_hist_thresholds.cpp: the hybrid-histogram policy's threshold tests without division
// (plugins/hybrid-histogram/thresholds.hpp) give the answers of the expressions as written, on
// random histograms and at thresholds placed on, and one ulp either side of, the computed value.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <vector>

#include "../plugins/hybrid-histogram/thresholds.hpp"

namespace {

bool ratio_as_written(uint64_t part, uint64_t total, double threshold) {
  return static_cast<double>(part) / static_cast<double>(total) > threshold;
}
bool cv_as_written(double sum_sq, uint64_t n_samples, uint32_t bins, double threshold) {
  const double mean = static_cast<double>(n_samples) / bins;
  const double var = std::max(0.0, sum_sq / bins - mean * mean);
  return std::sqrt(var) / mean > threshold;
}

// Thresholds around value: on it, one ulp either side, a little either side, and some others.
std::vector<double> around(double value) {
  const double inf = std::numeric_limits<double>::infinity();
  return {value,
          std::nextafter(value, inf),
          std::nextafter(value, -inf),
          std::nextafter(std::nextafter(value, inf), inf),
          value * (1 + 1e-12),
          value * (1 - 1e-12),
          value * (1 + 1e-8),
          value * (1 - 1e-8),
          0.0,
          -0.5,
          2.0,
          0.5,
          inf,
          -inf,
          std::numeric_limits<double>::quiet_NaN()};
}

TEST(HistThresholds, RatioMatchesTheDivision) {
  std::mt19937_64 rng(7);
  for (int i = 0; i < 200000; ++i) {
    const uint64_t total = 1 + rng() % (i % 3 == 0 ? 20 : (i % 3 == 1 ? 100000 : 1ULL << 40));
    const uint64_t part = rng() % (total + 1);
    for (const double t : around(static_cast<double>(part) / static_cast<double>(total)))
      ASSERT_EQ(hybrid_histogram::ratio_exceeds(part, total, t), ratio_as_written(part, total, t))
          << part << " / " << total << " > " << t;
  }
}

TEST(HistThresholds, CvMatchesTheSquareRoot) {
  std::mt19937_64 rng(11);
  for (int i = 0; i < 100000; ++i) {
    const uint32_t bins = 1 + static_cast<uint32_t>(rng() % 240);
    // A histogram: few samples, many in one bin, or spread over all.
    uint64_t n = 0;
    double sum_sq = 0;
    const unsigned shape = static_cast<unsigned>(rng() % 3);
    for (uint32_t b = 0; b < bins; ++b) {
      uint64_t c = 0;
      if (shape == 0)
        c = rng() % 8 == 0 ? rng() % 3 : 0;
      else if (shape == 1)
        c = b == 0 ? rng() % 1000000 : rng() % 2;
      else
        c = rng() % 50;
      n += c;
      sum_sq += static_cast<double>(c) * static_cast<double>(c);
    }
    if (n == 0) continue;
    const double mean = static_cast<double>(n) / bins;
    const double cv = std::sqrt(std::max(0.0, sum_sq / bins - mean * mean)) / mean;
    for (const double t : around(cv))
      ASSERT_EQ(hybrid_histogram::cv_exceeds(sum_sq, n, bins, t), cv_as_written(sum_sq, n, bins, t))
          << "bins " << bins << " n " << n << " sum_sq " << sum_sq << " threshold " << t;
  }
}

TEST(HistThresholds, UniformHistogramsHaveNoVariation) {
  // Every bin the same count: the variance is 0 (or a rounding error of it).
  for (uint32_t bins = 1; bins <= 240; ++bins)
    for (const uint64_t c : {1ULL, 3ULL, 1000ULL, 123457ULL}) {
      const uint64_t n = c * bins;
      const double sum_sq = static_cast<double>(c) * static_cast<double>(c) * bins;
      for (const double t : {0.0, 1e-12, -1e-12, 2.0})
        ASSERT_EQ(hybrid_histogram::cv_exceeds(sum_sq, n, bins, t),
                  cv_as_written(sum_sq, n, bins, t))
            << bins << " x " << c << " > " << t;
    }
}

}  // namespace
