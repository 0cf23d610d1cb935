// test_distributed.cpp: `keepwarm run` under mpirun (results equal a one-process run byte for
// byte, several ranks ran cells, misbehaving plugins), and the checkpoint: a run killed with
// SIGKILL and resumed equals an uninterrupted one, torn lines are ignored, and a foreign or
// stale checkpoint is refused. The MPI tests skip when MPI was not found at configure time.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "keepwarm/experiment/checkpoint.hpp"
#include "keepwarm/traces/formats.hpp"
#include "keepwarm/util/json_read.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

const std::string kExe = KEEPWARM_EXE;
const std::string kMpiexec = KEEPWARM_MPIEXEC;  // "" when MPI was not found

#define SKIP_WITHOUT_MPI()                                                                      \
  if (kMpiexec.empty())                                                                         \
  GTEST_SKIP() << "MPI was not found when keepwarm was configured (install libopenmpi-dev and " \
                  "openmpi-bin): the MPI tests do not run"

test::CommandResult shell(const std::string& cmd) { return test::run_command(cmd); }

// OpenMPI allowed to run as root (CI), and without the single-copy shared-memory transport,
// which containers often forbid (it needs ptrace rights); messages here are small anyway.
const std::string kMpiEnv =
    "OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 "
    "OMPI_MCA_btl_vader_single_copy_mechanism=none ";

// keepwarm under mpirun with n ranks, oversubscribed (more ranks than cores).
test::CommandResult mpirun(int n, const std::string& args) {
  return shell(kMpiEnv + "'" + kMpiexec + "' --oversubscribe -n " + std::to_string(n) + " '" +
               kExe + "' " + args);
}

std::string shipped(const std::string& trace) {
  return (fs::path(KEEPWARM_SOURCE_DIR) / "traces" / trace).string();
}

// 36 cells over the shipped traces: 4 deterministic policies x 3 sizes + rand x 3 sizes x 2
// seeds, per trace.
std::string shipped_grid() {
  return "run --trace " + shipped("sample") + " --trace " + shipped("azure-small") +
         " --policy rand,lru,gd,size,landlord --memory 1000,2000,4000 --seeds 2";
}

const std::vector<std::string> kResultFiles = {"results.csv", "results.json", "functions.csv",
                                               "summary.csv", "report.html"};

void expect_same_files(const fs::path& a, const fs::path& b) {
  for (const std::string& f : kResultFiles) {
    ASSERT_TRUE(fs::exists(a / f)) << a / f;
    ASSERT_TRUE(fs::exists(b / f)) << b / f;
    EXPECT_TRUE(test::read_text(a / f) == test::read_text(b / f)) << f << " differs";
  }
  for (const auto& e : fs::directory_iterator(a / "plots"))
    EXPECT_TRUE(test::read_text(e.path()) == test::read_text(b / "plots" / e.path().filename()))
        << e.path().filename() << " differs";
}

size_t line_count(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return 0;
  const std::string text = test::read_text(file);
  return static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
}

std::string without_line(const std::string& text, const std::string& needle) {
  std::istringstream in(text);
  std::string line, out;
  while (std::getline(in, line))
    if (line.find(needle) == std::string::npos) out += line + "\n";
  return out;
}

// Starts keepwarm with args, waits until its checkpoint holds at least `cells` cells, and kills
// it with SIGKILL. Returns the number of cells checkpointed when it was killed, or 0 if it
// finished first.
size_t run_and_kill(const std::vector<std::string>& args, const fs::path& checkpoint,
                    size_t cells) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const int null = ::open("/dev/null", O_WRONLY);
    ::dup2(null, 1);
    ::dup2(null, 2);
    std::vector<char*> argv;
    argv.push_back(const_cast<char*>(kExe.c_str()));
    for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    ::execv(kExe.c_str(), argv.data());
    ::_exit(127);
  }
  int status = 0;
  for (;;) {
    if (::waitpid(pid, &status, WNOHANG) == pid) return 0;  // finished before the kill
    if (line_count(checkpoint) >= cells + 1) break;         // the header and `cells` cells
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  ::kill(pid, SIGKILL);
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
  return line_count(checkpoint) - 1;
}

}  // namespace

