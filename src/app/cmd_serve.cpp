// `sphere serve`: a JSON HTTP API over a loaded model (cpp-httplib) and the dashboard's static
// files. Hardened for a loopback service: binds 127.0.0.1 unless told otherwise; bounds every
// request (head size and header count, a deadline for reading it, body and query size, at most
// one range, connections per client); rejects ambiguous framing, a foreign Host (DNS rebinding)
// or Origin (cross-site requests) and JSON bodies without their content type; bounds the cost of
// a forecast job (runs x months) before anything is built and runs jobs on a fixed pool of
// workers (429 when all are busy; DELETE cancels); never serves a file outside the web root;
// and answers malformed HTTP, and invalid UTF-8, without dying. docs/openapi.yaml describes every
// endpoint and limit.
#include <algorithm>
#include <atomic>
#include <charconv>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <sstream>
#include <thread>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <httplib.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "app/app.h"
#include "app/forecast.h"
#include "bargain/bargain.h"
#include "events/events.h"
#include "leverage/leverage.h"
#include "network/network.h"
#include "sim/sim.h"

namespace sphere::app {
namespace {

constexpr std::size_t kMaxBody = 64 * 1024;   // bytes of a request body
constexpr std::size_t kMaxTarget = 4096;       // bytes of path + query
constexpr std::size_t kMaxParams = 32;
constexpr std::size_t kMaxParamValue = 1024;
constexpr std::size_t kMaxHead = 16 * 1024;    // bytes of the request line and headers
constexpr std::size_t kMaxHeaderLines = 64;    // header lines of one request
// A whole request (head and body) must arrive within this time of its first byte, so that a
// client sending a byte now and then cannot hold a connection thread.
constexpr auto kRequestDeadline = std::chrono::seconds(10);
constexpr std::uint32_t kMaxRuns = 20000;      // trajectories of one forecast job
// The cost of one forecast job: runs x simulated months (time and memory grow with both), at
// most 20,000 runs over the built-in model's five years; and a horizon at most 20 years ahead.
constexpr std::uint64_t kMaxRunMonths = 1200000;
constexpr int kMaxHorizonMonths = 20 * 12;
constexpr std::size_t kKeptJobs = 64;          // finished jobs remembered
// Connection threads: a keep-alive connection holds one, so fewer than the clients would queue
// whole connections behind each other (long tail latencies under load). Connections from one
// address are capped below that, so that one client cannot take every thread.
constexpr std::size_t kConnectionThreads = 256;
constexpr int kMaxClientConnections = 128;
// Marks a request that the screening before routing rejected ("STATUS message").
constexpr const char* kRejected = "X-Sphere-Rejected";

// A client error: answered with its status and a JSON {"error": message}.
struct HttpError {
  int status;
  std::string message;
};

void send_json(httplib::Response& res, const nlohmann::json& body, int status = 200) {
  res.status = status;
  // The bytes `--json` prints for the same result (text echoed from a request may be invalid
  // UTF-8: replaced, U+FFFD, never an exception).
  res.set_content(service::encode(body), "application/json");
}

void send_error(httplib::Response& res, int status, const std::string& message) {
  send_json(res, {{"error", message}, {"status", status}}, status);
}

std::string param(const httplib::Request& req, const std::string& key, std::string fallback = "") {
  return req.has_param(key.c_str()) ? req.get_param_value(key.c_str()) : fallback;
}

int int_param(const httplib::Request& req, const std::string& key, int fallback, int low, int high) {
  if (!req.has_param(key.c_str())) return fallback;
  const std::string text = req.get_param_value(key.c_str());
  int value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value < low || value > high)
    throw HttpError{400, fmt::format("'{}': expected an integer from {} to {}", key, low, high)};
  return value;
}

// A comma-separated list parameter ("cut=a,b").
std::vector<std::string> list_param(const httplib::Request& req, const std::string& key) {
  std::vector<std::string> values;
  for (const auto& v : split_trimmed(param(req, key), ','))
    if (!v.empty()) values.push_back(v);
  return values;
}

// A request field's name in the API: its query parameter or body key.
std::string parameter_of(std::string_view field) {
  if (field == "blocked") return "'block'";
  if (field == "opened") return "'open'";
  if (field == "shock") return "'shocks'";
  return "'" + std::string(field) + "'";
}

// Diagnostics of an InputError as one line for an error answer.
std::string message_of(const InputError& e) {
  return service::describe_line(e.diagnostics(), parameter_of);
}

// A forecast job, queued or running on a worker, or finished.
struct Job {
  std::string id;
  service::ForecastRequest forecast;  // the request, parsed
  std::shared_ptr<const sim::Engine> engine;  // released when the job finishes
  std::atomic<std::uint32_t> done{0};
  std::atomic<bool> cancel{false};
  std::atomic<bool> finished{false};
  nlohmann::json request, result;  // result, status and error set before `finished`
  std::string status = "running", error;
};

// Thrown from a job's progress callback to stop it.
struct Cancelled {};

struct ServeOptions {
  ModelOptions model;
  std::string host = "127.0.0.1";
  int port = 8080;
  std::string web;  // static files; empty: none
  int max_jobs = 2;
  int threads = 0;  // per forecast job; 0: every core
};

class Service {
 public:
  Service(kb::Model model, ServeOptions options);
  ~Service();
  Service(const Service&) = delete;
  Service& operator=(const Service&) = delete;

