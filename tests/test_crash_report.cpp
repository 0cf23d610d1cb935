// test_crash_report.cpp: what a fatal signal prints while a CrashReporter lives
// (keepwarm/loader/crash_report.hpp). The handler gathers its report in a buffer of one pipe
// write (4096 bytes) and writes it in as few pieces as fit, so that the reports of MPI ranks
// crashing at once do not interleave within a line; these tests check that nothing is lost or
// reordered on the way, in a report of one piece and in one of several.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "keepwarm/loader/crash_report.hpp"

namespace {

using keepwarm::CrashReporter;

[[noreturn]] void crash_with(unsigned others, size_t text_length) {
  CrashReporter reporter;
  for (unsigned w = 1; w <= others; ++w)
    reporter.running(w, "cell " + std::to_string(w) + " " + std::string(text_length, 'x'));
  keepwarm::set_crash_note("finished cells are in out/checkpoint.jsonl");
  reporter.running(0, "cell 0 (the crashing one)");
  std::raise(SIGSEGV);
  std::abort();  // not reached: the handler dies of the signal
}

TEST(CrashReport, AShortReportNamesTheCellAndTheNote) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(crash_with(1, 10), ::testing::KilledBySignal(SIGSEGV),
              "keepwarm: fatal signal SIGSEGV \\(invalid memory access\\) while running\n"
              "  cell 0 \\(the crashing one\\)\n"
              "keepwarm: it happened on the thread running that cell, most likely in its policy\n"
              "keepwarm: other cells running then:\n"
              "  cell 1 x{10}\n"
              "keepwarm: finished cells are in out/checkpoint.jsonl\n$");
}

// 59 other cells of about 110 bytes each: about 6.6 KB, more than one write.
TEST(CrashReport, ALongReportKeepsEveryCellInOrder) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  std::string expected =
      "keepwarm: fatal signal SIGSEGV \\(invalid memory access\\) while running\n"
      "  cell 0 \\(the crashing one\\)\n"
      "keepwarm: it happened on the thread running that cell, most likely in its policy\n"
      "keepwarm: other cells running then:\n";
  for (unsigned w = 1; w <= 59; ++w) expected += "  cell " + std::to_string(w) + " x{100}\n";
  expected += "keepwarm: finished cells are in out/checkpoint.jsonl\n$";
  EXPECT_EXIT(crash_with(59, 100), ::testing::KilledBySignal(SIGSEGV), expected);
}

}  // namespace
