// run.cpp: `keepwarm run`: build an experiment from a TOML file and/or flags, run its grid,
// write results.csv/results.json/functions.csv, the plots and report.html, and print the
// ranking. With --events, the event log of a single cell.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <limits>
#include <memory>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "cli.hpp"
#include "keepwarm/bound/bound.hpp"
#include "keepwarm/distributed/session.hpp"
#include "keepwarm/experiment/checkpoint.hpp"
#include "keepwarm/experiment/event_log.hpp"
#include "keepwarm/experiment/experiment.hpp"
#include "keepwarm/experiment/output_dir.hpp"
#include "keepwarm/experiment/results.hpp"
#include "keepwarm/experiment/runner.hpp"
#include "keepwarm/loader/crash_report.hpp"
#include "keepwarm/report/report.hpp"
#include "keepwarm/util/io.hpp"
#include "keepwarm/util/sha256.hpp"

namespace keepwarm::cli {

namespace fs = std::filesystem;

namespace {

// The exact search's budget per memory size in `run --bound`, in arrivals replayed
// (docs/bounds.md): a budget of work rather than time, so that bound.csv is the same on every
// machine.
constexpr uint64_t kRunSearchWork = 300000000;  // about 1 s; 20-c at 1000 MB needs 200-300M

int g_exit_code = 0;

struct RunOptions {
  std::string experiment_file;
  std::vector<std::string> traces;
  std::vector<std::string> policies;
  std::string memory;
  std::string seeds;
  std::string compat;
  std::string baseline;
  int jobs = -1;
  std::string isolation;
  double cell_timeout = -1;
  double overhead_ms = -1;
  double overhead_pct = -1;
  std::vector<std::string> params;
  std::vector<std::string> plugin_paths;
  std::string out;
  bool reproducible = false;
  bool log_y = false;
  bool svg_only = false;
  bool quiet = false;
  bool force = false;
  bool resume = false;
  bool bound = false;
  std::string events;
};

// The progress line on a terminal: cells done, total, elapsed and an estimate of the time left.
// Nothing is shown for runs shorter than a second; a ticker thread refreshes the line so that
// long single cells still show the clock moving.
class ProgressLine {
 public:
  explicit ProgressLine(bool enabled) : enabled_(enabled) {
    if (enabled_) ticker_ = std::thread([this] { tick(); });
  }
  ~ProgressLine() { finish(); }
  ProgressLine(const ProgressLine&) = delete;
  ProgressLine& operator=(const ProgressLine&) = delete;

  ProgressFn callback() {
    if (!enabled_) return {};
    return [this](size_t done, size_t total) {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = done;
      total_ = total;
      if (elapsed() >= 1.0) draw();
    };
  }

  // Stops the ticker; ends the line if one was drawn.
  void finish() {
    if (!enabled_) return;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stop_) return;
      stop_ = true;
    }
    cv_.notify_all();
    ticker_.join();
    if (shown_) std::fprintf(stderr, "\n");
  }

 private:
  double elapsed() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  }
  void draw() {  // mutex_ held
    const double t = elapsed();
    if (total_ == 0) return;
    char eta[48] = "estimating";
    if (done_ > 0)
      std::snprintf(eta, sizeof eta, "~%.1f s left",
                    t * static_cast<double>(total_ - done_) / static_cast<double>(done_));
    std::fprintf(stderr, "\r  %zu/%zu cells, %.1f s elapsed, %s   ", done_, total_, t, eta);
    std::fflush(stderr);
    shown_ = true;
  }
  void tick() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stop_) {
      cv_.wait_for(lock, std::chrono::milliseconds(250));
      if (!stop_ && elapsed() >= 1.0) draw();
    }
  }

  bool enabled_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::mutex mutex_;
  std::condition_variable cv_;
  std::thread ticker_;
  size_t done_ = 0, total_ = 0;
  bool stop_ = false;
  bool shown_ = false;
};