  void install(httplib::Server& server);
  // Why a request must not be routed (foreign Host or Origin, a JSON body without its type,
  // a malformed Content-Length, an oversized query), or nullopt.
  std::optional<HttpError> screen(const httplib::Request& req) const;

 private:
  nlohmann::json model_summary() const;
  nlohmann::json timeline(const httplib::Request& req) const;
  nlohmann::json series(const httplib::Request& req) const;
  nlohmann::json links(const httplib::Request& req) const;
  nlohmann::json what_if(const httplib::Request& req) const;
  std::string map_svg(const httplib::Request& req) const;
  nlohmann::json leverage(const httplib::Request& req) const;
  nlohmann::json bargaining() const;
  nlohmann::json start_job(const httplib::Request& req);
  nlohmann::json job(const std::string& id) const;
  std::pair<int, nlohmann::json> cancel_job(const std::string& id);
  void work();                // a worker: runs queued jobs until the service stops
  void run(Job& job) const;   // never throws: the outcome goes into `job` (but not `finished`)
  void serve_static(const httplib::Request& req, httplib::Response& res) const;

  const kb::Model model_;
  const ServeOptions options_;
  mutable std::mutex mutex_;  // guards jobs_, order_, queue_, busy_, stopping_, next_id_
  std::condition_variable wake_;
  std::map<std::string, std::shared_ptr<Job>> jobs_;
  std::vector<std::string> order_;
  std::deque<std::shared_ptr<Job>> queue_;
  int busy_ = 0;  // jobs claimed, queued or running: at most options_.max_jobs
  bool stopping_ = false;
  int next_id_ = 1;
  std::vector<std::thread> workers_;  // options_.max_jobs, started with the service
};

Service::Service(kb::Model model, ServeOptions options)
    : model_(std::move(model)), options_(std::move(options)) {
  for (int i = 0; i < options_.max_jobs; ++i) workers_.emplace_back([this] { work(); });
}

Service::~Service() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    for (auto& [id, job] : jobs_) job->cancel = true;
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

nlohmann::json Service::model_summary() const {
  nlohmann::json scenarios = nlohmann::json::array();
  for (const auto& s : model_.scenarios) scenarios.push_back({{"id", s.id}, {"name", s.name}});
  nlohmann::json actors = nlohmann::json::array();
  for (const auto& a : model_.actors)
    actors.push_back({{"id", a.id}, {"name", a.name}, {"kind", a.kind}});
  return {{"model", model_.location},
          {"name", model_.info.name},
          {"region", model_.info.region},
          {"counts",
           {{"sources", model_.sources.size()},
            {"actors", model_.actors.size()},
            {"events", model_.events.size()},
            {"facts", model_.facts.size()},
            {"conflicts", model_.conflicts.size()},
            {"links", model_.infrastructure.links.size()},
            {"ties", model_.ties.ties.size()},
            {"issues", model_.issues.size()}}},
          {"actors", actors},
          {"scenarios", scenarios},
          {"forecast_start", model_.simulation ? model_.simulation->start.to_string() : ""},
          {"max_jobs", options_.max_jobs}};
}

nlohmann::json Service::timeline(const httplib::Request& req) const {
  // The selection of `sphere timeline`: an actor with those it stands for unless only=1, events
  // whose date may fall within the years from..to, in timeline order.
  service::TimelineRequest r;
  r.text = param(req, "text");
  r.actor = param(req, "actor");
  if (req.has_param("actor") && r.actor.empty())
    throw HttpError{400, "'actor': an actor id, name or alias is required"};
  r.only = int_param(req, "only", 0, 0, 1) == 1;
  if (req.has_param("from")) r.from = Date{int_param(req, "from", 0, 0, 9999), 0, 0};
  if (req.has_param("to")) r.to = Date{int_param(req, "to", 9999, 0, 9999), 0, 0};
  return service::to_json(model_, service::timeline(model_, r));
}

nlohmann::json Service::series(const httplib::Request& req) const {
  return service::to_json(service::series(model_, {param(req, "a"), param(req, "b")}));
}

nlohmann::json Service::links(const httplib::Request& req) const {
  const int year = int_param(req, "year", 2025, 1900, 2100);
  nlohmann::json nodes = nlohmann::json::array(), links = nlohmann::json::array();
  for (const auto& n : model_.infrastructure.nodes) {
    nlohmann::json j = {{"id", n.id}, {"name", n.name}, {"kind", n.kind}, {"country", n.country}};
    if (const auto* p = model_.find_place(n.id)) j["position"] = {p->lon, p->lat};
    nodes.push_back(j);
  }
  for (const auto& l : model_.infrastructure.links) {
    const service::LinkState state = service::link_state(l, year);
    links.push_back({{"id", l.id}, {"name", l.name}, {"kind", l.kind}, {"carrier", l.carrier},
                     {"from", l.from}, {"to", l.to}, {"capacity", l.capacity}, {"unit", l.unit},
                     {"status", state.status}, {"capacity_now", state.capacity}});
  }
  return {{"year", year}, {"nodes", nodes}, {"links", links}};
}

// The API's "open" parameter: LINK or LINK@YYYY-MM (from January of `year` when no month).
std::pair<std::string, Date> opened_link(const std::string& text, int year) {
  return service::parse_opened(text, year);
}

nlohmann::json Service::what_if(const httplib::Request& req) const {
  service::WhatIfRequest r;
  r.year = int_param(req, "year", 2025, 1900, 2100);
  r.carrier = param(req, "carrier", "gas");
  r.cut = list_param(req, "cut");
  r.blocked = list_param(req, "block");
  for (const auto& text : list_param(req, "open")) r.opened.push_back(opened_link(text, r.year));
  if (r.cut.size() > 64 || r.blocked.size() > 16 || r.opened.size() > 64)
    throw HttpError{400, "too many links or countries"};
  return service::to_json(model_.infrastructure, service::what_if(model_.infrastructure, r));
}

// The map of the report (same geometry, labels and legend) for the dashboard, as SVG.
std::string Service::map_svg(const httplib::Request& req) const {
  ReportOptions o;
  o.year = int_param(req, "year", 2025, 1900, 2100);
  o.cut = list_param(req, "cut");
  for (const auto& text : list_param(req, "open")) o.opened.push_back(opened_link(text, o.year));
  network::Scenario check;
  check.year = o.year;
  check.cut = o.cut;
  check.opened = o.opened;
  network::validate(model_.infrastructure, check);
  return render_map(model_, o);
}

nlohmann::json Service::leverage(const httplib::Request& req) const {
  // The computation of `sphere leverage`, with the dashboard's cuts and openings applied to the
  // network that physical ties are routed on.
  service::LeverageRequest r;
  r.channel = param(req, "channel");
  r.cut = list_param(req, "cut");
  for (const auto& text : list_param(req, "open")) r.opened.push_back(opened_link(text, 0));
  return service::to_json(service::leverage_matrix(model_, r));
}

nlohmann::json Service::bargaining() const {
  return service::to_json(service::bargain_outlook(model_));
}

nlohmann::json Service::start_job(const httplib::Request& req) {
  nlohmann::json body;
  try {
    body = req.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(req.body);
  } catch (const nlohmann::json::exception&) {
    throw HttpError{400, "the body is not JSON"};
  }
  if (!body.is_object()) throw HttpError{400, "the body must be a JSON object"};
  for (const auto& [key, value] : body.items())
    if (key != "runs" && key != "seed" && key != "horizon" && key != "shocks")
      throw HttpError{400, fmt::format("unknown field '{}'; expected runs, seed, horizon, shocks", key)};
  auto get_uint = [&](const char* key, std::uint64_t fallback, std::uint64_t high) {
    if (!body.contains(key)) return fallback;
    const auto& v = body[key];
    if (!v.is_number_unsigned() || v.get<std::uint64_t>() < 1 || v.get<std::uint64_t>() > high)
      throw HttpError{400, fmt::format("'{}': expected an integer from 1 to {}", key, high)};
    return v.get<std::uint64_t>();
  };
  service::ForecastRequest request;
  request.runs = static_cast<std::uint32_t>(get_uint("runs", 1000, kMaxRuns));
  request.seed = get_uint("seed", 1, std::uint64_t{1} << 53);
  request.threads = options_.threads;
  const std::uint32_t runs = request.runs;
  if (!model_.simulation) throw HttpError{400, "the model has no [simulation]"};
  Date horizon = model_.simulation->horizon;
  if (body.contains("horizon")) {
    if (!body["horizon"].is_string()) throw HttpError{400, "'horizon': expected YYYY-MM"};
    request.horizon = horizon = service::parse_month(body["horizon"].get<std::string>(), "horizon");
  }
  // The cost bound, before anything is built: the horizon, then runs x months.
  const Date start = model_.simulation->start;
  const int months = horizon.month_index() - start.month_index() + 1;
  if (months > kMaxHorizonMonths)
    throw HttpError{400, fmt::format("'horizon': at most {} years from the first simulated month "
                                     "{} (the latest is {})",
                                     kMaxHorizonMonths / 12, start.to_string(),
                                     Date{(start.month_index() + kMaxHorizonMonths - 1) / 12,
                                          (start.month_index() + kMaxHorizonMonths - 1) % 12 + 1, 0}
                                         .to_string())};
  if (months > 0 && std::uint64_t{runs} * static_cast<std::uint64_t>(months) > kMaxRunMonths)
    throw HttpError{413, fmt::format("{} runs over {} months is too large a job: runs x months "
                                     "at most {} (e.g. {} runs to this horizon)",
                                     runs, months, kMaxRunMonths, kMaxRunMonths / months)};
  if (body.contains("shocks")) {
    const auto& shocks = body["shocks"];
    if (!shocks.is_array() || shocks.size() > 16)
      throw HttpError{400, "'shocks': expected an array of at most 16 strings"};
    for (const auto& s : shocks) {
      if (!s.is_string() || s.get<std::string>().size() > 200)
        throw HttpError{400, "'shocks': each shock is a string of at most 200 characters"};
      request.shocks.push_back(s.get<std::string>());
    }
  }
  // Claim a slot before building the engine (a refused job costs nothing); the claim goes back
  // on every path that does not hand the job to a worker.
  {
    std::lock_guard lock(mutex_);
    if (busy_ >= options_.max_jobs)
      throw HttpError{429, fmt::format("{} forecasts are running; at most {} at once", busy_,
                                       options_.max_jobs)};
    ++busy_;
  }
  bool queued = false;
  struct Release {
    Service& service;
    const bool& queued;
    ~Release() {
      if (queued) return;
      std::lock_guard lock(service.mutex_);
      --service.busy_;
    }
  } release{*this, queued};
  auto job = std::make_shared<Job>();
  job->forecast = request;
  job->request = body;
  job->engine = std::make_shared<const sim::Engine>(service::forecast_engine(model_, request));
  {
    std::lock_guard lock(mutex_);
    job->id = fmt::format("f{}", next_id_++);
    jobs_[job->id] = job;
    order_.push_back(job->id);
    // Forget the oldest finished jobs beyond the limit.
    while (order_.size() > kKeptJobs) {
      auto it = std::find_if(order_.begin(), order_.end(),
                             [&](const std::string& id) { return jobs_[id]->finished.load(); });
      if (it == order_.end()) break;
      jobs_.erase(*it);
      order_.erase(it);
    }
    queue_.push_back(job);
    queued = true;
  }
  wake_.notify_one();
  return {{"id", job->id}, {"runs", runs}, {"status", "running"},
          {"href", "/api/forecasts/" + job->id}};
}

void Service::work() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    run(*job);
    std::lock_guard lock(mutex_);
    job->engine.reset();
    --busy_;  // the slot goes back whatever the job's outcome, before the job shows finished
    job->finished.store(true);
  }
}

