// keepwarm/util/process.hpp: the pieces of running work in child processes (the supervisor of
// experiment/worker_pool.hpp and the plugin probe of loader/plugin.hpp): forking a child whose
// only open files are the ones it is given, reading from it with a deadline, and saying in words
// how it ended.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace keepwarm {

// How a child ended, from waitpid's status: "was killed by signal 11 (SIGSEGV, segmentation
// fault)", "exited with status 0".
std::string describe_wait_status(int status);

// The last lines of a byte stream (a child's stdout and stderr), at most `lines` of them, each
// cut to a few hundred bytes.
class LastLines {
 public:
  explicit LastLines(size_t lines = 8) : max_(lines) {}
  void add(std::string_view bytes);
  // The kept lines (and an unfinished last one), oldest first.
  std::vector<std::string> lines() const;
  void clear();

 private:
  size_t max_;
  std::deque<std::string> done_;
  std::string open_;
};

// A child process forked from this one: it starts in `body` with stdin on /dev/null, stdout and
// stderr on `output_fd` (or /dev/null when it is -1), `keep_fd` moved to file descriptor 3, and
// every other descriptor closed; it dies with SIGKILL when the thread that forked it ends (or this
// process dies), and ends with _exit(body's return value) -- never through this process's exit
// handlers. stdout and stderr of this process are flushed first so nothing buffered is written
// twice. Returns the child's pid; throws std::runtime_error when fork fails.
pid_t fork_child(int keep_fd, int output_fd, const std::function<int()>& body);

// Waits for child `pid` to end, giving it `grace` before it is killed (SIGKILL), and returns its
// wait status.
int reap_child(pid_t pid, std::chrono::milliseconds grace);

// Reads what is there from a non-blocking descriptor into `out` (appending); returns false at end
// of file or on an error other than EAGAIN.
bool read_available(int fd, std::string& out);

// Writes all of `data` to a socket without SIGPIPE; false if the peer is gone.
bool send_all(int fd, const void* data, size_t size);
// Reads exactly `size` bytes (blocking); false at end of file or on an error.
bool read_exact(int fd, void* data, size_t size);
// Writes all of `data` (blocking); false on an error.
bool write_all(int fd, const void* data, size_t size);

// Makes a descriptor non-blocking and close-on-exec.
void set_nonblocking(int fd);

}  // namespace keepwarm
