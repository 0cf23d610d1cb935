// raster.cpp: PNG and PDF copies of the SVG plots, made by rsvg-convert (librsvg, whose cairo
// back end renders SVG faithfully; Debian package librsvg2-bin) when it is on PATH.
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>
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

void convert_svg(const fs::path& tool, const fs::path& svg, const fs::path& out,
                 const std::string& format) {
  const fs::path tmp = out.string() + ".tmp";
  std::vector<std::string> args{tool.string(), "--format", format};
  if (format == "png") args.insert(args.end(), {"--zoom", "2"});
  args.insert(args.end(), {"--output", tmp.string(), svg.string()});
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  // The environment, with SOURCE_DATE_EPOCH=0 unless set, so that PDFs do not carry the time.
  std::vector<std::string> env_store;
  bool has_epoch = false;
  for (char** e = environ; *e != nullptr; ++e) {
    env_store.emplace_back(*e);
    has_epoch = has_epoch || std::strncmp(*e, "SOURCE_DATE_EPOCH=", 18) == 0;
  }
  if (!has_epoch) env_store.emplace_back("SOURCE_DATE_EPOCH=0");
  std::vector<char*> envp;
  for (std::string& e : env_store) envp.push_back(e.data());
  envp.push_back(nullptr);

  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, tool.c_str(), nullptr, nullptr, argv.data(), envp.data());
  if (rc != 0)
    throw ReportError(tool.string() + ": cannot run (" + std::strerror(rc) + ") for " +
                      svg.string());
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0)
    if (errno != EINTR) throw ReportError(tool.string() + ": waitpid failed for " + svg.string());
  std::error_code ec;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || !fs::exists(tmp, ec)) {
    fs::remove(tmp, ec);
    throw ReportError(tool.string() + " could not convert " + svg.string() + " to " + format);
  }
  fs::rename(tmp, out);
}

}  // namespace keepwarm
