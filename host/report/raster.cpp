// raster.cpp: PNG and PDF copies of the SVG plots, made by rsvg-convert (librsvg, whose cairo
// back end renders SVG faithfully; Debian package librsvg2-bin) when it is on PATH.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "keepwarm/report/report.hpp"

extern char** environ;

namespace keepwarm {

namespace fs = std::filesystem;

fs::path find_rsvg_convert() {
  const char* path = std::getenv("PATH");
  if (path == nullptr) return {};
  const std::string all = path;
  size_t start = 0;
  while (start <= all.size()) {
    const size_t end = std::min(all.find(':', start), all.size());
    const fs::path dir = all.substr(start, end - start);
    if (!dir.empty()) {
      const fs::path candidate = dir / "rsvg-convert";
      if (::access(candidate.c_str(), X_OK) == 0 && !fs::is_directory(candidate)) return candidate;
    }
    start = end + 1;
  }
  return {};
}

namespace {

struct Job {
  fs::path svg, out, tmp;
  std::string format;
  pid_t pid = 0;
};

void start(const fs::path& tool, Job& job, const std::vector<std::string>& env_store) {
  job.tmp = job.out.string() + ".tmp";
  std::vector<std::string> args{tool.string(), "--format", job.format};
  if (job.format == "png") args.insert(args.end(), {"--zoom", "2"});
  args.insert(args.end(), {"--output", job.tmp.string(), job.svg.string()});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (const std::string& e : env_store) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  const int rc = ::posix_spawn(&job.pid, tool.c_str(), nullptr, nullptr, argv.data(), envp.data());
  if (rc != 0)
    throw ReportError(tool.string() + ": cannot run (" + std::strerror(rc) + ") for " +
                      job.svg.string());
}

// Waits for one job; returns the error ("" when it worked) and renames its output into place.
std::string finish(const fs::path& tool, Job& job) {
  int status = 0;
  while (::waitpid(job.pid, &status, 0) < 0)
    if (errno != EINTR) return tool.string() + ": waitpid failed for " + job.svg.string();
  std::error_code ec;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(job.tmp, ec)) {
    fs::remove(job.tmp, ec);
    return tool.string() + " could not convert " + job.svg.string() + " to " + job.format;
  }
  fs::rename(job.tmp, job.out, ec);
  return ec ? job.out.string() + ": " + ec.message() : "";
}

}  // namespace

void convert_svgs(const fs::path& tool, const std::vector<Conversion>& conversions) {
  // The environment, with SOURCE_DATE_EPOCH=0 unless set, so that PDFs do not carry the time.
  std::vector<std::string> env_store;
  bool has_epoch = false;
  for (char** e = environ; *e != nullptr; ++e) {
    env_store.emplace_back(*e);
    has_epoch = has_epoch || std::strncmp(*e, "SOURCE_DATE_EPOCH=", 18) == 0;
  }
  if (!has_epoch) env_store.emplace_back("SOURCE_DATE_EPOCH=0");
  // A few at a time: each is a short single-threaded process.
  const size_t width = std::max(2u, std::thread::hardware_concurrency());
  std::vector<Job> jobs;
  for (const Conversion& c : conversions) jobs.push_back({c.svg, c.out, {}, c.format});
  std::string error;
  size_t next = 0, done = 0;
  while (done < jobs.size()) {
    while (next < jobs.size() && next - done < width && error.empty()) {
      try {
        start(tool, jobs[next], env_store);
      } catch (const ReportError& e) {
        error = e.what();
        break;
      }
      ++next;
    }
    if (done == next) break;  // nothing running (a start failed)
    const std::string e = finish(tool, jobs[done++]);
    if (error.empty()) error = e;
  }
  if (!error.empty()) throw ReportError(error);
}

}  // namespace keepwarm
