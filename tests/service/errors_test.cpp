// Error kinds, exit codes, HTTP statuses and request fields named by each front end.
#include <filesystem>

#include <fmt/format.h>
#include <gtest/gtest.h>

#include "service/requests.h"
#include "service/service.h"

namespace sphere::service {
namespace {

TEST(Errors, EachKindHasOneExitCodeAndOneStatus) {
  const InputError invalid("events.csv", 3, "date", "bad");
  const InputError damaged("p1.json", 0, "checksum", "mismatch", ErrorKind::kCorruption);
  const IoError io("cannot write out.json: No space left on device");
  const std::filesystem::filesystem_error fs("cannot open", std::make_error_code(std::errc::io_error));
  const std::runtime_error other("something else");
  EXPECT_EQ(error_kind(invalid), ErrorKind::kInvalidInput);
  EXPECT_EQ(error_kind(damaged), ErrorKind::kCorruption);
  EXPECT_EQ(error_kind(io), ErrorKind::kIo);
  EXPECT_EQ(error_kind(fs), ErrorKind::kIo);
  EXPECT_EQ(error_kind(other), ErrorKind::kInvalidInput);
  EXPECT_EQ(exit_code(invalid), kExitInvalidInput);
  EXPECT_EQ(exit_code(damaged), kExitCorruption);
  EXPECT_EQ(exit_code(io), kExitIo);
  // Every kind its own code.
  EXPECT_EQ((std::set<int>{kExitOk, kExitUsage, kExitInvalidInput, kExitIo, kExitCorruption}).size(), 5u);
  EXPECT_EQ(http_status(ErrorKind::kUsage), 400);
  EXPECT_EQ(http_status(ErrorKind::kInvalidInput), 400);
  EXPECT_EQ(http_status(ErrorKind::kIo), 500);
  EXPECT_EQ(http_status(ErrorKind::kCorruption), 500);
}

TEST(Errors, RequestFieldsAreNamedByTheFrontEnd) {
  Diagnostics d;
  d.add(kRequest, 0, "cut", "unknown link 'x'");
  d.add("model.toml", 4, "theta", "out of range");
  const auto flag = [](std::string_view f) { return fmt::format("--{}", f); };
  const auto param = [](std::string_view f) { return fmt::format("'{}'", f); };
  EXPECT_EQ(describe(d, flag), "--cut: unknown link 'x'\nmodel.toml:4: field 'theta': out of range\n");
  EXPECT_EQ(describe_line(d, param),
            "'cut': unknown link 'x'; model.toml:4: field 'theta': out of range");
}

TEST(Encode, IndentsEndsWithANewlineAndReplacesInvalidUtf8) {
  EXPECT_EQ(encode({{"a", 1}}), "{\n  \"a\": 1\n}\n");
  const std::string text = encode({{"echo", std::string("bad \xff byte")}});
  EXPECT_NE(text.find("bad \xEF\xBF\xBD byte"), std::string::npos) << text;
}

const kb::Model& builtin() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

// Errors from below the front ends name request fields neutrally: no command-line flag.
TEST(Errors, NoLayerNamesAFlag) {
  std::vector<std::function<void()>> requests = {
      [] { service::what_if(builtin(), what_if_request("water")); },
      [] { service::what_if(builtin(), what_if_request("gas", {"btc-pipline"})); },
      [] { service::what_if(builtin(), what_if_request("gas", {}, {"ATL"})); },
      [] { service::what_if(builtin(), what_if_request("gas", {"btc"})); },
      [] {
        service::what_if(builtin(),
                         what_if_request("freight", {}, {}, {{"rasht-astara", Date{2028, 1, 0}}}));
      },
      [] { service::leverage_matrix(builtin(), leverage_request("enrgy")); },
      [] {
        service::EventSeriesRequest r;
        r.a = "RUS";
        r.b = "NOBODY";
        service::event_series(&builtin(), r);
      },
      [] {
        sim::EngineOptions o;
        o.horizon = Date{2020, 1, 0};
        sim::Engine::build(builtin(), o);
      },
      [] {
        sim::EngineOptions o;
        o.shocks = sim::parse_shock_specs({"evnt:RUS>AZE:173@2026-01"});
        sim::Engine::build(builtin(), o);
      },
  };
  for (std::size_t i = 0; i < requests.size(); ++i) {
    try {
      requests[i]();
      ADD_FAILURE() << "request " << i << " accepted";
    } catch (const InputError& e) {
      for (const auto& d : e.diagnostics().items()) {
        EXPECT_EQ(d.file, kRequest) << i << ": " << d.to_string();
        EXPECT_FALSE(d.field.empty()) << i;
        EXPECT_EQ(d.message.find("--"), std::string::npos) << i << ": " << d.message;
      }
    }
  }
}

}  // namespace
}  // namespace sphere::service