TEST(Mpi, ThreeRanksWriteWhatOneProcessWrites) {
  SKIP_WITHOUT_MPI();
  test::TempDir dir;
  const auto one = test::run_keepwarm(shipped_grid() + " --reproducible --jobs 1 --out " +
                                      (dir / "one").string());
  ASSERT_EQ(one.exit_code, 0) << one.output;
  ASSERT_NE(one.output.find("(36 cells)"), std::string::npos) << one.output;
  const auto three =
      mpirun(3, shipped_grid() + " --reproducible --jobs 1 --out " + (dir / "three").string());
  ASSERT_EQ(three.exit_code, 0) << three.output;
  EXPECT_NE(three.output.find("3 MPI ranks on 1 host took part"), std::string::npos)
      << three.output;
  expect_same_files(dir / "one", dir / "three");

  // Without --reproducible, results.json says which rank ran each cell: more than one did.
  const auto timed = mpirun(3, shipped_grid() + " --jobs 1 --out " + (dir / "timed").string());
  ASSERT_EQ(timed.exit_code, 0) << timed.output;
  const json::Value doc = json::parse(test::read_text(dir / "timed/results.json"));
  EXPECT_EQ(doc.at("run").at("ranks").u64(), 3u);
  EXPECT_EQ(doc.at("run").at("resumed_cells").u64(), 0u);
  std::set<uint64_t> ranks;
  ASSERT_EQ(doc.at("cells").items.size(), 36u);
  for (const json::Value& c : doc.at("cells").items) {
    ranks.insert(c.at("rank").u64());
    EXPECT_FALSE(c.at("host").str().empty());
    EXPECT_GT(c.at("wall_s").num(), 0.0);
  }
  EXPECT_GE(ranks.size(), 2u) << "only one rank ran cells";
  for (const uint64_t r : ranks) EXPECT_LT(r, 3u);
  // The numbers are the one-process run's (results.csv but for wall_s, the last column).
  auto strip_wall = [](const std::string& csv) {
    std::istringstream in(csv);
    std::string line, out;
    while (std::getline(in, line)) out += line.substr(0, line.rfind(',')) + "\n";
    return out;
  };
  EXPECT_EQ(strip_wall(test::read_text(dir / "timed/results.csv")),
            strip_wall(test::read_text(dir / "one/results.csv")));
}

TEST(Mpi, VariantsAndRelativeSizesOverRanksAndResume) {
  SKIP_WITHOUT_MPI();
  test::TempDir dir;
  const std::string grid = "run --reproducible --jobs 1 --trace " + shipped("azure-small") +
                           " --policy lru,ttl --param ttl.keepalive_min=2,10,30 --memory "
                           "10%,25%,1000 --out ";
  const auto one = test::run_keepwarm(grid + (dir / "one").string());
  ASSERT_EQ(one.exit_code, 0) << one.output;
  const auto three = mpirun(3, grid + (dir / "three").string());
  ASSERT_EQ(three.exit_code, 0) << three.output;
  expect_same_files(dir / "one", dir / "three");
  // Resumed under MPI from a checkpoint cut to its first 5 cells: the same files again.
  fs::copy(dir / "one", dir / "cut", fs::copy_options::recursive);
  const std::string text = test::read_text(dir / "cut/checkpoint.jsonl");
  size_t cut = 0;
  for (int i = 0; i < 6; ++i) cut = text.find('\n', cut) + 1;
  test::write_text(dir / "cut/checkpoint.jsonl", text.substr(0, cut));
  const auto resumed = mpirun(2, grid + (dir / "cut").string() + " --resume");
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed 5 of 12 cells"), std::string::npos) << resumed.output;
  for (const std::string f : {"results.csv", "functions.csv", "report.html"})
    EXPECT_TRUE(test::read_text(dir / "cut" / f) == test::read_text(dir / "one" / f))
        << f << " differs";
}

