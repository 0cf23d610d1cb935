// fuzz_pickle.cpp: the FaasCache pickle reader on arbitrary bytes (decode_pickle_trace).
#include "fuzz_support.hpp"
#include "keepwarm/traces/formats.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    const keepwarm::Trace t = keepwarm::decode_pickle_trace(
        std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.pckl");
    t.validate();  // what the reader returns must hold the trace invariants
  } catch (const keepwarm::TraceError&) {
  }
  return 0;
}
