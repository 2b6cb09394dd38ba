// model.toml's simulation set-up: [simulation], [[parameter]], [[scenario]], [[outcome]].
// Every parameter carries a range and a provenance; every scenario predicate is compiled here
// (muparser) against the state variables the simulation defines, so a predicate naming a
// variable that does not exist is reported with its file and line before anything runs.
#include <algorithm>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <muParser.h>
#include <toml++/toml.h>

#include "kb/fields.h"
#include "kb/internal.h"
#include "kb/kb.h"

namespace sphere::kb {
namespace {

using fields::Fields;
using fields::line_of;

// A month field (YYYY-MM); a default Date when missing or wrong (reported).
Date month(const Fields& f, std::string_view key, bool required = true) {
  const std::string text = f.string(key, required);
  if (text.empty()) return {};
  std::string why;
  auto d = Date::parse(text, &why);
  if (!d) f.error(key, why);
  else if (d->precision() != Date::Precision::kMonth)
    f.error(key, fmt::format("'{}' is not a month; expected YYYY-MM", text));
  else return *d;
  return {};
}

std::vector<const toml::table*> tables(const toml::table& root, std::string_view key,
                                       const std::string& file, Diagnostics& out) {
  std::vector<const toml::table*> result;
  const toml::node* n = root.get(key);
  if (!n) return result;
  if (!n->is_array_of_tables()) {
    out.add(file, line_of(*n), std::string(key), fmt::format("expected [[{}]] tables", key));
    return result;
  }
  for (const auto& item : *n->as_array()) result.push_back(item.as_table());
  return result;
}

class SimulationLoader {
 public:
  SimulationLoader(Model& model, Diagnostics& out, std::string file)
      : model_(model), out_(out), file_(std::move(file)) {}

  void run(const toml::table& root) {
    if (const toml::node* n = root.get("simulation")) {
      if (const toml::table* t = n->as_table()) load_spec(*t);
      else out_.add(file_, line_of(*n), "simulation", "expected a table [simulation]");
    }
    for (const toml::table* t : tables(root, "parameter", file_, out_)) load_parameter(*t);
    for (const toml::table* t : tables(root, "scenario", file_, out_)) load_scenario(*t);
    check_scenarios();
    for (const toml::table* t : tables(root, "outcome", file_, out_)) load_outcome(*t);
    std::stable_sort(model_.outcomes.begin(), model_.outcomes.end(),
                     [](const Outcome& a, const Outcome& b) { return a.date < b.date; });
    model_.view.year = model_.info.to.year;
    if (const toml::node* n = root.get("view")) {
      if (const toml::table* t = n->as_table()) load_view(*t);
      else out_.add(file_, line_of(*n), "view", "expected a table [view]");
    }
  }

 private:
  void known_actor(const Fields& f, std::string_view key, const std::string& id) {
    if (!id.empty() && !model_.find_actor(id))
      f.error(key, fmt::format("unknown actor '{}'; expected an id from actors.toml", id));
  }

  void check_quote(const Fields& f, const Quote& q) {
    if (!q.source.empty() && !model_.find_source(q.source))
      f.error("source", fmt::format("unknown source '{}'", q.source));
    if (q.text.empty()) f.error("quote", "missing; a sourced value needs a verbatim quote");
    else if (count_words(q.text) > 25)
      f.error("quote", fmt::format("quote has {} words; at most 25 allowed", count_words(q.text)));
  }

  void load_view(const toml::table& t) {
    Fields f(t, file_, out_, {"dyads", "year", "area", "focus"});
    ViewSpec& v = model_.view;
    v.origin = f.origin();
    if (f.has("dyads"))
      for (const auto& text : f.strings("dyads")) {
        const auto colon = text.find(':');
        const std::string a = text.substr(0, colon);
        const std::string b = colon == std::string::npos ? "" : text.substr(colon + 1);
        if (colon == std::string::npos || a == b) {
          f.error("dyads", fmt::format("'{}': expected A:B, two different actor ids", text));
          continue;
        }
        known_actor(f, "dyads", a);
        known_actor(f, "dyads", b);
        v.dyads.emplace_back(a, b);
      }
    if (auto y = f.number("year", false)) {
      v.year = static_cast<int>(*y);
      if (*y != v.year || *y < 1900 || *y > 2100) f.error("year", "expected a year, 1900 to 2100");
    }
    if (f.has("area")) v.area = f.string("area");
    if (f.has("focus")) v.focus = f.strings("focus");
  }

