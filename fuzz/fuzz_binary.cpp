// fuzz_binary.cpp: the binary (.kwt) trace reader on arbitrary bytes (decode_binary_trace).
#include "fuzz_support.hpp"
#include "keepwarm/traces/formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const keepwarm::Trace t = keepwarm::decode_binary_trace(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.kwt");
    t.validate();
  } catch (const keepwarm::TraceError&) {
  }
  return 0;
}
