// fuzz_results.cpp: the results reader behind `keepwarm report` (read_report_data): the input
// is results.json, NUL, results.csv, NUL, functions.csv. A ReportError, or data the report can
// be rendered from.
#include "fuzz_support.hpp"
#include "keepwarm/report/report.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  const auto parts = keepwarm::fuzz::split(data, size, 3);
  const fs::path dir = keepwarm::fuzz::scratch() / "results";
  fs::create_directories(dir);
  keepwarm::fuzz::write(dir / "results.json", parts[0]);
  keepwarm::fuzz::write(dir / "results.csv", parts[1]);
  keepwarm::fuzz::write(dir / "functions.csv", parts[2]);
  try {
    const keepwarm::ReportData d = keepwarm::read_report_data(dir);
    keepwarm::ReportOptions options;
    options.raster = false;
    keepwarm::render_report(d, options);  // in memory: what was read must render
  } catch (const keepwarm::ReportError&) {
  }
  return 0;
}
