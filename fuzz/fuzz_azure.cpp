// fuzz_azure.cpp: the Azure Functions 2019 importer: the input is the invocations file, NUL, the
// durations file, NUL, the memory file (day 1). The invocation limit keeps absurd counts cheap.
#include "fuzz_support.hpp"
#include "keepwarm/traces/formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  const auto parts = keepwarm::fuzz::split(data, size, 3);
  const fs::path dir = keepwarm::fuzz::scratch() / "azure";
  fs::create_directories(dir);
  keepwarm::fuzz::write(dir / "invocations_per_function_md.anon.d01.csv", parts[0]);
  keepwarm::fuzz::write(dir / "function_durations_percentiles.anon.d01.csv", parts[1]);
  keepwarm::fuzz::write(dir / "app_memory_percentiles.anon.d01.csv", parts[2]);
  keepwarm::AzureImportOptions o;
  o.sample = keepwarm::AzureSample::all;
  o.max_invocations = 200000;
  try {
    keepwarm::import_azure(dir, o).validate();
  } catch (const keepwarm::TraceError&) {
  }
  return 0;
}
