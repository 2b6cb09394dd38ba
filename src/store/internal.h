// Private helpers of the store layer: a prepared SQLite statement.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include <fmt/format.h>
#include <sqlite3.h>

namespace sphere::store {

// A prepared statement, finalised on scope exit.
class Statement {
 public:
  Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v2(db, sql, -1, &stmt_, nullptr) != SQLITE_OK)
      throw std::runtime_error(fmt::format("SQLite: {}", sqlite3_errmsg(db)));
  }
  ~Statement() { sqlite3_finalize(stmt_); }
  Statement& bind(int i, double v) { sqlite3_bind_double(stmt_, i, v); return *this; }
  Statement& bind(int i, std::int64_t v) { sqlite3_bind_int64(stmt_, i, v); return *this; }
  Statement& bind(int i, const std::string& v) {
    sqlite3_bind_text(stmt_, i, v.c_str(), static_cast<int>(v.size()), SQLITE_TRANSIENT);
    return *this;
  }
  // Runs the statement and resets it for the next row.
  void step() {
    if (sqlite3_step(stmt_) != SQLITE_DONE)
      throw std::runtime_error(fmt::format("SQLite: {}", sqlite3_errmsg(db_)));
    sqlite3_reset(stmt_);
  }
  Statement& bind_blob(int i, const void* data, std::size_t bytes) {
    sqlite3_bind_blob(stmt_, i, data, static_cast<int>(bytes), SQLITE_TRANSIENT);
    return *this;
  }
  Statement& bind_null(int i) { sqlite3_bind_null(stmt_, i); return *this; }
  // Steps a query: true while it yields a row.
  bool row() {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) throw std::runtime_error(fmt::format("SQLite: {}", sqlite3_errmsg(db_)));
    sqlite3_reset(stmt_);
    return false;
  }
  std::string text(int i) {
    const unsigned char* t = sqlite3_column_text(stmt_, i);
    return t ? reinterpret_cast<const char*>(t) : "";
  }
  std::int64_t integer(int i) { return sqlite3_column_int64(stmt_, i); }
  double real(int i) { return sqlite3_column_double(stmt_, i); }
  sqlite3_stmt* get() { return stmt_; }

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
};


}  // namespace sphere::store
