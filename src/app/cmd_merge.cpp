// Sharded forecasts: `sphere forecast --shard K/N` writes one shard's partial result, and
// `sphere merge` checks that the shards are complete, non-overlapping and from one ensemble and
// folds them in block order with the same reducer as `sphere forecast`, so the result is
// bitwise identical to a forecast in one process.
#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <map>
#include <memory>

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
  if (a.digest != b.digest)
    return fmt::format("model or parameters differ (digest {} vs {})", a.digest, b.digest);
  return "";
}

// Reads the shards and checks that they are exactly shards 1..N of one ensemble, ordered by
// shard. Throws InputError naming every missing, repeated or incompatible shard.
std::vector<store::Partial> read_shards(const std::vector<std::string>& files) {
  std::vector<store::Partial> parts;
  Diagnostics problems;
  std::vector<std::string> names;
  for (const auto& file : files) {
    try {
      parts.push_back(store::read_partial(file));
      names.push_back(file);
    } catch (const InputError& e) {
      problems.append(e.diagnostics());
    }
  }
  if (!problems.empty()) throw InputError(problems);
  std::map<std::uint32_t, std::string> seen;  // shard -> file
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string diff = difference(parts[0], parts[i]);
    if (!diff.empty())
      problems.add(names[i], 0, "ensemble",
                   fmt::format("not from the same forecast as {}: {}", names[0], diff));
    else if (auto [at, fresh] = seen.emplace(parts[i].shard, names[i]); !fresh)
      problems.add(names[i], 0, "shard",
                   fmt::format("shard {}/{} is given twice (also {}): shards overlap",
                               parts[i].shard + 1, parts[i].shards, at->second));
  }
  if (!problems.empty()) throw InputError(problems);
  const store::Partial& first = parts[0];
  for (std::uint32_t k = 0; k < first.shards; ++k)
    if (!seen.count(k)) {
      auto [b, e] = sim::shard_blocks(first.runs, k, first.shards);
      problems.add("merge", 0, "shard",
                   fmt::format("shard {}/{} ({}) is missing; run `sphere forecast --shard {}/{}` "
                               "again with the others' options (--seed {} --runs {}) and merge "
                               "all {} shards",
                               k + 1, first.shards, run_range(first.runs, b, e), k + 1,
                               first.shards, first.seed, first.runs, first.shards));
    }
  if (!problems.empty()) throw InputError(problems);
  std::sort(parts.begin(), parts.end(),
            [](const store::Partial& a, const store::Partial& b) { return a.shard < b.shard; });
  return parts;
}

// Folds shards 0..N-1 (in order, already checked) and prints or stores the forecast.
int present_parts(const kb::Model& model, const sim::Engine& engine,
                  const std::vector<store::Partial>& parts, const std::string& db,
                  const std::string& command_line, bool json, bool csv) {
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

int run_merge(const std::vector<std::string>& files, const ModelOptions& model_options,
              const std::string& db, bool csv) {
  const std::vector<store::Partial> parts = read_shards(files);
  const store::Partial& first = parts[0];
  const kb::Model model = load_model(model_options);
  EngineCliOptions o;
  o.model = model_options;
  o.seed = first.seed;
  o.runs = first.runs;
  o.horizon = first.horizon;
  o.shocks = first.shocks;
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
int run_forecast_mpi(const kb::Model& model, const EngineCliOptions& o, const std::string& db,
                     const std::string& command_line, bool json, bool csv) {
  // MPI only when mpirun started several ranks: a plain `sphere forecast` (or `sphere serve`,
  // which forecasts many times) never initialises MPI.
  const char* world = std::getenv("OMPI_COMM_WORLD_SIZE");
  if (world == nullptr || std::atoi(world) <= 1) return -1;
  int initialized = 0, finalized = 0;
  MPI_Initialized(&initialized);
  MPI_Finalized(&finalized);
  if (finalized) return -1;
  if (!initialized) MPI_Init(nullptr, nullptr);
  int rank = 0, size = 1;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank);
  MPI_Comm_size(MPI_COMM_WORLD, &size);
  // Every rank builds the engine (the same input errors everywhere) and computes one shard.
  const sim::Engine engine = build_engine(model, o);
  const store::Partial mine = compute_shard(model, engine, o, static_cast<std::uint32_t>(rank),
                                            static_cast<std::uint32_t>(size));
  if (rank != 0) {
    const std::string text = store::partial_to_text(mine);
    const std::uint64_t length = text.size();
    MPI_Send(&length, 1, MPI_UINT64_T, 0, 0, MPI_COMM_WORLD);
    MPI_Send(text.data(), static_cast<int>(text.size()), MPI_CHAR, 0, 1, MPI_COMM_WORLD);
    MPI_Finalize();
    return kExitOk;
  }
  // Rank 0 receives the parts in rank order (= block order) and folds them as merge does. A
  // rank that dies aborts the whole job (MPI_ERRORS_ARE_FATAL): no partial result is printed.
  std::vector<store::Partial> parts{mine};
  for (int r = 1; r < size; ++r) {
    std::uint64_t length = 0;
    MPI_Recv(&length, 1, MPI_UINT64_T, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    std::string text(length, '\0');
    MPI_Recv(text.data(), static_cast<int>(length), MPI_CHAR, r, 1, MPI_COMM_WORLD,
             MPI_STATUS_IGNORE);
    parts.push_back(store::partial_from_text(text, fmt::format("rank {}", r)));
  }
  const int code = present_parts(model, engine, parts, db, command_line, json, csv);
  MPI_Finalize();
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
      "merge", "Combine the partial results of `sphere forecast --shard K/N` into the forecast, "
               "bitwise identical to one `sphere forecast` with the same seed");
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
