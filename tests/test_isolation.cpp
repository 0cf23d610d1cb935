// test_isolation.cpp: process isolation. Worker processes (experiment/worker_pool.hpp) survive
// what a policy can do to them -- crash, overflow its stack, abort, exit(0), loop forever -- and
// each such misbehaviour costs only the cell it happened in; a plugin that keeps failing is
// stopped; a plugin whose loading crashes is found in a probe process and left out, named.
#include <gtest/gtest.h>

#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <thread>

#include "keepwarm/experiment/worker_pool.hpp"
#include "keepwarm/loader/plugin.hpp"
#include "keepwarm/util/process.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

// --- The worker pool on its own ------------------------------------------------------------

// A handler whose requests say what to do: 1 crash (after a line of output), 2 exit(3), 3 sleep
// far past any timeout, 4 print a line and answer, 99999 write junk into the worker's socket;
// anything else answers twice the request.
std::string misbehave(uint64_t request, unsigned) {
  switch (request) {
    case 1:
      std::fprintf(stderr, "about to crash\n");
      std::fflush(stderr);
      ::signal(SIGSEGV, SIG_DFL);
      ::raise(SIGSEGV);
      break;
    case 2:
      std::exit(3);
    case 3:
      std::this_thread::sleep_for(std::chrono::seconds(30));
      break;
    case 4:
      std::printf("a policy's own line\n");
      break;
    case 99999:  // scribbles into the worker's socket (descriptor 3), as a careless policy might
      if (::write(3, "scribble", 8) != 8) std::abort();
      break;
    default:
      break;
  }
  return std::to_string(request * 2);
}

TEST(WorkerPool, AnswersRequestsFromOneLongLivedWorker) {
  WorkerPool pool(1, misbehave, 0);
  for (uint64_t i = 10; i < 60; ++i) {
    const WorkerPool::Reply r = pool.run(i, 0);
    ASSERT_TRUE(r.ok) << r.cause;
    EXPECT_EQ(r.answer, std::to_string(i * 2));
  }
  EXPECT_EQ(pool.started(), 1u);
}

TEST(WorkerPool, ACrashCostsOnlyItsRequestAndKeepsTheLastOutput) {
  WorkerPool pool(1, misbehave, 0);
  ASSERT_TRUE(pool.run(5, 0).ok);
  const WorkerPool::Reply crash = pool.run(1, 0);
  EXPECT_FALSE(crash.ok);
  EXPECT_TRUE(contains(crash.cause, "was killed by signal 11 (SIGSEGV")) << crash.cause;
  ASSERT_FALSE(crash.last_lines.empty());
  EXPECT_EQ(crash.last_lines.back(), "about to crash");
  // A fresh worker takes the next request.
  const WorkerPool::Reply next = pool.run(6, 0);
  ASSERT_TRUE(next.ok) << next.cause;
  EXPECT_EQ(next.answer, "12");
  EXPECT_EQ(pool.started(), 2u);
}

TEST(WorkerPool, AnExitIsAFailureWithItsStatus) {
  WorkerPool pool(1, misbehave, 0);
  const WorkerPool::Reply r = pool.run(2, 0);
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.cause, "exited with status 3");
  EXPECT_TRUE(pool.run(7, 0).ok);
}

TEST(WorkerPool, ARequestPastTheTimeoutIsKilled) {
  WorkerPool pool(1, misbehave, 0.3);
  const auto start = std::chrono::steady_clock::now();
  const WorkerPool::Reply r = pool.run(3, 0);
  const double took =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(r.timed_out);
  EXPECT_TRUE(contains(r.cause, "cell timeout of 0.3 s")) << r.cause;
  EXPECT_LT(took, 10.0);  // killed, not waited for (the request sleeps 30 s)
  EXPECT_TRUE(pool.run(8, 0).ok);
}

TEST(WorkerPool, JunkInTheSocketIsAFailureNotAHang) {
  WorkerPool pool(1, misbehave, 0);
  const WorkerPool::Reply r = pool.run(99999, 0);
  EXPECT_FALSE(r.ok);
  EXPECT_TRUE(contains(r.cause, "something wrote into its socket")) << r.cause;
  const WorkerPool::Reply next = pool.run(9, 0);
  ASSERT_TRUE(next.ok) << next.cause;
  EXPECT_EQ(next.answer, "18");
}

