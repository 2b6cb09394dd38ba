// `sphere serve`: the JSON API and its hardening, exercised over a loopback socket against the
// real binary (started on a free port; it prints the port it bound).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iterator>
#include <fstream>
#include <regex>
#include <thread>

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "testing.h"

namespace sphere::testing {
namespace {

struct Reply {
  int status = 0;
  std::string head, body;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

class Server : public ::testing::Test {
 protected:
  static inline pid_t pid_ = -1;
  static inline int port_ = 0;
  static inline std::string first_line_;
  static inline TempDir* web_ = nullptr;
  static inline TempDir* outside_ = nullptr;

  static void SetUpTestSuite() {
    web_ = new TempDir;
    outside_ = new TempDir;
    std::ofstream(web_->path() / "index.html") << "<!DOCTYPE html><title>dashboard</title>";
    std::ofstream(outside_->path() / "secret.txt") << "SECRET-OUTSIDE-THE-ROOT";
    std::filesystem::create_symlink(outside_->path() / "secret.txt", web_->path() / "link.txt");
    int out[2];
    ASSERT_EQ(pipe(out), 0);
    pid_ = fork();
    ASSERT_GE(pid_, 0);
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      const std::string web = web_->path().string();
      execl(SPHERE_BINARY, SPHERE_BINARY, "serve", "--port", "0", "--max-jobs", "1", "--threads",
            "1", "--web", web.c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    char c;
    while (read(out[0], &c, 1) == 1 && c != '\n') first_line_ += c;
    close(out[0]);
    std::smatch m;
    if (std::regex_search(first_line_, m, std::regex(R"(127\.0\.0\.1:(\d+))"))) port_ = std::stoi(m[1]);
  }

  static void TearDownTestSuite() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      waitpid(pid_, nullptr, 0);
    }
    delete web_;
    delete outside_;
  }

  void SetUp() override { ASSERT_GT(port_, 0) << "server did not start: " << first_line_; }

  // Sends raw bytes on a fresh connection and reads the reply until the server closes it.
  static Reply raw(const std::string& bytes) {
    Reply r;
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return r;
    }
    for (std::size_t sent = 0; sent < bytes.size();) {
      const ssize_t n = send(fd, bytes.data() + sent, bytes.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) break;
      sent += static_cast<std::size_t>(n);
    }
    // No half-close: the server takes a closed read side for a client that went away.
    std::string all;
    char buf[65536];
    // Read until the server closes, or the reply is complete (head and Content-Length bytes).
    for (ssize_t n; (n = recv(fd, buf, sizeof buf, 0)) > 0;) {
      all.append(buf, static_cast<std::size_t>(n));
      const auto end = all.find("\r\n\r\n");
      std::smatch m;
      const std::string head = all.substr(0, end);
      if (end != std::string::npos &&
          std::regex_search(head, m, std::regex("Content-Length: (\\d+)", std::regex::icase)) &&
          all.size() >= end + 4 + std::stoul(m[1]))
        break;
    }
    close(fd);
    const auto split = all.find("\r\n\r\n");
    r.head = all.substr(0, split);
    r.body = split == std::string::npos ? "" : all.substr(split + 4);
    std::smatch m;
    if (std::regex_search(r.head, m, std::regex(R"(^HTTP/1\.[01] (\d{3}))"))) r.status = std::stoi(m[1]);
    return r;
  }

  // A connected socket to the server, or -1.
  static int connect_to_server() {
    const int fd = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    timeval timeout{30, 0};
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      close(fd);
      return -1;
    }
    return fd;
  }

  // The server's resident memory in MB.
  static long server_rss_mb() {
    std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
    std::string line;
    while (std::getline(status, line))
      if (line.rfind("VmRSS:", 0) == 0) return std::stol(line.substr(6)) / 1024;
    return -1;
  }