void Service::run(Job& job) const {
  try {
    if (job.cancel.load()) throw Cancelled{};  // cancelled while queued
    const sim::Engine& engine = *job.engine;
    const auto summary = service::forecast(engine, job.forecast, {}, [&](std::uint32_t done) {
      job.done.store(done);
      if (job.cancel.load()) throw Cancelled{};
    });
    job.result = service::to_json(model_, engine, summary);  // as `sphere forecast --json`
    job.done.store(job.forecast.runs);
    job.status = "done";
  } catch (const Cancelled&) {
    job.status = "cancelled";
  } catch (const std::exception& e) {
    job.status = "failed";
    job.error = e.what();
  } catch (...) {
    job.status = "failed";
    job.error = "internal error";
  }
}

nlohmann::json Service::job(const std::string& id) const {
  std::shared_ptr<Job> job;
  {
    std::lock_guard lock(mutex_);
    auto it = jobs_.find(id);
    if (it == jobs_.end()) throw HttpError{404, fmt::format("no forecast job '{}'", id)};
    job = it->second;
  }
  const bool finished = job->finished.load();
  nlohmann::json out = {{"id", job->id},
                        {"runs", job->forecast.runs},
                        {"done", job->done.load()},
                        {"request", job->request},
                        {"status", !finished ? job->cancel.load() ? "cancelling" : "running"
                                             : job->status}};
  if (finished && job->status == "done") out["result"] = job->result;
  if (finished && !job->error.empty()) out["error"] = job->error;
  return out;
}

