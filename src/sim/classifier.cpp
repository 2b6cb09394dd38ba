// Scenario classification: the first predicate that holds, else the last ("otherwise").
#include <muParser.h>

#include "sim/sim.h"

namespace sphere::sim {

struct Classifier::Impl {
  std::vector<double> values;  // bound to the parsers' variables
  std::vector<std::unique_ptr<mu::Parser>> parsers;  // null for "otherwise"
};

Classifier::Classifier(const std::vector<kb::Scenario>& scenarios,
                       const std::vector<std::string>& names)
    : impl_(std::make_unique<Impl>()) {
  impl_->values.assign(names.size(), 0.0);
  for (const auto& s : scenarios) {
    if (s.when == "otherwise") {
      impl_->parsers.push_back(nullptr);
      continue;
    }
    auto p = std::make_unique<mu::Parser>();
    try {
      for (std::size_t i = 0; i < names.size(); ++i) p->DefineVar(names[i], &impl_->values[i]);
      p->SetExpr(s.when);
      p->Eval();  // compiles to bytecode now, so classify() only evaluates
    } catch (const mu::Parser::exception_type& e) {
      throw InputError(s.origin.file, s.origin.line, "when", e.GetMsg());
    }
    impl_->parsers.push_back(std::move(p));
  }
}

Classifier::~Classifier() = default;

int Classifier::classify(const std::vector<double>& state) {
  std::copy(state.begin(), state.end(), impl_->values.begin());
  const int n = static_cast<int>(impl_->parsers.size());
  for (int k = 0; k < n; ++k)
    if (!impl_->parsers[k] || impl_->parsers[k]->Eval() != 0.0) return k;
  return n - 1;
}

}  // namespace sphere::sim
