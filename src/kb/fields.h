// Private to kb: reading the fields of one TOML table with problems reported as
// file:line: field. Shared by the loaders of the optional model files.
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <toml++/toml.h>

#include "kb/kb.h"

namespace sphere::kb::fields {

inline int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

inline std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    default: return "a date or time";
  }
}

// Reads the fields of one TOML table, reporting missing fields, wrong types and unknown keys.
class Fields {
 public:
  Fields(const toml::table& table, std::string file, Diagnostics& out,
         const std::vector<std::string_view>& allowed)
      : table_(table), file_(std::move(file)), out_(out) {
    for (const auto& [key, node] : table_) {
      if (std::find(allowed.begin(), allowed.end(), key.str()) == allowed.end())
        out_.add(file_, line_of(node), std::string(key.str()),
                 fmt::format("unknown field; expected one of: {}", fmt::join(allowed, ", ")));
    }
  }

  const toml::table& table() const { return table_; }
  Diagnostics& out() const { return out_; }
  bool has(std::string_view key) const { return table_.contains(key); }
  // The line of the table itself, or of one of its fields (the table's when absent).
  int line() const { return line_of(table_); }
  int line(std::string_view key) const { return line_of_field(key); }
  const std::string& file() const { return file_; }
  Origin origin() const { return {file_, line()}; }
  int line_of_field(std::string_view key) const {
    const toml::node* node = table_.get(key);
    return node ? line_of(*node) : line();
  }
  void error(std::string_view key, std::string message) const {
    out_.add(file_, line_of_field(key), std::string(key), std::move(message));
  }

  // A string field. Missing or empty required strings are reported.
  std::string string(std::string_view key, bool required = true, bool allow_empty = false) const {
    const toml::node* node = table_.get(key);
    if (!node) {
      if (required) error(key, "missing; expected a string");
      return {};
    }
    if (!node->is_string()) {
      error(key, fmt::format("expected a string, found {}", type_name(*node)));
      return {};
    }
    std::string value = node->as_string()->get();
    if (value.empty() && required && !allow_empty) error(key, "is empty; expected text");
    return value;
  }

  std::optional<double> number(std::string_view key, bool required = true) const {
    const toml::node* node = table_.get(key);
    if (!node) {
      if (required) error(key, "missing; expected a number");
      return std::nullopt;
    }
    if (auto v = node->value<double>(); v && (node->is_integer() || node->is_floating_point()))
      return *v;
    error(key, fmt::format("expected a number, found {}", type_name(*node)));
    return std::nullopt;
  }

  std::optional<std::int64_t> integer(std::string_view key, bool required = true) const {
    const toml::node* node = table_.get(key);
    if (!node) {
      if (required) error(key, "missing; expected an integer");
      return std::nullopt;
    }
    if (!node->is_integer()) {
      error(key, fmt::format("expected an integer, found {}", type_name(*node)));
      return std::nullopt;
    }
    return node->as_integer()->get();
  }

  std::vector<std::string> strings(std::string_view key, bool required = true) const {
    std::vector<std::string> values;
    const toml::node* node = table_.get(key);
    if (!node) {
      if (required) error(key, "missing; expected an array of strings");
      return values;
    }
    const toml::array* array = node->as_array();
    if (!array) {
      error(key, fmt::format("expected an array of strings, found {}", type_name(*node)));
      return values;
    }
    for (const auto& item : *array) {
      if (!item.is_string()) {
        error(key, fmt::format("expected an array of strings, found {} in it", type_name(item)));
        continue;
      }
      values.push_back(item.as_string()->get());
    }
    return values;
  }

  // Sub-tables in an array of tables ([[conflict.claim]]).
  std::vector<const toml::table*> tables(std::string_view key) const {
    std::vector<const toml::table*> result;
    const toml::node* node = table_.get(key);
    if (!node) return result;
    const toml::array* array = node->as_array();
    if (!array) {
      error(key, fmt::format("expected an array of tables, found {}", type_name(*node)));
      return result;
    }
    for (const auto& item : *array) {
      if (const toml::table* t = item.as_table()) result.push_back(t);
      else error(key, fmt::format("expected a table, found {}", type_name(item)));
    }
    return result;
  }

  // A date field (YYYY, YYYY-MM or YYYY-MM-DD).
  std::optional<Date> date(std::string_view key) const {
    std::string text = string(key);
    if (text.empty()) return std::nullopt;
    std::string why;
    auto d = Date::parse(text, &why);
    if (!d) error(key, why);
    return d;
  }

  // An inline table such as `capacity = { value = ..., source = ... }`.
  const toml::table* subtable(std::string_view key, bool required = true) const {
    const toml::node* node = table_.get(key);
    if (!node) {
      if (required) error(key, "missing; expected a table with value and its source");
      return nullptr;
    }
    if (!node->is_table()) {
      error(key, fmt::format("expected a table with value and its source, found {}",
                             type_name(*node)));
      return nullptr;
    }
    return node->as_table();
  }

 private:
  const toml::table& table_;
  std::string file_;
  Diagnostics& out_;
};

}  // namespace sphere::kb::fields
