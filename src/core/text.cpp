#include "core/core.h"

namespace sphere {
namespace {

// UTF-8 sequences folded when comparing quotes.
struct Fold {
  std::string_view from;
  char to;
};
constexpr Fold kFolds[] = {
    {"\u2018", '\''}, {"\u2019", '\''}, {"\u201A", '\''}, {"\u2032", '\''},
    {"\u201C", '"'},  {"\u201D", '"'},  {"\u201E", '"'},  {"\u00AB", '"'},
    {"\u00BB", '"'},  {"\u00A0", ' '},  {"\u202F", ' '},  {"\u2009", ' '},
};

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

}  // namespace

std::string normalize_for_quote(std::string_view text) {
  std::string folded;
  folded.reserve(text.size());
  for (std::size_t i = 0; i < text.size();) {
    bool matched = false;
    for (const auto& f : kFolds) {
      if (text.substr(i, f.from.size()) == f.from) {
        folded += f.to;
        i += f.from.size();
        matched = true;
        break;
      }
    }
    if (!matched) folded += text[i++];
  }
  std::string out;
  out.reserve(folded.size());
  bool pending_space = false;
  for (char c : folded) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

int count_words(std::string_view text) {
  int words = 0;
  bool in_word = false;
  for (char c : text) {
    if (is_space(c)) {
      in_word = false;
    } else if (!in_word) {
      in_word = true;
      ++words;
    }
  }
  return words;
}

std::vector<std::string> split_trimmed(std::string_view text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    std::size_t end = text.find(separator, start);
    std::string_view part = text.substr(start, end == std::string_view::npos ? end : end - start);
    while (!part.empty() && is_space(part.front())) part.remove_prefix(1);
    while (!part.empty() && is_space(part.back())) part.remove_suffix(1);
    parts.emplace_back(part);
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

std::string ascii_lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace sphere
