// The request guards of http.h: a metered stream over each connection and the screening of each
// request once its head is read.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/core.h"
#include "http/http.h"

namespace sphere::http {
namespace {

// Marks a request that the screening before routing refused ("STATUS message"); the pre-routing
// handler answers it.
constexpr const char* kRefused = "X-Sphere-Refused";

// A connection's socket read through a buffer that bounds each request: its head (request line
// and headers) to kMaxHead bytes and kMaxHeaderLines lines, and the whole request to
// kRequestDeadline from its first byte, with at most the read timeout between two reads. A
// request over a bound gets its answer (431, 408) here, and the connection is closed after it:
// whatever the library writes next is dropped.
class GuardedStream final : public httplib::Stream {
 public:
  GuardedStream(int sock, int read_timeout_ms, int write_timeout_ms)
      : sock_(sock), read_timeout_ms_(read_timeout_ms), write_timeout_ms_(write_timeout_ms) {}

  // Waits up to `timeout_ms` for the next request's first byte (or buffered bytes).
  bool wait_for_request(int timeout_ms) const {
    return pos_ < len_ || poll_for(POLLIN, timeout_ms) > 0;
  }
  // The next request starts: its head is counted and its deadline starts at its first byte.
  void begin_request() {
    in_head_ = true;
    head_bytes_ = head_lines_ = 0;
    tail_ = 0;
    deadline_.reset();
  }
  // Closes the connection after the current answer.
  void close_after() { close_after_ = true; }
  bool must_close() const { return close_after_ || refused_; }

  bool is_readable() const override { return pos_ < len_ || poll_for(POLLIN, wait_ms()) > 0; }
  bool is_writable() const override { return poll_for(POLLOUT, write_timeout_ms_) > 0; }

  ssize_t read(char* ptr, size_t size) override {
    if (refused_) return -1;
    if (pos_ == len_ && !fill()) return -1;
    const std::size_t n = std::min(size, len_ - pos_);
    for (std::size_t i = 0; in_head_ && i < n; ++i) {
      const unsigned char c = static_cast<unsigned char>(buffer_[pos_ + i]);
      tail_ = (tail_ << 8) | c;
      ++head_bytes_;
      if (c == '\n') ++head_lines_;
      if ((tail_ & 0xffffffffu) == 0x0d0a0d0au || (tail_ & 0xffffu) == 0x0a0au) in_head_ = false;
      if (head_bytes_ > kMaxHead || head_lines_ > kMaxHeaderLines + 1) {
        refuse(431, "Request Header Fields Too Large",
               fmt::format("request head too large: at most {} bytes and {} headers", kMaxHead,
                           kMaxHeaderLines));
        return -1;
      }
    }
    std::memcpy(ptr, buffer_ + pos_, n);
    pos_ += n;
    return static_cast<ssize_t>(n);
  }

  ssize_t write(const char* ptr, size_t size) override {
    if (refused_) return static_cast<ssize_t>(size);  // the answer was sent already
    std::size_t sent = 0;
    while (sent < size) {
      if (poll_for(POLLOUT, write_timeout_ms_) <= 0) return -1;
      const ssize_t n = ::send(sock_, ptr + sent, size - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return -1;
      sent += static_cast<std::size_t>(n);
    }
    return static_cast<ssize_t>(size);
  }

  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address(::getpeername, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address(::getsockname, ip, port);
  }
  socket_t socket() const override { return sock_; }

 private:
  int wait_ms() const {
    if (!deadline_) return read_timeout_ms_;
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        *deadline_ - std::chrono::steady_clock::now());
    return static_cast<int>(std::clamp<std::int64_t>(left.count(), 0, read_timeout_ms_));
  }