TEST(WorkerPool, SlotsRunInParallelThreads) {
  WorkerPool pool(3, misbehave, 0);
  std::vector<std::thread> threads;
  std::vector<int> ok(3, 0);
  for (unsigned s = 0; s < 3; ++s)
    threads.emplace_back([&, s] {
      for (uint64_t i = 100; i < 120; ++i) {
        const WorkerPool::Reply r = pool.run(i + s * 1000, s);
        if (r.ok && r.answer == std::to_string((i + s * 1000) * 2)) ++ok[s];
      }
    });
  for (std::thread& t : threads) t.join();
  EXPECT_EQ(ok, std::vector<int>(3, 20));
  EXPECT_EQ(pool.started(), 3u);
}

TEST(Process, WaitStatusesInWords) {
  const pid_t a = fork_child(-1, -1, [] { return 7; });
  EXPECT_EQ(describe_wait_status(reap_child(a, std::chrono::seconds(10))), "exited with status 7");
  const pid_t b = fork_child(-1, -1, [] {
    ::signal(SIGABRT, SIG_DFL);
    std::abort();
    return 0;
  });
  EXPECT_TRUE(contains(describe_wait_status(reap_child(b, std::chrono::seconds(10))),
                       "was killed by signal 6 (SIGABRT"));
  LastLines last(2);
  last.add("one\ntwo\n\nthree\nfou");
  EXPECT_EQ(last.lines(), (std::vector<std::string>{"three", "fou"}));
}

// --- Misbehaving plugins in a run ----------------------------------------------------------

std::string misbehaving(const std::string& kind) {
  return test::test_plugin_file("misbehaving/test-" + kind + ".so").string();
}

struct Case {
  const char* plugin;  // file under tests/plugins of the build tree
  const char* name;    // its policy name
  const char* cause;   // what the failed cells say
};

class Misbehaving : public ::testing::TestWithParam<Case> {};

// Every way a policy can take its worker down costs exactly its own cells: the run goes on, ends
// with exit 2, and writes every other cell, the report and the failed cells with their cause.
TEST_P(Misbehaving, CostsOnlyItsOwnCells) {
  const Case c = GetParam();
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const std::string plugin = test::test_plugin_file(c.plugin).string();
  const auto r =
      test::run_keepwarm("run --jobs 1 --cell-timeout 1 --svg-only --trace " +
                         (dir / "t").string() + " --policy lru --policy " + plugin +
                         " --policy gd --memory 200,400 --out " + (dir / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "2 of 6 cells failed")) << r.output;
  EXPECT_TRUE(contains(r.output, "cell t / " + std::string(c.name) +
                                     " / 200 MB / seed 1 failed: "
                                     "policy '" +
                                     c.name + "' (" + plugin + ") on trace t at 200 MB"))
      << r.output;
  EXPECT_TRUE(contains(r.output, c.cause)) << r.output;
  // Every other cell is written, before and after the failing policy in grid order.
  const test::CsvTable csv = test::read_csv(dir / "out/results.csv");
  ASSERT_EQ(csv.rows.size(), 4u);
  EXPECT_EQ(csv.rows[0].at("policy"), "lru");
  EXPECT_EQ(csv.rows[3].at("policy"), "gd");
  // The report lists the failed cells with their cause.
  const std::string html = test::read_text(dir / "out/report.html");
  EXPECT_TRUE(contains(html, "<h2>Failed cells</h2>")) << html.substr(0, 2000);
  EXPECT_TRUE(contains(html, "4 ok, 2 failed")) << html.substr(0, 2000);
  EXPECT_TRUE(contains(html, "its worker process ")) << html.substr(0, 2000);
  const std::string json = test::read_text(dir / "out/results.json");
  EXPECT_TRUE(contains(json, "\"policy\": \"" + std::string(c.name) + "\", \"memory_mb\": 400"))
      << json;
  EXPECT_TRUE(contains(json, c.cause)) << json;
  // The cells that ran are what a run without the misbehaving policy gives.
  const auto alone =
      test::run_keepwarm("run -q --svg-only --trace " + (dir / "t").string() +
                         " --policy lru,gd --memory 200,400 --out " + (dir / "alone").string());
  ASSERT_EQ(alone.exit_code, 0) << alone.output;
  const test::CsvTable ref = test::read_csv(dir / "alone/results.csv");
  ASSERT_EQ(ref.rows.size(), 4u);
  for (size_t i = 0; i < 4; ++i)
    for (const char* col : {"policy", "memory_mb", "cold", "dropped", "evictions"})
      EXPECT_EQ(csv.rows[i].at(col), ref.rows[i].at(col)) << i << " " << col;
}