TEST(Mpi, AnErrorEveryRankMeetsIsPrintedOnce) {
  SKIP_WITHOUT_MPI();
  test::TempDir dir;
  const auto r = mpirun(3, "run --trace " + shipped("sample") +
                               " --policy nosuch --memory 1000 --out " + (dir / "o").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  const std::string message = "unknown policy 'nosuch'";
  const size_t first = r.output.find(message);
  ASSERT_NE(first, std::string::npos) << r.output;
  EXPECT_EQ(r.output.find(message, first + 1), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir / "o/results.csv"));
}

TEST(Mpi, RanksThatReadOtherTracesAreRefused) {
  SKIP_WITHOUT_MPI();
  test::TempDir dir;
  // Two traces named t with other content; rank 0 reads one, ranks 1 and 2 the other.
  test::write_pressure_trace(dir / "a/t", 30, 3000);
  test::write_pressure_trace(dir / "b/t", 30, 4000);
  const std::string args = " run --policy lru --memory 300,600 --out " + (dir / "o").string();
  const auto r = shell(kMpiEnv + "'" + kMpiexec + "' --oversubscribe -n 1 '" + kExe + "'" + args +
                       " --trace " + (dir / "a/t").string() + " : -n 2 '" + kExe + "'" + args +
                       " --trace " + (dir / "b/t").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("trace t differs from rank 0's"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("every rank must read the same traces and plugins"), std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "o/results.csv"));
}