// DELETE: a running job is stopped at its next batch of runs (202); a finished one is forgotten
// (200).
std::pair<int, nlohmann::json> Service::cancel_job(const std::string& id) {
  std::lock_guard lock(mutex_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) throw HttpError{404, fmt::format("no forecast job '{}'", id)};
  const std::shared_ptr<Job> job = it->second;
  if (!job->finished.load()) {
    job->cancel = true;
    return {202, {{"id", id}, {"status", "cancelling"}, {"href", "/api/forecasts/" + id}}};
  }
  jobs_.erase(it);
  std::erase(order_, id);
  return {200, {{"id", id}, {"status", "deleted"}}};
}

std::string content_type(const std::filesystem::path& p) {
  static const std::map<std::string, std::string> types = {
      {".html", "text/html; charset=utf-8"}, {".js", "text/javascript"},
      {".css", "text/css"},                  {".json", "application/json"},
      {".svg", "image/svg+xml"},             {".png", "image/png"},
      {".ico", "image/x-icon"},              {".txt", "text/plain; charset=utf-8"}};
  auto it = types.find(p.extension().string());
  return it == types.end() ? "application/octet-stream" : it->second;
}

// Files under the web root only: the request path is checked segment by segment, then the
// resolved file must still lie under the resolved root (symbolic links included).
void Service::serve_static(const httplib::Request& req, httplib::Response& res) const {
  std::string path = req.path;
  if (path.find('\0') != std::string::npos || path.find('\\') != std::string::npos)
    throw HttpError{400, "bad path"};
  for (const auto& segment : split_trimmed(path, '/'))
    if (segment == ".." || segment == ".") throw HttpError{400, "bad path"};
  if (options_.web.empty()) throw HttpError{404, "no dashboard is served (sphere serve --web DIR)"};
  if (path.empty() || path.back() == '/') path += "index.html";
  std::error_code ec;
  const auto root = std::filesystem::canonical(options_.web, ec);
  if (ec) throw HttpError{404, "the web root does not exist"};
  const auto file = std::filesystem::weakly_canonical(root / path.substr(1), ec);
  const auto [r, f] = std::mismatch(root.begin(), root.end(), file.begin(), file.end());
  if (ec || r != root.end()) throw HttpError{404, "not found"};
  if (!std::filesystem::is_regular_file(file, ec)) throw HttpError{404, "not found"};
  std::ifstream in(file, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  res.set_content(text.str(), content_type(file).c_str());
}

// Runs `handler`, turning HttpError and InputError into JSON error answers.
template <class F>
httplib::Server::Handler guarded(F handler) {
  return [handler](const httplib::Request& req, httplib::Response& res) {
    try {
      handler(req, res);
    } catch (const HttpError& e) {
      send_error(res, e.status, e.message);
    } catch (const InputError& e) {
      send_error(res, service::http_status(e.kind()), message_of(e));
    }
  };
}

void Service::install(httplib::Server& server) {
  server.new_task_queue = [] { return new httplib::ThreadPool(kConnectionThreads); };
  server.set_payload_max_length(kMaxBody);  // longer bodies: 413
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_max_count(1000);
  server.set_keep_alive_timeout(2);
  server.set_tcp_nodelay(true);  // else small answers wait for delayed ACKs (about 40 ms)
  // Requests rejected while their head was read (GuardedServer::screen_request) are answered
  // here, before any route or body is read; the connection is closed after the answer.
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (!req.has_header(kRejected)) return httplib::Server::HandlerResponse::Unhandled;
    const std::string why = req.get_header_value(kRejected);
    send_error(res, std::stoi(why.substr(0, 3)), why.substr(4));
    return httplib::Server::HandlerResponse::Handled;
  });
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr ep) {
    std::string what = "internal error";
    try {
      if (ep) std::rethrow_exception(ep);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    send_error(res, 500, what);
  });
  auto json = [](auto f) {
    return guarded([f](const httplib::Request& req, httplib::Response& res) { send_json(res, f(req)); });
  };
  server.Get("/api/health", json([](const httplib::Request&) { return nlohmann::json{{"ok", true}}; }));
  server.Get("/api/model", json([this](const httplib::Request&) { return model_summary(); }));
  server.Get("/api/timeline", json([this](const httplib::Request& r) { return timeline(r); }));
  server.Get("/api/facts", json([this](const httplib::Request&) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& f : model_.facts) out.push_back(to_json(f));
    return out;
  }));
  server.Get("/api/conflicts", json([this](const httplib::Request&) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& c : model_.conflicts) out.push_back(to_json(c));
    return out;
  }));
  server.Get("/api/series", json([this](const httplib::Request& r) { return series(r); }));
  server.Get("/api/network/links", json([this](const httplib::Request& r) { return links(r); }));
  server.Get("/api/network/whatif", json([this](const httplib::Request& r) { return what_if(r); }));
  server.Get("/api/network/map", guarded([this](const httplib::Request& req, httplib::Response& res) {
    res.set_content(map_svg(req), "image/svg+xml");
  }));
  server.Get("/api/leverage", json([this](const httplib::Request& r) { return leverage(r); }));
  server.Get("/api/bargain", json([this](const httplib::Request&) { return bargaining(); }));
  server.Post("/api/forecasts", guarded([this](const httplib::Request& req, httplib::Response& res) {
    send_json(res, start_job(req), 202);
  }));
  server.Get(R"(/api/forecasts/([A-Za-z0-9]{1,16}))",
             json([this](const httplib::Request& r) { return job(r.matches[1].str()); }));
  server.Delete(R"(/api/forecasts/([A-Za-z0-9]{1,16}))",
                guarded([this](const httplib::Request& req, httplib::Response& res) {
                  const auto [status, body] = cancel_job(req.matches[1].str());
                  send_json(res, body, status);
                }));
  server.Get("/api/.*", guarded([](const httplib::Request&, httplib::Response&) {
    throw HttpError{404, "no such endpoint; see docs/openapi.yaml"};
  }));
  server.Get("/report", guarded([this](const httplib::Request& req, httplib::Response& res) {
    // The HTML report of the current what-if, without the slow forecast sections.
    ReportOptions o;
    o.cut = list_param(req, "cut");
    network::Scenario check;
    check.cut = o.cut;
    try {
      network::validate(model_.infrastructure, check);
    } catch (const InputError& e) {
      throw HttpError{400, message_of(e)};
    }
    o.runs = 0;
    o.sensitivity_runs = 0;
    res.set_content(render_report(model_, o), "text/html; charset=utf-8");
  }));
  server.Get(".*", guarded([this](const httplib::Request& req, httplib::Response& res) {
    serve_static(req, res);
  }));
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) send_error(res, res.status, fmt::format("HTTP {}", res.status));
  });
}