  void load_spec(const toml::table& t) {
    Fields f(t, file_, out_,
             {"actors", "focal", "gas", "start", "horizon", "calibration_months", "count_as",
              "intensities", "leverage", "settle", "bargaining", "settle_every",
              "settle_inputs"});
    SimulationSpec s;
    s.origin = f.origin();
    s.actors = f.strings("actors");
    std::set<std::string> seen;
    for (const auto& a : s.actors) {
      known_actor(f, "actors", a);
      if (!seen.insert(a).second) f.error("actors", fmt::format("'{}' is listed twice", a));
    }
    if (s.actors.size() < 2) f.error("actors", "expected at least two actors");
    auto pair = [&](std::string_view key, std::string& a, std::string& b) {
      auto v = f.strings(key);
      if (v.size() != 2) {
        f.error(key, "expected two actor ids");
        return;
      }
      a = v[0];
      b = v[1];
      for (const auto& x : v)
        if (!seen.contains(x))
          f.error(key, fmt::format("'{}' is not one of the simulated actors", x));
      if (a == b) f.error(key, "expected two different actors");
    };
    pair("focal", s.focal_a, s.focal_b);
    pair("gas", s.gas_seller, s.gas_buyer);
    s.start = month(f, "start");
    s.horizon = month(f, "horizon");
    if (s.horizon.year && s.start.year && s.horizon < s.start)
      f.error("horizon", "is before start");
    if (auto m = f.number("calibration_months", false)) {
      // Checked before the conversion: a number past int's range would be undefined behaviour.
      if (!(*m >= 1 && *m <= 1200)) f.error("calibration_months", "expected 1 to 1200 months");
      else s.calibration_months = static_cast<int>(*m);
    }
    if (const toml::node* n = t.get("count_as")) {
      const toml::table* m = n->as_table();
      if (!m) f.error("count_as", "expected a table { ACTOR = \"SIMULATED_ACTOR\" }");
      for (const auto& [k, v] : m ? *m : toml::table{}) {
        const std::string from(k.str());
        const std::string to = v.value<std::string>().value_or("");
        known_actor(f, "count_as", from);
        if (!seen.contains(to))
          f.error("count_as", fmt::format("'{}' is not one of the simulated actors", to));
        s.count_as[from] = to;
      }
    }
    auto choice = [&](std::string_view key, std::string& value,
                      std::initializer_list<std::string_view> allowed) {
      if (!f.has(key)) return;
      value = f.string(key);
      if (std::find(allowed.begin(), allowed.end(), value) == allowed.end())
        f.error(key, fmt::format("'{}' is not one of: {}", value, fmt::join(allowed, ", ")));
    };
    choice("intensities", s.intensities, {"log-rate", "hawkes"});
    choice("leverage", s.leverage, {"parameters", "network"});
    choice("bargaining", s.bargaining, {"compromise", "nbs", "eu"});
    choice("settle_inputs", s.settle_inputs, {"stated", "sampled"});
    if (f.has("settle")) s.settle = f.strings("settle");
    for (const auto& id : s.settle)
      if (std::none_of(model_.issues.begin(), model_.issues.end(),
                       [&](const Issue& i) { return i.id == id; }))
        f.error("settle", fmt::format("unknown issue '{}'; expected an id from issues.toml", id));
    if (auto m = f.number("settle_every", false)) {
      s.settle_every = static_cast<int>(*m);
      if (*m < 1 || *m > 1200 || *m != s.settle_every)
        f.error("settle_every", "expected a whole number of months, 1 to 1200");
    }
    model_.simulation = std::move(s);
  }

  void load_parameter(const toml::table& t) {
    Fields f(t, file_, out_,
             {"name", "value", "range", "unit", "source", "fact", "quote", "rationale"});
    Parameter p;
    p.origin = f.origin();
    p.name = f.string("name");
    p.unit = f.string("unit", false);
    p.source = f.string("source");
    p.rationale = f.string("rationale", false);
    if (p.source == "fact") {
      p.fact = f.string("fact");
      const auto it = std::find_if(model_.facts.begin(), model_.facts.end(),
                                   [&](const Fact& x) { return x.id == p.fact; });
      if (!p.fact.empty() && it == model_.facts.end())
        f.error("fact", fmt::format("unknown fact '{}'; expected an id from facts.toml", p.fact));
      if (it != model_.facts.end()) {
        p.value = it->value;
        if (f.has("value") && f.number("value") != it->value)
          f.error("value", fmt::format("differs from fact '{}' ({})", p.fact, it->value));
      }
    } else {
      p.value = f.number("value").value_or(0.0);
      if (p.source == "assumption") {
        if (p.rationale.empty()) f.error("rationale", "missing; an assumption needs a rationale");
      } else if (!p.source.empty()) {
        p.quote = f.string("quote");
        check_quote(f, {p.source, p.quote});
      }
    }
    p.low = p.high = p.value;
    if (const toml::array* r = t.get_as<toml::array>("range")) {
      if (r->size() != 2 || !(*r)[0].is_number() || !(*r)[1].is_number()) {
        f.error("range", "expected [low, high]");
      } else {
        p.low = (*r)[0].value<double>().value_or(0.0);
        p.high = (*r)[1].value<double>().value_or(0.0);
        if (p.low > p.high) f.error("range", fmt::format("low {} is above high {}", p.low, p.high));
        else if (p.value < p.low || p.value > p.high)
          f.error("value", fmt::format("{} is outside its range [{}, {}]", p.value, p.low, p.high));
      }
    } else if (p.source == "assumption") {
      f.error("range", "missing; an assumption needs a range [low, high]");
    }
    if (!p.name.empty()) {
      if (model_.find_parameter(p.name))
        f.error("name", fmt::format("duplicate parameter '{}'", p.name));
      else model_.parameters.push_back(std::move(p));
    }
  }