TEST(Mpi, AThrowingPolicyFailsItsCellsAndTheRestIsWritten) {
  SKIP_WITHOUT_MPI();
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const auto r =
      mpirun(3, "run --jobs 1 --trace " + (dir / "t").string() + " --policy lru --policy " +
                    test::test_plugin_file("test-faulty.so").string() +
                    " --memory 200,100000 --out " + (dir / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("faulty policy cannot choose"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("1 of 4 cells failed"), std::string::npos) << r.output;
  const std::string csv = test::read_text(dir / "out/results.csv");
  EXPECT_EQ(std::count(csv.begin(), csv.end(), '\n'), 4);  // header + 3 cells
  const std::string json = test::read_text(dir / "out/results.json");
  EXPECT_NE(json.find("\"failed_cells\": [\n    {\"trace\": \"t\", \"policy\": \"faulty\", "
                      "\"memory_mb\": 200"),
            std::string::npos)
      << json;
}

TEST(Mpi, ACrashingPolicyIsNamed) {
  SKIP_WITHOUT_MPI();
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const auto r = mpirun(3, "run --isolation none --jobs 1 --trace " + (dir / "t").string() +
                               " --policy lru --policy " +
                               test::test_plugin_file("test-crashing.so").string() +
                               " --memory 200,400 --out " + (dir / "out").string());
  EXPECT_NE(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("fatal signal SIGSEGV (invalid memory access) while running\n"
                          "  policy 'crashing' ("),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("checkpoint.jsonl"), std::string::npos) << r.output;
  // Whatever was checkpointed before the job went down is intact and resumable: with lru
  // alone, a resumed run reuses every lru cell that was kept.
  const auto resumed =
      test::run_keepwarm("run --resume --trace " + (dir / "t").string() +
                         " --policy lru --memory 200,400 --out " + (dir / "out").string());
  EXPECT_EQ(resumed.exit_code, 0) << resumed.output;
}

// With process isolation (the default) a crash costs each rank only the cell it was running: the
// job ends with exit 2 and every other cell written.
TEST(Mpi, ACrashingPolicyCostsOnlyItsCells) {
  SKIP_WITHOUT_MPI();
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const auto r =
      mpirun(3, "run -q --jobs 1 --trace " + (dir / "t").string() + " --policy lru --policy " +
                    test::test_plugin_file("test-crashing.so").string() +
                    " --memory 200,400 --out " + (dir / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("2 of 4 cells failed"), std::string::npos) << r.output;
  const test::CsvTable csv = test::read_csv(dir / "out/results.csv");
  ASSERT_EQ(csv.rows.size(), 2u);
  for (const auto& row : csv.rows) EXPECT_EQ(row.at("policy"), "lru");
  const std::string json = test::read_text(dir / "out/results.json");
  EXPECT_NE(json.find("its worker process was killed by signal 11 (SIGSEGV"), std::string::npos)
      << json;
}

TEST(Launch, SrunTasksWithoutAnMpiPluginAreRefused) {
  test::TempDir dir;
  // What srun --mpi=none leaves in each of 4 tasks' environment (no PMI variables).
  const auto r = shell(
      "env -u PMIX_RANK -u PMI_RANK -u PMI_SIZE -u OMPI_COMM_WORLD_SIZE "
      "SLURM_STEP_ID=0 SLURM_STEP_NUM_TASKS=4 SLURM_PROCID=2 '" +
      kExe + "' run --trace " + shipped("sample") + " --policy lru --memory 1000 --out " +
      (dir / "o").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("started by srun as one of 4 tasks, but not through an MPI plugin"),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "o/results.csv"));
  // One task is a plain run.
  const auto one = shell(
      "env -u PMIX_RANK -u PMI_RANK -u PMI_SIZE -u OMPI_COMM_WORLD_SIZE "
      "SLURM_STEP_ID=0 SLURM_STEP_NUM_TASKS=1 '" +
      kExe + "' run --trace " + shipped("sample") + " --policy lru --memory 1000 --out " +
      (dir / "o").string());
  EXPECT_EQ(one.exit_code, 0) << one.output;
}

TEST(Checkpoint, OutcomesReadBackBitForBit) {
  CellOutcome o;
  o.cell = Cell{1, 2, 4096, 7};
  o.ok = true;
  o.host = "node \"07\"\n";
  o.rank = 12;
  CellMetrics& m = o.result.metrics;
  m.invocations = 18446744073709551615ull;  // the largest uint64
  m.warm = 1;
  m.cold = 2;
  m.dropped = 3;
  m.evictions = 4;
  m.expirations = 5;
  m.prewarms = 6;
  m.prewarm_hits = 7;
  m.added_latency_ms = 0.1 + 0.2;  // not a short decimal
  m.idle_mb_s = 1e300 / 3;
  m.peak_memory_mb = 8;
  m.wall_s = 5e-324;  // the smallest subnormal
  o.result.per_function = {{1, 2, 3, 4, 5, 6}, {7, 8, 9, 10, 11, 12}};
  const CellOutcome back = decode_outcome(encode_outcome(o), o.cell);
  EXPECT_TRUE(back.ok);
  EXPECT_EQ(back.host, o.host);
  EXPECT_EQ(back.rank, 12);
  EXPECT_EQ(back.cell.memory_mb, 4096u);
  EXPECT_EQ(back.result.metrics.invocations, m.invocations);
  EXPECT_EQ(back.result.metrics.prewarm_hits, 7u);
  // Bit for bit, not approximately.
  EXPECT_EQ(std::memcmp(&back.result.metrics.added_latency_ms, &m.added_latency_ms, sizeof(double)),
            0);
  EXPECT_EQ(std::memcmp(&back.result.metrics.idle_mb_s, &m.idle_mb_s, sizeof(double)), 0);
  EXPECT_EQ(std::memcmp(&back.result.metrics.wall_s, &m.wall_s, sizeof(double)), 0);
  ASSERT_EQ(back.result.per_function.size(), 2u);
  EXPECT_EQ(back.result.per_function[1].expirations, 12u);
  EXPECT_EQ(back.result.per_function[0].invocations, 1u);

  CellOutcome failed;
  failed.error = "policy 'x' threw";
  const CellOutcome f = decode_outcome(encode_outcome(failed), Cell{});
  EXPECT_FALSE(f.ok);
  EXPECT_EQ(f.error, failed.error);
  EXPECT_THROW(decode_outcome("{\"ok\": true", Cell{}), CheckpointError);
}

TEST(Checkpoint, TheTraceHashIsOfContentNotForm) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 20, 2000);
  const Trace native = load_trace(dir / "t");
  write_binary_trace(native, dir / "t.kwt");
  const Trace binary = load_trace(dir / "t.kwt");
  EXPECT_EQ(trace_content_hash(native), trace_content_hash(binary));
  Trace renamed = native;
  renamed.name = "other";
  EXPECT_EQ(trace_content_hash(renamed), trace_content_hash(native));
  Trace slower = native;
  slower.functions[3].cold_ms += 1;
  EXPECT_NE(trace_content_hash(slower), trace_content_hash(native));
  Trace other_id = native;
  other_id.functions[0].id += "x";
  EXPECT_NE(trace_content_hash(other_id), trace_content_hash(native));
  // The same invocations but two of them with their functions swapped.
  Trace swapped = native;
  std::vector<uint32_t> fns(native.function_of.begin(), native.function_of.end());
  size_t k = 1;
  while (fns[k] == fns[0]) ++k;
  std::swap(fns[0], fns[k]);
  swapped.function_of = Column<uint32_t>();
  for (const uint32_t f : fns) swapped.function_of.push_back(f);
  EXPECT_NE(trace_content_hash(swapped), trace_content_hash(native));
  EXPECT_EQ(trace_content_hash(native).size(), 32u);
  test::write_pressure_trace(dir / "u", 20, 2001);
  EXPECT_NE(trace_content_hash(load_trace(dir / "u")), trace_content_hash(native));
}

