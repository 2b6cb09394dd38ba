// Guards for a loopback HTTP service on cpp-httplib: every request bounded and screened before it
// is routed. A connection is read through a meter that bounds the request head (bytes and header
// lines) and the time to send a whole request, and caps connections per client address; a
// request whose head is read is screened for ambiguous framing, several ranges, a foreign Host
// (DNS rebinding) or Origin (cross-site requests), a JSON body without its content type, a
// malformed Content-Length and an oversized query. A refused request gets a JSON error
// ({"error", "status"}) and its connection is closed after the answer.
//
// `sphere serve` (src/app/cmd_serve.cpp) routes on a GuardedServer; tests and the fuzz harness
// serve one connected socket with serve_connection, without listening.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include <httplib.h>

namespace sphere::http {

// Limits of one request (docs/openapi.yaml states each).
inline constexpr std::size_t kMaxHead = 16 * 1024;  // bytes of the request line and headers
inline constexpr std::size_t kMaxHeaderLines = 64;  // header lines
// A whole request (head and body) must arrive within this time of its first byte, so that a
// client sending a byte now and then cannot hold a connection thread.
inline constexpr std::chrono::seconds kRequestDeadline{10};
inline constexpr std::size_t kMaxTarget = 4096;  // bytes of path + query
inline constexpr std::size_t kMaxParams = 32;
inline constexpr std::size_t kMaxParamValue = 1024;
// Open connections from one client address.
inline constexpr int kMaxClientConnections = 128;

// Why a request is refused: its HTTP status and a message for the client.
struct Refusal {
  int status;
  std::string message;
};

// The JSON error body {"error": message, "status": status}; text echoed from a request may be
// invalid UTF-8 and is replaced (U+FFFD), never an exception.
std::string error_body(int status, const std::string& message);

// The host name of a Host header value ("localhost:8080" -> "localhost", "[::1]:8080" ->
// "[::1]"), lower-cased.
std::string host_name(const std::string& host);

// Framing and ranges: a repeated Content-Length, Transfer-Encoding with Content-Length or other
// than a single "chunked", more than one range.
std::optional<Refusal> screen_framing(const httplib::Request& req);

// The requester: Host must name a loopback name or `bound_host` (any host when bound to every
// interface), Origin must be this server's, Sec-Fetch-Site not cross-site; POST, PUT and PATCH
// bodies must be application/json; Content-Length a plain number; the query within kMaxTarget
// bytes and kMaxParams parameters of kMaxParamValue bytes.
std::optional<Refusal> screen_request(const httplib::Request& req, const std::string& bound_host);

// cpp-httplib's server with each connection read through the guards above. `screen` adds the
// service's own checks (screen_framing always runs first). A refused request is answered before
// any route runs or its body is read.
class GuardedServer : public httplib::Server {
 public:
  GuardedServer();

  std::function<std::optional<Refusal>(const httplib::Request&)> screen;

  // Serves the requests on a connected socket until it closes or a request is refused, then
  // closes it, as for an accepted connection; returns whether the last request succeeded.
  bool serve_connection(socket_t sock) { return serve(sock, /*listening=*/false); }

 private:
  bool process_and_close_socket(socket_t sock) override { return serve(sock, true); }
  bool serve(socket_t sock, bool listening);
  bool admit(const std::string& client);
  void leave(const std::string& client);

  std::mutex clients_mutex_;
  std::map<std::string, int> clients_;  // open connections per client address
};

}  // namespace sphere::http
