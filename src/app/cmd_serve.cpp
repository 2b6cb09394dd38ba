// `sphere serve`: a JSON HTTP API over a loaded model (cpp-httplib) and the dashboard's static
// files. Hardened for a loopback service: binds 127.0.0.1 unless told otherwise; bounds every
// request and screens it before routing (src/http: head size and header count, a deadline for
// reading it, query size, at most one range, connections per client, ambiguous framing, a
// foreign Host or Origin, JSON bodies without their content type); bounds its body and the cost of
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
#include <limits>
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
#include <sys/socket.h>
#include <unistd.h>

#include "app/app.h"
#include "app/forecast.h"
#include "bargain/bargain.h"
#include "events/events.h"
#include "http/http.h"
#include "leverage/leverage.h"
#include "network/network.h"
#include "sim/sim.h"

namespace sphere::app {
namespace {

constexpr std::size_t kMaxBody = 64 * 1024;   // bytes of a request body
constexpr std::uint32_t kMaxRuns = 20000;      // trajectories of one forecast job
// The cost of one forecast job: runs x simulated months (time and memory grow with both), at
// most 20,000 runs over the built-in model's five years; and a horizon at most 20 years ahead.
constexpr std::uint64_t kMaxRunMonths = 1200000;
constexpr int kMaxHorizonMonths = 20 * 12;
// The cost of a bargaining request: draws of every issue's inputs times rounds of the
// expected-utility model (the CLI's defaults, 1000 x 10, take about 0.35 s on the built-in model).
constexpr int kMaxBargainDraws = 10000;
constexpr int kMaxBargainRounds = 100;
constexpr long kMaxBargainDrawRounds = 50000;
constexpr std::size_t kKeptJobs = 64;          // finished jobs remembered
// Connection threads: a keep-alive connection holds one, so fewer than the clients would queue
// whole connections behind each other (long tail latencies under load). Connections from one
// address are capped below that (http::kMaxClientConnections), so that one client cannot take
// every thread.
constexpr std::size_t kConnectionThreads = 256;

// A client error: answered with its status and a JSON {"error": message}.
using HttpError = http::Refusal;

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

double number_param(const httplib::Request& req, const std::string& key, double fallback,
                    double low, double high) {
  if (!req.has_param(key.c_str())) return fallback;
  const std::string text = req.get_param_value(key.c_str());
  double value = 0.0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || !(value >= low && value <= high))
    throw HttpError{400, fmt::format("'{}': expected a number from {} to {}", key, low, high)};
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

  void install(http::GuardedServer& server);

