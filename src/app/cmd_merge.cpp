// `sphere merge` and `sphere forecast --shard K/N`: the flags and the printing of the service's
// sharded forecasts (service/shards.cpp), and the MPI transport the sharded commands share.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>

#include <fmt/format.h>
#ifdef SPHERE_WITH_MPI
#include <mpi.h>
#endif

#include "app/forecast.h"

namespace sphere::app {

// Reads, checks and merges the shards (a forecast's or a sensitivity analysis's, not both);
// nothing is printed or stored unless every shard is there and sound.
int run_merge(const MergeOptions& o, std::ostream& out) {
  const Output output{out, output_mode(o.model.json, o.csv)};
  const service::ShardSet set = service::read_shards(o.files, flag_of);
  if (!set.sensitivity.empty()) {
    if (output.csv() || !o.db.empty())
      throw InputError(kRequest, 0, output.csv() ? "csv" : "db",
                       "applies to a forecast's shards, not a sensitivity analysis's");
    return present_sensitivity(
        output, service::merge_sensitivity(load_model(o.model), set.sensitivity));
  }
  std::string line = "sphere merge";
  for (const auto& file : o.files) line += " " + file;
  const kb::Model model = load_model(o.model);
  const service::MergedForecast m = service::merge_forecast(model, set.forecast, {o.db, line});
  return present_forecast(output, model, m.forecast.engine, m.forecast.summary, m.db,
                          m.forecast_id);
}

service::Shard parse_shard(const std::string& text) {
  try {
    return service::parse_shard(text);
  } catch (const InputError& e) {
    throw CLI::ValidationError("--shard", e.diagnostics().items().at(0).message);
  }
}

int run_forecast_shard(const Output& output, const kb::Model& model, const EngineCliOptions& o,
                       service::Shard shard, const std::string& file) {
  const service::WrittenShard w =
      service::write_forecast_shard(model, {forecast_request(o), shard, file});
  if (output.json())
    output.write_json(service::to_json(w));
  else
    output.out << fmt::format("Shard {}/{} of {} runs (seed {}): {} written to {}\n",
                              shard.index + 1, shard.count, w.size, w.seed, w.range, w.file);
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

int run_forecast_mpi(const Output& output, const kb::Model& model, const EngineCliOptions& o,
                     const std::string& db, const std::string& command_line) {
  const std::optional<MpiRank> me = mpi_start();
  if (!me) return -1;
  const auto merged = service::distributed_forecast(
      model, forecast_request(o),
      {static_cast<std::uint32_t>(me->rank), static_cast<std::uint32_t>(me->size)},
      [&](const std::string& mine) { return mpi_gather(*me, mine); }, {db, command_line});
  // Rank 0 alone prints (and has stored) the forecast.
  const int code = merged ? present_forecast(output, model, merged->forecast.engine,
                                             merged->forecast.summary, merged->db,
                                             merged->forecast_id)
                          : kExitOk;
  mpi_finish();
  return code;
}
#endif

void add_merge_command(CLI::App& app, Action& action) {
  auto opts = std::make_shared<MergeOptions>();
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
    action = [opts](std::ostream& out) { return run_merge(*opts, out); };
  });
}

}  // namespace sphere::app
