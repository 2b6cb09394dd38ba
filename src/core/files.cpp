// Atomic file writes and directory locks. A temporary file gets a unique name (mkstemp) beside
// its target, so that two writers never share one, and is removed on every failure path; the
// rename makes the target either the old file or the complete new one.
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

#include <fmt/format.h>

#include "core/core.h"

namespace sphere {
namespace {

IoError failure(const std::string& what, const std::filesystem::path& path) {
  return IoError(fmt::format("cannot {} {}: {}", what, path.string(), std::strerror(errno)));
}

// The permissions a new file gets from open(2): 0666 less the process's umask (read from
// /proc, since umask(2) cannot be read without changing it).
mode_t new_file_mode() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Umask:", 0) == 0) return 0666 & ~static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
  return 0644;
}

}  // namespace

AtomicFile::AtomicFile(std::filesystem::path path) : path_(std::move(path)) {
  const std::filesystem::path dir = path_.has_parent_path() ? path_.parent_path() : ".";
  // Appends only: GCC 12 misreports -Wrestrict on a chain of +.
  std::string leaf(".");
  leaf.append(path_.filename().string()).append(".XXXXXX");
  std::string name = (dir / leaf).string();
  fd_ = ::mkstemp(name.data());
  if (fd_ < 0) throw failure("write a temporary file beside", path_);
  temp_ = name;
  // mkstemp makes the file 0600: give it the mode the target has, or a new file would get.
  struct stat st {};
  const mode_t mode = ::stat(path_.c_str(), &st) == 0 ? (st.st_mode & 07777) : new_file_mode();
  ::fchmod(fd_, mode);
}

AtomicFile::~AtomicFile() {
  if (fd_ >= 0) ::close(fd_);
  if (!committed_) ::unlink(temp_.c_str());
}

void AtomicFile::write(std::string_view text) {
  while (!text.empty()) {
    const ssize_t n = ::write(fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) throw failure("write", temp_);
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void AtomicFile::commit() {
  if (::fsync(fd_) != 0) throw failure("write", temp_);
  const int fd = fd_;
  fd_ = -1;
  if (::close(fd) != 0) throw failure("write", temp_);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) throw failure("replace", path_);
  committed_ = true;
}

void write_file_atomically(const std::filesystem::path& path, std::string_view text) {
  AtomicFile file(path);
  file.write(text);
  file.commit();
}

DirectoryLock::DirectoryLock(const std::filesystem::path& dir, std::string_view waiting) {
  fd_ = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd_ < 0) throw failure("open the directory", dir);
  if (::flock(fd_, LOCK_EX | LOCK_NB) == 0) return;
  if (errno != EWOULDBLOCK) {
    ::close(fd_);
    throw failure("lock", dir);
  }
  if (!waiting.empty()) std::cerr << waiting << std::flush;
  while (::flock(fd_, LOCK_EX) != 0)
    if (errno != EINTR) {
      ::close(fd_);
      throw failure("lock", dir);
    }
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the lock
}

std::filesystem::path first_missing(const std::filesystem::path& path) {
  std::error_code ec;
  if (std::filesystem::exists(path, ec)) return {};
  std::filesystem::path part;
  for (const auto& piece : path) {
    part /= piece;
    if (!std::filesystem::exists(part, ec)) return part;
  }
  return path;
}

std::string read_text_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path.string(), 0, "", "cannot read the file");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace sphere
