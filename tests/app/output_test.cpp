// The commands called in-process (app.h, forecast.h): each writes its result to the stream it is
// given, in the form its flags choose once (a table, CSV or JSON).
#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "app/app.h"
#include "app/forecast.h"
#include "testing.h"

namespace sphere::app {
namespace {

using sphere::testing::fixtures;

ModelOptions mini_model(bool json = false) {
  ModelOptions m;
  m.model_dir = (fixtures() / "mini").string();
  m.json = json;
  return m;
}

// The first line of `text`.
std::string first_line(const std::string& text) { return text.substr(0, text.find('\n')); }

TEST(OutputMode, ChosenFromTheFlags) {
  EXPECT_EQ(output_mode(false), OutputMode::kTable);
  EXPECT_EQ(output_mode(false, false), OutputMode::kTable);
  EXPECT_EQ(output_mode(true), OutputMode::kJson);
  EXPECT_EQ(output_mode(false, true), OutputMode::kCsv);
}

TEST(OutputMode, ATableAsTextOrCsv) {
  Table t({"id", "summary"});
  t.add({"e1", "talks, then a \"deal\""});
  t.add({"event-two", "plain"});
  std::ostringstream text, csv;
  Output{text, OutputMode::kTable}.write_table(t);
  Output{csv, OutputMode::kCsv}.write_table(t);
  EXPECT_EQ(text.str(),
            "id         summary\n"
            "---------  --------------------\n"
            "e1         talks, then a \"deal\"\n"
            "event-two  plain\n");
  // RFC 4180: a cell with a comma or a quote is quoted, its quotes doubled; no rule line.
  EXPECT_EQ(csv.str(),
            "id,summary\n"
            "e1,\"talks, then a \"\"deal\"\"\"\n"
            "event-two,plain\n");
}

TEST(OutputMode, JsonIsTheEncodersBytes) {
  std::ostringstream out;
  Output{out, OutputMode::kJson}.write_json({{"b", 1}, {"a", {1.5, "x"}}});
  EXPECT_EQ(out.str(), service::encode({{"b", 1}, {"a", {1.5, "x"}}}));
  EXPECT_EQ(out.str().back(), '\n');
}

TEST(Commands, TimelineInEachMode) {
  TimelineOptions o;
  o.model = mini_model();
  std::ostringstream table;
  ASSERT_EQ(run_timeline(o, table), kExitOk);
  EXPECT_NE(table.str().find(" events; an event dated only to a year"), std::string::npos)
      << table.str();
  EXPECT_EQ(table.str().find("id,date,"), std::string::npos);

  o.csv = true;
  std::ostringstream csv;
  ASSERT_EQ(run_timeline(o, csv), kExitOk);
  EXPECT_EQ(first_line(csv.str()), "id,date,actor1,actor2,cameo,goldstein,summary,sources,conflicts");
  const std::string csv_text = csv.str();
  const auto lines = std::count(csv_text.begin(), csv_text.end(), '\n');

  o.csv = false;
  o.model.json = true;
  std::ostringstream json;
  ASSERT_EQ(run_timeline(o, json), kExitOk);
  const auto events = nlohmann::json::parse(json.str());
  ASSERT_TRUE(events.is_array()) << json.str();
  ASSERT_FALSE(events.empty());
  EXPECT_TRUE(events[0].contains("cameo_description"));
  // The CSV has one line per event after its header.
  EXPECT_EQ(static_cast<std::size_t>(lines), events.size() + 1);
}

// The command line chooses the mode: the action a parsed command line leaves writes to the
// stream it is given, the same bytes the binary prints.
TEST(Commands, TheParsedCommandLineWritesToTheGivenStream) {
  const std::string model = (fixtures() / "mini").string();
  for (const std::string flag : {"", "--csv", "--json"}) {
    CLI::App app;
    Action action;
    add_timeline_command(app, action);
    std::vector<std::string> args = {"timeline", "--model", model};
    if (!flag.empty()) args.push_back(flag);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    app.parse(args);
    ASSERT_TRUE(action) << flag;
    std::ostringstream out;
    ASSERT_EQ(action(out), kExitOk) << flag;
    const auto binary = sphere::testing::run_sphere("timeline --model '" + model + "' " + flag);
    ASSERT_EQ(binary.exit_code, 0) << binary.err;
    EXPECT_EQ(out.str(), binary.out) << flag;
  }
}

TEST(Commands, ActorsAsATableOrJson) {
  ActorsOptions o;
  o.model = mini_model();
  std::ostringstream table;
  ASSERT_EQ(run_actors(o, table), kExitOk);
  EXPECT_EQ(first_line(table.str()).substr(0, 2), "id");
  EXPECT_NE(table.str().find(" actors\n"), std::string::npos);

  o.model.json = true;
  std::ostringstream json;
  ASSERT_EQ(run_actors(o, json), kExitOk);
  const auto actors = nlohmann::json::parse(json.str());
  ASSERT_TRUE(actors.is_array());
  ASSERT_FALSE(actors.empty());
  EXPECT_TRUE(actors[0].contains("id"));
  // The table counts the same actors.
  EXPECT_NE(table.str().find(std::to_string(actors.size()) + " actors\n"), std::string::npos);
}

// `sphere leverage --json` gives the API's bytes (service::encode of the same result).
TEST(Commands, LeverageJsonIsTheApisBytes) {
  LeverageOptions o;
  o.model.json = true;
  o.channel = "energy";
  std::ostringstream out;
  ASSERT_EQ(run_leverage(o, out), kExitOk);
  const kb::Model model = load_model(o.model);
  service::LeverageRequest request;
  request.channel = "energy";
  EXPECT_EQ(out.str(), service::encode(service::to_json(service::leverage_matrix(model, request))));

  o.model.json = false;
  std::ostringstream table;
  ASSERT_EQ(run_leverage(o, table), kExitOk);
  EXPECT_EQ(first_line(table.str()).rfind("Per cent of the loser's own GDP", 0), 0u) << table.str();
}

TEST(Commands, ForecastQuantilesAsCsv) {
  ForecastOptions o;
  o.engine.runs = 20;
  o.engine.threads = 1;
  o.engine.horizon = "2026-06";
  o.csv = true;
  std::ostringstream csv;
  ASSERT_EQ(run_forecast(o, csv), kExitOk);
  std::istringstream lines(csv.str());
  std::string line;
  std::getline(lines, line);
  EXPECT_EQ(line, "indicator,month,mean,q025,q25,q50,q75,q975");
  int rows = 0;
  while (std::getline(lines, line)) {
    EXPECT_EQ(std::count(line.begin(), line.end(), ','), 7) << line;
    ++rows;
  }
  EXPECT_GT(rows, 0);

  o.csv = false;
  o.engine.model.json = true;
  std::ostringstream json;
  ASSERT_EQ(run_forecast(o, json), kExitOk);
  const auto forecast = nlohmann::json::parse(json.str());
  EXPECT_EQ(forecast["runs"], 20) << json.str().substr(0, 400);
}

}  // namespace
}  // namespace sphere::app