// results.partial.csv: the rows of results.csv in the order cells finish, flushed as each is
// appended; removed when the run completes (and when nothing was appended). If a policy
// crashes the process, the crash report points at it.
class PartialResults {
 public:
  explicit PartialResults(fs::path file) : file_(std::move(file)) {
    out_ = std::fopen(file_.c_str(), "wb");
    if (out_ == nullptr) throw std::runtime_error(file_.string() + ": cannot create");
    std::fputs(results_csv_header().c_str(), out_);
    std::fflush(out_);
    set_crash_note("the cells finished before the crash are in " + file_.string() + " and " +
                   (file_.parent_path() / kCheckpointFile).string() +
                   " (rerun with --resume to compute only the rest)");
  }
  // Without discard() (an error before the run completed) the file stays if it holds any cell.
  ~PartialResults() {
    if (out_ == nullptr) return;
    set_crash_note("");
    std::fclose(out_);
    out_ = nullptr;
    std::error_code ec;
    if (rows_ == 0) fs::remove(file_, ec);
  }
  PartialResults(const PartialResults&) = delete;
  PartialResults& operator=(const PartialResults&) = delete;

  void append(const std::string& row) {
    if (out_ == nullptr) return;
    std::fputs(row.c_str(), out_);
    std::fflush(out_);
    ++rows_;
  }
  void discard() noexcept {
    if (out_ == nullptr) return;
    set_crash_note("");
    std::fclose(out_);
    out_ = nullptr;
    std::error_code ec;
    fs::remove(file_, ec);
  }

 private:
  fs::path file_;
  std::FILE* out_ = nullptr;
  size_t rows_ = 0;
};

std::vector<uint64_t> parse_seeds(const std::string& text) {
  std::vector<uint64_t> out;
  if (text.find(',') == std::string::npos) {
    char* end = nullptr;
    const unsigned long long n = std::strtoull(text.c_str(), &end, 10);
    if (text.empty() || *end != '\0' || n == 0 || text[0] == '-')
      throw ConfigError("--seeds takes a count > 0 (e.g. 3) or a list (e.g. 1,7,9), not '" + text +
                        "'");
    if (n > 100000)
      throw ConfigError("--seeds " + text +
                        ": more than 100000 seeds; give a list (e.g. 1,7,9) to pick seeds");
    for (uint64_t s = 1; s <= n; ++s) out.push_back(s);
    return out;
  }
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    char* end = nullptr;
    const unsigned long long v = std::strtoull(item.c_str(), &end, 10);
    if (item.empty() || *end != '\0' || item[0] == '-')
      throw ConfigError("bad seed '" + item + "' in --seeds");
    out.push_back(v);
  }
  return out;
}

// The output directory of a run given by flags alone: results/ and a name made of its settings
// (traces, policies, memory sizes; seeds, compat and a hash of everything else when set), so that
// runs with different settings never overwrite each other.
fs::path settings_directory(const Experiment& ex, const RunOptions& o) {
  auto stem = [](const std::string& ref) {
    std::string s = fs::path(ref).filename().string();
    for (const char* ext : {".kwt", ".pckl", ".so", ".dylib", ".dll"})
      if (s.size() > std::strlen(ext) && s.ends_with(ext)) s.resize(s.size() - std::strlen(ext));
    return s.empty() ? std::string("trace") : s;
  };
  std::string name;
  for (size_t i = 0; i < ex.traces.size(); ++i)
    name += (i ? "+" : "") + stem(ex.traces[i].string());
  name += "_";
  for (size_t i = 0; i < ex.policies.size(); ++i)
    name += (i ? "+" : "") + stem(ex.policies[i].policy);
  name += "_" + (o.memory.empty() ? std::string("memory") : o.memory);
  if (!o.memory.empty() && o.memory.back() != '%' && o.memory.back() != 'g' &&
      o.memory.back() != 'G')
    name += "MB";
  if (!o.seeds.empty()) name += "_seeds" + o.seeds;
  if (ex.compat != Compat::none) name += std::string("_") + compat_name(ex.compat);
  // Everything else that changes results goes into a short hash.
  std::string rest;
  for (const std::string& p : o.params) rest += "param " + p + "\n";
  if (o.overhead_ms >= 0) rest += "overhead_ms " + format_number(o.overhead_ms) + "\n";
  if (o.overhead_pct >= 0) rest += "overhead_pct " + format_number(o.overhead_pct) + "\n";
  for (const std::string& d : o.plugin_paths) rest += "plugin_path " + d + "\n";
  for (char& c : name)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_' ||
          c == '+'))
      c = c == '%' ? 'p' : (c == ',' ? '+' : '_');
  if (name.size() > 96) {
    rest += name;
    name.resize(80);
  }
  if (!rest.empty()) name += "_" + sha256_hex(rest).substr(0, 8);
  return fs::path("results") / name;
}

