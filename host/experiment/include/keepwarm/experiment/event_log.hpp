// keepwarm/experiment/event_log.hpp: the event log of one cell (`keepwarm run --events`), an
// engine observer writing CSV as events happen.
#pragma once

#include <cstdint>
#include <ostream>
#include <unordered_map>

#include "keepwarm/engine/engine.hpp"
#include "keepwarm/traces/trace.hpp"

namespace keepwarm {

// The event log of one cell as CSV: time_ms,event,function,container,memory_mb,detail.
//   arrival rows: event "arrival", detail warm|cold|dropped, memory_mb the function's memory,
//     container empty when dropped;
//   removals: event "evict" or "expire", memory_mb the memory freed;
//   prewarms: event "prewarm", detail created|no-memory.
// Containers are numbered 1, 2, ... in the order they were created (cold start or prewarm).
// Lines go to out as they happen (out is owned by the caller).
class EventLog : public EventObserver {
 public:
  EventLog(const Trace& trace, std::ostream& out);
  static const char* header() noexcept;
  void arrival(double t, uint32_t fn, Outcome outcome, kw_container_id c) override;
  void removal(double t, kw_container_id c, uint32_t fn, uint32_t memory_mb,
               kw_removal_reason reason) override;
  void prewarm(double t, kw_container_id c, uint32_t fn, bool created) override;

 private:
  void line(double t, const char* event, uint32_t fn, uint64_t number, uint32_t memory_mb,
            const char* detail);
  uint64_t number(kw_container_id c);  // 0 for KW_NO_CONTAINER
  const Trace& trace_;
  std::ostream& out_;
  std::unordered_map<kw_container_id, uint64_t> numbers_;
  uint64_t next_number_ = 1;
};

}  // namespace keepwarm