INSTANTIATE_TEST_SUITE_P(
    Plugins, Misbehaving,
    ::testing::Values(
        Case{"test-crashing.so", "crashing", "its worker process was killed by signal 11 (SIGSEGV"},
        // The crash report runs on the alternate signal stack: a stack overflow is named too.
        Case{"misbehaving/test-stack.so", "overflows",
             "fatal signal SIGSEGV (invalid memory access) while running"},
        Case{"misbehaving/test-abort.so", "aborts",
             "its worker process was killed by signal 6 (SIGABRT"},
        Case{"misbehaving/test-exit.so", "exits",
             "its worker process exited with status 0 in the middle of the cell"},
        Case{"misbehaving/test-loop.so", "loops",
             "its worker process ran longer than the cell timeout of 1 s and was killed"}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

TEST(Isolation, APluginThatKeepsFailingIsStopped) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const auto r = test::run_keepwarm(
      "run --jobs 1 --svg-only --trace " + (dir / "t").string() + " --policy lru --policy " +
      test::test_plugin_file("test-crashing.so").string() + " --memory 200,250,300,350,400 --out " +
      (dir / "out").string());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_TRUE(contains(r.output, "5 of 10 cells failed")) << r.output;
  const std::string json = test::read_text(dir / "out/results.json");
  size_t crashed = 0, stopped = 0;
  for (size_t at = 0;
       (at = json.find("its worker process was killed by signal 11", at)) != std::string::npos;
       ++at)
    ++crashed;
  for (size_t at = 0; (at = json.find("not run: plugin 'crashing'", at)) != std::string::npos; ++at)
    ++stopped;
  EXPECT_EQ(crashed, static_cast<size_t>(3 + 2));  // 3 cells, and the last cause in the 2 others
  EXPECT_EQ(stopped, 2u);
  EXPECT_TRUE(contains(json, "was stopped after 3 of its cells failed in their worker process"))
      << json;
  EXPECT_EQ(test::read_csv(dir / "out/results.csv").rows.size(), 5u);  // lru's
}

TEST(Isolation, ParallelWorkersGiveTheSameResultsAsOne) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  std::string files[2];
  for (int jobs : {1, 2}) {
    const std::string out = (dir / ("j" + std::to_string(jobs))).string();
    const auto r = test::run_keepwarm("run -q --reproducible --svg-only --jobs " +
                                      std::to_string(jobs) + " --trace " + (dir / "t").string() +
                                      " --policy lru,rand --seeds 2 --policy " +
                                      misbehaving("abort") + " --memory 200,400,800 --out " + out);
    EXPECT_EQ(r.exit_code, 2) << r.output;
    files[jobs - 1] = test::read_text(fs::path(out) / "results.csv") +
                      test::read_text(fs::path(out) / "results.json");
  }
  EXPECT_EQ(files[0], files[1]);
}

// exit(0) in a policy used to end the run with exit 0, nothing written, and the previous
// results left in place as if they were this run's.
TEST(Isolation, AnExitingPolicyLeavesNoOldResultsBehind) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const std::string out = (dir / "out").string();
  ASSERT_EQ(test::run_keepwarm("run -q --svg-only --trace " + (dir / "t").string() +
                               " --policy lru --memory 300 --out " + out)
                .exit_code,
            0);
  const auto r = test::run_keepwarm("run -q --svg-only --trace " + (dir / "t").string() +
                                    " --policy lru --policy " + misbehaving("exit") +
                                    " --memory 200 --out " + out);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  const test::CsvTable csv = test::read_csv(dir / "out/results.csv");
  ASSERT_EQ(csv.rows.size(), 1u);
  EXPECT_EQ(csv.rows[0].at("memory_mb"), "200");
}

TEST(Isolation, NoneRunsCellsInTheKeepwarmProcess) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  // In-process, a policy's exit(0) ends keepwarm itself: what --isolation none means.
  const auto r =
      test::run_keepwarm("run -q --isolation none --trace " + (dir / "t").string() + " --policy " +
                         misbehaving("exit") + " --memory 200 --out " + (dir / "out").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_FALSE(fs::exists(dir / "out/results.csv"));
}