TEST(Checkpoint, AKilledRunResumesToTheUninterruptedResult) {
  test::TempDir dir;
  // Cells of about a million invocations, so that the run is killed well before its end.
  test::write_pressure_trace(dir / "t", 40, 1000000);
  const std::vector<std::string> args = {"run",
                                         "-q",
                                         "--reproducible",
                                         "--jobs",
                                         "1",
                                         "--trace",
                                         (dir / "t").string(),
                                         "--policy",
                                         "lru,gd,size",
                                         "--memory",
                                         "300,600,1200,2400",
                                         "--out",
                                         (dir / "killed").string()};
  const size_t kept = run_and_kill(args, dir / "killed/checkpoint.jsonl", 3);
  ASSERT_GE(kept, 3u) << "the run finished before it could be killed";
  ASSERT_LT(kept, 12u);
  EXPECT_FALSE(fs::exists(dir / "killed/results.csv"));

  // A torn last line (a kill in the middle of a write) is ignored.
  {
    const std::string text = test::read_text(dir / "killed/checkpoint.jsonl");
    const size_t last = text.rfind('\n', text.size() - 2);
    std::FILE* f = std::fopen((dir / "killed/checkpoint.jsonl").c_str(), "ab");
    std::fputs(text.substr(last + 1, (text.size() - last) / 2).c_str(), f);
    std::fclose(f);
  }
  std::string cmd = "run --resume --reproducible --jobs 1 --trace " + (dir / "t").string() +
                    " --policy lru,gd,size --memory 300,600,1200,2400 --out ";
  const auto resumed = test::run_keepwarm(cmd + (dir / "killed").string());
  ASSERT_EQ(resumed.exit_code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed " + std::to_string(kept) + " of 12 cells"),
            std::string::npos)
      << resumed.output;
  EXPECT_NE(resumed.output.find("1 torn checkpoint lines ignored"), std::string::npos)
      << resumed.output;
  EXPECT_NE(resumed.output.find(std::to_string(kept) + " of them resumed"), std::string::npos)
      << resumed.output;

  const auto whole = test::run_keepwarm(
      "run --reproducible --jobs 1 --trace " + (dir / "t").string() +
      " --policy lru,gd,size --memory 300,600,1200,2400 --out " + (dir / "whole").string());
  ASSERT_EQ(whole.exit_code, 0) << whole.output;
  for (const std::string f : {"results.csv", "functions.csv", "report.html"})
    EXPECT_TRUE(test::read_text(dir / "killed" / f) == test::read_text(dir / "whole" / f))
        << f << " differs";
  // results.json too, but for the count of resumed cells.
  const std::string a = test::read_text(dir / "killed/results.json");
  const std::string b = test::read_text(dir / "whole/results.json");
  EXPECT_NE(a.find("\"run\": {\"resumed_cells\": " + std::to_string(kept) + "}"), std::string::npos)
      << a;
  EXPECT_NE(b.find("\"run\": {\"resumed_cells\": 0}"), std::string::npos) << b;
  EXPECT_EQ(without_line(a, "\"run\": {"), without_line(b, "\"run\": {"));

  // The finished run's checkpoint holds every cell: resuming again computes nothing.
  const auto again = test::run_keepwarm(cmd + (dir / "killed").string());
  ASSERT_EQ(again.exit_code, 0) << again.output;
  EXPECT_NE(again.output.find("resumed 12 of 12 cells"), std::string::npos) << again.output;
  EXPECT_TRUE(test::read_text(dir / "killed/results.csv") ==
              test::read_text(dir / "whole/results.csv"));

  // Under MPI, the same checkpoint resumes alike.
  if (!kMpiexec.empty()) {
    fs::copy(dir / "killed", dir / "mpi", fs::copy_options::recursive);
    // Keep only the header and the first two cells.
    const std::string text = test::read_text(dir / "mpi/checkpoint.jsonl");
    size_t cut = 0;
    for (int i = 0; i < 3; ++i) cut = text.find('\n', cut) + 1;
    test::write_text(dir / "mpi/checkpoint.jsonl", text.substr(0, cut));
    const auto m = mpirun(3, cmd + (dir / "mpi").string());
    ASSERT_EQ(m.exit_code, 0) << m.output;
    EXPECT_NE(m.output.find("resumed 2 of 12 cells"), std::string::npos) << m.output;
    for (const std::string f : {"results.csv", "functions.csv"})
      EXPECT_TRUE(test::read_text(dir / "mpi" / f) == test::read_text(dir / "whole" / f))
          << f << " differs";
  }
}

