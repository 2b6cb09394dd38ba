// The leverage matrix over typed filters.
#include <gtest/gtest.h>

#include "service/requests.h"
#include "service/service.h"

namespace sphere::service {
namespace {

const kb::Model& builtin() {
  static const kb::Model model = kb::load_builtin_model();
  return model;
}

TEST(Leverage, FiltersNarrowTheMatrix) {
  const LeverageResult all = leverage_matrix(builtin(), {});
  ASSERT_FALSE(all.cells.empty());
  const LeverageResult energy = leverage_matrix(builtin(), leverage_request("energy"));
  ASSERT_FALSE(energy.cells.empty());
  EXPECT_LT(energy.cells.size(), all.cells.size());
  for (const auto& c : energy.cells) EXPECT_EQ(c.channel, "energy");
  const LeverageResult russia = leverage_matrix(builtin(), leverage_request("", "russia"));
  ASSERT_FALSE(russia.cells.empty());
  for (const auto& c : russia.cells) EXPECT_TRUE(c.from == "RUS" || c.to == "RUS") << c.tie;
  const LeverageResult one = leverage_matrix(builtin(), leverage_request("", "", all.cells[0].tie));
  ASSERT_EQ(one.cells.size(), 1u);
  EXPECT_EQ(one.cells[0].tie, all.cells[0].tie);
}

TEST(Leverage, EncodedWithEvidencePairsAndTheCuts) {
  const LeverageResult r = leverage_matrix(builtin(), leverage_request("", "", "", {"scp-east"}));
  const nlohmann::json j = to_json(r);
  ASSERT_EQ(j["cells"].size(), r.cells.size());
  EXPECT_TRUE(j["cells"][0].contains("evidence"));
  EXPECT_FALSE(j["pairs"].empty());
  EXPECT_EQ(j["cut"], nlohmann::json::array({"scp-east"}));
}

TEST(Leverage, MistypedNamesAreSuggested) {
  auto message = [](const LeverageRequest& request) {
    try {
      leverage_matrix(builtin(), request);
    } catch (const InputError& e) {
      const auto& d = e.diagnostics().items().at(0);
      return d.field + ": " + d.message;
    }
    return std::string("accepted");
  };
  EXPECT_NE(message(leverage_request("enrgy")).find("channel: 'enrgy' is not a channel"), std::string::npos);
  EXPECT_NE(message(leverage_request("enrgy")).find("did you mean 'energy'?"), std::string::npos);
  EXPECT_EQ(message(leverage_request("", "Nobody at all")).rfind("actor: no actor", 0), 0u);
  EXPECT_EQ(message(leverage_request("", "", "no-such-tie")).rfind("cell: no tie 'no-such-tie'", 0), 0u);
  EXPECT_EQ(message(leverage_request("", "", "", {"scp-eats"})), "cut: unknown link 'scp-eats'; did you mean 'scp-east'?");
}

}  // namespace
}  // namespace sphere::service
