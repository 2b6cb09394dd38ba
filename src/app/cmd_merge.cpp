// Sharded forecasts: `sphere forecast --shard K/N` writes one shard's partial result, and
// `sphere merge` checks that the shards are complete, non-overlapping and from one ensemble and
// folds them in block order with the same reducer as `sphere forecast`, so the result is
// bitwise identical to a forecast in one process. The same checks serve the shards of `sphere
// sensitivity` (merged by merge_sensitivity), and the MPI helpers both commands use live here.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <variant>

#include <fmt/format.h>
#ifdef SPHERE_WITH_MPI
#include <mpi.h>
#endif

#include "app/forecast.h"
#include "store/store.h"

namespace sphere::app {
namespace {

std::string run_range(std::uint32_t runs, std::uint32_t first_block, std::uint32_t end_block) {
  const std::uint64_t first = std::uint64_t{first_block} * sim::kReductionBlock;
  const std::uint64_t end =
      std::min<std::uint64_t>(runs, std::uint64_t{end_block} * sim::kReductionBlock);
  return end > first ? fmt::format("runs {}–{}", first, end - 1) : "no runs";
}

// The first difference between two shards' ensembles, or "".
std::string difference(const store::Partial& a, const store::Partial& b) {
  if (a.seed != b.seed) return fmt::format("seed {} vs {}", a.seed, b.seed);
  if (a.runs != b.runs) return fmt::format("--runs {} vs {}", a.runs, b.runs);
  if (a.shards != b.shards) return fmt::format("split into {} vs {} shards", a.shards, b.shards);
  if (a.start != b.start || a.horizon != b.horizon)
    return fmt::format("months {}–{} vs {}–{}", a.start, a.horizon, b.start, b.horizon);
  if (a.shocks != b.shocks) return "different --shock options";
  if (a.settings != b.settings) return "different --set options";
  if (a.digest != b.digest)
    return fmt::format("model or parameters differ (digest {} vs {})", a.digest, b.digest);
  return "";
}

// The first difference between two shards' sensitivity designs, or "".
std::string difference(const store::SensitivityPartial& a, const store::SensitivityPartial& b) {
  if (a.seed != b.seed) return fmt::format("seed {} vs {}", a.seed, b.seed);
  if (a.method != b.method) return fmt::format("--method {} vs {}", a.method, b.method);
  if (a.output != b.output) return fmt::format("--output {} vs {}", a.output, b.output);
  if (a.n != b.n) return fmt::format("--n {} vs {}", a.n, b.n);
  if (a.runs != b.runs) return fmt::format("--runs {} vs {}", a.runs, b.runs);
  if (a.levels != b.levels) return fmt::format("--levels {} vs {}", a.levels, b.levels);
  if (a.bootstrap != b.bootstrap)
    return fmt::format("--bootstrap {} vs {}", a.bootstrap, b.bootstrap);
  if (a.shards != b.shards) return fmt::format("split into {} vs {} shards", a.shards, b.shards);
  if (a.horizon != b.horizon) return fmt::format("--horizon '{}' vs '{}'", a.horizon, b.horizon);
  if (a.shocks != b.shocks) return "different --shock options";
  if (a.settings != b.settings) return "different --set options";
  if (a.digest != b.digest)
    return fmt::format("model, parameters or ranges differ (digest {} vs {})", a.digest,
                       b.digest);
  return "";
}

// What a missing shard of `first`'s forecast covers and the command that computes it again.
std::string missing(const store::Partial& first, std::uint32_t k) {
  auto [b, e] = sim::shard_blocks(first.runs, k, first.shards);
  return fmt::format("shard {}/{} ({}) is missing; run `sphere forecast --shard {}/{}` again with "
                     "the others' options (--seed {} --runs {}) and merge all {} shards",
                     k + 1, first.shards, run_range(first.runs, b, e), k + 1, first.shards,
                     first.seed, first.runs, first.shards);
}

// The same for a sensitivity analysis's shard.
std::string missing(const store::SensitivityPartial& first, std::uint32_t k) {
  auto [b, e] = sim::shard_points(first.points, k, first.shards);
  std::string options = fmt::format("--method {} --output {} --n {}", first.method, first.output,
                                    first.n);
  options += first.method == "morris" ? fmt::format(" --levels {}", first.levels)
                                      : fmt::format(" --bootstrap {}", first.bootstrap);
  options += fmt::format(" --runs {} --seed {}", first.runs, first.seed);
  if (!first.horizon.empty()) options += " --horizon " + first.horizon;
  return fmt::format("shard {}/{} ({}) is missing; run `sphere sensitivity --shard {}/{}` again "
                     "with the others' options ({}) and merge all {} shards",
                     k + 1, first.shards,
                     e > b ? fmt::format("points {}–{}", b, e - 1) : "no points", k + 1,
                     first.shards, options, first.shards);
}

// Checks that the readable `parts` (with the file each came from) are exactly shards 1..N of
// one computation and returns them ordered by shard. Throws InputError naming every file that
// could not be read (`problems`) and every missing, repeated or incompatible shard, so that a
// lost or corrupt shard's message says how to compute it again. `kind`: that of the files that
// could not be read (an I/O error, a damaged file), which the whole error takes.
template <typename P>
std::vector<P> check_shards(std::vector<std::pair<std::string, P>> parts, Diagnostics problems,
                            ErrorKind kind = ErrorKind::kInvalidInput) {
  if (parts.empty()) throw InputError(problems, kind);
  const P& first = parts[0].second;
  std::map<std::uint32_t, std::string> seen;  // shard -> file
  bool compatible = true;
  for (const auto& [name, part] : parts) {
    const std::string diff = difference(first, part);
    compatible = compatible && diff.empty();
    if (!diff.empty())
      problems.add(name, 0, "ensemble",
                   fmt::format("not from the same computation as {}: {}", parts[0].first, diff));
    else if (auto [at, fresh] = seen.emplace(part.shard, name); !fresh)
      problems.add(name, 0, "shard",
                   fmt::format("shard {}/{} is given twice (also {}): shards overlap",
                               part.shard + 1, part.shards, at->second));
  }
  if (compatible)
    for (std::uint32_t k = 0; k < first.shards; ++k)
      if (!seen.count(k)) problems.add("merge", 0, "shard", missing(first, k));
  if (!problems.empty()) throw InputError(problems, kind);
  std::vector<P> ordered;
  for (auto& named : parts) ordered.push_back(std::move(named.second));
  std::sort(ordered.begin(), ordered.end(),
            [](const P& a, const P& b) { return a.shard < b.shard; });
  return ordered;
}

// Each part's sizes fit this engine (scenarios, drivers, months): checked before anything is
// folded or written, naming the shard.
void check_fits(const sim::Engine& engine, const std::vector<store::Partial>& parts) {
  const std::size_t scenarios = engine.scenarios().size();
  const std::size_t drivers = scenarios * engine.driver_names().size();
  const std::size_t cells = static_cast<std::size_t>(sim::kIndicators) * engine.months();
  for (const auto& p : parts) {
    const std::string name = fmt::format("shard {}/{}", p.shard + 1, p.shards);
    const auto fail = [&](const char* field, std::size_t size, std::size_t expected) {
      throw InputError(name, 0, field,
                       fmt::format("{} entries where this model has {}", size, expected));
    };
    if (p.part.counts.size() != scenarios) fail("counts", p.part.counts.size(), scenarios);
    for (const auto& b : p.part.sums)
      if (b.size() != cells) fail("sums", b.size(), cells);
    for (const auto& b : p.part.driver_sums)
      if (b.size() != drivers) fail("driver_sums", b.size(), drivers);
  }
}

// Folds shards 0..N-1 (in order, already checked) and prints or stores the forecast.
int present_parts(const kb::Model& model, const sim::Engine& engine,
                  const std::vector<store::Partial>& parts, const std::string& db,
                  const std::string& command_line, bool json, bool csv) {
  check_fits(engine, parts);
  const store::Partial& first = parts[0];
  const sim::EnsembleOptions options{first.seed, first.runs, 1, 512};
  sim::EnsembleReducer reducer(engine, options);
  for (const auto& p : parts) reducer.add(p.part);
  const sim::ForecastSummary f = reducer.summary();  // throws when runs are missing
  std::unique_ptr<store::ForecastWriter> writer;
  if (!db.empty()) {
    writer = std::make_unique<store::ForecastWriter>(
        db, store::ForecastMeta{model.location, command_line, first.seed, first.runs}, engine);
    for (const auto& p : parts) writer->add_runs(p.outcomes);
  }
  return present_forecast(model, engine, f, writer.get(), db, json, csv);
}

int merge_forecast(const std::vector<store::Partial>& parts, const std::vector<std::string>& files,
                   const ModelOptions& model_options, const std::string& db, bool csv) {
  const store::Partial& first = parts[0];
  const kb::Model model = load_model(model_options);
  EngineCliOptions o;
  o.model = model_options;
  o.seed = first.seed;
  o.runs = first.runs;
  o.horizon = first.horizon;
  o.shocks = first.shocks;
  o.settings = first.settings;
  const sim::Engine engine = build_engine(model, o);
  if (engine.start().to_string() != first.start || store::engine_digest(engine) != first.digest)
    throw InputError(model.location, 0, "model",
                     fmt::format("the shards were computed with another model or other parameters "
                                 "(digest {}, this model {}); pass the --model they used",
                                 first.digest, store::engine_digest(engine)));
  std::string line = "sphere merge";
  for (const auto& file : files) line += " " + file;
  return present_parts(model, engine, parts, db, line, model_options.json, csv);
}

// Reads every file (a forecast's or a sensitivity analysis's shards, not both), checks the set
// and merges it; nothing is printed unless every shard is there and sound.
int run_merge(const std::vector<std::string>& files, const ModelOptions& model_options,
              const std::string& db, bool csv) {
  std::vector<std::pair<std::string, store::Partial>> forecasts;
  std::vector<std::pair<std::string, store::SensitivityPartial>> analyses;
  Diagnostics problems;
  ErrorKind kind = ErrorKind::kInvalidInput;
  for (const auto& file : files) {
    try {
      store::AnyPartial p = store::read_partial(file);
      if (auto* f = std::get_if<store::Partial>(&p))
        forecasts.emplace_back(file, std::move(*f));
      else
        analyses.emplace_back(file, std::move(std::get<store::SensitivityPartial>(p)));
    } catch (const InputError& e) {
      problems.append(e.diagnostics());
      if (e.kind() != ErrorKind::kInvalidInput) kind = e.kind();
    }
  }
  if (!forecasts.empty() && !analyses.empty())
    throw InputError(analyses[0].first, 0, "format",
                     fmt::format("a sensitivity analysis's shard among a forecast's shards ({})",
                                 forecasts[0].first));
  if (forecasts.empty() && !analyses.empty()) {
    if (csv || !db.empty())
      throw InputError("command line", 0, csv ? "--csv" : "--db",
                       "applies to a forecast's shards, not a sensitivity analysis's");
    const auto parts = check_shards(std::move(analyses), std::move(problems), kind);
    return merge_sensitivity(load_model(model_options), parts, model_options.json);
  }
  const auto parts = check_shards(std::move(forecasts), std::move(problems), kind);
  return merge_forecast(parts, files, model_options, db, csv);
}

// Computes shard `shard` (0-based) of `shards` of the forecast the options describe.
store::Partial compute_shard(const kb::Model& model, const sim::Engine& engine,
                             const EngineCliOptions& o, std::uint32_t shard,
                             std::uint32_t shards) {
  store::Partial p;
  p.shard = shard;
  p.shards = shards;
  p.seed = o.seed;
  p.runs = o.runs;
  p.model = model.location;
  p.start = engine.start().to_string();
  p.horizon = engine.horizon().to_string();
  for (const auto& s : engine.shocks()) p.shocks.push_back(s.text);
  p.settings = o.settings;
  p.digest = store::engine_digest(engine);
  const auto [first_block, end_block] = sim::shard_blocks(o.runs, shard, shards);
  p.part = sim::run_blocks(engine, {o.seed, o.runs, thread_count(o), 512}, first_block, end_block,
                           [&](std::span<const sim::RunOutcome> runs) {
                             p.outcomes.insert(p.outcomes.end(), runs.begin(), runs.end());
                           });
  return p;
}

}  // namespace

ShardSpec parse_shard(const std::string& text) {
  ShardSpec s;
  const auto slash = text.find('/');
  try {
    std::size_t used = 0;
    if (slash == std::string::npos) throw std::invalid_argument("no slash");
    s.index = static_cast<std::uint32_t>(std::stoul(text.substr(0, slash), &used));
    if (used != slash) throw std::invalid_argument("K");
    s.count = static_cast<std::uint32_t>(std::stoul(text.substr(slash + 1), &used));
    if (used != text.size() - slash - 1) throw std::invalid_argument("N");
  } catch (const std::exception&) {
    throw CLI::ValidationError("--shard", fmt::format("'{}' is not K/N (e.g. 2/4)", text));
  }
  if (s.count < 1 || s.count > 100000 || s.index < 1 || s.index > s.count)
    throw CLI::ValidationError("--shard", fmt::format("'{}': need 1 <= K <= N <= 100000", text));
  return s;
}

int run_forecast_shard(const kb::Model& model, const EngineCliOptions& o, const ShardSpec& shard,
                       const std::string& out, bool json) {
  const sim::Engine engine = build_engine(model, o);
  if (engine.months() > store::kMaxPartMonths)  // refused before the work, not by merge after it
    throw InputError("command line", 0, "--horizon",
                     fmt::format("{} months: a shard spans at most {} months",
                                 engine.months(), store::kMaxPartMonths));
  const std::string file =
      out.empty() ? fmt::format("part-{}-of-{}.json", shard.index, shard.count) : out;
  const store::Partial p = compute_shard(model, engine, o, shard.index - 1, shard.count);
  const std::uint32_t first_block = p.part.first_block, end_block = p.part.end_block;
  store::write_partial(file, p);
  const std::string range = run_range(o.runs, first_block, end_block);
  if (json)
    print_json(std::cout, {{"shard", shard.index}, {"shards", shard.count}, {"seed", o.seed},
                           {"runs", o.runs}, {"range", range}, {"file", file},
                           {"digest", p.digest}});
  else
    std::cout << fmt::format("Shard {}/{} of {} runs (seed {}): {} written to {}\n", shard.index,
                             shard.count, o.runs, o.seed, range, file);
  return kExitOk;
}

#ifdef SPHERE_WITH_MPI
std::optional<MpiRank> mpi_start() {
  // MPI only when mpirun started several ranks: a plain `sphere forecast` (or `sphere serve`,
  // which forecasts many times) never initialises MPI.
  const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (world == nullptr || std::atoi(world) <= 1) return std::nullopt;
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized) return std::nullopt;
  if (!initialized) MPI_Init(nullptr, nullptr);
  MpiRank me;
  MPI_Comm_rank(MPI_COMM_WORLD, &me.rank);
  MPI_Comm_size(MPI_COMM_WORLD, &me.size);
  return me;
}