  void load_scenario(const toml::table& t) {
    Fields f(t, file_, out_, {"id", "name", "when", "source", "quote"});
    Scenario s;
    s.origin = f.origin();
    s.id = f.string("id");
    s.name = f.string("name");
    s.when = f.string("when");
    if (f.has("source")) {
      s.quote = Quote{f.string("source"), f.string("quote")};
      check_quote(f, *s.quote);
    }
    for (const auto& other : model_.scenarios)
      if (other.id == s.id) f.error("id", fmt::format("duplicate scenario '{}'", s.id));
    if (!s.when.empty() && s.when != "otherwise") check_predicate(f, s.when);
    model_.scenarios.push_back(std::move(s));
  }

  // Compiles `when` against the simulation's state variables (each bound to a dummy value).
  void check_predicate(const Fields& f, const std::string& when) {
    if (!model_.simulation) {
      f.error("when", "a scenario needs the [simulation] table (its state variables)");
      return;
    }
    const auto names = state_variable_names(*model_.simulation);
    std::vector<double> values(names.size(), 0.0);
    mu::Parser parser;
    try {
      for (std::size_t i = 0; i < names.size(); ++i) parser.DefineVar(names[i], &values[i]);
      parser.SetExpr(when);
      parser.Eval();
    } catch (const mu::Parser::exception_type& e) {
      if (e.GetCode() == mu::ecUNASSIGNABLE_TOKEN)
        f.error("when", fmt::format("unknown variable '{}' in \"{}\"; state variables are "
                                    "R_i_j, R12_i_j, force12_i_j over [simulation] actors and "
                                    "the focal-pair indicators (docs/MODEL.md)",
                                    e.GetToken(), when));
      else f.error("when", fmt::format("cannot parse \"{}\": {}", when, e.GetMsg()));
    }
  }

  void check_scenarios() {
    if (model_.scenarios.empty()) return;
    for (std::size_t i = 0; i + 1 < model_.scenarios.size(); ++i)
      if (model_.scenarios[i].when == "otherwise")
        out_.add(file_, model_.scenarios[i].origin.line, "when",
                 "only the last scenario may be \"otherwise\"");
    if (model_.scenarios.back().when != "otherwise")
      out_.add(file_, model_.scenarios.back().origin.line, "when",
               "the last scenario must be when = \"otherwise\", so that every trajectory gets "
               "exactly one scenario");
  }

  void load_outcome(const toml::table& t) {
    Fields f(t, file_, out_, {"date", "scenario", "source", "quote"});
    Outcome o;
    o.origin = f.origin();
    o.date = month(f, "date");
    o.scenario = f.string("scenario");
    o.quote = {f.string("source"), f.string("quote")};
    check_quote(f, o.quote);
    if (!o.scenario.empty() &&
        std::none_of(model_.scenarios.begin(), model_.scenarios.end(),
                     [&](const Scenario& s) { return s.id == o.scenario; }))
      f.error("scenario", fmt::format("unknown scenario '{}'", o.scenario));
    model_.outcomes.push_back(std::move(o));
  }

  Model& model_;
  Diagnostics& out_;
  std::string file_;
};

}  // namespace

StateLayout::StateLayout(const SimulationSpec& spec) {
  for (const auto& i : spec.actors)
    for (const auto& j : spec.actors)
      if (i != j)
        for (const char* prefix : {"R_", "R12_", "force12_"})
          names.push_back(fmt::format("{}{}_{}", prefix, i, j));
  const std::string ab = spec.focal_a + "_" + spec.focal_b;
  const auto add = [&](std::string name) {
    names.push_back(std::move(name));
    return names.size() - 1;
  };
  rel = add("rel_" + ab);
  rel12 = add("rel12_" + ab);
  trade = add("trade_" + ab);
  leverage_ab = add("leverage_" + ab);
  leverage_ba = add("leverage_" + spec.focal_b + "_" + spec.focal_a);
  gas = add("gas_" + spec.gas_seller + "_" + spec.gas_buyer);
  first_issue = names.size();
  for (std::string id : spec.settle) {
    std::replace(id.begin(), id.end(), '-', '_');  // muparser names take no dashes
    names.push_back("issue_" + id);
  }
}

std::vector<std::string> state_variable_names(const SimulationSpec& spec) {
  return StateLayout(spec).names;
}

const Parameter* Model::find_parameter(std::string_view name) const {
  auto it = std::find_if(parameters.begin(), parameters.end(),
                         [&](const Parameter& p) { return p.name == name; });
  return it == parameters.end() ? nullptr : &*it;
}

void load_simulation(const ModelFiles& files, Model& model, Diagnostics& out) {
  Diagnostics reported;  // a missing or broken model.toml is reported by the main loader
  std::optional<toml::table> root = parse_toml_file(files, "model.toml", false, reported);
  if (!root) return;
  SimulationLoader(model, out, files.label("model.toml")).run(*root);
}

}  // namespace sphere::kb
