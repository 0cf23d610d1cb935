// fuzz_experiment.cpp: experiment TOML files (load_experiment): a ConfigError with a position,
// or an experiment; never a crash (deep nesting included).
#include "fuzz_support.hpp"
#include "keepwarm/experiment/experiment.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path file = keepwarm::fuzz::scratch() / "experiment.toml";
  keepwarm::fuzz::write(file, std::string_view(reinterpret_cast<const char*>(data), size));
  try {
    keepwarm::load_experiment(file);
  } catch (const keepwarm::ConfigError&) {
  }
  return 0;
}