std::vector<std::string> mpi_gather(const MpiRank& me, const std::string& mine) {
  if (me.rank != 0) {
    const std::uint64_t length = mine.size();
    MPI_Send(&length, 1, MPI_UINT64_T, 0, 0, MPI_COMM_WORLD);
    MPI_Send(mine.data(), static_cast<int>(mine.size()), MPI_CHAR, 0, 1, MPI_COMM_WORLD);
    return {};
  }
  // Rank order is shard order. A rank that dies aborts the whole job (MPI_ERRORS_ARE_FATAL;
  // mpirun names the rank), so rank 0 never goes on with a part missing.
  std::vector<std::string> texts{mine};
  for (int r = 1; r < me.size; ++r) {
    std::uint64_t length = 0;
    MPI_Recv(&length, 1, MPI_UINT64_T, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    std::string text(length, '\0');
    MPI_Recv(text.data(), static_cast<int>(length), MPI_CHAR, r, 1, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    texts.push_back(std::move(text));
  }
  return texts;
}

void mpi_finish() { MPI_Finalize(); }

int run_forecast_mpi(const kb::Model& model, const EngineCliOptions& o, const std::string& db,
                     const std::string& command_line, bool json, bool csv) {
  const std::optional<MpiRank> me = mpi_start();
  if (!me) return -1;
  // Every rank builds the engine (the same input errors everywhere) and computes one shard.
  const sim::Engine engine = build_engine(model, o);
  const store::Partial mine = compute_shard(model, engine, o, static_cast<std::uint32_t>(me->rank),
                                            static_cast<std::uint32_t>(me->size));
  const std::vector<std::string> texts = mpi_gather(*me, store::partial_to_text(mine));
  int code = kExitOk;
  if (me->rank == 0) {
    // Folded as merge does; the output (stdout, --db) is written only once every part is here.
    std::vector<store::Partial> parts;
    for (std::size_t r = 0; r < texts.size(); ++r) {
      const std::string name = fmt::format("rank {}", r);
      store::AnyPartial p = store::partial_from_text(texts[r], name);
      if (!std::holds_alternative<store::Partial>(p))
        throw InputError(name, 0, "format", "not a forecast's part");
      parts.push_back(std::move(std::get<store::Partial>(p)));
    }
    code = present_parts(model, engine, parts, db, command_line, json, csv);
  }
  mpi_finish();
  return code;
}
#endif

void add_merge_command(CLI::App& app, Action& action) {
  struct Options {
    std::vector<std::string> files;
    ModelOptions model;
    std::string db;
    bool csv = false;
  };
  auto opts = std::make_shared<Options>();
  CLI::App* cmd = app.add_subcommand(
      "merge", "Combine the partial results of `sphere forecast --shard K/N` (or `sphere "
               "sensitivity --shard K/N`) into the forecast (or the indices), bitwise identical "
               "to one process with the same seed");
  cmd->add_option("parts", opts->files, "Partial result files, one per shard (any order)")
      ->required();
  add_model_options(*cmd, opts->model);
  cmd->add_option("--db", opts->db, "Also write runs and summaries to this SQLite file");
  cmd->add_flag("--csv", opts->csv, "Print the monthly indicator quantiles as CSV");
  cmd->callback([opts, &action] {
    if (opts->csv && opts->model.json)
      throw CLI::ValidationError("--csv", "choose one of --csv and --json");
    action = [opts] { return run_merge(opts->files, opts->model, opts->db, opts->csv); };
  });
}

}  // namespace sphere::app
