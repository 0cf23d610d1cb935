// keepwarm/util/io.hpp: small file helpers shared by the host: whole-file reads, atomic writes
// (temporary file then rename), and number formatting (shortest round-trip, fixed decimals,
// counts and relative changes as the rankings show them).
#pragma once

#include <filesystem>
#include <fstream>
#include <memory>
#include <ostream>
#include <streambuf>
#include <string>
#include <string_view>
#include <vector>

namespace keepwarm {

// The directory holding the running executable (from /proc/self/exe); empty if unknown.
std::filesystem::path executable_dir();

// Reads a whole file; throws std::runtime_error naming the file on failure.
std::string read_file(const std::filesystem::path& file);

// A file written through a temporary beside it (file.tmp.<pid>), synced, that commit() renames
// over file, so readers never see a torn file. Without commit() (an error on the way) the
// destructor removes the temporary. A symbolic link is followed (its target is replaced, the
// link stays); a special file (a device such as /dev/null, a FIFO) is written directly, never
// replaced. Errors are std::runtime_error naming the file and the errno text.
class AtomicFile {
 public:
  explicit AtomicFile(std::filesystem::path file);  // creates the temporary
  ~AtomicFile();
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;

  std::ostream& stream() { return out_; }
  // Closes the temporary and renames it over the file; on failure removes it and throws.
  void commit();

 private:
  // A stream buffer over a file descriptor that remembers why a write failed (errno), so that
  // errors say "No space left on device", not just that the stream went bad.
  class FdBuf : public std::streambuf {
   public:
    explicit FdBuf(int fd) : fd_(fd) { setp(buf_, buf_ + sizeof buf_); }
    int error() const noexcept { return error_; }
    int close();  // flushes; 0 or an errno

   protected:
    int_type overflow(int_type c) override;
    int sync() override;

   private:
    bool drain();
    int fd_;
    int error_ = 0;
    char buf_[1 << 16];
  };

  std::filesystem::path file_, target_, tmp_;
  std::unique_ptr<FdBuf> buf_;
  std::ostream out_{nullptr};
  bool direct_ = false;  // a special file, written in place
  bool committed_ = false;
};

// Writes content to file through an AtomicFile.
void write_file_atomic(const std::filesystem::path& file, const std::string& content);

// Shortest text that reads back as the same double ("1", "0.5", "1e+20").
std::string format_number(double v);

// v with a fixed number of decimals, as printf's %.*f writes it ("2.50" for 2.5, 2).
std::string format_fixed(double v, int decimals);

// A count that may be a mean over seeds: whole numbers without decimals ("12"), others with
// one ("12.3").
std::string format_count(double v);

// The change from base to v in percent ("+12.5%", "-3.0%"); "=" when both are 0 and "n/a"
// when only base is.
std::string format_relative(double v, double base);

// A CSV field as RFC 4180 writes it: as is, or in double quotes (quotes doubled) when it holds
// a comma, a quote or a line break.
std::string csv_field(std::string_view s);

// A JSON string literal (quotes, backslashes and control characters escaped).
std::string json_quote(std::string_view s);

// Splits one CSV line into fields, undoing csv_field's quoting.
std::vector<std::string> split_csv_line(std::string_view line);

}  // namespace keepwarm