  // POSTs once no job holds the slot (--max-jobs 1): an earlier test's job may still be ending.
  static Reply post_when_free(const std::string& target, const std::string& body) {
    Reply r;
    for (int i = 0; i < 100; ++i) {  // the bound only stops a hung server
      r = post(target, body);
      if (r.status != 429) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return r;
  }

  static Reply get(const std::string& target) {
    return raw("GET " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  }

  static Reply post(const std::string& target, const std::string& body) {
    return raw("POST " + target + " HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
               "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) +
               "\r\n\r\n" + body);
  }
};

TEST_F(Server, BindsLoopbackOnlyByDefault) {
  EXPECT_NE(first_line_.find("127.0.0.1"), std::string::npos);
  // /proc/net/tcp lists the listening socket as 0100007F:PORT (127.0.0.1), state 0A (LISTEN).
  std::ifstream tcp("/proc/net/tcp");
  // Built with snprintf rather than ":" + std::string, which trips a GCC 12 false -Wrestrict.
  char wanted_text[16];
  std::snprintf(wanted_text, sizeof wanted_text, ":%04X", port_);
  std::string line, wanted = wanted_text;
  bool loopback = false, any = false;
  while (std::getline(tcp, line)) {
    if (line.find(wanted + " ") == std::string::npos || line.find(" 0A ") == std::string::npos) continue;
    loopback |= line.find("0100007F" + wanted) != std::string::npos;
    any |= line.find("00000000" + wanted) != std::string::npos;
  }
  EXPECT_TRUE(loopback);
  EXPECT_FALSE(any);
}

TEST_F(Server, EveryEndpointAnswersJson) {
  for (const char* target :
       {"/api/health", "/api/model", "/api/timeline?actor=AZE&from=2024", "/api/facts",
        "/api/conflicts", "/api/series?a=RUS&b=AZE", "/api/network/links",
        "/api/network/whatif?carrier=oil", "/api/network/n1", "/api/leverage", "/api/bargain"}) {
    const Reply r = get(target);
    EXPECT_EQ(r.status, 200) << target << ": " << r.body.substr(0, 300);
    EXPECT_FALSE(r.json().is_discarded()) << target;
    EXPECT_NE(r.head.find("application/json"), std::string::npos) << target;
  }
  const auto timeline = get("/api/timeline?actor=AZE&from=2024").json();
  ASSERT_TRUE(timeline.is_array());
  ASSERT_FALSE(timeline.empty());
  for (const auto& e : timeline) EXPECT_GE(e["date"].get<std::string>().substr(0, 4), "2024");
  EXPECT_EQ(get("/api/nothing-here").status, 404);
}

TEST_F(Server, CuttingALinkChangesFlowsAndLeverage) {
  const auto w = get("/api/network/whatif?carrier=gas&cut=scp-east").json();
  ASSERT_TRUE(w.contains("before") && w.contains("after"));
  EXPECT_LT(w["after"]["delivered"].get<long>(), w["before"]["delivered"].get<long>());
  for (const auto& l : w["after"]["links"])
    if (l["link"] == "scp-east") {
      EXPECT_EQ(l["flow"], 0);
    }
  const std::string before = get("/api/leverage").body, after = get("/api/leverage?cut=scp-east").body;
  EXPECT_NE(before, after) << "leverage is computed on the network without the cut link";
}

TEST_F(Server, OpeningALinkReroutesAndTheMapShowsIt) {
  const auto w = get("/api/network/whatif?carrier=freight&year=2028&open=rasht-astara").json();
  ASSERT_TRUE(w.contains("rerouted")) << w.dump();
  EXPECT_EQ(w["opened"][0]["link"], "rasht-astara");
  const Reply map = get("/api/network/map?cut=tap&open=rasht-astara");
  ASSERT_EQ(map.status, 200);
  EXPECT_NE(map.body.find("<svg"), std::string::npos);
  EXPECT_NE(map.body.find("class=\"link cut\" data-link=\"tap\""), std::string::npos);
  EXPECT_NE(map.body.find("class=\"link opened\" data-link=\"rasht-astara\""), std::string::npos);
}

TEST_F(Server, InvalidInputsAre400WithAReason) {
  for (const char* target :
       {"/api/network/whatif?cut=no-such-link", "/api/network/whatif?year=abc",
        "/api/network/whatif?carrier=water", "/api/series?a=RUS", "/api/series?a=RUS&b=NOBODY",
        "/api/timeline?from=2025&to=2020", "/api/leverage?cut=nope",
        "/api/network/whatif?carrier=gas&cut=btc", "/api/network/whatif?carrier=freight&open=rasht-astara@2028-01",
        "/api/network/map?cut=nope", "/api/bargain?method=median", "/api/bargain?rounds=0",
        "/api/bargain?q=2", "/api/bargain?probability=odd", "/api/bargain?draws=10000&rounds=100",
        "/api/bargain?issue=zangezur", "/api/network/n1?area=XYZ", "/api/network/n1?year=1800"}) {
    const Reply r = get(target);
    EXPECT_EQ(r.status, 400) << target;
    EXPECT_FALSE(r.json().value("error", "").empty()) << target;
  }
  // The error names the request's own parameter, never a command-line flag.
  const std::vector<std::pair<std::string, std::string>> named = {
      {"/api/network/whatif?cut=scp-eats", "'cut': unknown link 'scp-eats'; did you mean 'scp-east'?"},
      {"/api/network/whatif?block=ATL", "'block': no node or link lies in 'ATL'"},
      {"/api/network/whatif?carrier=gsa", "did you mean 'gas'?"},
      {"/api/leverage?channel=enrgy", "'channel': 'enrgy' is not a channel"},
      {"/api/series?a=RUS&b=AZEE", "'b': no actor 'AZEE' in the model; did you mean 'AZE'?"},
      {"/api/bargain?issue=zangezur-corridr", "'issue': no issue 'zangezur-corridr'"},
      {"/api/facts?actor=Georgai", "'actor': no actor 'Georgai'"},
  };
  for (const auto& [target, message] : named) {
    const Reply r = get(target);
    EXPECT_EQ(r.status, 400) << target;
    const std::string error = r.json().value("error", "");
    EXPECT_NE(error.find(message), std::string::npos) << target << ": " << error;
    EXPECT_EQ(error.find("--"), std::string::npos) << target << ": " << error;
  }
  for (const char* body : {"not json", "[1,2]", R"({"runs": 0})", R"({"runs": -5})",
                           R"({"runs": "many"})", R"({"bogus": 1})", R"({"horizon": "soon"})",
                           R"({"shocks": ["event:RUS>AZE:999@2026-01"]})", R"({"shocks": "x"})",
                           R"({"set": {"theta": "high"}})", R"({"set": [1]})", R"({"set": {"thetta": 0.1}})",
                           R"({"set": {"theta": 0.5}})"}) {
    const Reply r = post("/api/forecasts", body);
    EXPECT_EQ(r.status, 400) << body << ": " << r.body;
  }
  // `set` names parameters as --set does, with the same checks (a name, a value in its range).
  EXPECT_NE(post("/api/forecasts", R"({"set": {"thetta": 0.1}})").json().value("error", "").find("theta"),
            std::string::npos);
  const Reply set = post("/api/forecasts", R"({"runs": 20, "horizon": "2026-03", "set": {"theta": 0.1}})");
  EXPECT_TRUE(set.status == 202 || set.status == 429) << set.body;
}

TEST_F(Server, OversizedBodiesAndQueriesAre413) {
  EXPECT_EQ(post("/api/forecasts", "{\"runs\": 1, \"x\": \"" + std::string(70000, 'a') + "\"}").status, 413);
  EXPECT_EQ(get("/api/timeline?text=" + std::string(3000, 'a')).status, 413);
  std::string many = "/api/timeline?";
  for (int i = 0; i < 40; ++i) many.append("p").append(std::to_string(i)).append("=1&");
  EXPECT_EQ(get(many).status, 413);
  EXPECT_EQ(get("/api/health").status, 200) << "still serving";
}

TEST_F(Server, ForecastJobsRunWithProgressAndAreBounded) {
  const Reply first = post("/api/forecasts", R"({"runs": 20000, "seed": 7})");
  ASSERT_EQ(first.status, 202) << first.body;
  const std::string id = first.json()["id"];
  // --max-jobs 1: a second job while the first runs is refused.
  const Reply second = post("/api/forecasts", R"({"runs": 10})");
  EXPECT_EQ(second.status, 429) << second.body;
  nlohmann::json job;
  for (int i = 0; i < 600; ++i) {  // polls until done; the bound only stops a hung server
    job = get("/api/forecasts/" + id).json();
    ASSERT_FALSE(job.is_discarded());
    EXPECT_LE(job["done"].get<long>(), 20000);
    if (job["status"] != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(job["status"], "done") << job.dump();
  EXPECT_EQ(job["done"], 20000);
  double total = 0;
  for (const auto& s : job["result"]["scenarios"]) {  // the vocabulary of `forecast --json`
    EXPECT_LE(s["low95"].get<double>(), s["probability"].get<double>());
    EXPECT_LE(s["probability"].get<double>(), s["high95"].get<double>());
    total += s["probability"].get<double>();
  }
  EXPECT_TRUE(job["result"]["indicators"].begin()->front().contains("q975"));
  EXPECT_NEAR(total, 1.0, 1e-9);
  EXPECT_EQ(post("/api/forecasts", R"({"runs": 10})").status, 202) << "a slot is free again";
  EXPECT_EQ(get("/api/forecasts/f999").status, 404);
}

TEST_F(Server, AJobsCostIsBoundedBeforeAnythingIsBuilt) {
  const long before = server_rss_mb();
  // The horizon bomb: 36 bytes that once took 1.5 GB; now refused at once.
  const Reply far = post("/api/forecasts", R"({"runs":20000,"horizon":"2999-12"})");
  EXPECT_EQ(far.status, 400) << far.body;
  EXPECT_NE(far.json().value("error", "").find("20 years"), std::string::npos) << far.body;
  // Within the horizon bound, runs x months is bounded too: 413, saying what would fit.
  const Reply large = post("/api/forecasts", R"({"runs":20000,"horizon":"2040-12"})");
  EXPECT_EQ(large.status, 413) << large.body;
  EXPECT_NE(large.json().value("error", "").find("runs x months"), std::string::npos) << large.body;
  EXPECT_LT(server_rss_mb(), before + 100) << "refused jobs allocate nothing";
  // A refused job holds no slot (--max-jobs 1): a small one still starts.
  const Reply small = post_when_free("/api/forecasts", R"({"runs":10,"horizon":"2040-12"})");
  EXPECT_EQ(small.status, 202) << small.body;
}

TEST_F(Server, JobsCanBeCancelledAndTheirSlotComesBack) {
  const Reply first = post_when_free("/api/forecasts", R"({"runs": 20000, "seed": 3})");
  ASSERT_EQ(first.status, 202) << first.body;
  const std::string id = first.json()["id"];
  // While it runs, its slot is taken: a second job is refused before any engine is built (a
  // shock naming an unknown actor, found only when the engine is built, would otherwise be a
  // 400). A shock that does not parse is refused at once, slot or not.
  EXPECT_EQ(post("/api/forecasts", R"({"runs": 10, "shocks": ["event:RUS>XYZ:173@2026-01"]})").status, 429);
  EXPECT_EQ(post("/api/forecasts", R"({"runs": 10, "shocks": ["nonsense"]})").status, 400);
  const Reply cancel = raw("DELETE /api/forecasts/" + id + " HTTP/1.1\r\nHost: localhost\r\n"
                           "Connection: close\r\n\r\n");
  EXPECT_TRUE(cancel.status == 202 || cancel.status == 200) << cancel.body;
  nlohmann::json job;
  for (int i = 0; i < 300; ++i) {  // a batch of runs at most; the bound only stops a hung server
    job = get("/api/forecasts/" + id).json();
    if (job.value("status", "") != "running" && job.value("status", "") != "cancelling") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_TRUE(job["status"] == "cancelled" || job["status"] == "done") << job.dump();
  EXPECT_LT(job["done"].get<long>(), 20000) << "stopped before the end";
  EXPECT_EQ(post("/api/forecasts", R"({"runs": 10})").status, 202) << "the slot came back";
  EXPECT_EQ(raw("DELETE /api/forecasts/f999 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n").status,
            404);
}

TEST_F(Server, ManyRangesAreRefused) {
  std::string ranges = "bytes=0-";
  for (int i = 0; i < 2700; ++i) ranges += ",0-";
  const Reply r = raw("GET /api/model HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nRange: " +
                      ranges + "\r\n\r\n");
  EXPECT_EQ(r.status, 416) << r.head;
  EXPECT_LT(r.body.size(), 1000u);
  const Reply one = raw("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nRange: bytes=0-4\r\n\r\n");
  EXPECT_EQ(one.status, 206) << one.head;
  EXPECT_EQ(one.body, "<!DOC");
}

TEST_F(Server, HugeOrManyHeadersAreCutOff) {
  // 100 headers of 30 bytes: over the header count, answered 431.
  std::string many = "GET /api/health HTTP/1.1\r\nHost: localhost\r\n";
  for (int i = 0; i < 100; ++i) many += "X-Header-" + std::to_string(i) + ": some value\r\n";
  const Reply r = raw(many + "\r\n");
  EXPECT_EQ(r.status, 431) << r.head;
  // A million headers (110 MB): the server stops reading long before the end and keeps nothing.
  const long before = server_rss_mb();
  const int fd = connect_to_server();
  ASSERT_GE(fd, 0);
  const std::string head = "GET /api/health HTTP/1.1\r\nHost: localhost\r\n";
  send(fd, head.data(), head.size(), MSG_NOSIGNAL);
  std::string chunk;
  for (int i = 0; i < 1000; ++i) chunk += "X-Header-" + std::to_string(100000 + i) + ": value-of-a-header-line\r\n";
  std::size_t sent = 0;
  for (int i = 0; i < 1000; ++i) {  // 1000 x 1000 headers at most
    const ssize_t n = send(fd, chunk.data(), chunk.size(), MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  close(fd);
  EXPECT_LT(sent, std::size_t{32} << 20) << "the server kept reading";
  EXPECT_LT(server_rss_mb(), before + 50);
  EXPECT_EQ(get("/api/health").status, 200);
}

TEST_F(Server, SlowClientsNeitherStarveHealthChecksNorHoldOn) {
  // 100 connections sending a request one byte a second.
  const std::string request = "GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Pad: " +
                              std::string(40, 'p') + "\r\n\r\n";
  std::vector<int> slow;
  for (int i = 0; i < 100; ++i) {
    const int fd = connect_to_server();
    ASSERT_GE(fd, 0);
    slow.push_back(fd);
  }
  const auto begin = std::chrono::steady_clock::now();
  std::atomic<bool> stop{false};
  std::thread trickle([&] {
    for (std::size_t at = 0; at < request.size() && !stop; ++at) {
      for (int fd : slow)  // the first connection stops after 5 bytes: it then only waits
        if (fd != slow[0] || at < 5) send(fd, request.data() + at, 1, MSG_NOSIGNAL);
      for (int i = 0; i < 10 && !stop; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
  });
  for (int i = 0; i < 5; ++i) {  // health checks answer at once meanwhile
    const auto start = std::chrono::steady_clock::now();
    EXPECT_EQ(get("/api/health").status, 200) << "check " << i;
    EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2)) << "check " << i;
    std::this_thread::sleep_for(std::chrono::milliseconds(800));
  }
  // A request left unfinished ends with a 408: after 5 s without a byte (the first connection),
  // or 10 s after its first byte however slowly it trickles.
  char buf[4096];
  const ssize_t n = recv(slow[0], buf, sizeof buf, 0);  // blocks until the server answers
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(15));
  stop = true;
  trickle.join();
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, static_cast<std::size_t>(n)).substr(0, 12), "HTTP/1.1 408");
  for (int fd : slow) close(fd);
}

TEST_F(Server, CrossSiteRequestsAreRefused) {
  // A page of another site posting a "simple" request (text/plain, no preflight).
  const std::string body = R"({"runs": 10})";
  const auto post_with = [&](const std::string& headers) {
    return raw("POST /api/forecasts HTTP/1.1\r\n" + headers + "Connection: close\r\nContent-Length: " +
               std::to_string(body.size()) + "\r\n\r\n" + body);
  };
  EXPECT_EQ(post_with("Host: evil.example\r\nOrigin: http://evil.example\r\nContent-Type: text/plain\r\n").status, 403);
  EXPECT_EQ(post_with("Host: localhost:8080\r\nOrigin: http://evil.example\r\nContent-Type: application/json\r\n").status, 403);
  EXPECT_EQ(post_with("Host: localhost\r\nContent-Type: text/plain\r\n").status, 415);
  EXPECT_EQ(post_with("Host: localhost\r\nSec-Fetch-Site: cross-site\r\nContent-Type: application/json\r\n").status, 403);
  // DNS rebinding: a foreign name in Host cannot read the API either.
  EXPECT_EQ(raw("GET /api/model HTTP/1.1\r\nHost: rebind.example:8080\r\nConnection: close\r\n\r\n").status, 403);
  // The dashboard itself (same origin) is served.
  const std::string self = "localhost:" + std::to_string(port_);
  Reply same;
  for (int i = 0; i < 100; ++i) {  // the slot may still be held by an earlier test's job
    same = post_with("Host: " + self + "\r\nOrigin: http://" + self + "\r\nContent-Type: application/json\r\n");
    if (same.status != 429) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(same.status, 202) << same.body;
  EXPECT_EQ(raw("GET /api/model HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port_) + "\r\nConnection: close\r\n\r\n").status, 200);
}

TEST_F(Server, InvalidUtf8AndAmbiguousFramingAre400NotErrors) {
  for (const char* target : {"/api/series?a=%FF%FE&b=RUS", "/api/timeline?actor=%C3%28",
                             "/api/leverage?cut=%FF", "/api/network/whatif?cut=%FF",
                             "/api/network/whatif?carrier=%FF"}) {
    const Reply r = get(target);
    EXPECT_EQ(r.status, 400) << target << ": " << r.body;
    EXPECT_FALSE(r.json().is_discarded()) << target << ": " << r.body;
  }
  const std::string json = "Host: localhost\r\nContent-Type: application/json\r\nConnection: close\r\n";
  EXPECT_EQ(raw("POST /api/forecasts HTTP/1.1\r\n" + json + "Content-Length: 2\r\nContent-Length: 12\r\n\r\n{}").status, 400);
  EXPECT_EQ(raw("POST /api/forecasts HTTP/1.1\r\n" + json +
                "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n").status, 400);
  EXPECT_EQ(get("/api/health").status, 200);
}

TEST_F(Server, StaticFilesStayInsideTheWebRoot) {
  const Reply index = get("/");
  EXPECT_EQ(index.status, 200);
  EXPECT_NE(index.body.find("dashboard"), std::string::npos);
  const std::string outside = "/../" + outside_->path().filename().string() + "/secret.txt";
  for (const std::string& target :
       {outside, std::string("/%2e%2e/%2e%2e/etc/passwd"), std::string("/..%2f..%2fetc/passwd"),
        std::string("/link.txt"), std::string("/./index.html/../../x"), std::string("//etc/passwd")}) {
    const Reply r = get(target);
    EXPECT_TRUE(r.status == 400 || r.status == 404) << target << " -> " << r.status;
    EXPECT_EQ(r.body.find("SECRET-OUTSIDE"), std::string::npos) << target;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << target;
  }
}

TEST_F(Server, MalformedHttpNeverCrashesIt) {
  const std::vector<std::string> attacks = {
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  // a TLS hello
      "GARBAGE\r\n\r\n",
      "GET\r\n\r\n",
      "GET / HTTP/9.9\r\n\r\n",
      "GET /api/health HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
      "POST /api/forecasts HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\n{}",
      "POST /api/forecasts HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZ\r\nxx\r\n",
      "GET /api/health HTTP/1.1\r\n" + std::string(100000, 'X') + ": y\r\n\r\n",
      "GET /" + std::string(20000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n",
      std::string("GET /api/health\0 HTTP/1.1\r\n\r\n", 30),
      "GET /api/health HTTP/1.1\r\nHost: x\r\n",  // cut off before the blank line
  };
  for (const auto& a : attacks) {
    const Reply r = raw(a);
    EXPECT_NE(r.status, 200) << "a malformed request was accepted: " << a.substr(0, 60);
    EXPECT_EQ(get("/api/health").status, 200) << "after: " << a.substr(0, 40);
  }
  int status = 0;
  EXPECT_EQ(waitpid(pid_, &status, WNOHANG), 0) << "the server process is still alive";
}

}  // namespace
}  // namespace sphere::testing

namespace sphere::testing {
namespace {

// A number as the report's charts write it: at most `digits` decimals, no trailing zeros.
std::string as_label(double v, int digits) {
  std::string s = fmt::format("{:.{}f}", v, digits);
  if (s.find('.') != std::string::npos) {
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
  }
  return s == "-0" ? "0" : s;
}

// A scenario's cells at the horizon in the report's table: P, Monte Carlo and parameter intervals.
// One question, one answer: the CLI, the API and the report state the same numbers for the same
// request (forecast, leverage, network what-if and links, bargaining, series), and `sphere run`'s
// report shows the forecast the command printed.
TEST_F(Server, CliApiAndReportStateTheSameNumbers) {
  const auto cli = nlohmann::json::parse(run_sphere("forecast --runs 300 --seed 3 --json").out);
  nlohmann::json job;
  for (int i = 0; i < 600; ++i) {  // the server runs one job at a time: wait for a free slot
    const Reply r = post("/api/forecasts", R"({"runs": 300, "seed": 3})");
    if (r.status == 202) {
      job = r.json();
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_TRUE(job.contains("href")) << "no forecast slot";
  nlohmann::json done;
  for (int i = 0; i < 600; ++i) {
    done = get(job["href"].get<std::string>()).json();
    if (done["status"] != "running") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  ASSERT_EQ(done["status"], "done") << done.dump();
  EXPECT_EQ(done["result"], cli);  // the whole result, every number and name

  TempDir dir;
  const auto report = dir.path() / "r.html";
  ASSERT_EQ(run_sphere("report --runs 300 --seed 3 --sensitivity-runs 0 --out '" + report.string() + "'").exit_code, 0);
  const std::string html = read_file(report);
  // The scenario probabilities are the estimated model's when its panel is there: the report
  // states those, and not the structural engine's (one probability per question).
  const bool estimated = std::filesystem::exists(
      shared_dir() / "data/events/gdelt-country-networks/monthly_2018_2022.csv");
  for (const auto& s : cli["scenarios"]) {
    const std::string cell = fmt::format("{:.1f}% ({:.1f}–{:.1f}%)", s["probability"].get<double>() * 100,
                                         s["low95"].get<double>() * 100, s["high95"].get<double>() * 100);
    EXPECT_EQ(html.find(cell) != std::string::npos, !estimated) << cell;
  }
  if (estimated) {
    const auto scenarios = nlohmann::json::parse(run_sphere("scenarios --seed 3 --json").out);
    for (const auto& s : scenarios["scenarios"])
      EXPECT_NE(html.find(scenario_cells(s)), std::string::npos) << s["scenario"];
  }

  const auto lev_cli = nlohmann::json::parse(run_sphere("leverage --json").out);
  const auto lev_api = get("/api/leverage").json();
  EXPECT_EQ(lev_api["pairs"], lev_cli["pairs"]);
  EXPECT_EQ(lev_api["cells"], lev_cli["cells"]);
  ASSERT_FALSE(lev_cli["pairs"].empty());
  for (const auto& p : lev_cli["pairs"]) {
    // The heatmap reads in per cent of GDP, two significant digits.
    const double pc = p["leverage"].get<double>() * 100.0;
    const int digits = pc == 0.0 ? 0 : std::max(0, 1 - static_cast<int>(std::floor(std::log10(std::abs(pc)))));
    const std::string cell = fmt::format("{} over {}: {}%", p["from"].get<std::string>(),
                                         p["to"].get<std::string>(), as_label(pc, digits));
    EXPECT_NE(html.find(cell), std::string::npos) << cell;
  }

  const auto net_cli = nlohmann::json::parse(run_sphere("network --carrier gas --cut scp-east --json").out);
  EXPECT_EQ(get("/api/network/whatif?carrier=gas&cut=scp-east").json(), net_cli);

  // One encoder per result: the same request gives the same bytes from `--json` and the API.
  const std::vector<std::pair<std::string, std::string>> same = {
      {"network --carrier freight --year 2030 --cut instc-caspian --open rasht-astara@2028-01 --json",
       "/api/network/whatif?carrier=freight&year=2030&cut=instc-caspian&open=rasht-astara@2028-01"},
      {"leverage --json", "/api/leverage"},
      {"leverage --channel energy --json", "/api/leverage?channel=energy"},
      {"timeline --actor AZE --from 2024 --to 2025 --json", "/api/timeline?actor=AZE&from=2024&to=2025"},
      {"timeline peace --json", "/api/timeline?text=peace"},
      {"bargain --json", "/api/bargain"},
      {"bargain --issue zangezur-corridor --method eu --rounds 4 --probability printed --q 0.9 "
       "--tolerance 0.01 --draws 100 --seed 3 --json",
       "/api/bargain?issue=zangezur-corridor&method=eu&rounds=4&probability=printed&q=0.9&"
       "tolerance=0.01&draws=100&seed=3"},
      {"bargain --method nbs --draws 0 --json", "/api/bargain?method=nbs&draws=0"},
      {"events series --dyad RUS:AZE --json", "/api/series?a=RUS&b=AZE"},
      {"network links --json", "/api/network/links"},
      {"network n1 --json", "/api/network/n1"},
      {"network n1 --area GEO --year 2030 --json", "/api/network/n1?area=GEO&year=2030"},
      {"facts --json", "/api/facts"},
      {"facts --conflicts --json", "/api/conflicts"},
      {"facts gas --actor Azerbaijan --json", "/api/facts?text=gas&actor=Azerbaijan"},
      {"network links --year 2030 --carrier freight --json", "/api/network/links?year=2030&carrier=freight"},
      {"events series --dyad Russia:Azerbaijan --json", "/api/series?a=Russia&b=Azerbaijan"},
  };
  if (estimated) {
    const RunResult cli_scenarios = run_sphere("scenarios --json");
    ASSERT_EQ(cli_scenarios.exit_code, 0) << cli_scenarios.err;
    EXPECT_EQ(get("/api/scenarios").body, cli_scenarios.out);
  }
  for (const auto& [args, target] : same) {
    const RunResult cli = run_sphere(args);
    ASSERT_EQ(cli.exit_code, 0) << args << ": " << cli.err;
    ASSERT_GT(cli.out.size(), 10u) << args;
    EXPECT_EQ(get(target).body, cli.out) << target;
  }

  const auto run = run_sphere("run --json --report '" + report.string() + "'");
  ASSERT_EQ(run.exit_code, 0) << run.err;
  const std::string ran = read_file(report);
  if (estimated) {
    const auto printed = nlohmann::json::parse(run.out)["scenarios"];
    for (const auto& s : printed["scenarios"])
      EXPECT_NE(ran.find(scenario_cells(s)), std::string::npos) << s["scenario"];
  } else {
    const auto printed = nlohmann::json::parse(run.out)["forecast"];
    EXPECT_NE(ran.find(fmt::format("{} trajectories", printed["runs"].get<int>())), std::string::npos);
    for (const auto& s : printed["scenarios"]) {
      const std::string cell = fmt::format("{:.1f}% ({:.1f}–{:.1f}%)", s["probability"].get<double>() * 100,
                                           s["low95"].get<double>() * 100, s["high95"].get<double>() * 100);
      EXPECT_NE(ran.find(cell), std::string::npos) << cell;
    }
  }
}

}  // namespace
}  // namespace sphere::testing
