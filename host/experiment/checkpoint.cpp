// checkpoint.cpp: checkpoint.jsonl (finished cells, durable as they finish), --resume, and the
// text form of a cell's outcome shared with the MPI layer.
#include "keepwarm/experiment/checkpoint.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <map>
#include <sstream>
#include <tuple>

#include "keepwarm/util/hash.hpp"
#include "keepwarm/util/io.hpp"
#include "keepwarm/util/json_read.hpp"
#include "keepwarm/util/sha256.hpp"

namespace keepwarm {

namespace fs = std::filesystem;

namespace {

constexpr int kFormatVersion = 1;

// Doubles as their shortest round-trip text; read back with strtod from the source text, so
// the value is bit for bit the one written.
std::string number(double v) { return format_number(v); }

double exact_double(const json::Value& v, const char* what) {
  if (v.kind != json::Value::Kind::number)
    throw CheckpointError(std::string(what) + " is not a number");
  return std::strtod(v.text.c_str(), nullptr);
}

CellOutcome decode(const json::Value& v, const Cell& cell) {
  CellOutcome out;
  out.cell = cell;
  out.ok = v.at("ok").boolean;
  out.error = v.at("error").str("error");
  out.host = v.at("host").str("host");
  out.rank = static_cast<int>(v.at("rank").u64("rank"));
  const json::Value& m = v.at("metrics");
  CellMetrics& c = out.result.metrics;
  c.invocations = m.at("invocations").u64("invocations");
  c.warm = m.at("warm").u64("warm");
  c.cold = m.at("cold").u64("cold");
  c.dropped = m.at("dropped").u64("dropped");
  c.evictions = m.at("evictions").u64("evictions");
  c.expirations = m.at("expirations").u64("expirations");
  c.prewarms = m.at("prewarms").u64("prewarms");
  c.prewarm_hits = m.at("prewarm_hits").u64("prewarm_hits");
  c.added_latency_ms = exact_double(m.at("added_latency_ms"), "added_latency_ms");
  c.idle_mb_s = exact_double(m.at("idle_mb_s"), "idle_mb_s");
  c.peak_memory_mb = m.at("peak_memory_mb").u64("peak_memory_mb");
  c.wall_s = exact_double(m.at("wall_s"), "wall_s");
  const json::Value& functions = v.at("functions");
  out.result.per_function.reserve(functions.items.size());
  for (const json::Value& f : functions.items) {
    if (f.items.size() != 6) throw CheckpointError("a function entry does not have 6 counts");
    FunctionMetrics fm;
    fm.invocations = f.items[0].u64("invocations");
    fm.warm = f.items[1].u64("warm");
    fm.cold = f.items[2].u64("cold");
    fm.dropped = f.items[3].u64("dropped");
    fm.evictions = f.items[4].u64("evictions");
    fm.expirations = f.items[5].u64("expirations");
    out.result.per_function.push_back(fm);
  }
  return out;
}

// The whole line in as few write() calls as the kernel allows (one, for any sane size).
void write_all(int fd, const std::string& text, const fs::path& file) {
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(file.string() + ": cannot write: " + std::strerror(errno));
    }
    p += n;
    left -= static_cast<size_t>(n);
  }
}

// The record inside a checkpoint line, or nullopt-like false when the line is torn.
bool unwrap(const std::string& text, std::string& record) {
  static const std::string prefix = "{\"sum\": \"";
  static const std::string middle = "\", \"record\": ";
  if (text.size() < prefix.size() + 16 + middle.size() + 1) return false;
  if (text.compare(0, prefix.size(), prefix) != 0) return false;
  const std::string sum = text.substr(prefix.size(), 16);
  if (text.compare(prefix.size() + 16, middle.size(), middle) != 0) return false;
  if (text.back() != '}') return false;
  const size_t start = prefix.size() + 16 + middle.size();
  record = text.substr(start, text.size() - start - 1);
  return sha256_hex(record).substr(0, 16) == sum;
}