Experiment build_experiment(const RunOptions& o) {
  Experiment ex;
  if (!o.experiment_file.empty()) {
    ex = load_experiment(o.experiment_file);
  } else {
    ex.name = "run";
  }
  // Flags override the file.
  if (!o.traces.empty()) {
    ex.traces.clear();
    for (const std::string& t : o.traces) ex.traces.push_back(find_trace(t));
  }
  // A value from a flag has no place in the file: its origin (experiment.hpp) goes, so that
  // errors about it do not point at a file line.
  if (!o.policies.empty()) {
    ex.policies.clear();
    std::erase_if(ex.origin, [](const auto& kv) { return kv.first.rfind("policy:", 0) == 0; });
    for (const std::string& p : o.policies) {
      // --policy a,b is the same as --policy a --policy b.
      std::stringstream ss(p);
      std::string item;
      while (std::getline(ss, item, ','))
        if (!item.empty()) ex.policies.push_back(PolicyEntry{item, "", {}});
    }
  }
  if (!o.memory.empty()) parse_memory_sizes(o.memory, &ex.memory_mb, &ex.memory_pct);
  if (!o.seeds.empty()) ex.seeds = parse_seeds(o.seeds);
  if (!o.compat.empty())
    ex.compat = o.compat == "faascache"          ? Compat::faascache
                : o.compat == "faascache-course" ? Compat::faascache_course
                                                 : Compat::none;
  if (!o.baseline.empty()) {
    ex.baseline = o.baseline;
    ex.origin.erase("baseline");
  }
  if (o.jobs >= 0) ex.jobs = static_cast<unsigned>(o.jobs);
  if (!o.isolation.empty())
    ex.isolation = o.isolation == "none" ? Isolation::none : Isolation::process;
  if (o.cell_timeout >= 0) ex.cell_timeout_s = o.cell_timeout;
  if (o.overhead_ms >= 0) {
    ex.overhead_ms = o.overhead_ms;
    ex.overhead_ms_given = true;
  }
  if (o.overhead_pct >= 0) {
    ex.overhead_frac = o.overhead_pct;
    ex.overhead_frac_given = true;
  }
  for (const std::string& p : o.params) {
    const size_t dot = p.find('.');
    const size_t eq = p.find('=');
    if (dot == std::string::npos || eq == std::string::npos || dot > eq || dot == 0 ||
        eq == dot + 1)
      throw ConfigError("--param takes POLICY.NAME=VALUE (e.g. ttl.keepalive_min=20), not '" + p +
                        "'");
    const std::string policy = p.substr(0, dot), name = p.substr(dot + 1, eq - dot - 1);
    // Several comma-separated values sweep: one variant per value.
    std::vector<std::string> values;
    std::stringstream ss(p.substr(eq + 1));
    for (std::string v; std::getline(ss, v, ',');) values.push_back(v);
    if (values.empty() || p.back() == ',')
      throw ConfigError("--param " + p + ": empty value (a sweep is VALUE,VALUE,...)");
    ex.params[policy][name] = values;
    ex.origin.erase("param:" + policy + "." + name);
  }
  for (const std::string& d : o.plugin_paths) ex.plugin_paths.emplace_back(d);
  if (!o.out.empty()) ex.out_dir = o.out;
  if (o.bound) ex.bound = true;
  if (ex.out_dir.empty() && o.experiment_file.empty()) {
    // Flags only: a directory named after the settings, never silently reused.
    ex.out_dir = settings_directory(ex, o);
    if (fs::exists(ex.out_dir / "results.json") && !o.force && !o.resume)
      throw ConfigError(ex.out_dir.string() +
                        " already holds the results of an earlier run with these settings; pass "
                        "--force to replace them, or --out DIR to write elsewhere");
  }
  if (ex.out_dir.empty()) ex.out_dir = fs::path("results") / ex.name;
  apply_mode_defaults(ex);

  if (ex.traces.empty())
    throw ConfigError("no traces given: pass an experiment file or --trace PATH");
  if (ex.memory_mb.empty() && ex.memory_pct.empty())
    throw ConfigError(
        "no memory sizes given: use --memory 500,1000,2000 (MB) or --memory 10%,50% (of the "
        "trace's peak), or memory_mb = [...] / memory_pct = [...] in the file");
  return ex;
}