  int poll_for(short events, int timeout_ms) const {
    pollfd p{sock_, events, 0};
    int r;
    while ((r = ::poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {
    }
    return r;
  }

  bool fill() {
    if (deadline_ && std::chrono::steady_clock::now() >= *deadline_) return timed_out();
    // Nothing within the read timeout or the deadline: a request begun and left unfinished
    // gets its 408; an idle connection is just closed.
    if (poll_for(POLLIN, wait_ms()) <= 0) return deadline_ ? timed_out() : false;
    ssize_t n;
    while ((n = ::recv(sock_, buffer_, sizeof buffer_, 0)) < 0 && errno == EINTR) {
    }
    if (n <= 0) return false;
    if (!deadline_) deadline_ = std::chrono::steady_clock::now() + kRequestDeadline;
    pos_ = 0;
    len_ = static_cast<std::size_t>(n);
    return true;
  }

  bool timed_out() {
    refuse(408, "Request Timeout",
           fmt::format("the request did not arrive in time: within {} s of its first byte, with "
                       "at most {} s between reads",
                       kRequestDeadline.count(), read_timeout_ms_ / 1000));
    return false;
  }

  // Answers `status` with a JSON error and closes the connection after it.
  void refuse(int status, const char* reason, const std::string& message) {
    const std::string body = error_body(status, message);
    const std::string answer = fmt::format(
        "HTTP/1.1 {} {}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n"
        "Connection: close\r\n\r\n{}",
        status, reason, body.size(), body);
    write(answer.data(), answer.size());
    refused_ = true;
  }

  template <class F>
  void address(F get, std::string& ip, int& port) const {
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    ip.clear();
    port = 0;
    if (get(sock_, reinterpret_cast<sockaddr*>(&addr), &length) != 0) return;
    char text[INET6_ADDRSTRLEN] = {};
    if (addr.ss_family == AF_INET) {
      const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
      ::inet_ntop(AF_INET, &a->sin_addr, text, sizeof text);
      port = ntohs(a->sin_port);
    } else if (addr.ss_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
      ::inet_ntop(AF_INET6, &a->sin6_addr, text, sizeof text);
      port = ntohs(a->sin6_port);
    }
    ip = text;
  }

  int sock_;
  int read_timeout_ms_, write_timeout_ms_;
  char buffer_[4096];
  std::size_t pos_ = 0, len_ = 0;
  bool in_head_ = true, refused_ = false, close_after_ = false;
  std::size_t head_bytes_ = 0, head_lines_ = 0;
  std::uint32_t tail_ = 0;
  std::optional<std::chrono::steady_clock::time_point> deadline_;
};

}  // namespace

std::string error_body(int status, const std::string& message) {
  return nlohmann::json{{"error", message}, {"status", status}}.dump(
      -1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string host_name(const std::string& host) {
  std::string name = host.starts_with("[") ? host.substr(0, host.find(']') + 1)
                                           : host.substr(0, host.find(':'));
  return ascii_lower(name);
}

std::optional<Refusal> screen_framing(const httplib::Request& req) {
  const bool chunked = req.has_header("Transfer-Encoding");
  if (req.get_header_value_count("Content-Length") > 1)
    return Refusal{400, "ambiguous framing: Content-Length given more than once"};
  if (chunked && req.has_header("Content-Length"))
    return Refusal{400, "ambiguous framing: both Transfer-Encoding and Content-Length"};
  if (chunked && (req.get_header_value_count("Transfer-Encoding") > 1 ||
                  ascii_lower(req.get_header_value("Transfer-Encoding")) != "chunked"))
    return Refusal{400, "unsupported Transfer-Encoding (chunked only)"};
  if (req.ranges.size() > 1) return Refusal{416, "at most one range per request"};
  return std::nullopt;
}

std::optional<Refusal> screen_request(const httplib::Request& req, const std::string& bound_host) {
  // DNS rebinding: a page of another site, its name pointed at 127.0.0.1, reaches this server
  // with its own name in Host. Loopback names and the bound address only (any, when bound to
  // every interface, which the user chose).
  const std::string host = req.get_header_value("Host");
  const bool any_host = bound_host == "0.0.0.0" || bound_host == "::";
  if (!any_host && req.has_header("Host")) {
    const std::string name = host_name(host);
    const std::string bound = ascii_lower(bound_host);
    if (name != "localhost" && name != "127.0.0.1" && name != "[::1]" && name != bound &&
        name != "[" + bound + "]")
      return Refusal{403, fmt::format("Host '{}' is not this server's (use localhost or {})", host,
                                      bound_host)};
  }
  // Cross-site requests: a browser names the page's origin; only this server's own is accepted.
  if (req.has_header("Origin") && req.get_header_value("Origin") != "http://" + host)
    return Refusal{403, fmt::format("cross-origin request from '{}' refused",
                                    req.get_header_value("Origin"))};
  if (req.get_header_value("Sec-Fetch-Site") == "cross-site")
    return Refusal{403, "cross-site request refused"};
  // A JSON body only with its content type: a page can send text/plain to another site
  // without asking, but not application/json.
  if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    const std::string type = ascii_lower(req.get_header_value("Content-Type"));
    if (type != "application/json" && !type.starts_with("application/json;"))
      return Refusal{415, "the body must be JSON with Content-Type: application/json"};
  }
  // A Content-Length that is not a plain number is malformed even where no body is read.
  const std::string length = req.get_header_value("Content-Length");
  if (req.has_header("Content-Length") &&
      (length.empty() || length.find_first_not_of("0123456789") != std::string::npos))
    return Refusal{400, "malformed Content-Length"};
  bool too_large = req.target.size() > kMaxTarget || req.params.size() > kMaxParams;
  for (const auto& [k, v] : req.params) too_large = too_large || v.size() > kMaxParamValue;
  if (too_large)
    return Refusal{413, fmt::format("query too large: at most {} bytes, {} parameters of {} bytes",
                                    kMaxTarget, kMaxParams, kMaxParamValue)};
  return std::nullopt;
}

GuardedServer::GuardedServer() {
  // Requests refused while their head was read are answered here, before any route or body is
  // read; the connection is closed after the answer.
  set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_header(kRefused)) return httplib::Server::HandlerResponse::Unhandled;
    const std::string why = req.get_header_value(kRefused);
    res.status = std::stoi(why.substr(0, 3));
    res.set_content(error_body(res.status, why.substr(4)), "application/json");
    return httplib::Server::HandlerResponse::Handled;
  });
}

bool GuardedServer::serve(socket_t sock, bool listening) {
  GuardedStream stream(sock, static_cast<int>(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000),
                       static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000));
  // A listening server stops serving when it is stopped.
  const auto serving = [&] { return !listening || svr_sock_ != INVALID_SOCKET; };
  std::string client;
  int port = 0;
  stream.get_remote_ip_and_port(client, port);
  bool ok = false;
  if (admit(client)) {
    for (std::size_t count = keep_alive_max_count_; count > 0 && serving(); --count) {
      // The keep-alive wait, in short steps so that a stopping server is noticed.
      const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
      bool request = false;
      while (serving() && !(request = stream.wait_for_request(100)) &&
             std::chrono::steady_clock::now() < end) {
      }
      if (!request) break;
      stream.begin_request();
      bool closed = false;
      ok = process_request(stream, count == 1, closed, [&](httplib::Request& req) {
        req.headers.erase(kRefused);  // a client cannot mark its own request
        std::optional<Refusal> why = screen_framing(req);
        if (!why && screen) why = screen(req);
        if (!why) return;
        req.ranges.clear();
        req.set_header(kRefused, fmt::format("{} {}", why->status, why->message));
        stream.close_after();
      });
      if (!ok || closed || stream.must_close()) break;
    }
    leave(client);
  } else {
    const std::string body =
        error_body(503, fmt::format("too many connections from {}: at most {}", client,
                                    kMaxClientConnections));
    const std::string answer =
        fmt::format("HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json"
                    "\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
                    body.size(), body);
    stream.write(answer.data(), answer.size());
  }
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  return ok;
}

bool GuardedServer::admit(const std::string& client) {
  std::lock_guard lock(clients_mutex_);
  if (clients_[client] >= kMaxClientConnections) return false;
  ++clients_[client];
  return true;
}

void GuardedServer::leave(const std::string& client) {
  std::lock_guard lock(clients_mutex_);
  if (--clients_[client] == 0) clients_.erase(client);
}

}  // namespace sphere::http
