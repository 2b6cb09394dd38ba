// Implementation of testing.h.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>

#include "testing.h"

namespace sphere::testing {

TempDir::TempDir() {
  std::random_device rd;
  path_ = std::filesystem::temp_directory_path() /
          ("sphere-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
  std::filesystem::create_directories(path_);
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

RunResult run_sphere(const std::string& args) {
  TempDir dir;
  const auto out = dir.path() / "out", err = dir.path() / "err";
  const std::string command = std::string("'") + SPHERE_BINARY + "' " + args + " >'" +
                              out.string() + "' 2>'" + err.string() + "' </dev/null";
  const int status = std::system(command.c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = read_file(out);
  r.err = read_file(err);
  return r;
}

RunResult interrupt_sphere(const std::string& args, const std::filesystem::path& ready,
                           const std::string& signal, double delay) {
  TempDir dir;
  const auto err = dir.path() / "err", script = dir.path() / "interrupt.sh";
  std::ofstream(script) << "'" << SPHERE_BINARY << "' " << args << " >/dev/null 2>'"
                        << err.string() << "' </dev/null &\npid=$!\n"
                        << (ready.empty() ? ""
                                          : "for i in $(seq 1 600); do [ -e '" + ready.string() +
                                                "' ] && break; sleep 0.1; done\n")
                        << "sleep " << delay << "\nkill -" << signal << " $pid\nwait $pid\n";
  const int status = std::system(("bash '" + script.string() + "'").c_str());
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.err = read_file(err);
  return r;
}

}  // namespace sphere::testing