// Everything every rank prepares alike: the experiment, its plugins and traces, the grid.
struct Prepared {
  Experiment ex;
  std::unique_ptr<GridRunner> runner;
  std::vector<std::string> trace_hash;
  std::unique_ptr<AtomicFile> events_file;
  std::unique_ptr<EventLog> event_log;
};

// default_jobs: what --jobs 0 means here (0: usable_cores(), the runner's own default).
// speak: print warnings (rank 0 alone under MPI, so that they appear once).
void prepare(const RunOptions& o, Prepared& p, unsigned default_jobs, bool speak) {
  p.ex = build_experiment(o);
  if (p.ex.jobs == 0) p.ex.jobs = default_jobs;
  const Experiment& ex = p.ex;
  PluginRegistry registry(PluginRegistry::default_search_path(ex.plugin_paths));
  registry.set_probe(ex.isolation == Isolation::process);
  std::vector<PolicyVariant> variants = resolve_policies(ex, registry);
  if (speak)
    for (const std::string& w : registry.warnings())
      std::cerr << "keepwarm run: warning: " << w << "\n";
  if (!ex.baseline.empty() &&
      std::none_of(variants.begin(), variants.end(),
                   [&](const PolicyVariant& v) { return v.name == ex.baseline; })) {
    std::string names;
    for (const PolicyVariant& v : variants) names += (names.empty() ? "" : ", ") + v.name;
    const auto at = ex.origin.find("baseline");
    throw ConfigError(
        (at != ex.origin.end() ? at->second + ": baseline" : std::string("--baseline")) + " '" +
        ex.baseline + "' is not one of the policies run (" + names + ")");
  }

  // --bound: the bound is for the default model and needs the solver; refused before running.
  if (ex.bound && ex.compat != Compat::none)
    throw ConfigError("--bound (bound = true) is for the default model, not compat " +
                      std::string(compat_name(ex.compat)) + " (docs/bounds.md)");
  if (ex.bound && !bound::solver_available())
    throw ConfigError(
        "--bound (bound = true): this keepwarm was built without the min-cost flow solver "
        "(LEMON, Debian package liblemon-dev)");

  // --events: one cell only, refused before any trace is loaded.
  if (!o.events.empty()) {
    const size_t cells = make_grid(ex, variants, ex.traces.size()).size();
    if (cells != 1)
      throw ConfigError("--events logs a single cell, but this grid has " + std::to_string(cells) +
                        " cells: give one --trace, one --policy, one --memory and (for a "
                        "randomised policy) one seed, e.g. --seeds 1");
    if (o.resume)
      throw ConfigError("--events and --resume do not go together: --events runs its cell");
  }

  std::vector<std::shared_ptr<const Trace>> traces;
  std::set<std::string> trace_names;
  for (const fs::path& path : ex.traces) {
    auto trace = std::make_shared<Trace>(load_trace(path));
    // Results name traces by their name: two traces that share one (a/sample, b/sample) become
    // sample and sample-2.
    const std::string base = trace->name;
    for (int n = 2; !trace_names.insert(trace->name).second; ++n)
      trace->name = base + "-" + std::to_string(n);
    p.trace_hash.push_back(trace_content_hash(*trace));
    traces.push_back(std::move(trace));
  }

  // The event log goes to a temporary file, renamed into place once the cell has run (and
  // removed if it fails).
  if (!o.events.empty()) {
    p.events_file = std::make_unique<AtomicFile>(o.events);
    p.events_file->stream() << EventLog::header();
    p.event_log = std::make_unique<EventLog>(*traces.front(), p.events_file->stream());
  }
  p.runner =
      std::make_unique<GridRunner>(ex, std::move(traces), std::move(variants), p.event_log.get());
}

// Under MPI every rank must have read the same traces and plugins: rank 0's fingerprints are
// compared with each rank's own. Returns "" or what differs here.
std::string compare_with_rank0(Session& session, const Prepared& p) {
  std::string mine;
  for (size_t t = 0; t < p.trace_hash.size(); ++t)
    mine += "trace " + p.runner->results().traces[t]->name + " " + p.trace_hash[t] + "\n";
  for (const PluginPtr& plugin : p.runner->results().plugins)
    mine += "plugin " + plugin->name() + " " + plugin->sha256() + "\n";
  mine += "cells " + std::to_string(p.runner->size()) + "\n";
  const std::string theirs = session.broadcast(mine);
  if (theirs == mine) return "";
  std::istringstream a(mine), b(theirs);
  std::string la, lb;
  while (std::getline(a, la) && std::getline(b, lb))
    if (la != lb) {
      const std::string what = la.substr(0, la.rfind(' '));
      return what + " differs from rank 0's (" + lb.substr(lb.rfind(' ') + 1, 12) + "... there, " +
             la.substr(la.rfind(' ') + 1, 12) +
             "... here): every rank must read the same traces and plugins "
             "(docs/distributed.md)";
    }
  return "the grid differs from rank 0's";
}