 private:
  nlohmann::json model_summary() const;
  nlohmann::json timeline(const httplib::Request& req) const;
  nlohmann::json series(const httplib::Request& req) const;
  nlohmann::json links(const httplib::Request& req) const;
  nlohmann::json what_if(const httplib::Request& req) const;
  nlohmann::json n1(const httplib::Request& req) const;
  std::string map_svg(const httplib::Request& req) const;
  nlohmann::json leverage(const httplib::Request& req) const;
  nlohmann::json bargaining(const httplib::Request& req) const;
  nlohmann::json scenarios() const;
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
  // The scenario forecast `sphere run` prints (the defaults of `sphere scenarios`): computed at
  // its first request, once, then served from memory (it depends on nothing in the request).
  mutable std::once_flag scenarios_once_;
  mutable nlohmann::json scenarios_;
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

nlohmann::json Service::scenarios() const {
  std::call_once(scenarios_once_, [this] {
    const std::string dir = model_directory(options_.model);
    if (dir.empty() || !std::filesystem::exists(dir + "/questions.toml"))
      throw HttpError{404, "the model defines no scenario questions (questions.toml)"};
    ScenarioOptions so;
    so.model = options_.model;
    so.threads = options_.threads;
    scenarios_ = service::to_json(compute_scenarios(model_, so));
  });
  return scenarios_;
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
  // The request of `sphere events series --dyad A:B --json`, with its defaults.
  service::EventSeriesRequest r;
  r.a = param(req, "a");
  r.b = param(req, "b");
  return service::to_json(service::event_series(&model_, r));
}

nlohmann::json Service::links(const httplib::Request& req) const {
  // The request of `sphere network links --json`, with its defaults.
  service::LinksRequest r;
  r.year = int_param(req, "year", 0, 1900, 2100);
  r.carrier = param(req, "carrier");
  return service::to_json(model_, service::network_links(model_, r));
}

nlohmann::json Service::what_if(const httplib::Request& req) const {
  service::WhatIfRequest r;
  // The year an opening without a month starts in.
  r.year = service::network_year(model_, int_param(req, "year", 0, 1900, 2100));
  r.carrier = param(req, "carrier", "gas");
  r.cut = list_param(req, "cut");
  r.blocked = list_param(req, "block");
  for (const auto& text : list_param(req, "open")) r.opened.push_back(service::parse_opened(text, r.year));
  if (r.cut.size() > 64 || r.blocked.size() > 16 || r.opened.size() > 64)
    throw HttpError{400, "too many links or countries"};
  return service::to_json(model_.infrastructure, service::what_if(model_, r));
}

nlohmann::json Service::n1(const httplib::Request& req) const {
  // The request of `sphere network n1 --json`, with its defaults.
  service::N1Request r;
  r.area = param(req, "area");
  r.year = int_param(req, "year", 0, 1900, 2100);
  return service::to_json(service::n_minus_1(model_, r));
}

// The map of the report (same geometry, labels and legend) for the dashboard, as SVG.
std::string Service::map_svg(const httplib::Request& req) const {
  service::ReportRequest o;
  o.year = service::network_year(model_, int_param(req, "year", 0, 1900, 2100));
  o.cut = list_param(req, "cut");
  for (const auto& text : list_param(req, "open")) o.opened.push_back(service::parse_opened(text, o.year));
  network::Scenario check;
  check.year = o.year;
  check.cut = o.cut;
  check.opened = o.opened;
  network::validate(model_.infrastructure, check);
  return service::render_map(model_, o);
}

nlohmann::json Service::leverage(const httplib::Request& req) const {
  // The computation of `sphere leverage`, with the dashboard's cuts and openings applied to the
  // network that physical ties are routed on.
  service::LeverageRequest r;
  r.channel = param(req, "channel");
  r.cut = list_param(req, "cut");
  for (const auto& text : list_param(req, "open")) r.opened.push_back(service::parse_opened(text, 0));
  return service::to_json(service::leverage_matrix(model_, r));
}

nlohmann::json Service::bargaining(const httplib::Request& req) const {
  // The request of `sphere bargain --json`, with the same defaults; its cost (issues x draws x
  // rounds) bounded.
  service::BargainRequest r;
  r.issue = param(req, "issue");
  const std::string method = param(req, "method", "all");
  if (const auto m = service::parse_bargain_method(method)) r.method = *m;
  else throw HttpError{400, "'method': expected compromise, nbs, eu or all"};
  const auto rule = bargain::parse_probability_rule(param(req, "probability", "scholz-code"));
  if (!rule) throw HttpError{400, "'probability': expected scholz-code or printed"};
  r.eu.probability = *rule;
  r.eu.rounds = int_param(req, "rounds", r.eu.rounds, 1, kMaxBargainRounds);
  r.eu.q = number_param(req, "q", r.eu.q, 0.0, 1.0);
  if (const double tolerance = number_param(req, "tolerance", 0.0, 0.0, 1.0); tolerance > 0.0)
    r.eu.tolerance = tolerance;
  r.draws = int_param(req, "draws", r.draws, 0, kMaxBargainDraws);
  r.seed = static_cast<std::uint64_t>(int_param(req, "seed", 1, 0, std::numeric_limits<int>::max()));
  if (static_cast<long>(r.draws) * r.eu.rounds > kMaxBargainDrawRounds)
    throw HttpError{400, fmt::format("'draws' x 'rounds' is at most {}", kMaxBargainDrawRounds)};
  return service::to_json(service::bargain_issues(model_, r));
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
    if (key != "runs" && key != "seed" && key != "horizon" && key != "shocks" && key != "set")
      throw HttpError{400, fmt::format("unknown field '{}'; expected runs, seed, horizon, shocks, set", key)};
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
      request.shocks.push_back(sim::parse_shock_spec(s.get<std::string>()));
    }
  }
  // Parameters set for this job (as `--set NAME=VALUE`): names and ranges are checked when the
  // engine is built, before the job is queued.
  if (body.contains("set")) {
    const auto& set = body["set"];
    if (!set.is_object() || set.size() > 64)
      throw HttpError{400, "'set': expected an object of at most 64 parameter names and numbers"};
    for (const auto& [name, value] : set.items()) {
      if (!value.is_number() || name.size() > 200)
        throw HttpError{400, fmt::format("'set.{}': expected a number", name.substr(0, 200))};
      request.settings[name] = value.get<double>();
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

void Service::install(http::GuardedServer& server) {
  server.new_task_queue = [] { return new httplib::ThreadPool(kConnectionThreads); };
  server.set_payload_max_length(kMaxBody);  // longer bodies: 413
  server.set_read_timeout(5, 0);
  server.set_write_timeout(5, 0);
  server.set_keep_alive_max_count(1000);
  server.set_keep_alive_timeout(2);
  server.set_tcp_nodelay(true);  // else small answers wait for delayed ACKs (about 40 ms)
  server.screen = [this](const httplib::Request& req) {
    return http::screen_request(req, options_.host);
  };
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
  // The requests of `sphere facts [TEXT] [--actor A] --json` and `sphere facts --conflicts --json`.
  server.Get("/api/facts", json([this](const httplib::Request& r) {
    return service::to_json(service::find_facts(model_, {param(r, "text"), param(r, "actor")}));
  }));
  server.Get("/api/conflicts", json([this](const httplib::Request& r) {
    return service::to_json(service::find_conflicts(model_, param(r, "text")));
  }));
  server.Get("/api/series", json([this](const httplib::Request& r) { return series(r); }));
  server.Get("/api/network/links", json([this](const httplib::Request& r) { return links(r); }));
  server.Get("/api/network/whatif", json([this](const httplib::Request& r) { return what_if(r); }));
  server.Get("/api/network/n1", json([this](const httplib::Request& r) { return n1(r); }));
  server.Get("/api/network/map", guarded([this](const httplib::Request& req, httplib::Response& res) {
    res.set_content(map_svg(req), "image/svg+xml");
  }));
  server.Get("/api/leverage", json([this](const httplib::Request& r) { return leverage(r); }));
  server.Get("/api/bargain", json([this](const httplib::Request& r) { return bargaining(r); }));
  server.Get("/api/scenarios", json([this](const httplib::Request&) { return scenarios(); }));
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
    service::ReportRequest o;
    o.model_dir = model_directory(options_.model);
    o.data_root = options_.model.data_root;
    o.cut = list_param(req, "cut");
    network::Scenario check;
    check.year = service::network_year(model_, o.year);
    check.cut = o.cut;
    try {
      network::validate(model_.infrastructure, check);
    } catch (const InputError& e) {
      throw HttpError{400, message_of(e)};
    }
    o.runs = 0;
    o.sensitivity_runs = 0;
    res.set_content(service::render_report(model_, o), "text/html; charset=utf-8");
  }));
  server.Get(".*", guarded([this](const httplib::Request& req, httplib::Response& res) {
    serve_static(req, res);
  }));
  server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
    if (res.body.empty()) send_error(res, res.status, fmt::format("HTTP {}", res.status));
  });
}

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
    action = [opts](std::ostream& out) {
      if (opts->web.empty() && std::filesystem::exists(SPHERE_WEB_DIST)) opts->web = SPHERE_WEB_DIST;
      auto service = std::make_unique<Service>(load_model(opts->model), *opts);
      http::GuardedServer server;
      service->install(server);
      const int port = opts->port == 0 ? server.bind_to_any_port(opts->host.c_str())
                                       : (server.bind_to_port(opts->host.c_str(), opts->port)
                                              ? opts->port
                                              : -1);
      if (port < 0) {
        std::cerr << fmt::format("sphere serve: cannot listen on {}:{}\n", opts->host, opts->port);
        return kExitInvalidInput;
      }
      raise_listen_backlog(port);
      out << fmt::format("Sphere serving {} on http://{}:{}/ (API under /api; Ctrl-C stops)\n",
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
