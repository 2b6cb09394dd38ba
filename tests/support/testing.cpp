// Implementation of testing.h.
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <vector>
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

std::string write_small_gdelt_panel(const std::filesystem::path& dir, bool varied_scores) {
  const auto path = (dir / "small.csv").string();
  std::ofstream out(path);
  out << "month,country1,country2,days_in_data,days_nonzero,days_negative,days_positive,sum_score\n";
  for (int m = 0; m < 24; ++m) {
    const std::string month = (m < 12 ? "2020-" : "2021-") + std::string(m % 12 < 9 ? "0" : "") +
                              std::to_string(m % 12 + 1);
    const int arm_aze = varied_scores ? -100 + 37 * ((m * 5) % 7) : -100;
    const int aze_rus = varied_scores ? 50 + 11 * ((m * 3) % 5) : 50;
    const int arm_rus = varied_scores ? 4 * (m % 4) - 3 : 0;
    out << month << ",ARM,AZE,30," << 10 + m % 5 << "," << 5 + (m * 7) % 6 << ",5," << arm_aze << "\n";
    out << month << ",AZE,RUS,30,8," << (m * 3) % 4 << ",7," << aze_rus << "\n";
    if (m % 3 == 0) out << month << ",ARM,RUS,30,2,1,1," << arm_rus << "\n";
  }
  return path;
}

std::string gdelt_row(const std::string& id, const std::string& date, const std::string& actor1,
                      const std::string& actor2, const std::string& code, const std::string& quad,
                      const std::string& goldstein, const std::string& url) {
  std::vector<std::string> f(61);
  f[0] = id;
  f[1] = date;
  f[7] = actor1;
  f[17] = actor2;
  f[25] = "1";
  f[26] = code;
  f[29] = quad;
  f[30] = goldstein;
  f[60] = url;
  std::string line;
  for (std::size_t i = 0; i < f.size(); ++i) line += (i ? "\t" : "") + f[i];
  return line + "\n";
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
