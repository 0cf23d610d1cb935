// test_output_dir.cpp: a run's output directory as one unit: a second run into it is refused
// while one holds it; the new result set replaces the old one whole (no stale plots, the
// checkpoint and the user's files kept); a write that fails (a full disk) leaves the old set.
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <unistd.h>

#include "keepwarm/experiment/output_dir.hpp"
#include "test_support.hpp"

namespace fs = std::filesystem;
using namespace keepwarm;

namespace {

TEST(OutputDir, ASecondRunIntoALockedDirectoryIsRefused) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "t", 4, 40);
  const OutputLock held(dir / "out");  // as a running keepwarm holds it
  const auto r = test::run_keepwarm("run -t " + (dir / "t").string() + " -p lru -m 100 -o " +
                                    (dir / "out").string());
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_NE(r.output.find("keepwarm run: another keepwarm run (pid " + std::to_string(::getpid()) +
                          ") is writing into " + (dir / "out").string()),
            std::string::npos)
      << r.output;
  EXPECT_FALSE(fs::exists(dir / "out/results.csv"));
  EXPECT_THROW(OutputLock again(dir / "out"), std::runtime_error);
}

TEST(OutputDir, TheNewSetReplacesTheOldWholeAndOtherFilesStay) {
  test::TempDir dir;
  test::write_pressure_trace(dir / "a", 4, 60);
  test::write_pressure_trace(dir / "b", 5, 60);
  const std::string out = (dir / "out").string();
  auto r = test::run_keepwarm("run -q --svg-only --bound -t " + (dir / "a").string() +
                              " -p lru -m 100,200 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  ASSERT_TRUE(fs::exists(dir / "out/plots/a-cold.svg"));
  ASSERT_TRUE(fs::exists(dir / "out/bound.csv"));
  test::write_text(dir / "out/notes.txt", "mine\n");
  // Another run into the same directory: trace b only, no bound.
  r = test::run_keepwarm("run -q --svg-only -t " + (dir / "b").string() + " -p lru -m 100 -o " +
                         out + " --events " + out + "/events.csv");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_TRUE(fs::exists(dir / "out/plots/b-cold.svg"));
  EXPECT_FALSE(fs::exists(dir / "out/plots/a-cold.svg")) << "a plot of the old run is left";
  EXPECT_FALSE(fs::exists(dir / "out/bound.csv")) << "the old run's bound.csv is left";
  EXPECT_EQ(test::read_text(dir / "out/notes.txt"), "mine\n");
  EXPECT_TRUE(fs::exists(dir / "out/events.csv"));
  EXPECT_TRUE(fs::exists(dir / "out/checkpoint.jsonl"));
  EXPECT_EQ(test::read_text(dir / "out/results.csv").find("\na,"), std::string::npos);
  // No staging directory is left beside it, and the report command reads the new set.
  for (const auto& e : fs::directory_iterator(dir.path()))
    EXPECT_EQ(e.path().filename().string().find(".staging."), std::string::npos) << e.path();
  r = test::run_keepwarm("report -q --svg-only " + out);
  EXPECT_EQ(r.exit_code, 0) << r.output;
}

TEST(OutputDir, AFullDiskLeavesTheOldSetAndNamesTheFile) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root to mount a small tmpfs (CI runs as root)";
  test::TempDir dir;
  const fs::path mnt = dir / "small";
  fs::create_directories(mnt);
  if (::mount("tmpfs", mnt.c_str(), "tmpfs", 0, "size=4m") != 0)
    GTEST_SKIP() << "cannot mount a tmpfs here (" << std::strerror(errno) << "): skipped";
  struct Unmount {
    fs::path p;
    ~Unmount() { ::umount2(p.c_str(), MNT_DETACH); }
  } unmount{mnt};
  test::write_pressure_trace(dir / "t", 6, 300);
  const std::string out = (mnt / "out").string();
  auto r = test::run_keepwarm("run -q --svg-only -t " + (dir / "t").string() +
                              " -p lru -m 100,200 -o " + out);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  const std::string before = test::read_text(mnt / "out/results.csv");
  // Fill the disk but for a few KB, then run a bigger grid into it.
  {
    std::FILE* f = std::fopen((mnt / "filler").c_str(), "wb");
    ASSERT_NE(f, nullptr);
    std::vector<char> block(4096, 'x');
    while (std::fwrite(block.data(), 1, block.size(), f) == block.size()) {
    }
    std::fclose(f);
    fs::resize_file(mnt / "filler", fs::file_size(mnt / "filler") - 8192);
  }
  r = test::run_keepwarm("run -q --svg-only -t " + (dir / "t").string() +
                         " -p lru,rand,gd,size,freq -m 100,200,300,400 --seeds 3 -o " + out);
  EXPECT_NE(r.exit_code, 0);
  EXPECT_NE(r.output.find(": write failed: No space left on device"), std::string::npos)
      << r.output;
  // The old set is whole and untouched; no staging directory is left behind.
  EXPECT_EQ(test::read_text(mnt / "out/results.csv"), before);
  EXPECT_TRUE(fs::exists(mnt / "out/report.html"));
  for (const auto& e : fs::directory_iterator(mnt))
    EXPECT_EQ(e.path().filename().string().find(".staging."), std::string::npos) << e.path();
}

}  // namespace