// The host name of a Host header value ("localhost:8080", "[::1]:8080"), lower-cased.
std::string host_name(const std::string& host) {
  std::string name = host.starts_with("[") ? host.substr(0, host.find(']') + 1)
                                           : host.substr(0, host.find(':'));
  return ascii_lower(name);
}

std::optional<HttpError> Service::screen(const httplib::Request& req) const {
  // DNS rebinding: a page of another site, its name pointed at 127.0.0.1, reaches this server
  // with its own name in Host. Loopback names and the bound address only (any, when bound to
  // every interface, which the user chose).
  const std::string host = req.get_header_value("Host");
  const bool any_host = options_.host == "0.0.0.0" || options_.host == "::";
  if (!any_host && req.has_header("Host")) {
    const std::string name = host_name(host);
    if (name != "localhost" && name != "127.0.0.1" && name != "[::1]" &&
        name != ascii_lower(options_.host) && name != "[" + ascii_lower(options_.host) + "]")
      return HttpError{403, fmt::format("Host '{}' is not this server's (use localhost or {})",
                                        host, options_.host)};
  }
  // Cross-site requests: a browser names the page's origin; only this server's own is accepted.
  if (req.has_header("Origin") && req.get_header_value("Origin") != "http://" + host)
    return HttpError{403, fmt::format("cross-origin request from '{}' refused",
                                      req.get_header_value("Origin"))};
  if (req.get_header_value("Sec-Fetch-Site") == "cross-site")
    return HttpError{403, "cross-site request refused"};
  // A JSON body only with its content type: a page can send text/plain to another site
  // without asking, but not application/json.
  if (req.method == "POST" || req.method == "PUT" || req.method == "PATCH") {
    const std::string type = ascii_lower(req.get_header_value("Content-Type"));
    if (type != "application/json" && !type.starts_with("application/json;"))
      return HttpError{415, "the body must be JSON with Content-Type: application/json"};
  }
  // A Content-Length that is not a plain number is malformed even where no body is read.
  const std::string length = req.get_header_value("Content-Length");
  if (req.has_header("Content-Length") &&
      (length.empty() || length.find_first_not_of("0123456789") != std::string::npos))
    return HttpError{400, "malformed Content-Length"};
  bool too_large = req.target.size() > kMaxTarget || req.params.size() > kMaxParams;
  for (const auto& [k, v] : req.params) too_large = too_large || v.size() > kMaxParamValue;
  if (too_large)
    return HttpError{413, fmt::format("query too large: at most {} bytes, {} parameters of {} bytes",
                                      kMaxTarget, kMaxParams, kMaxParamValue)};
  return std::nullopt;
}