int run(const RunOptions& o) {
  const std::unique_ptr<Session> session = Session::start();
  const bool mpi = session->size() > 1;
  // Before any cell runs, every rank must have its grid: an error on any rank stops them all,
  // each saying what went wrong on it (rank 0 alone when all ranks fail alike).
  Prepared p;
  std::string error;
  try {
    if (mpi && !o.events.empty())
      throw ConfigError("--events logs one cell in one process: run it without mpirun/srun");
    prepare(o, p, session->default_jobs(), session->coordinator());
  } catch (const std::exception& e) {
    error = e.what();
  }
  const bool prepared = session->all_ok(error.empty());
  if (!prepared) {
    // The same error on every rank is printed once, by rank 0; another rank prints its own.
    const std::string rank0_error = session->broadcast(error);
    if (session->coordinator()) {
      if (!error.empty()) std::cerr << "keepwarm run: " << error << "\n";
    } else if (!error.empty() && error != rank0_error)
      std::cerr << "keepwarm run: " << session->where() << ": " << error << "\n";
    return 1;
  }
  if (mpi) {
    const std::string differs = compare_with_rank0(*session, p);
    if (!session->all_ok(differs.empty())) {
      if (!differs.empty())
        std::cerr << "keepwarm run: " << session->where() << ": " << differs << "\n";
      return 1;
    }
  }
  const Experiment& ex = p.ex;
  GridRunner& runner = *p.runner;

  WriteOptions wo;
  wo.reproducible = o.reproducible;
  // Rank 0 (or the single process) keeps the checkpoint and results.partial.csv; with --resume
  // it first takes every matching finished cell from the checkpoint.
  std::unique_ptr<OutputLock> lock;  // one run at a time writes into an output directory
  std::unique_ptr<Checkpoint> checkpoint;
  std::unique_ptr<PartialResults> partial;
  std::vector<size_t> todo;
  size_t reused = 0;
  if (session->coordinator()) {
    try {
      lock = std::make_unique<OutputLock>(ex.out_dir);
      const fs::path file = ex.out_dir / kCheckpointFile;
      checkpoint = std::make_unique<Checkpoint>(runner, p.trace_hash);
      std::vector<bool> done(runner.size(), false);
      Checkpoint::Resumed resumed;
      if (o.resume) {
        resumed = checkpoint->resume(file, runner);
        for (const size_t i : resumed.reused) done[i] = true;
        reused = resumed.reused.size();
      }
      // Finished cells are also appended, as they finish, to results.partial.csv and to the
      // checkpoint, so that a crash in a policy (which takes the whole process down) loses none
      // of them.
      fs::create_directories(ex.out_dir);
      std::error_code ec;
      if (!o.resume && !o.quiet && fs::exists(file, ec)) {
        const std::string old = read_file(file);
        const auto cells = std::count(old.begin(), old.end(), '\n') - 1;
        if (cells > 0)
          std::cout << "starting a new checkpoint in " << file.string() << " (the old one held "
                    << cells << " cells; --resume reuses a checkpoint's cells)\n";
      }
      checkpoint->start(file, runner, resumed.reused);
      partial = std::make_unique<PartialResults>(ex.out_dir / "results.partial.csv");
      for (size_t i = 0; i < runner.size(); ++i)
        if (!done[i]) todo.push_back(i);
      if (o.resume && !o.quiet) {
        if (!resumed.found)
          std::cout << "no checkpoint in " << ex.out_dir.string() << ": computing all "
                    << runner.size() << " cells\n";
        else
          std::cout << "resumed " << reused << " of " << runner.size() << " cells from "
                    << file.string() << "; computing " << todo.size() << "\n";
        if (resumed.mismatched > 0)
          std::cout << "  " << resumed.mismatched
                    << " checkpointed cells were made with other settings and are computed "
                       "again (first: "
                    << resumed.first_mismatch << ")\n";
        if (resumed.outside > 0)
          std::cout << "  " << resumed.outside
                    << " checkpointed cells are not in this experiment's grid and are left out "
                       "(first: "
                    << resumed.first_outside << ")\n";
        if (resumed.torn > 0)
          std::cout << "  " << resumed.torn << " torn checkpoint lines ignored\n";
      }
    } catch (const std::exception& e) {
      error = e.what();
    }
  } else {
    set_crash_note("the cells finished before the crash are in " +
                   (ex.out_dir / kCheckpointFile).string() + " on " +
                   (session->hosts().empty() ? std::string("rank 0") : session->hosts()[0]) +
                   " (rank 0): rerun with --resume to compute only the rest");
  }
  if (!session->all_ok(error.empty())) {
    if (!error.empty()) std::cerr << "keepwarm run: " << error << "\n";
    return 1;
  }

  ProgressLine progress(session->coordinator() && ::isatty(STDERR_FILENO) != 0 && !o.quiet);
  int ranks_used = 0;
  bool checkpoint_failed = false;
  try {
    ranks_used = session->run(
        runner, todo, progress.callback(),
        [&](const RunResults& r, size_t i) {
          if (!r.cells[i].ok) return;
          partial->append(results_csv_row(r, r.cells[i], wo));
          if (checkpoint_failed) return;
          try {
            checkpoint->append(runner, r.cells[i]);
          } catch (const std::exception& e) {
            // A full disk ends the checkpoint, not the run.
            checkpoint_failed = true;
            std::cerr << "keepwarm run: " << e.what() << ": the run goes on without a checkpoint\n";
          }
        },
        reused);
  } catch (const std::exception& e) {
    std::cerr << "keepwarm run: " << (mpi ? session->where() + ": " : "") << e.what() << "\n";
    if (mpi) session->abort(1);
    throw;
  }
  progress.finish();
  if (!session->coordinator()) return 0;

  if (!checkpoint_failed) {
    try {
      checkpoint->sync();
    } catch (const std::exception& e) {
      std::cerr << "keepwarm run: " << e.what() << ": the checkpoint may be incomplete\n";
    }
  }
  RunResults& results = runner.results();
  results.run.ranks = session->size();
  results.run.hosts.clear();
  for (const std::string& h : session->hosts())
    if (std::find(results.run.hosts.begin(), results.run.hosts.end(), h) == results.run.hosts.end())
      results.run.hosts.push_back(h);
  results.run.resumed_cells = reused;
  results.run.isolation = runner.isolated() ? "process" : "none";
  results.run.worker_processes = runner.workers_started();
  if (p.events_file) p.events_file->commit();
  // The new result set goes into a staging directory beside the output directory and replaces
  // the old set in one step at the end (output_dir.hpp): a reader never sees a mix, and a
  // failed write (a full disk) leaves the old set, the checkpoint and results.partial.csv.
  const fs::path stage = make_staging_dir(ex.out_dir);
  struct StageCleanup {
    const fs::path& dir;
    bool published = false;
    ~StageCleanup() {
      std::error_code ec;
      if (!published) fs::remove_all(dir, ec);
    }
  } stage_cleanup{stage};
  write_results(results, stage, wo);
  write_functions_csv(results, stage);
  // The lower bound (a reference line in the ranking and the report, never a cell).
  std::vector<ReportBound> bounds;
  if (ex.bound) {
    std::string csv = bound::csv_header();
    for (size_t t = 0; t < results.traces.size(); ++t) {
      const auto& trace = results.traces[t];
      // The memory sizes of this trace's cells (memory_pct resolves per trace).
      std::set<uint64_t> sizes;
      for (const CellOutcome& c : results.cells)
        if (c.cell.trace == t) sizes.insert(c.cell.memory_mb);
      const bound::Relaxation relax =
          bound::build_relaxation(*trace, ex.overhead_ms, ex.overhead_frac);
      for (const uint64_t m : sizes) {
        bound::BoundResult b = bound::solve(relax, m);
        // The exact search, briefly: it proves the optimum on small or rarely binding cells.
        bound::SearchOptions so;
        so.max_work = kRunSearchWork;
        so.time_limit_s = std::numeric_limits<double>::infinity();
        so.overhead_ms = ex.overhead_ms;
        so.overhead_frac = ex.overhead_frac;
        bound::add_search(b, *trace, so);
        csv += bound::csv_row(trace->name, b, o.reproducible);
        bounds.push_back({trace->name, m, b.lower_bound, b.compulsory, b.search.optimal(),
                          b.search.optimal() ? b.search.best : 0});
      }
    }
    write_file_atomic(stage / "bound.csv", csv);
  }
  // Plots and report.html are rendered from the files just written, exactly as `keepwarm report`
  // does, so both give the same bytes.
  ReportOptions report_options;
  report_options.log_y = o.log_y;
  report_options.raster = !o.svg_only;
  std::vector<std::string> notes;
  const std::vector<std::string> rendered =
      write_report(read_report_data(stage), stage, report_options, &notes);
  partial->discard();  // everything it held is in results.csv now
  publish_staging(stage, ex.out_dir);
  stage_cleanup.published = true;
  if (!o.quiet) {
    std::cout << format_ranking(results, bounds);
    std::cout << "\nwrote results.csv, results.json, functions.csv, summary.csv, "
              << (ex.bound ? "bound.csv, " : "") << "report.html and " << rendered.size() - 1
              << " plots to " << ex.out_dir.string() << " ("
              << results.cells.size() - results.failed() << " cells";
    if (reused > 0) std::cout << ", " << reused << " of them resumed from the checkpoint";
    std::cout << ")\n";
    if (mpi)
      std::cout << session->size() << " MPI ranks on " << results.run.hosts.size()
                << (results.run.hosts.size() == 1 ? " host" : " hosts") << " took part; "
                << ranks_used << " of them ran cells\n";
    for (const std::string& n : notes) std::cout << "  " << n << "\n";
    if (!o.events.empty()) std::cout << "wrote event log " << o.events << "\n";
  }
  if (results.failed() > 0) {
    for (const CellOutcome& c : results.cells)
      if (!c.ok)
        std::cerr << "keepwarm run: cell " << results.traces[c.cell.trace]->name << " / "
                  << results.policy_name(c.cell.policy) << " / " << c.cell.memory_mb
                  << " MB / seed " << c.cell.seed << " failed: " << c.error << "\n";
    std::cerr << "keepwarm run: " << results.failed() << " of " << results.cells.size()
              << " cells failed (failed_cells in results.json lists them)\n";
    return 2;
  }
  return 0;
}

}  // namespace

