// keepwarm/traces/formats.hpp: every trace form besides the native text one: the compact binary
// form, the FaasCache pickle reader, the Azure Functions 2019 importer, the synthetic generators,
// and summary statistics (`keepwarm trace info`). All readers throw TraceError.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "keepwarm/traces/trace.hpp"

namespace keepwarm {

// ---- Binary form (binary.cpp) -------------------------------------------------------
// Little-endian. Header (48 bytes): magic "KWTRACE\0", u32 version (1), u32 flags (0),
// u64 function count, u64 invocation count, u64 payload bytes, u64 trace_checksum(payload).
// Payload: per function {u32 memory_mb, f64 cold_ms, f64 warm_ms, u32 id length, id bytes},
// padding to 8 bytes, f64 times[invocations], u32 function_of[invocations].
inline constexpr std::string_view kBinaryTraceMagic{"KWTRACE\0", 8};
inline constexpr uint32_t kBinaryTraceVersion = 1;

std::string encode_binary_trace(const Trace& trace);
// Decodes bytes read from `file` (used in error messages); validates everything.
Trace decode_binary_trace(std::string_view bytes, const std::filesystem::path& file);
void write_binary_trace(const Trace& trace, const std::filesystem::path& file);
Trace load_binary_trace(const std::filesystem::path& file);
// FNV-1a 64 over bytes.
uint64_t fnv1a64(std::string_view bytes) noexcept;
// The binary form's checksum: FNV-1a 64 run in four lanes over 64-bit words (see the .cpp).
uint64_t trace_checksum(std::string_view bytes) noexcept;

// ---- FaasCache pickle (pickle.cpp) ---------------------------------------------------
// A pickled (lambdas, trace) tuple as written by FaasCache's TraceGen (protocol 2-5). Only the
// class LambdaData.LambdaData may be constructed; nothing is executed.
Trace decode_pickle_trace(std::string_view bytes, const std::filesystem::path& file);
Trace load_pickle_trace(const std::filesystem::path& file);

// ---- Azure Functions 2019 importer (azure.cpp) ---------------------------------------
enum class AzureSample { representative, random, rare, all };
AzureSample parse_azure_sample(const std::string& s);  // throws std::invalid_argument
const char* to_string(AzureSample s) noexcept;

struct AzureImportOptions {
  int day = 1;             // 1..14: selects the dNN files
  size_t functions = 200;  // how many to keep (ignored for `all`)
  AzureSample sample = AzureSample::representative;
  uint64_t seed = 7;
  // Day used for the memory file when the chosen day has none (0 = same day, error if missing).
  int memory_day = 0;
  // The most invocations the import may hold (12 bytes each in memory), checked before anything
  // is allocated for them; 0 = no limit.
  uint64_t max_invocations = 1'000'000'000;
};

struct AzureImportStats {
  size_t functions_in_file = 0;   // rows of the invocations file
  size_t functions_eligible = 0;  // invoked >= 2 times, with duration and memory data
  size_t functions_kept = 0;
  uint64_t invocations_kept = 0;
};

// Reads the three dNN files of `dataset_dir`, streaming (memory ~ number of functions).
Trace import_azure(const std::filesystem::path& dataset_dir, const AzureImportOptions& options,
                   AzureImportStats* stats = nullptr);

// ---- Generators (generate.cpp) -------------------------------------------------------
// Deterministic across platforms: own PRNG (xoshiro256**, seeded by splitmix64) and samplers.
class Rng {
 public:
  explicit Rng(uint64_t seed) noexcept;
  uint64_t next() noexcept;
  double uniform() noexcept;       // [0, 1), 53 bits
  double uniform_open() noexcept;  // (0, 1)
  double exponential(double mean) noexcept;
  double normal() noexcept;  // standard normal (Box-Muller, no caching)
  double lognormal(double mu, double sigma) noexcept;
  uint64_t below(uint64_t n) noexcept;  // uniform in [0, n), n > 0

 private:
  uint64_t s_[4];
};

struct MixFunction {
  std::string id;
  uint32_t memory_mb = 128;
  double cold_ms = 1000;
  double warm_ms = 100;
  double iat_ms = 60000;  // mean inter-arrival time
};

struct MixSpec {
  std::vector<MixFunction> functions;
  double duration_ms = 3600000;
  uint64_t seed = 1;
};

// Exponential inter-arrivals per function over [0, duration), merged in time order (ties by
// function order).
Trace generate_mix(const MixSpec& spec);
// A default TraceGen-like mix of n functions with varied sizes and rates (seeded).
MixSpec default_mix(size_t n, double duration_ms, uint64_t seed);

struct AzureLikeSpec {
  size_t functions = 100;
  double duration_ms = 86400000;
  uint64_t seed = 1;
  // Daily invocation rates, log-uniform between these bounds (per day).
  double min_per_day = 1;
  double max_per_day = 86400;
  // Warm execution time: lognormal with median warm_median_ms and log-sd warm_sigma.
  double warm_median_ms = 300;
  double warm_sigma = 1.5;
  // Cold = warm * (1 + lognormal(cold_extra_median, cold_extra_sigma)).
  double cold_extra_median = 1.0;
  double cold_extra_sigma = 0.8;
  // Memory: lognormal MB with median memory_median_mb, rounded up, clamped to [min, max].
  double memory_median_mb = 150;
  double memory_sigma = 0.6;
  uint32_t memory_min_mb = 16;
  uint32_t memory_max_mb = 2048;
  // Diurnal modulation: rate(t) = base * (1 + amplitude * sin(2 pi (t / day - phase))).
  double diurnal_amplitude = 0;  // 0 = homogeneous, up to 1
  double diurnal_phase = 0.25;   // fraction of a day
  uint64_t max_invocations = 0;  // 0 = unlimited, else error when exceeded
};

Trace generate_azure_like(const AzureLikeSpec& spec);

// Parameters of `keepwarm trace generate mix`: explicit functions, or `functions` defaults.
struct MixConfig {
  size_t functions = 20;
  double duration_ms = 3 * 3600000.0;
  uint64_t seed = 1;
  std::vector<MixFunction> explicit_functions;  // [[function]] tables; empty = default_mix
  MixSpec spec() const;
};

// Reads generator parameters from a TOML file into *mix or *azure (exactly one non-null); keys
// absent from the file keep their current values. Keys: seed, duration_ms or duration_h, and for
// mix: functions (count) or [[function]] {id, memory_mb, cold_ms, warm_ms, iat_ms}; for azure:
// every AzureLikeSpec field by name. Unknown keys and wrong types are errors (TraceError naming
// the file and line).
void read_generator_config(const std::filesystem::path& file, MixConfig* mix, AzureLikeSpec* azure);

// ---- Summary (trace_info) -------------------------------------------------------------------
struct TraceSummary {
  size_t functions = 0;
  size_t invocations = 0;
  double first_ms = 0, last_ms = 0;
  uint64_t total_memory_mb = 0;
  uint32_t min_memory_mb = 0, max_memory_mb = 0;
  double mean_memory_mb = 0;
  // Maximum number of simultaneously running invocations if every invocation ran at once, cold
  // when its function had no idle container, warm otherwise (unlimited memory, no eviction):
  // the peak number of containers and the peak memory they hold.
  uint64_t peak_concurrency = 0;
  uint64_t peak_containers = 0;
  uint64_t peak_container_memory_mb = 0;
  std::vector<std::pair<uint32_t, uint64_t>> top_functions;  // (function index, invocations)
};
TraceSummary summarize_trace(const Trace& trace, size_t top = 10);

}  // namespace keepwarm
