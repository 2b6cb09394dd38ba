// The request guards on one connection at a time (a socket pair), as a client or an attacker
// would send the bytes, and the screening functions on their own.
#include <sys/socket.h>
#include <unistd.h>

#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "http/http.h"

namespace sphere::http {
namespace {

// A server with two routes, bound (as far as Host checks go) to 127.0.0.1.
struct Fixture : ::testing::Test {
  GuardedServer server;
  int routed = 0;
  Fixture() {
    server.screen = [](const httplib::Request& req) { return screen_request(req, "127.0.0.1"); };
    server.Get("/api/health", [this](const httplib::Request&, httplib::Response& res) {
      ++routed;
      res.set_content("{\"ok\":true}", "application/json");
    });
    server.Post("/api/forecasts", [this](const httplib::Request& req, httplib::Response& res) {
      ++routed;
      res.status = 202;
      res.set_content(req.body, "application/json");
    });
    server.Get("/index.html", [this](const httplib::Request&, httplib::Response& res) {
      ++routed;
      res.set_content("0123456789", "text/html");
    });
  }
  // Sends `request` on a fresh connection, closes the sending side and returns everything the
  // server answered before it closed the connection.
  std::string exchange(const std::string& request) {
    int fds[2];
    EXPECT_EQ(::socketpair(AF_UNIX, SOCK_STREAM, 0, fds), 0);
    EXPECT_EQ(::send(fds[0], request.data(), request.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(request.size()));
    ::shutdown(fds[0], SHUT_WR);
    server.serve_connection(fds[1]);
    std::string answer;
    char buffer[4096];
    ssize_t n;
    while ((n = ::recv(fds[0], buffer, sizeof buffer, 0)) > 0) answer.append(buffer, static_cast<std::size_t>(n));
    ::close(fds[0]);
    return answer;
  }
};

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (std::size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(Fixture, KeepAliveRequestsAreAnsweredInTurn) {
  const std::string get = "GET /api/health HTTP/1.1\r\nHost: localhost:8080\r\n\r\n";
  const std::string answer = exchange(get + get + "GET /index.html HTTP/1.1\r\nHost: [::1]:8080\r\n"
                                              "Range: bytes=2-4\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(count(answer, "HTTP/1.1 200 OK"), 2) << answer;
  EXPECT_EQ(count(answer, "HTTP/1.1 206"), 1) << answer;
  EXPECT_NE(answer.find("\r\n\r\n234"), std::string::npos) << answer;
  EXPECT_EQ(routed, 3);
}

TEST_F(Fixture, AnOversizedHeadIsCutOffWith431) {
  std::string many = "GET /api/health HTTP/1.1\r\nHost: localhost\r\n";
  for (std::size_t i = 0; i <= kMaxHeaderLines; ++i) many += "X-H" + std::to_string(i) + ": v\r\n";
  std::string answer = exchange(many + "\r\n");
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 431") << answer;
  // One header line longer than the whole head may be.
  answer = exchange("GET /api/health HTTP/1.1\r\nHost: localhost\r\nX-Long: " +
                    std::string(kMaxHead, 'a') + "\r\n\r\n");
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 431") << answer;
  EXPECT_EQ(routed, 0);
}

TEST_F(Fixture, ARefusedRequestsBodyIsNeverTakenForTheNextRequest) {
  // A cross-site "simple" POST whose body is a request of its own: answered 415 (after the Host
  // and Origin checks pass), the connection closed, the smuggled request never routed.
  const std::string inner = "GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n";
  const std::string answer =
      exchange("POST /api/forecasts HTTP/1.1\r\nHost: localhost\r\nContent-Type: text/plain\r\n"
               "Content-Length: " + std::to_string(inner.size()) + "\r\n\r\n" + inner);
  EXPECT_EQ(answer.substr(0, 12), "HTTP/1.1 415") << answer;
  EXPECT_EQ(count(answer, "HTTP/1.1"), 1) << answer;
  EXPECT_EQ(routed, 0);
  // Ambiguous framing: two lengths, or a length with chunked encoding.
  EXPECT_EQ(exchange("POST /api/forecasts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     "Content-Length: 2\r\nContent-Length: 12\r\n\r\n{}").substr(0, 12),
            "HTTP/1.1 400");
  EXPECT_EQ(exchange("POST /api/forecasts HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                     "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n").substr(0, 12),
            "HTTP/1.1 400");
  EXPECT_EQ(routed, 0);
}

TEST_F(Fixture, ForeignHostsOriginsAndManyRangesAreRefusedWithJson) {
  struct Case {
    std::string request;
    int status;
  };
  const Case cases[] = {
      {"GET /api/health HTTP/1.1\r\nHost: rebind.example:8080\r\n\r\n", 403},
      {"GET /api/health HTTP/1.1\r\nHost: localhost\r\nOrigin: http://evil.example\r\n\r\n", 403},
      {"GET /api/health HTTP/1.1\r\nHost: localhost\r\nSec-Fetch-Site: cross-site\r\n\r\n", 403},
      {"GET /index.html HTTP/1.1\r\nHost: localhost\r\nRange: bytes=0-1,3-4\r\n\r\n", 416},
      {"GET /api/health?" + std::string(kMaxTarget, 'q') + " HTTP/1.1\r\nHost: localhost\r\n\r\n", 413},
      {"GET /api/health HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n", 400},
  };
  for (const auto& c : cases) {
    const std::string answer = exchange(c.request);
    ASSERT_GE(answer.size(), 12u) << c.request;
    EXPECT_EQ(std::stoi(answer.substr(9, 3)), c.status) << c.request.substr(0, 120) << "\n" << answer;
    const auto body = nlohmann::json::parse(answer.substr(answer.find("\r\n\r\n") + 4), nullptr, false);
    EXPECT_EQ(body.value("status", 0), c.status) << answer;
    EXPECT_FALSE(body.value("error", "").empty()) << answer;
  }
  EXPECT_EQ(routed, 0);
  // The server's own origin is accepted.
  EXPECT_EQ(exchange("GET /api/health HTTP/1.1\r\nHost: localhost:8080\r\nOrigin: http://localhost:8080\r\n\r\n")
                .substr(0, 12),
            "HTTP/1.1 200");
}

TEST(Screen, HostNamesAndBoundAddresses) {
  EXPECT_EQ(host_name("LocalHost:8080"), "localhost");
  EXPECT_EQ(host_name("[::1]:8080"), "[::1]");
  EXPECT_EQ(host_name(""), "");
  httplib::Request req;
  req.method = "GET";
  req.headers.emplace("Host", "192.168.1.5:8080");
  EXPECT_TRUE(screen_request(req, "127.0.0.1").has_value());
  EXPECT_FALSE(screen_request(req, "192.168.1.5").has_value());
  EXPECT_FALSE(screen_request(req, "0.0.0.0").has_value());  // every interface: the user's choice
  httplib::Request unclosed;
  unclosed.method = "GET";
  unclosed.headers.emplace("Host", "[::1");
  EXPECT_EQ(screen_request(unclosed, "127.0.0.1")->status, 403);
  req.method = "POST";
  EXPECT_EQ(screen_request(req, "0.0.0.0")->status, 415);
  req.headers.emplace("Content-Type", "Application/JSON; charset=utf-8");
  EXPECT_FALSE(screen_request(req, "0.0.0.0").has_value());
}

TEST(Screen, ErrorBodiesEncodeInvalidUtf8) {
  const auto body = nlohmann::json::parse(error_body(400, "no actor '\xff\xfe'"));
  EXPECT_EQ(body["status"], 400);
  EXPECT_EQ(body["error"], "no actor '\xEF\xBF\xBD\xEF\xBF\xBD'");
}

}  // namespace
}  // namespace sphere::http
