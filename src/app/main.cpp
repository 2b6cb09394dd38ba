#include <iostream>

#include "app/app.h"

int main(int argc, char** argv) {
  using namespace sphere;
  CLI::App app{"Sphere: a region's geopolitical system as sourced data, and models over it.\n"
               "Built-in model: the South Caucasus (data/caucasus)."};
  app.set_version_flag("--version", "sphere 0.1.0");
  app.require_subcommand(1);
  app::Action action;
  app::add_run_command(app, action);
  app::add_forecast_command(app, action);
  app::add_merge_command(app, action);
  app::add_replay_command(app, action);
  app::add_hindcast_command(app, action);
  app::add_calibrate_command(app, action);
  app::add_backtest_command(app, action);
  app::add_scenarios_command(app, action);
  app::add_sensitivity_command(app, action);
  app::add_check_command(app, action);
  app::add_timeline_command(app, action);
  app::add_facts_command(app, action);
  app::add_actors_command(app, action);
  app::add_sources_command(app, action);
  app::add_network_command(app, action);
  app::add_leverage_command(app, action);
  app::add_events_command(app, action);
  app::add_bargain_command(app, action);
  app::add_report_command(app, action);
  app::add_serve_command(app, action);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    app::suggest_names(app, std::cerr);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    return action ? action(std::cout) : kExitUsage;
  } catch (const app::Interrupted&) {
    // A command stopped by Ctrl-C or SIGTERM has unwound, removing what it had begun to write.
    std::cerr << "\nsphere: interrupted; nothing written\n";
    return 128 + 2;  // as a shell reports SIGINT
  } catch (const std::exception& e) {
    return app::report_error(e);
  }
}