std::string params_text(const std::map<std::string, std::string>& params) {
  std::string out = "{";
  bool first = true;
  for (const auto& [k, v] : params) {
    out += (first ? "" : ", ") + json_quote(k) + ": " + json_quote(v);
    first = false;
  }
  return out + "}";
}

}  // namespace

std::string encode_outcome(const CellOutcome& o) {
  const CellMetrics& m = o.result.metrics;
  std::string out;
  out.reserve(256 + o.result.per_function.size() * 24);
  out += "{\"ok\": ";
  out += o.ok ? "true" : "false";
  out += ", \"error\": " + json_quote(o.error) + ", \"host\": " + json_quote(o.host) +
         ", \"rank\": " + std::to_string(o.rank);
  out += ", \"metrics\": {\"invocations\": " + std::to_string(m.invocations) +
         ", \"warm\": " + std::to_string(m.warm) + ", \"cold\": " + std::to_string(m.cold) +
         ", \"dropped\": " + std::to_string(m.dropped) +
         ", \"evictions\": " + std::to_string(m.evictions) +
         ", \"expirations\": " + std::to_string(m.expirations) +
         ", \"prewarms\": " + std::to_string(m.prewarms) +
         ", \"prewarm_hits\": " + std::to_string(m.prewarm_hits) +
         ", \"added_latency_ms\": " + number(m.added_latency_ms) +
         ", \"idle_mb_s\": " + number(m.idle_mb_s) +
         ", \"peak_memory_mb\": " + std::to_string(m.peak_memory_mb) +
         ", \"wall_s\": " + number(m.wall_s) + "}, \"functions\": [";
  bool first = true;
  for (const FunctionMetrics& f : o.result.per_function) {
    if (!first) out += ", ";
    first = false;
    out += '[';
    out += std::to_string(f.invocations) + ',' + std::to_string(f.warm) + ',' +
           std::to_string(f.cold) + ',' + std::to_string(f.dropped) + ',' +
           std::to_string(f.evictions) + ',' + std::to_string(f.expirations);
    out += ']';
  }
  out += "]}";
  return out;
}

CellOutcome decode_outcome(const std::string& text, const Cell& cell) {
  try {
    return decode(json::parse(text), cell);
  } catch (const json::ParseError& e) {
    throw CheckpointError(std::string("a cell outcome does not read back: ") + e.what());
  }
}

namespace {

// A 128-bit hash of a trace's content, fast enough (several GB/s) that hashing a trace of
// hundreds of millions of invocations costs little next to loading it: four lanes take 8-byte
// words in turn, each word multiplied by an odd constant, xored into its lane, the lane rotated
// and multiplied by another (every step a bijection of the lane, so a one-word change always
// changes it); the lanes and the length are then mixed into two 64-bit halves. Not meant to
// resist someone crafting collisions, only to tell a changed trace from its old self.
class ContentHash {
 public:
  void update(const void* data, size_t n) {
    const auto* p = static_cast<const unsigned char*>(data);
    length_ += n;
    while (n > 0 && pending_ > 0) {  // finish a partial word first
      add_byte(*p++);
      --n;
    }
    while (n >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      add_word(w);
      p += 8;
      n -= 8;
    }
    while (n-- > 0) add_byte(*p++);
  }
  void update(const std::string& s) {
    const uint64_t n = s.size();
    update(&n, sizeof n);
    update(s.data(), s.size());
  }
  std::string hex() {
    if (pending_ > 0) {
      const uint64_t w = partial_;
      partial_ = 0;
      pending_ = 0;
      add_word(w);
    }
    const uint64_t h1 =
        mix64(lane_[0] ^ rotl(lane_[1], 17) ^ rotl(lane_[2], 31) ^ rotl(lane_[3], 47) ^ length_);
    const uint64_t h2 = mix64(lane_[3] ^ rotl(lane_[2], 13) ^ rotl(lane_[1], 29) ^
                              rotl(lane_[0], 43) ^ (length_ * 0x9E3779B97F4A7C15ull));
    char buf[33];
    std::snprintf(buf, sizeof buf, "%016llx%016llx", static_cast<unsigned long long>(h1),
                  static_cast<unsigned long long>(h2));
    return buf;
  }

