// event_log.cpp: see keepwarm/experiment/event_log.hpp.
#include "keepwarm/experiment/event_log.hpp"

#include "keepwarm/util/io.hpp"

namespace keepwarm {

EventLog::EventLog(const Trace& trace, std::ostream& out) : trace_(trace), out_(out) {}

const char* EventLog::header() noexcept {
  return "time_ms,event,function,container,memory_mb,detail\n";
}

uint64_t EventLog::number(kw_container_id c) {
  if (c == KW_NO_CONTAINER) return 0;
  const auto [it, fresh] = numbers_.try_emplace(c, next_number_);
  if (fresh) ++next_number_;
  return it->second;
}

void EventLog::line(double t, const char* event, uint32_t fn, uint64_t number, uint32_t memory_mb,
                    const char* detail) {
  out_ << format_number(t) << ',' << event << ',' << csv_field(trace_.functions[fn].id) << ',';
  if (number != 0) out_ << number;
  out_ << ',' << memory_mb << ',' << detail << '\n';
}

void EventLog::arrival(double t, uint32_t fn, Outcome outcome, kw_container_id c) {
  static const char* const names[] = {"warm", "cold", "dropped"};
  line(t, "arrival", fn, number(c), trace_.functions[fn].memory_mb,
       names[static_cast<unsigned>(outcome)]);
}

void EventLog::removal(double t, kw_container_id c, uint32_t fn, uint32_t memory_mb,
                       kw_removal_reason reason) {
  const uint64_t n = number(c);
  numbers_.erase(c);
  line(t,
       reason == KW_REMOVED_EVICTED   ? "evict"
       : reason == KW_REMOVED_EXPIRED ? "expire"
                                      : "release",
       fn, n, memory_mb, "");
}

void EventLog::prewarm(double t, kw_container_id c, uint32_t fn, bool created) {
  line(t, "prewarm", fn, number(c), trace_.functions[fn].memory_mb,
       created ? "created" : "no-memory");
}

}  // namespace keepwarm
