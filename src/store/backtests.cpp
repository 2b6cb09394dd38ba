// Backtests in SQLite: forecasts with their vintage and every scoring of them, each backtest and
// each re-scoring in one transaction.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <cstring>
#include <map>
#include <set>

#include "core/core.h"
#include "store/internal.h"
#include "store/store.h"

namespace sphere::store {
namespace {

const char* kBacktestSchema = R"(
CREATE TABLE IF NOT EXISTS backtests (
  id INTEGER PRIMARY KEY, created TEXT, command TEXT, model TEXT, panel_file TEXT,
  panel_format TEXT, panel_digest TEXT, panel_bytes INTEGER, data_from TEXT, data_through TEXT,
  target TEXT, partner TEXT, refit TEXT, horizons TEXT, models TEXT, seed TEXT, paths INTEGER,
  fixed_threshold INTEGER, bootstrap INTEGER);
CREATE TABLE IF NOT EXISTS backtest_fits (
  backtest_id INTEGER, fitted_before TEXT, calibration TEXT);
CREATE TABLE IF NOT EXISTS backtest_forecasts (
  backtest_id INTEGER, seq INTEGER, model TEXT, origin TEXT, month TEXT, horizon INTEGER,
  country1 TEXT, country2 TEXT, data_through TEXT, fitted_before TEXT, threshold_q90 INTEGER,
  activity INTEGER, mean REAL, pmf BLOB, PRIMARY KEY (backtest_id, seq));
CREATE TABLE IF NOT EXISTS backtest_scorings (
  id INTEGER PRIMARY KEY, backtest_id INTEGER, created TEXT, command TEXT, panel_file TEXT,
  panel_digest TEXT, panel_bytes INTEGER, data_through TEXT, scored INTEGER, pending INTEGER,
  results TEXT);
CREATE TABLE IF NOT EXISTS backtest_scores (
  scoring_id INTEGER, seq INTEGER, outcome INTEGER, crps REAL, log REAL, brier_q90 REAL,
  brier_fixed REAL, PRIMARY KEY (scoring_id, seq));
CREATE TABLE IF NOT EXISTS backtest_summary (
  scoring_id INTEGER, model TEXT, horizon INTEGER, n INTEGER, crps REAL, log REAL,
  zero_probability_outcomes INTEGER, brier_q90 REAL, brier_fixed REAL);
CREATE TABLE IF NOT EXISTS backtest_skill (
  scoring_id INTEGER, model TEXT, baseline TEXT, horizon INTEGER, skill REAL, low REAL,
  high REAL, dm REAL, p_value REAL);
)";

void exec(sqlite3* db, const char* sql) {
  char* error = nullptr;
  if (sqlite3_exec(db, sql, nullptr, nullptr, &error) != SQLITE_OK) {
    std::string why = error ? error : "unknown error";
    sqlite3_free(error);
    throw std::runtime_error(fmt::format("SQLite: {}", why));
  }
}

std::string join(const std::vector<int>& v) {
  std::string out;
  for (int x : v) {
    if (!out.empty()) out += ',';
    out += std::to_string(x);
  }
  return out;
}
std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& x : v) {
    if (!out.empty()) out += ',';
    out += x;
  }
  return out;
}

// Opens a database; a file that is not one is an InputError naming it.
sqlite3* open_database(const std::string& path, bool read_only) {
  sqlite3* db = nullptr;
  const int flags = read_only ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
  if (sqlite3_open_v2(path.c_str(), &db, flags, nullptr) != SQLITE_OK) {
    std::string why = db ? sqlite3_errmsg(db) : "out of memory";
    sqlite3_close(db);
    throw InputError(path, 0, "", "cannot open the database: " + why);
  }
  sqlite3_busy_timeout(db, 10000);
  // Reading the schema fails on a file that is not a SQLite database.
  if (sqlite3_exec(db, "SELECT count(*) FROM sqlite_master", nullptr, nullptr, nullptr) != SQLITE_OK) {
    std::string why = sqlite3_errmsg(db);
    sqlite3_close(db);
    throw InputError(path, 0, "", "not a SQLite database (" + why + ")");
  }
  return db;
}

