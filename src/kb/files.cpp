#include <fstream>
#include <sstream>

#include "kb/internal.h"
#include "kb/kb.h"

namespace sphere::kb {

ModelFiles ModelFiles::directory(std::filesystem::path dir) {
  ModelFiles files;
  files.dir_ = std::move(dir);
  return files;
}

ModelFiles ModelFiles::builtin(std::string name) {
  ModelFiles files;
  files.builtin_ = std::move(name);
  return files;
}

ModelFiles ModelFiles::with(std::string name, std::string text) const {
  ModelFiles files = *this;
  files.replaced_.insert_or_assign(std::move(name), std::move(text));
  return files;
}

std::optional<std::string> ModelFiles::read(std::string_view name) const {
  if (const auto it = replaced_.find(name); it != replaced_.end()) return it->second;
  if (!builtin_.empty()) {
    const auto& files = embedded_files();
    auto it = files.find(builtin_ + "/" + std::string(name));
    if (it == files.end()) return std::nullopt;
    return std::string(it->second);
  }
  std::ifstream in(dir_ / name, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string ModelFiles::label(std::string_view name) const {
  if (!builtin_.empty()) return "builtin:" + builtin_ + "/" + std::string(name);
  return (dir_ / name).string();
}

std::string ModelFiles::location() const {
  return builtin_.empty() ? dir_.string() : "builtin:" + builtin_;
}

}  // namespace sphere::kb
