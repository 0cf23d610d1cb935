// fuzz_native.cpp: the native CSV trace reader: the input is functions.csv, a NUL byte, then
// invocations.csv. What loads must also write out and load back the same (names round trip).
#include "fuzz_support.hpp"
#include "keepwarm/traces/trace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace fs = std::filesystem;
  const auto parts = keepwarm::fuzz::split(data, size, 2);
  const fs::path dir = keepwarm::fuzz::scratch() / "native";
  fs::create_directories(dir);
  keepwarm::fuzz::write(dir / "functions.csv", parts[0]);
  keepwarm::fuzz::write(dir / "invocations.csv", parts[1]);
  keepwarm::Trace t;
  try {
    t = keepwarm::load_native_trace(dir);
  } catch (const keepwarm::TraceError&) {
    return 0;
  }
  t.validate();
  const fs::path copy = keepwarm::fuzz::scratch() / "native-copy";
  keepwarm::write_native_trace(t, copy);
  const keepwarm::Trace back = keepwarm::load_native_trace(copy);  // must not throw
  if (back.functions.size() != t.functions.size() || back.times.size() != t.times.size())
    __builtin_trap();
  for (size_t f = 0; f < t.functions.size(); ++f)
    if (back.functions[f].id != t.functions[f].id) __builtin_trap();
  return 0;
}