 private:
  static uint64_t rotl(uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }
  void add_word(uint64_t w) {
    uint64_t& lane = lane_[next_];
    next_ = (next_ + 1) & 3;
    lane = rotl(lane ^ (w * 0xFF51AFD7ED558CCDull), 29) * 0xC4CEB9FE1A85EC53ull;
  }
  void add_byte(unsigned char c) {
    partial_ |= static_cast<uint64_t>(c) << (8 * pending_);
    if (++pending_ == 8) {
      add_word(partial_);
      partial_ = 0;
      pending_ = 0;
    }
  }

  uint64_t lane_[4] = {0x243F6A8885A308D3ull, 0x13198A2E03707344ull, 0xA4093822299F31D0ull,
                       0x082EFA98EC4E6C89ull};
  unsigned next_ = 0;
  uint64_t partial_ = 0;
  unsigned pending_ = 0;
  uint64_t length_ = 0;
};

}  // namespace

std::string trace_content_hash(const Trace& trace) {
  ContentHash h;
  const uint64_t functions = trace.functions.size();
  h.update(&functions, sizeof functions);
  for (const Function& f : trace.functions) {
    h.update(f.id);
    h.update(&f.memory_mb, sizeof f.memory_mb);
    h.update(&f.cold_ms, sizeof f.cold_ms);
    h.update(&f.warm_ms, sizeof f.warm_ms);
  }
  const uint64_t n = trace.invocation_count();
  h.update(&n, sizeof n);
  // In chunks, each released once hashed (a view of a mapped or spilled trace then costs no
  // memory for it); the bytes hashed are the same as in one update per column.
  constexpr size_t kChunk = size_t{1} << 20;
  for (size_t b = 0; b < n; b += kChunk) {
    const size_t e = std::min<size_t>(n, b + kChunk);
    h.update(trace.times.data() + b, (e - b) * sizeof(double));
    trace.times.release(b, e);
  }
  for (size_t b = 0; b < n; b += kChunk) {
    const size_t e = std::min<size_t>(n, b + kChunk);
    h.update(trace.function_of.data() + b, (e - b) * sizeof(uint32_t));
    trace.function_of.release(b, e);
  }
  return h.hex();
}

Checkpoint::Checkpoint(const GridRunner& runner, std::vector<std::string> trace_hash)
    : experiment_(runner.results().experiment.name), trace_hash_(std::move(trace_hash)) {}

Checkpoint::~Checkpoint() {
  stop_syncer();
  if (fd_ >= 0) ::close(fd_);
}

void Checkpoint::stop_syncer() noexcept {
  if (!syncer_.joinable()) return;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  syncer_.join();
}

void Checkpoint::sync() {
  std::unique_lock<std::mutex> lock(mutex_);
  cv_.wait(lock,
           [&] { return synced_ >= written_ || !sync_error_.empty() || !syncer_.joinable(); });
  if (!sync_error_.empty()) throw std::runtime_error(sync_error_);
}

std::string Checkpoint::header() const {
  return "{\"keepwarm_checkpoint\": " + std::to_string(kFormatVersion) +
         ", \"experiment\": " + json_quote(experiment_) + "}";
}

std::string Checkpoint::key(const GridRunner& runner, const Cell& cell) const {
  const RunResults& r = runner.results();
  const Experiment& ex = r.experiment;
  return "{\"trace\": " + json_quote(r.traces[cell.trace]->name) +
         ", \"trace_hash\": " + json_quote(trace_hash_[cell.trace]) +
         ", \"policy\": " + json_quote(r.policy_name(cell.policy)) +
         ", \"plugin_sha256\": " + json_quote(r.plugins[cell.policy]->sha256()) +
         ", \"params\": " + params_text(runner.params(cell.policy)) +
         ", \"memory_mb\": " + std::to_string(cell.memory_mb) +
         ", \"seed\": " + std::to_string(cell.seed) +
         ", \"compat\": " + json_quote(compat_name(ex.compat)) +
         ", \"overhead_ms\": " + number(ex.overhead_ms) +
         ", \"overhead_pct\": " + number(ex.overhead_frac) + "}";
}