bool has_table(sqlite3* db, const char* name) {
  Statement s(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?");
  s.bind(1, std::string(name));
  const bool found = s.row();
  sqlite3_reset(s.get());
  return found;
}

BacktestVintage read_vintage(Statement& s, int c) {
  BacktestVintage v;
  v.command = s.text(c + 0);
  v.model = s.text(c + 1);
  v.panel_file = s.text(c + 2);
  v.panel_format = s.text(c + 3);
  v.panel_digest = s.text(c + 4);
  v.panel_bytes = static_cast<std::uintmax_t>(s.integer(c + 5));
  v.data_from = s.text(c + 6);
  v.data_through = s.text(c + 7);
  v.target = s.text(c + 8);
  v.partner = s.text(c + 9);
  v.refit = s.text(c + 10);
  for (const auto& h : split_trimmed(s.text(c + 11), ',')) v.horizons.push_back(std::stoi(h));
  v.models = split_trimmed(s.text(c + 12), ',');
  v.seed = std::stoull(s.text(c + 13));
  v.paths = static_cast<int>(s.integer(c + 14));
  v.fixed_threshold = static_cast<int>(s.integer(c + 15));
  v.bootstrap = static_cast<int>(s.integer(c + 16));
  return v;
}
constexpr const char* kVintageColumns =
    "command, model, panel_file, panel_format, panel_digest, panel_bytes, data_from, "
    "data_through, target, partner, refit, horizons, models, seed, paths, fixed_threshold, "
    "bootstrap";

double mean_of(const dyad::Pmf& pmf) {
  double m = 0;
  for (std::size_t k = 0; k < pmf.size(); ++k) m += static_cast<double>(k) * pmf[k];
  return m;
}

// Writes a scoring: its row, the summary and skills; returns its id.
std::int64_t write_scoring(sqlite3* db, std::int64_t backtest_id, const std::string& command,
                           const std::string& panel_file, const std::string& digest,
                           std::uintmax_t bytes, const std::string& data_through,
                           std::size_t scored, std::size_t pending) {
  Statement(db,
            "INSERT INTO backtest_scorings (backtest_id, created, command, panel_file, "
            "panel_digest, panel_bytes, data_through, scored, pending) "
            "VALUES (?, datetime('now'), ?, ?, ?, ?, ?, ?, ?)")
      .bind(1, backtest_id).bind(2, command).bind(3, panel_file).bind(4, digest)
      .bind(5, static_cast<std::int64_t>(bytes)).bind(6, data_through)
      .bind(7, static_cast<std::int64_t>(scored)).bind(8, static_cast<std::int64_t>(pending))
      .step();
  return sqlite3_last_insert_rowid(db);
}

void write_results(sqlite3* db, std::int64_t scoring_id, const dyad::BacktestResult& result,
                   const std::string& json) {
  Statement sum(db, "INSERT INTO backtest_summary VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& m : result.models)
    for (const auto& h : m.horizons) {
      const double n = h.n ? static_cast<double>(h.n) : 1.0;
      sum.bind(1, scoring_id).bind(2, m.name).bind(3, static_cast<std::int64_t>(h.h))
          .bind(4, static_cast<std::int64_t>(h.n)).bind(5, h.crps / n);
      if (h.log_infinite || !h.n) sum.bind_null(6);
      else sum.bind(6, h.log / n);
      sum.bind(7, static_cast<std::int64_t>(h.log_infinite)).bind(8, h.brier_q90 / n)
          .bind(9, h.brier_fixed / n).step();
    }
  Statement sk(db, "INSERT INTO backtest_skill VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
  for (const auto& s : result.skills) {
    sk.bind(1, scoring_id).bind(2, s.model).bind(3, s.baseline).bind(4, static_cast<std::int64_t>(s.h))
        .bind(5, s.skill);
    // No interval (fewer than two target periods): NULL, not a number.
    if (s.has_interval()) sk.bind(6, s.low).bind(7, s.high).bind(8, s.dm).bind(9, s.p_value);
    else sk.bind_null(6).bind_null(7).bind_null(8).bind_null(9);
    sk.step();
  }
  Statement(db, "UPDATE backtest_scorings SET results = ? WHERE id = ?")
      .bind(1, json).bind(2, scoring_id).step();
}

}  // namespace

struct BacktestWriter::Impl {
  std::string path;
  bool created = false;  // the writer made the file: removed when not committed
  sqlite3* db = nullptr;
  bool committed = false;
  BacktestVintage vintage;
  std::int64_t seq = 0, scoring = 0;
  std::size_t scored = 0, pending = 0;
  std::unique_ptr<Statement> forecast, score;

  void abandon() {
    forecast.reset();
    score.reset();
    if (db) {
      if (!committed) sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
      sqlite3_close(db);
      db = nullptr;
    }
    if (!committed && created) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      std::filesystem::remove(path + "-journal", ec);
    }
  }
};

BacktestWriter::BacktestWriter(const std::string& path, const BacktestVintage& vintage)
    : impl_(std::make_unique<Impl>()) {
  Impl& s = *impl_;
  s.path = path;
  s.vintage = vintage;
  s.created = !std::filesystem::exists(path);
  try {
    s.db = open_database(path, false);
    exec(s.db, "BEGIN IMMEDIATE");
    if (has_table(s.db, "forecasts") && !has_table(s.db, "backtests"))
      throw InputError(path, 0, "",
                       "the database holds forecasts of the structural engine (a forecast "
                       "store), not backtests of the dyadic model; give another file");
    exec(s.db, kBacktestSchema);
    // Every backtest of a database is of one model, panel format, target and partner, so that
    // its scorings compare like with like.
    Statement old(s.db, "SELECT id, model, panel_format, target, partner FROM backtests ORDER BY id LIMIT 1");
    if (old.row()) {
      const std::pair<const char*, std::string> checks[] = {
          {"model", vintage.model}, {"panel_format", vintage.panel_format},
          {"target", vintage.target}, {"partner", vintage.partner}};
      for (int i = 0; i < 4; ++i) {
        const std::string have = old.text(1 + i);
        if (have != checks[i].second)
          throw InputError(path, 0, checks[i].first,
                           fmt::format("the database holds backtests with {} '{}', not '{}'; "
                                       "give another file",
                                       checks[i].first, have, checks[i].second));
      }
    }
    sqlite3_reset(old.get());
    Statement ins(s.db, fmt::format("INSERT INTO backtests (created, {}) VALUES (datetime('now'), "
                                    "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                                    kVintageColumns).c_str());
    ins.bind(1, vintage.command).bind(2, vintage.model).bind(3, vintage.panel_file)
        .bind(4, vintage.panel_format).bind(5, vintage.panel_digest)
        .bind(6, static_cast<std::int64_t>(vintage.panel_bytes)).bind(7, vintage.data_from)
        .bind(8, vintage.data_through).bind(9, vintage.target).bind(10, vintage.partner)
        .bind(11, vintage.refit).bind(12, join(vintage.horizons)).bind(13, join(vintage.models))
        .bind(14, std::to_string(vintage.seed)).bind(15, static_cast<std::int64_t>(vintage.paths))
        .bind(16, static_cast<std::int64_t>(vintage.fixed_threshold))
        .bind(17, static_cast<std::int64_t>(vintage.bootstrap)).step();
    id_ = sqlite3_last_insert_rowid(s.db);
    s.scoring = write_scoring(s.db, id_, vintage.command, vintage.panel_file, vintage.panel_digest,
                              vintage.panel_bytes, vintage.data_through, 0, 0);
    s.forecast = std::make_unique<Statement>(
        s.db, "INSERT INTO backtest_forecasts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
    s.score = std::make_unique<Statement>(s.db, "INSERT INTO backtest_scores VALUES (?, ?, ?, ?, ?, ?, ?)");
  } catch (...) {
    s.abandon();
    throw;
  }
}

BacktestWriter::~BacktestWriter() { impl_->abandon(); }

void BacktestWriter::add(const dyad::ForecastRecord& r, const panel::Panel& p) {
  Impl& s = *impl_;
  const auto& pair = p.pairs[r.pair];
  const dyad::Pmf& pmf = *r.pmf;
  ++s.seq;
  s.forecast->bind(1, id_).bind(2, s.seq).bind(3, s.vintage.models.at(r.model))
      .bind(4, p.period_name(r.origin)).bind(5, p.period_name(r.origin + r.horizon - 1))
      .bind(6, static_cast<std::int64_t>(r.horizon)).bind(7, p.codes[pair.a]).bind(8, p.codes[pair.b])
      .bind(9, p.period_name(r.origin - 1)).bind(10, p.period_name(r.fitted_until))
      .bind(11, static_cast<std::int64_t>(r.threshold_q90)).bind(12, static_cast<std::int64_t>(r.activity))
      .bind(13, mean_of(pmf)).bind_blob(14, pmf.data(), pmf.size() * sizeof(double));
  s.forecast->step();
  if (!r.scored) {
    if (r.model == 0) ++s.pending;
    return;
  }
  if (r.model == 0) ++s.scored;
  s.score->bind(1, s.scoring).bind(2, s.seq).bind(3, static_cast<std::int64_t>(r.outcome))
      .bind(4, r.score.crps);
  if (std::isfinite(r.score.log)) s.score->bind(5, r.score.log);
  else s.score->bind_null(5);
  s.score->bind(6, r.score.brier_q90).bind(7, r.score.brier_fixed).step();
}

void BacktestWriter::commit(const dyad::BacktestResult& result, const panel::Panel& p,
                            const std::string& results_json) {
  Impl& s = *impl_;
  Statement fit(s.db, "INSERT INTO backtest_fits VALUES (?, ?, ?)");
  for (const auto& c : result.fits)
    fit.bind(1, id_).bind(2, p.period_name(c.until - p.first))
        .bind(3, dyad::calibration_to_json(c, p, s.vintage.command)).step();
  Statement(s.db, "UPDATE backtest_scorings SET scored = ?, pending = ? WHERE id = ?")
      .bind(1, static_cast<std::int64_t>(s.scored)).bind(2, static_cast<std::int64_t>(s.pending))
      .bind(3, s.scoring).step();
  write_results(s.db, s.scoring, result, results_json);
  s.forecast.reset();
  s.score.reset();
  exec(s.db, "COMMIT");
  s.committed = true;
}

std::vector<BacktestVintage> stored_backtests(const std::string& path) {
  if (!std::filesystem::exists(path)) throw InputError(path, 0, "", "no such database");
  sqlite3* db = open_database(path, true);
  std::vector<BacktestVintage> out;
  try {
    if (has_table(db, "backtests")) {
      Statement list(db, fmt::format("SELECT {} FROM backtests ORDER BY id", kVintageColumns).c_str());
      while (list.row()) out.push_back(read_vintage(list, 0));
    }
  } catch (...) {
    sqlite3_close(db);
    throw;
  }
  sqlite3_close(db);
  if (out.empty()) throw InputError(path, 0, "", "the database holds no backtest (a backtest store is written by sphere backtest)");
  return out;
}

std::vector<Rescoring> rescore_backtests(const std::string& path, const panel::Panel& panel,
                                         const std::string& panel_digest,
                                         std::uintmax_t panel_bytes, const std::string& command,
                                         const std::string& created) {
  if (!std::filesystem::exists(path)) throw InputError(path, 0, "", "no such database");
  sqlite3* db = open_database(path, true);
  std::vector<Rescoring> out;
  try {
    if (!has_table(db, "backtests"))
      throw InputError(path, 0, "", "the database holds no backtest (a backtest store is written by sphere backtest)");
    exec(db, "BEGIN IMMEDIATE");
    {
      Statement list(db, fmt::format("SELECT id, created, {} FROM backtests ORDER BY id", kVintageColumns).c_str());
      while (list.row()) {
        Rescoring r;
        r.backtest_id = list.integer(0);
        r.created = list.text(1);
        r.vintage = read_vintage(list, 2);
        out.push_back(std::move(r));
      }
    }
    if (out.empty()) throw InputError(path, 0, "", "the database holds no backtest");
    for (Rescoring& r : out) {
      const BacktestVintage& v = r.vintage;
      if (v.panel_format != panel::format_name(panel.format))
        throw InputError(panel.file, 0, "format",
                         fmt::format("backtest {} of {} was made on a {} panel; this panel is {}",
                                     r.backtest_id, path, v.panel_format,
                                     panel::format_name(panel.format)));
      const int measure = panel.measure_index(v.target);
      if (measure < 0 || !panel.measures[measure].count)
        throw InputError(panel.file, 0, "target",
                         fmt::format("backtest {} of {} forecasts '{}', which this panel has not as a count",
                                     r.backtest_id, path, v.target));
    }
    for (Rescoring& r : out) {
      const BacktestVintage& v = r.vintage;
      const int measure = panel.measure_index(v.target);
      const int nh = static_cast<int>(v.horizons.size());
      auto& models = r.result.models;
      models.resize(v.models.size());
      for (std::size_t m = 0; m < models.size(); ++m) {
        models[m].name = v.models[m];
        models[m].horizons.resize(nh);
        for (int i = 0; i < nh; ++i) {
          models[m].horizons[i].h = v.horizons[i];
          models[m].horizons[i].reset(v.horizons[i], panel.periods);
        }
      }
      std::map<std::string, int> model_index;
      for (std::size_t m = 0; m < v.models.size(); ++m) model_index[v.models[m]] = static_cast<int>(m);
      std::map<int, int> horizon_index;
      for (int i = 0; i < nh; ++i) horizon_index[v.horizons[i]] = i;
      r.result.target = v.target;
      const std::int64_t scoring = write_scoring(db, r.backtest_id, command, panel.file, panel_digest,
                                                 panel_bytes, panel.period_name(panel.periods - 1), 0, 0);
      Statement score(db, "INSERT INTO backtest_scores VALUES (?, ?, ?, ?, ?, ?, ?)");
      // In the order the backtest scored them: the same sums, so the same numbers.
      Statement rows(db,
                     "SELECT seq, model, origin, month, horizon, country1, country2, "
                     "threshold_q90, activity, pmf FROM backtest_forecasts WHERE backtest_id = ? "
                     "ORDER BY seq");
      rows.bind(1, r.backtest_id);
      std::map<std::string, int> periods;  // month text -> panel period (memo)
      const auto period = [&](const std::string& text) {
        auto it = periods.find(text);
        if (it == periods.end()) it = periods.emplace(text, panel.period_of(text, path)).first;
        return it->second;
      };
      std::set<std::string> origins;
      dyad::Pmf pmf;
      while (rows.row()) {
        const auto mi = model_index.find(rows.text(1));
        const auto hi = horizon_index.find(static_cast<int>(rows.integer(4)));
        if (mi == model_index.end() || hi == horizon_index.end())
          throw InputError(path, 0, "backtest_forecasts",
                           fmt::format("forecast {} names a model or horizon its backtest lacks", rows.integer(0)));
        if (mi->second == 0) {
          ++r.forecasts;
          origins.insert(rows.text(2));
        }
        const int t = period(rows.text(3));
        if (t < 0 || t >= panel.periods) {
          if (mi->second == 0) ++r.pending;
          continue;
        }
        const long pair = panel.find_pair(rows.text(5), rows.text(6));
        const int y = pair < 0 ? 0 : static_cast<int>(panel.value(static_cast<std::size_t>(pair), measure, t));
        const void* blob = sqlite3_column_blob(rows.get(), 9);
        const int bytes = sqlite3_column_bytes(rows.get(), 9);
        pmf.assign(static_cast<std::size_t>(bytes) / sizeof(double), 0.0);
        if (bytes > 0) std::memcpy(pmf.data(), blob, pmf.size() * sizeof(double));
        const dyad::ForecastScore f =
            dyad::score_forecast(pmf, y, static_cast<int>(rows.integer(7)), v.fixed_threshold);
        models[mi->second].horizons[hi->second].add(f, t, static_cast<int>(rows.integer(8)));
        if (mi->second == 0) ++r.scored;
        score.bind(1, scoring).bind(2, rows.integer(0)).bind(3, static_cast<std::int64_t>(y)).bind(4, f.crps);
        if (std::isfinite(f.log)) score.bind(5, f.log);
        else score.bind_null(5);
        score.bind(6, f.brier_q90).bind(7, f.brier_fixed).step();
      }
      r.result.origins = static_cast<int>(origins.size());
      r.result.forecasts = r.scored;
      r.result.skills = dyad::skills_of(models, v.bootstrap, v.seed);
      r.result.rps_skills = dyad::skills_of(models, v.bootstrap, v.seed, "rps");
      Statement(db, "UPDATE backtest_scorings SET scored = ?, pending = ? WHERE id = ?")
          .bind(1, static_cast<std::int64_t>(r.scored)).bind(2, static_cast<std::int64_t>(r.pending))
          .bind(3, scoring).step();
      dyad::BacktestProvenance prov;
      prov.command = command;
      prov.created = created;
      prov.panel_digest = panel_digest;
      prov.panel_bytes = panel_bytes;
      prov.data_through = panel.period_name(panel.periods - 1);
      prov.refit = v.refit;
      prov.horizons = join(v.horizons);
      prov.fixed_threshold = v.fixed_threshold;
      write_results(db, scoring, r.result, dyad::backtest_to_json(r.result, panel, prov));
    }
    exec(db, "COMMIT");
  } catch (...) {
    sqlite3_exec(db, "ROLLBACK", nullptr, nullptr, nullptr);
    sqlite3_close(db);
    throw;
  }
  sqlite3_close(db);
  return out;
}

}  // namespace sphere::store