TEST(Checkpoint, AForeignOrStaleCheckpointIsRefused) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  test::write_text(dir / "a.toml",
                   "[experiment]\nname = \"alpha\"\ntraces = [\"t\"]\n"
                   "memory_mb = [300, 600]\npolicies = [\"lru\", \"ttl\"]\n");
  test::write_text(dir / "b.toml",
                   "[experiment]\nname = \"beta\"\ntraces = [\"t\"]\n"
                   "memory_mb = [300, 600]\npolicies = [\"lru\", \"ttl\"]\n");
  const std::string out = " --out " + (dir / "out").string();
  auto r = test::run_keepwarm("run " + (dir / "a.toml").string() + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string before = test::read_text(dir / "out/checkpoint.jsonl");

  // Another experiment's checkpoint.
  r = test::run_keepwarm("run --resume " + (dir / "b.toml").string() + out);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("belongs to experiment 'alpha', not to 'beta'"), std::string::npos)
      << r.output;
  EXPECT_EQ(test::read_text(dir / "out/checkpoint.jsonl"), before);  // left as it was

  // The same experiment over a trace whose content changed: nothing matches.
  test::write_pressure_trace(dir / "t", 30, 5000);
  r = test::run_keepwarm("run --resume " + (dir / "a.toml").string() + out);
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("none of its 4 cells matches this experiment"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("trace t has other content"), std::string::npos) << r.output;

  // Not a checkpoint at all.
  test::write_text(dir / "junk/checkpoint.jsonl", "hello\n");
  r = test::run_keepwarm("run --resume " + (dir / "a.toml").string() + " --out " +
                         (dir / "junk").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_NE(r.output.find("not a keepwarm checkpoint"), std::string::npos) << r.output;

  // Cells made with other settings are computed again, and said so; matching ones are reused.
  r = test::run_keepwarm("run " + (dir / "a.toml").string() + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  r = test::run_keepwarm("run --resume " + (dir / "a.toml").string() +
                         " --param ttl.keepalive_min=3" + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("resumed 2 of 4 cells"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 checkpointed cells were made with other settings and are computed "
                          "again (first: t / ttl / 300 MB / seed 1: policy ttl had other "
                          "parameters)"),
            std::string::npos)
      << r.output;
  // --resume without a checkpoint computes everything.
  r = test::run_keepwarm("run --resume " + (dir / "a.toml").string() + " --out " +
                         (dir / "fresh").string());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no checkpoint in"), std::string::npos) << r.output;
}
