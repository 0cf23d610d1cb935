// trace.cpp: `keepwarm trace ...`: inspect, convert, import and generate traces.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <iostream>
#include <stdexcept>

#include "cli.hpp"
#include "keepwarm/traces/formats.hpp"

namespace keepwarm::cli {

namespace fs = std::filesystem;

namespace {

std::string span_text(double ms) {
  char buf[64];
  if (ms < 1000)
    std::snprintf(buf, sizeof buf, "%.3g ms", ms);
  else if (ms < 120000)
    std::snprintf(buf, sizeof buf, "%.3g s", ms / 1000);
  else if (ms < 2 * 3600000.0)
    std::snprintf(buf, sizeof buf, "%.3g min", ms / 60000);
  else
    std::snprintf(buf, sizeof buf, "%.3g h", ms / 3600000);
  return buf;
}

// Writes a trace in the chosen form (auto: binary when out ends in .kwt, else native) and
// reports what was written.
void write_trace(const Trace& trace, const fs::path& out, std::string format) {
  if (format == "auto") format = out.extension() == ".kwt" ? "binary" : "native";
  if (format == "binary")
    write_binary_trace(trace, out);
  else
    write_native_trace(trace, out);
  std::cout << "wrote " << out.string() << " (" << format << "): " << trace.functions.size()
            << " functions, " << trace.invocation_count() << " invocations\n";
}

CLI::Option* add_format(CLI::App* cmd, std::string* format) {
  return cmd
      ->add_option("--format", *format,
                   "Output form: native (a directory), binary (one file), or auto = binary when "
                   "the output ends in .kwt, else native")
      ->check(CLI::IsMember({"auto", "native", "binary"}))
      ->capture_default_str();
}

void info(const std::string& ref, size_t top) {
  const fs::path path = find_trace(ref);
  const Trace t = load_trace(path);
  const TraceSummary s = summarize_trace(t, top);
  std::printf("trace        %s\nfunctions    %zu\ninvocations  %zu\n", path.c_str(), s.functions,
              s.invocations);
  if (s.invocations > 0)
    std::printf(
        "time span    %.3f .. %.3f ms (%s)\nmean rate    %.4g invocations/s\n", s.first_ms,
        s.last_ms, span_text(s.last_ms - s.first_ms).c_str(),
        static_cast<double>(s.invocations) / std::max(1.0, (s.last_ms - s.first_ms) / 1000));
  std::printf("memory       total %" PRIu64
              " MB over all functions; per function min %u, mean %.1f, max %u MB\n",
              s.total_memory_mb, s.min_memory_mb, s.mean_memory_mb, s.max_memory_mb);
  std::printf(
      "peak concurrency %" PRIu64 " invocations running at once; %" PRIu64 " containers, %" PRIu64
      " MB\n  (unlimited memory, containers kept forever: an invocation "
      "reuses an idle container of\n  its function, else starts one; cold starts run cold_ms, "
      "warm starts warm_ms)\n",
      s.peak_concurrency, s.peak_containers, s.peak_container_memory_mb);
  if (!s.top_functions.empty()) {
    std::printf("most invoked:\n");
    for (const auto& [f, n] : s.top_functions) {
      const Function& fn = t.functions[f];
      std::printf("  %10" PRIu64 "  %5.1f%%  %s  (%u MB, cold %g ms, warm %g ms)\n", n,
                  100.0 * static_cast<double>(n) / static_cast<double>(s.invocations),
                  fn.id.c_str(), fn.memory_mb, fn.cold_ms, fn.warm_ms);
    }
  }
  std::fflush(stdout);
}

struct GenerateFlags {
  std::string out, format = "auto", config;
  size_t functions = 0;
  double duration_h = 0;
  uint64_t seed = 0;
};

void add_common_generate_flags(CLI::App* cmd, GenerateFlags& g, std::vector<CLI::Option*>& given,
                               const std::string& default_functions,
                               const std::string& default_hours) {
  cmd->add_option("-o,--out,--output", g.out, "Output: a directory (native) or a file (binary)")
      ->required();
  add_format(cmd, &g.format);
  cmd->add_option("--config", g.config,
                  "TOML file with the generator's parameters (flags given too override it)")
      ->check(CLI::ExistingFile);
  given.push_back(cmd->add_option("--functions", g.functions,
                                  "Number of functions (default " + default_functions + ")"));
  given.push_back(cmd->add_option("--duration-h", g.duration_h,
                                  "Trace length in hours (default " + default_hours + ")"));
  given.push_back(
      cmd->add_option("--seed", g.seed, "Random seed: same seed, same trace (default 1)"));
}

}  // namespace

void add_trace_commands(CLI::App& app) {
  CLI::App* trace =
      app.add_subcommand("trace", "Inspect, convert, import and generate invocation traces");
  trace->require_subcommand(1);
  trace->footer(
      "Trace forms: native (a directory with functions.csv and invocations.csv), binary (one\n"
      "file, see traces/README.md) and FaasCache pickles (.pckl, read only). Forms are\n"
      "recognised by content, not by name.");

  // ---- info
  {
    auto* cmd = trace->add_subcommand(
        "info",
        "Summarise a trace: sizes, time span, memory, most invoked functions, peak "
        "concurrency");
    static std::string path;
    static size_t top = 10;
    cmd->add_option("PATH", path, "Trace (native directory, binary file or FaasCache pickle)")
        ->required();
    cmd->add_option("--top", top, "How many of the most invoked functions to list")
        ->capture_default_str();
    cmd->callback([] { info(path, top); });
  }

  // ---- convert
  {
    auto* cmd = trace->add_subcommand(
        "convert",
        "Convert a trace (any readable form, e.g. a FaasCache pickle) to native or "
        "binary form");
    static std::string in, out, format = "auto";
    cmd->add_option("IN", in, "Input trace (native directory, binary file or FaasCache pickle)")
        ->required();
    cmd->add_option("OUT", out, "Output: a directory (native) or a file (binary)")->required();
    add_format(cmd, &format);
    cmd->callback([] { write_trace(load_trace(find_trace(in)), out, format); });
  }

  // ---- import-azure
  {
    auto* cmd = trace->add_subcommand(
        "import-azure",
        "Import a day of the Azure Functions 2019 dataset with FaasCache's transformation");
    cmd->footer(
        "Reads invocations_per_function_md.anon.dNN.csv, function_durations_percentiles.anon."
        "dNN.csv\nand app_memory_percentiles.anon.dNN.csv from DATASET_DIR. cold = Maximum "
        "duration,\nwarm = Average, memory = app AverageAllocatedMb / the app's functions "
        "(rounded up);\nfunctions invoked < 2 times or without duration/memory data are dropped; "
        "the n\ninvocations of a minute are spread evenly over it. Samples: representative (equal\n"
        "numbers from each quartile of daily invocations), random, rare (least invoked), all.");
    static std::string dir, out, format = "auto", sample = "representative";
    static AzureImportOptions o;
    cmd->add_option("DATASET_DIR", dir, "Directory holding the dataset's CSV files")
        ->required()
        ->check(CLI::ExistingDirectory);
    cmd->add_option("--day", o.day, "Day of the dataset (1-14)")
        ->check(CLI::Range(1, 14))
        ->capture_default_str();
    cmd->add_option("--functions", o.functions, "How many functions to keep")
        ->capture_default_str();
    cmd->add_option("--sample", sample, "Sampling: representative, random, rare or all")
        ->check(CLI::IsMember({"representative", "random", "rare", "all"}))
        ->capture_default_str();
    cmd->add_option("--seed", o.seed, "Sampling seed")->capture_default_str();
    cmd->add_option("--max-invocations", o.max_invocations,
                    "Refuse, before allocating, an import of more invocations (0: no limit)")
        ->capture_default_str();
    cmd->add_option("--memory-day", o.memory_day,
                    "Day whose memory file to use when DAY has none (0: require DAY's)")
        ->capture_default_str();
    cmd->add_option("-o,--out,--output", out, "Output: a directory (native) or a file (binary)")
        ->required();
    add_format(cmd, &format);
    cmd->callback([] {
      o.sample = parse_azure_sample(sample);
      AzureImportStats st;
      const Trace t = import_azure(dir, o, &st);
      std::cout << "day " << o.day << ": " << st.functions_in_file << " functions in the file, "
                << st.functions_eligible << " eligible, " << st.functions_kept << " kept ("
                << to_string(o.sample) << ", seed " << o.seed << ")\n";
      write_trace(t, out, format);
    });
  }

  // ---- generate mix|azure
  {
    auto* gen = trace->add_subcommand("generate", "Generate a synthetic trace");
    gen->require_subcommand(1);

    auto* mix = gen->add_subcommand(
        "mix", "FaasCache TraceGen-style mix: per function exponential inter-arrival times");
    mix->footer(
        "Without a --config listing functions, a default mix of --functions functions (memory\n"
        "32-512 MB, lognormal warm times, cold > warm, mean inter-arrival 2 s - 30 min) is\n"
        "drawn from the seed. Config (TOML): seed, duration_h or duration_ms, functions, and\n"
        "[[function]] tables with id, memory_mb, cold_ms, warm_ms, iat_ms.");
    static GenerateFlags mf;
    static std::vector<CLI::Option*> mix_given;
    add_common_generate_flags(mix, mf, mix_given, "20", "3");
    mix->callback([] {
      MixConfig c;
      if (!mf.config.empty()) read_generator_config(mf.config, &c, nullptr);
      if (mix_given[0]->count()) c.functions = mf.functions;
      if (mix_given[1]->count()) c.duration_ms = mf.duration_h * 3600000.0;
      if (mix_given[2]->count()) c.seed = mf.seed;
      const Trace t = generate_mix(c.spec());
      write_trace(t, mf.out, mf.format);
    });

    auto* az = gen->add_subcommand(
        "azure", "Azure-like population: heavy-tailed rates, lognormal durations and memory");
    az->footer(
        "Rates are log-uniform between --min-per-day and --max-per-day (the 2019 dataset spans\n"
        "~1/day to ~1/s); warm times lognormal (median --warm-median-ms), cold = warm x (1 +\n"
        "lognormal); memory lognormal (median --memory-median-mb) clamped to [16, 2048] MB;\n"
        "optional diurnal rate 1 + A sin(2 pi (t/day - phase)), by thinning. Every AzureLikeSpec\n"
        "field can be set in the --config TOML by its name (functions, duration_h, seed,\n"
        "min_per_day, max_per_day, warm_median_ms, warm_sigma, cold_extra_median,\n"
        "cold_extra_sigma, memory_median_mb, memory_sigma, memory_min_mb, memory_max_mb,\n"
        "diurnal_amplitude, diurnal_phase, max_invocations).");
    static GenerateFlags af;
    static std::vector<CLI::Option*> az_given;
    static double min_day = 0, max_day = 0, warm_median = 0, mem_median = 0, diurnal = 0;
    static uint64_t max_inv = 0;
    add_common_generate_flags(az, af, az_given, "100", "24");
    az_given.push_back(az->add_option("--min-per-day", min_day, "Lowest daily rate (default 1)"));
    az_given.push_back(
        az->add_option("--max-per-day", max_day, "Highest daily rate (default 86400)"));
    az_given.push_back(
        az->add_option("--warm-median-ms", warm_median, "Median warm time (default 300)"));
    az_given.push_back(
        az->add_option("--memory-median-mb", mem_median, "Median memory (default 150)"));
    az_given.push_back(az->add_option("--diurnal", diurnal,
                                      "Diurnal amplitude in [0, 1] (default 0: constant rates)"));
    az_given.push_back(az->add_option("--max-invocations", max_inv,
                                      "Fail rather than write more invocations (0: no limit)"));
    az->callback([] {
      AzureLikeSpec s;
      if (!af.config.empty()) read_generator_config(af.config, nullptr, &s);
      if (az_given[0]->count()) s.functions = af.functions;
      if (az_given[1]->count()) s.duration_ms = af.duration_h * 3600000.0;
      if (az_given[2]->count()) s.seed = af.seed;
      if (az_given[3]->count()) s.min_per_day = min_day;
      if (az_given[4]->count()) s.max_per_day = max_day;
      if (az_given[5]->count()) s.warm_median_ms = warm_median;
      if (az_given[6]->count()) s.memory_median_mb = mem_median;
      if (az_given[7]->count()) s.diurnal_amplitude = diurnal;
      if (az_given[8]->count()) s.max_invocations = max_inv;
      const Trace t = generate_azure_like(s);
      write_trace(t, af.out, af.format);
    });
  }
}

}  // namespace keepwarm::cli
