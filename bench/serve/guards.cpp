// The cost of the request guards of `sphere serve` (src/http) on its what-if endpoint: the same
// route (the built-in model's network with the query's links cut, solved and encoded by the
// service layer, as /api/network/whatif does) behind cpp-httplib's plain server or behind the
// guarded one (metered head, deadline, per-client cap, screening), with the settings of
// `sphere serve`. bench/serve/run.sh runs wrk against both.
// usage: bench_serve_guards guarded|plain   (prints "port N", serves until killed)
#include <sys/socket.h>

#include <cstring>
#include <iostream>
#include <memory>
#include <string>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "core/core.h"
#include "http/http.h"
#include "kb/kb.h"
#include "service/service.h"

namespace {

// As `sphere serve`: Debian's cpp-httplib listens with a backlog of 5, so a burst of connections
// would wait a SYN retry; listen() again on this process's one listening socket raises it.
void raise_listen_backlog() {
  for (int fd = 3; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t size = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) == 0 && listening)
      ::listen(fd, SOMAXCONN);
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 || (std::strcmp(argv[1], "guarded") != 0 && std::strcmp(argv[1], "plain") != 0)) {
    std::cerr << "usage: bench_serve_guards guarded|plain\n";
    return 1;
  }
  const bool guarded = std::strcmp(argv[1], "guarded") == 0;
  const sphere::kb::Model model = sphere::kb::load_builtin_model();
  std::unique_ptr<httplib::Server> server;
  if (guarded) {
    auto g = std::make_unique<sphere::http::GuardedServer>();
    g->screen = [](const httplib::Request& req) { return sphere::http::screen_request(req, "127.0.0.1"); };
    server = std::move(g);
  } else {
    server = std::make_unique<httplib::Server>();
  }
  // As Service::install in src/app/cmd_serve.cpp.
  server->new_task_queue = [] { return new httplib::ThreadPool(256); };
  server->set_payload_max_length(64 * 1024);
  server->set_read_timeout(5, 0);
  server->set_write_timeout(5, 0);
  server->set_keep_alive_max_count(1000);
  server->set_keep_alive_timeout(2);
  server->set_tcp_nodelay(true);
  server->Get("/api/network/whatif", [&model](const httplib::Request& req, httplib::Response& res) {
    try {
      sphere::service::WhatIfRequest r;
      if (req.has_param("carrier")) r.carrier = req.get_param_value("carrier");
      for (const auto& v : sphere::split_trimmed(req.get_param_value("cut"), ','))
        if (!v.empty()) r.cut.push_back(v);
      const auto result = sphere::service::what_if(model.infrastructure, r);
      res.set_content(sphere::service::encode(sphere::service::to_json(model.infrastructure, result)),
                      "application/json");
    } catch (const sphere::InputError& e) {
      res.status = 400;
      res.set_content(sphere::http::error_body(400, e.what()), "application/json");
    }
  });
  const int port = server->bind_to_any_port("127.0.0.1");
  if (port < 0) return 1;
  raise_listen_backlog();
  std::cout << "port " << port << std::endl;
  server->listen_after_bind();
  return 0;
}