// A connection's socket read through a buffer that bounds each request: its head (request line
// and headers) to kMaxHead bytes and kMaxHeaderLines lines, and the whole request to
// kRequestDeadline from its first byte, with at most the read timeout between two reads. A
// request over a bound gets its answer (431, 408) here,
// and the connection is closed after it: whatever the library writes next is dropped.
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
    const std::string body = nlohmann::json{{"error", message}, {"status", status}}.dump();
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

// cpp-httplib's server with each connection read through a GuardedStream, a cap on connections
// per client address, and every request screened once its head is read: ambiguous framing
// (repeated Content-Length, Transfer-Encoding with Content-Length or other than chunked), more
// than one range, and the service's own checks. A rejected request is marked (kRejected) for the
// pre-routing handler to answer, and its connection is closed after the answer, so that an
// unread body is never taken for the next request.
class GuardedServer final : public httplib::Server {
 public:
  std::function<std::optional<HttpError>(const httplib::Request&)> screen;

 private:
  bool process_and_close_socket(socket_t sock) override {
    GuardedStream stream(sock, static_cast<int>(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000),
                         static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000));
    std::string client;
    int port = 0;
    stream.get_remote_ip_and_port(client, port);
    bool ok = false;
    if (admit(client)) {
      for (std::size_t count = keep_alive_max_count_; count > 0 && svr_sock_ != INVALID_SOCKET;
           --count) {
        if (!wait_for_request(stream)) break;
        stream.begin_request();
        bool closed = false;
        ok = process_request(stream, count == 1, closed,
                             [&](httplib::Request& req) { screen_request(req, stream); });
        if (!ok || closed || stream.must_close()) break;
      }
      leave(client);
    } else {
      const std::string body = nlohmann::json{
          {"error", fmt::format("too many connections from {}: at most {}", client,
                                kMaxClientConnections)},
          {"status", 503}}.dump();
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

  // The keep-alive wait, in short steps so that a stopping server is noticed.
  bool wait_for_request(const GuardedStream& stream) const {
    const auto end = std::chrono::steady_clock::now() + std::chrono::seconds(keep_alive_timeout_sec_);
    while (svr_sock_ != INVALID_SOCKET) {
      if (stream.wait_for_request(100)) return true;
      if (std::chrono::steady_clock::now() >= end) return false;
    }
    return false;
  }

  void screen_request(httplib::Request& req, GuardedStream& stream) const {
    req.headers.erase(kRejected);  // a client cannot mark its own request
    std::optional<HttpError> why;
    const bool chunked = req.has_header("Transfer-Encoding");
    if (req.get_header_value_count("Content-Length") > 1)
      why = HttpError{400, "ambiguous framing: Content-Length given more than once"};
    else if (chunked && req.has_header("Content-Length"))
      why = HttpError{400, "ambiguous framing: both Transfer-Encoding and Content-Length"};
    else if (chunked && (req.get_header_value_count("Transfer-Encoding") > 1 ||
                         ascii_lower(req.get_header_value("Transfer-Encoding")) != "chunked"))
      why = HttpError{400, "unsupported Transfer-Encoding (chunked only)"};
    else if (req.ranges.size() > 1)
      why = HttpError{416, "at most one range per request"};
    else if (screen)
      why = screen(req);
    if (!why) return;
    req.ranges.clear();
    req.set_header(kRejected, fmt::format("{} {}", why->status, why->message));
    stream.close_after();
  }

  bool admit(const std::string& client) {
    std::lock_guard lock(clients_mutex_);
    if (clients_[client] >= kMaxClientConnections) return false;
    ++clients_[client];
    return true;
  }
  void leave(const std::string& client) {
    std::lock_guard lock(clients_mutex_);
    if (--clients_[client] == 0) clients_.erase(client);
  }

  std::mutex clients_mutex_;
  std::map<std::string, int> clients_;  // open connections per client address
};

// Debian's cpp-httplib is built with a listen backlog of 5, so a burst of connections overflows
// it and clients wait a whole SYN retry (1 s). Linux lets listen() be called again on the
// listening socket to raise it; the library does not expose the socket, so find it by its port.
void raise_listen_backlog(int port) {
  for (int fd = 3; fd < 1024; ++fd) {
    int listening = 0;
    socklen_t size = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &size) != 0 || !listening) continue;
    sockaddr_storage addr{};
    socklen_t length = sizeof addr;
    if (getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &length) != 0) continue;
    const int bound = addr.ss_family == AF_INET
                          ? ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port)
                          : addr.ss_family == AF_INET6
                                ? ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port)
                                : -1;
    if (bound == port) ::listen(fd, SOMAXCONN);
  }
}

}  // namespace