std::string Checkpoint::line(const std::string& record) {
  return "{\"sum\": \"" + sha256_hex(record).substr(0, 16) + "\", \"record\": " + record + "}\n";
}

Checkpoint::Resumed Checkpoint::resume(const fs::path& file, GridRunner& runner) const {
  Resumed out;
  std::error_code ec;
  if (!fs::exists(file, ec)) return out;
  out.found = true;
  const std::string text = read_file(file);
  const RunResults& r = runner.results();
  const Experiment& ex = r.experiment;

  // The grid's cells by (trace, policy, memory, seed).
  std::map<std::tuple<std::string, std::string, uint64_t, uint64_t>, size_t> by_name;
  for (size_t i = 0; i < r.cells.size(); ++i) {
    const Cell& c = r.cells[i].cell;
    by_name[{r.traces[c.trace]->name, r.policy_name(c.policy), c.memory_mb, c.seed}] = i;
  }

  size_t pos = 0, line_no = 0, records = 0;
  bool header_seen = false;
  std::vector<bool> taken(r.cells.size(), false);
  size_t first_mismatch_index = 0;
  while (pos < text.size()) {
    const size_t nl = text.find('\n', pos);
    ++line_no;
    if (nl == std::string::npos) {  // the torn tail of a killed run
      ++out.torn;
      break;
    }
    std::string record;
    const bool intact = unwrap(text.substr(pos, nl - pos), record);
    pos = nl + 1;
    if (!intact) {
      ++out.torn;
      continue;
    }
    json::Value v;
    try {
      v = json::parse(record);
    } catch (const json::ParseError&) {
      ++out.torn;
      continue;
    }
    if (!header_seen) {
      const json::Value* version = v.find("keepwarm_checkpoint");
      if (version == nullptr)
        throw CheckpointError(file.string() + ": not a keepwarm checkpoint (its first line is " +
                              "not a checkpoint header)");
      if (version->u64("keepwarm_checkpoint") != static_cast<uint64_t>(kFormatVersion))
        throw CheckpointError(file.string() + ": checkpoint format " + version->text +
                              ", this keepwarm reads format " + std::to_string(kFormatVersion));
      const std::string name = v.at("experiment").str("experiment");
      if (name != experiment_)
        throw CheckpointError(file.string() + " belongs to experiment '" + name + "', not to '" +
                              experiment_ +
                              "': it is not resumed (use another --out, or run without --resume "
                              "to start over)");
      header_seen = true;
      continue;
    }
    ++records;
    try {
      const json::Value& cell = v.at("cell");
      const auto it =
          by_name.find({cell.at("trace").str("trace"), cell.at("policy").str("policy"),
                        cell.at("memory_mb").u64("memory_mb"), cell.at("seed").u64("seed")});
      std::string why;
      if (it == by_name.end()) {
        if (out.outside++ == 0)
          out.first_outside = cell.at("trace").str() + " / " + cell.at("policy").str() + " / " +
                              cell.at("memory_mb").text + " MB / seed " + cell.at("seed").text;
        continue;
      } else {
        const Cell& c = r.cells[it->second].cell;
        const std::string name = r.traces[c.trace]->name + " / " + r.policy_name(c.policy) + " / " +
                                 std::to_string(c.memory_mb) + " MB / seed " +
                                 std::to_string(c.seed);
        if (cell.at("trace_hash").str() != trace_hash_[c.trace])
          why = "trace " + r.traces[c.trace]->name + " has other content";
        else if (cell.at("plugin_sha256").str() != r.plugins[c.policy]->sha256())
          why = "policy " + r.policy_name(c.policy) + " is another plugin file (" +
                r.plugins[c.policy]->file().string() + ")";
        else if (cell.at("compat").str() != compat_name(ex.compat))
          why = "compat mode was " + cell.at("compat").str();
        else if (exact_double(cell.at("overhead_ms"), "overhead_ms") != ex.overhead_ms ||
                 exact_double(cell.at("overhead_pct"), "overhead_pct") != ex.overhead_frac)
          why = "cold-start overheads differed";
        else {
          std::map<std::string, std::string> params;
          for (const auto& [k, val] : cell.at("params").members) params[k] = val.str();
          if (params != runner.params(c.policy))
            why = "policy " + r.policy_name(c.policy) + " had other parameters";
        }
        if (!why.empty()) why = name + ": " + why;
      }
      if (!why.empty()) {
        // The first in grid order, whatever order the cells finished in.
        if (out.mismatched++ == 0 || it->second < first_mismatch_index) {
          out.first_mismatch = why;
          first_mismatch_index = it->second;
        }
        continue;
      }
      CellOutcome o = decode(v.at("outcome"), r.cells[it->second].cell);
      if (!o.ok) continue;
      o.resumed = true;
      runner.results().cells[it->second] = std::move(o);
      if (!taken[it->second]) out.reused.push_back(it->second);
      taken[it->second] = true;
    } catch (const json::ParseError& e) {
      throw CheckpointError(file.string() + ":" + std::to_string(line_no) +
                            ": a checkpoint record does not read back: " + e.what());
    }
  }
  if (!header_seen)
    throw CheckpointError(file.string() + ": not a keepwarm checkpoint (no intact header line)");
  if (records > 0 && out.reused.empty())
    throw CheckpointError(
        file.string() + ": none of its " + std::to_string(records) +
        " cells matches this experiment (" +
        (out.mismatched > 0 ? out.first_mismatch
                            : "cell " + out.first_outside + " is not in this experiment's grid") +
        "): it is stale and is not resumed; run without --resume to start over");
  std::sort(out.reused.begin(), out.reused.end());
  return out;
}