// A supervisor killed with SIGKILL (a scheduler's time limit) leaves no worker behind: workers
// die with it (PR_SET_PDEATHSIG), even one stuck in a policy that loops forever.
TEST(Isolation, AKilledRunLeavesNoWorkerBehind) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t");
  const std::string pid = (dir / "pid").string();
  const std::string cmd = "'" + std::string(KEEPWARM_EXE) + "' run -q --cell-timeout 0 --trace " +
                          (dir / "t").string() + " --policy " + misbehaving("loop") +
                          " --memory 200 --out " + (dir / "out").string();
  // Children are found in /proc (no procps needed); the worker is the child still there 0.3 s
  // after it was seen (the plugin probe's child is gone by then), spinning in the policy.
  const std::string script =
      "kids() { for s in /proc/[0-9]*/stat; do read -r a b c d rest < $s 2>/dev/null && "
      "[ \"$d\" = \"$1\" ] && echo $a; done; }\n"
      "(" +
      cmd + " & echo $! > " + pid +
      "; wait) >/dev/null 2>&1 &\n"
      "w=\n"
      "for i in $(seq 100); do\n"
      "  if [ -s " +
      pid +
      " ]; then\n"
      "    c=$(kids $(cat " +
      pid +
      ") | head -n 1)\n"
      "    if [ -n \"$c\" ]; then sleep 0.3; kill -0 $c 2>/dev/null && w=$c && break; fi\n"
      "  fi\n"
      "  sleep 0.05\n"
      "done\n"
      "echo worker=${w:-none}\n"
      "kill -9 $(cat " +
      pid +
      ")\n"
      "for i in $(seq 200); do kill -0 $w 2>/dev/null || break; sleep 0.05; done\n"
      "if kill -0 $w 2>/dev/null; then echo alive; kill -9 $w; else echo gone; fi";
  const auto r = test::run_command(script);
  EXPECT_FALSE(contains(r.output, "worker=none")) << r.output;
  EXPECT_TRUE(contains(r.output, "gone")) << r.output;
}

TEST(Isolation, SettingsAreChecked) {
  test::TempDir dir;
  auto r = test::run_keepwarm("run --isolation threads --trace sample -p lru --memory 100");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "--isolation")) << r.output;
  r = test::run_keepwarm("run --cell-timeout -1 --trace sample -p lru --memory 100");
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "--cell-timeout")) << r.output;
  test::write_text(dir / "e.toml",
                   "[experiment]\ntraces = [\"sample\"]\nmemory_mb = [100]\npolicies = "
                   "[\"lru\"]\nisolation = \"thread\"\n");
  r = test::run_keepwarm("run " + (dir / "e.toml").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "e.toml:5:")) << r.output;
  EXPECT_TRUE(contains(r.output, "isolation must be \"process\" or \"none\"")) << r.output;
  test::write_text(dir / "f.toml",
                   "[experiment]\ntraces = [\"sample\"]\nmemory_mb = [100]\npolicies = "
                   "[\"lru\"]\ncell_timeout_s = -3\n");
  r = test::run_keepwarm("run " + (dir / "f.toml").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "f.toml:5:")) << r.output;
}

// --- Plugins whose loading crashes ---------------------------------------------------------

TEST(PluginProbe, ACrashingConstructorIsNamedAndLeftOut) {
  const fs::path bad_dir = test::test_plugin_file("ctor-crash");
  const std::string bad = (bad_dir / "test-ctor-crash.so").string();
  ASSERT_TRUE(fs::exists(bad)) << bad;
  // `keepwarm plugins` lists the rest and names the file.
  auto r = test::run_keepwarm("plugins --plugin-path " + bad_dir.string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "\nlru  ")) << r.output;
  EXPECT_TRUE(contains(r.output, "not loadable:\n  " + bad +
                                     ": crashed while loading: the probe process that loaded it "
                                     "was killed by signal 11 (SIGSEGV"))
      << r.output;
  // A run of another policy goes on, with a warning naming the file.
  test::TempDir dir;
  r = test::run_keepwarm("run --svg-only --plugin-path " + bad_dir.string() +
                         " --trace sample -p lru --memory 1000 --out " + (dir / "o").string());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(contains(r.output, "keepwarm run: warning: " + bad + ": crashed while loading"))
      << r.output;
  // Asked for by path, it is an error naming it.
  r = test::run_keepwarm("run --trace sample -p " + bad + " --memory 1000 --out " +
                         (dir / "p").string());
  EXPECT_EQ(r.exit_code, 1) << r.output;
  EXPECT_TRUE(contains(r.output, "keepwarm run: " + bad + ": crashed while loading")) << r.output;
}

TEST(PluginProbe, TheFilesAfterACrashingOneAreStillProbed) {
  const fs::path bad = test::test_plugin_file("ctor-crash/test-ctor-crash.so");
  const fs::path good = test::test_plugin_file("test-c-policy.so");
  const std::vector<std::string> why = probe_plugin_files({good, bad, good, bad, good}, 30);
  ASSERT_EQ(why.size(), 5u);
  EXPECT_EQ(why[0], "");
  EXPECT_TRUE(contains(why[1], "crashed while loading")) << why[1];
  EXPECT_EQ(why[2], "");
  EXPECT_TRUE(contains(why[3], "crashed while loading")) << why[3];
  EXPECT_EQ(why[4], "");
}

}  // namespace