void set_exit_code(int code) { g_exit_code = code; }
int exit_code() { return g_exit_code; }

void add_run_command(CLI::App& app) {
  auto opts = std::make_shared<RunOptions>();
  CLI::App* run_cmd = app.add_subcommand(
      "run",
      "Run an experiment: every trace x policy x memory size (x seed, for randomised policies).\n"
      "Writes results.csv, results.json, functions.csv, plots/*.svg and report.html to the\n"
      "output directory and prints a ranking.\n"
      "Flags override the experiment file.");
  run_cmd
      ->add_option("EXPERIMENT", opts->experiment_file,
                   "experiment TOML file (docs/experiments.md)")
      ->check(CLI::Validator(CLI::ExistingFile).description(""));
  run_cmd
      ->add_option("-t,--trace", opts->traces,
                   "trace to replay, a path or the name of a trace on the trace search path "
                   "(KEEPWARM_TRACE_PATH, then the shipped traces: sample, azure-small); "
                   "repeatable")
      ->type_name("TRACE");
  run_cmd->add_option("-p,--policy", opts->policies,
                      "policy name or plugin file (repeatable, or comma-separated)");
  run_cmd->add_option("-m,--memory", opts->memory,
                      "server memory sizes, comma-separated: MB (500,1000; 4g = 4096 MB) or a "
                      "percentage of each trace's unlimited-memory peak (10%,50%)");
  run_cmd->add_option(
      "--seeds", opts->seeds,
      "seeds for randomised policies: a count N (seeds 1..N) or a list (default 1)");
  run_cmd
      ->add_option("--compat", opts->compat,
                   "simulation mode: none (exact model), faascache (reproduce the FaasCache "
                   "simulator) or faascache-course (its course skeleton)")
      ->check(
          CLI::Validator(CLI::IsMember({"none", "faascache", "faascache-course"})).description(""));
  run_cmd->add_option("--baseline", opts->baseline,
                      "policy the rankings compare with (default rand when it runs, else the "
                      "first policy)");
  run_cmd
      ->add_option("-j,--jobs", opts->jobs,
                   "cells run in parallel (0 = every core this process may use; under MPI, "
                   "per rank)")
      ->check(whole_number(0, 65536));
  run_cmd
      ->add_option("--isolation", opts->isolation,
                   "where cells run: process (default: in worker processes, so that a policy that "
                   "crashes, exits or hangs fails only its cell) or none (in keepwarm's own "
                   "process)")
      ->check(CLI::Validator(CLI::IsMember({"process", "none"})).description(""));
  run_cmd
      ->add_option("--cell-timeout", opts->cell_timeout,
                   "seconds one cell may run before its worker is killed and the cell marked "
                   "failed (default 600; 0 = no limit)")
      ->check(real_number(0));
  run_cmd
      ->add_option("--overhead-ms", opts->overhead_ms,
                   "fixed time added to every cold start, ms (default 0; 3000 in faascache-course)")
      ->check(real_number(0));
  run_cmd
      ->add_option("--overhead-pct", opts->overhead_pct,
                   "cold start overhead as a fraction of the cold time (0.2 = +20%; default 0; 0.2 "
                   "in faascache-course)")
      ->check(real_number(0));
  run_cmd->add_option(
      "--param", opts->params,
      "policy parameter POLICY.NAME=VALUE (repeatable), e.g. ttl.keepalive_min=20;\n"
      "several values sweep: ttl.keepalive_min=5,10,20 runs ttl[keepalive_min=5], "
      "...");
  run_cmd->add_option("--plugin-path", opts->plugin_paths,
                      "extra directory to search for policy plugins (repeatable; also "
                      "KEEPWARM_PLUGIN_PATH)");
  run_cmd->add_option("-o,--out", opts->out,
                      "output directory (default: results/<experiment name>; for a run given by "
                      "flags alone, results/<its settings>)");
  run_cmd->add_flag("--force", opts->force,
                    "a run given by flags alone may replace the results of an earlier one with "
                    "the same settings");
  run_cmd->add_flag("--log-y", opts->log_y,
                    "plot cold starts, drops and added latency on a log y axis");
  run_cmd->add_flag("--svg-only", opts->svg_only,
                    "write the plots as SVG only (no PNG/PDF copies through rsvg-convert)");
  run_cmd->add_flag("--bound", opts->bound,
                    "also compute the lower bound on misses no policy can beat (bound.csv; "
                    "shown in the ranking and report as a reference line, docs/bounds.md)");
  run_cmd->add_flag("--reproducible", opts->reproducible,
                    "write wall_s as 0 and leave out hosts and ranks, so that result files "
                    "compare byte for byte");
  run_cmd->add_flag("--resume", opts->resume,
                    "reuse the finished cells of the output directory's checkpoint.jsonl whose "
                    "settings match, and compute only the rest");
  run_cmd->add_flag("-q,--quiet", opts->quiet,
                    "print nothing but errors (no ranking, progress or summary)");
  run_cmd->add_option("--events", opts->events,
                      "write the event log of a single-cell run to this CSV file (arrivals with "
                      "their outcome, evictions, expiries, prewarms)");
  // What each option takes, as --help shows it (not CLI11's internal type names).
  for (const auto& [option, type] :
       std::initializer_list<std::pair<const char*, const char*>>{{"EXPERIMENT", "FILE"},
                                                                  {"--trace", "TRACE"},
                                                                  {"--policy", "POLICY"},
                                                                  {"--memory", "LIST"},
                                                                  {"--seeds", "N|LIST"},
                                                                  {"--compat", "MODE"},
                                                                  {"--jobs", "N"},
                                                                  {"--isolation", "MODE"},
                                                                  {"--cell-timeout", "SECONDS"},
                                                                  {"--overhead-ms", "MS"},
                                                                  {"--overhead-pct", "FRACTION"},
                                                                  {"--param", "POLICY.NAME=VALUE"},
                                                                  {"--plugin-path", "DIR"},
                                                                  {"--out", "DIR"},
                                                                  {"--events", "FILE"}})
    run_cmd->get_option(option)->type_name(type);
  run_cmd->callback([opts] {
    try {
      set_exit_code(run(*opts));
    } catch (const std::exception& e) {
      std::cerr << "keepwarm run: " << e.what() << "\n";
      set_exit_code(1);
    }
  });
}

}  // namespace keepwarm::cli