void Checkpoint::start(const fs::path& file, const GridRunner& runner,
                       const std::vector<size_t>& keep) {
  std::string text = line(header());
  for (const size_t i : keep) {
    const CellOutcome& o = runner.results().cells[i];
    text += line("{\"cell\": " + key(runner, o.cell) + ", \"outcome\": " + encode_outcome(o) + "}");
  }
  fs::create_directories(file.parent_path().empty() ? fs::path(".") : file.parent_path());
  write_file_atomic(file, text);
  stop_syncer();
  if (fd_ >= 0) ::close(fd_);
  file_ = file;
  fd_ = ::open(file.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd_ < 0) throw std::runtime_error(file.string() + ": cannot open: " + std::strerror(errno));
  if (::fsync(fd_) != 0)
    throw std::runtime_error(file.string() + ": cannot sync: " + std::strerror(errno));
  // The rename itself is made durable by syncing the directory.
  const int dir = ::open(file.parent_path().empty() ? "." : file.parent_path().c_str(),
                         O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
  stop_ = false;
  written_ = synced_ = 0;
  syncer_ = std::thread([this] {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      cv_.wait(lock, [&] { return stop_ || synced_ < written_; });
      if (synced_ >= written_ && stop_) return;
      const uint64_t target = written_;
      lock.unlock();
      const bool ok = ::fsync(fd_) == 0;
      const int err = errno;
      lock.lock();
      synced_ = target;
      if (!ok && sync_error_.empty())
        sync_error_ = file_.string() + ": cannot sync: " + std::strerror(err);
      cv_.notify_all();
    }
  });
}

void Checkpoint::append(const GridRunner& runner, const CellOutcome& outcome) {
  if (fd_ < 0 || !outcome.ok) return;
  write_all(fd_,
            line("{\"cell\": " + key(runner, outcome.cell) +
                 ", \"outcome\": " + encode_outcome(outcome) + "}"),
            file_);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!sync_error_.empty()) throw std::runtime_error(sync_error_);
    ++written_;
  }
  cv_.notify_all();
}

}  // namespace keepwarm
