// libFuzzer harness: the request handling of `sphere serve` (src/http over cpp-httplib) on any
// bytes arriving on a connection: the metered head, the screening of each request (framing,
// ranges, Host, Origin, content type, query size) and the library's parsing, with a few routes of
// each kind behind them. Whatever arrives, every request is answered or the connection closed,
// and the process neither crashes nor grows.
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "http/http.h"

namespace {

sphere::http::GuardedServer& server() {
  static sphere::http::GuardedServer* s = [] {
    auto* g = new sphere::http::GuardedServer;
    g->screen = [](const httplib::Request& req) { return sphere::http::screen_request(req, "127.0.0.1"); };
    g->set_payload_max_length(64 * 1024);
    g->set_read_timeout(1, 0);
    g->set_write_timeout(1, 0);
    g->Get("/api/health", [](const httplib::Request&, httplib::Response& res) {
      res.set_content("{\"ok\":true}", "application/json");
    });
    // Parameters echoed back, as the API's errors echo what they were given.
    g->Get("/api/echo", [](const httplib::Request& req, httplib::Response& res) {
      std::string out;
      for (const auto& [k, v] : req.params) out += k + "=" + v + "\n";
      res.set_content(sphere::http::error_body(400, out), "application/json");
    });
    g->Post("/api/forecasts", [](const httplib::Request& req, httplib::Response& res) {
      res.status = 202;
      res.set_content(sphere::http::error_body(202, req.body), "application/json");
    });
    g->Delete(R"(/api/forecasts/([A-Za-z0-9]{1,16}))", [](const httplib::Request& req, httplib::Response& res) {
      res.set_content(sphere::http::error_body(404, req.matches[1].str()), "application/json");
    });
    // A static file: ranges apply to it.
    g->Get("/index.html", [](const httplib::Request&, httplib::Response& res) {
      res.set_content(std::string(2000, 'x'), "text/html");
    });
    return g;
  }();
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  int fds[2];
  if (::socketpair(AF_UNIX, SOCK_STREAM, 0, fds) != 0) std::abort();
  // Room for the whole input and every answer, so that neither side waits on the other.
  const int room = 1 << 20;
  ::setsockopt(fds[0], SOL_SOCKET, SO_SNDBUFFORCE, &room, sizeof room);
  ::setsockopt(fds[1], SOL_SOCKET, SO_SNDBUFFORCE, &room, sizeof room);
  std::size_t sent = 0;
  while (sent < size) {
    const ssize_t n = ::send(fds[0], data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fds[0], SHUT_WR);  // the client has said everything
  server().serve_connection(fds[1]);  // closes fds[1]
  ::close(fds[0]);
  return 0;
}