void add_serve_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand("serve", "Serve the JSON API and the dashboard over HTTP "
                                              "(127.0.0.1 unless --host says otherwise)");
  add_model_options(*cmd, opts->model, false);
  cmd->add_option("--host", opts->host, "Address to bind")->capture_default_str();
  cmd->add_option("--port", opts->port, "Port (0: any free port, printed on start)")
      ->check(CLI::Range(0, 65535))
      ->capture_default_str();
  cmd->add_option("--web", opts->web,
                  "Directory of the dashboard's built files (default: the build's web/, made "
                  "from web/ by Vite)")
      ->capture_default_str();
  cmd->add_option("--max-jobs", opts->max_jobs, "Forecast jobs at once (more: 429)")
      ->check(CLI::Range(1, 64))
      ->capture_default_str();
  cmd->add_option("--threads", opts->threads, "Threads per forecast job (0: every core)")
      ->check(CLI::Range(0, 256))
      ->capture_default_str();
  cmd->callback([opts, &action] {
    action = [opts] {
      if (opts->web.empty() && std::filesystem::exists(SPHERE_WEB_DIST)) opts->web = SPHERE_WEB_DIST;
      auto service = std::make_unique<Service>(load_model(opts->model), *opts);
      GuardedServer server;
      service->install(server);
      server.screen = [&service](const httplib::Request& req) { return service->screen(req); };
      const int port = opts->port == 0 ? server.bind_to_any_port(opts->host.c_str())
                                       : (server.bind_to_port(opts->host.c_str(), opts->port)
                                              ? opts->port
                                              : -1);
      if (port < 0) {
        std::cerr << fmt::format("sphere serve: cannot listen on {}:{}\n", opts->host, opts->port);
        return kExitInvalidInput;
      }
      raise_listen_backlog(port);
      std::cout << fmt::format("Sphere serving {} on http://{}:{}/ (API under /api; Ctrl-C stops)\n",
                               opts->model.model_dir.empty() ? "the built-in model"
                                                             : opts->model.model_dir,
                               opts->host, port)
                << std::flush;
      server.listen_after_bind();
      return kExitOk;
    };
  });
}

}  // namespace sphere::app
