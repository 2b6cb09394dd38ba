// Requests built field by field for the service tests.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "service/service.h"

namespace sphere::service {

inline WhatIfRequest what_if_request(std::string carrier, std::vector<std::string> cut = {},
                                     std::vector<std::string> blocked = {},
                                     std::vector<std::pair<std::string, Date>> opened = {},
                                     int year = 2025) {
  WhatIfRequest r;
  r.year = year;
  r.carrier = std::move(carrier);
  r.cut = std::move(cut);
  r.blocked = std::move(blocked);
  r.opened = std::move(opened);
  return r;
}

inline LeverageRequest leverage_request(std::string channel, std::string actor = "",
                                        std::string cell = "", std::vector<std::string> cut = {}) {
  LeverageRequest r;
  r.channel = std::move(channel);
  r.actor = std::move(actor);
  r.cell = std::move(cell);
  r.cut = std::move(cut);
  return r;
}

// The request field a call's InputError names ("file F" for a file's problem, "no error").
inline std::string field_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const InputError& e) {
    const auto& d = e.diagnostics().items().front();
    return d.file == kRequest ? d.field : "file " + d.file;
  }
  return "no error";
}

// A front end's field names that show which field a message names: "<field>".
inline std::string bracketed(std::string_view field) { return "<" + std::string(field) + ">"; }

}  // namespace sphere::service
