#include <algorithm>
#include <cmath>

#include <fmt/format.h>

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

std::string format_number(double value) {
  if (std::floor(value) == value && std::fabs(value) < 1e15) return fmt::format("{:.0f}", value);
  return fmt::format("{}", value);
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

std::string did_you_mean(std::string_view name, const std::vector<std::string>& candidates) {
  // Edit distance over lower-cased bytes (names here are short ASCII ids and codes), counting a
  // swap of two neighbours as one edit ("gsa" for "gas"): optimal string alignment.
  const std::string a = ascii_lower(name);
  auto distance = [&](const std::string& b) {
    std::vector<std::vector<std::size_t>> d(a.size() + 1, std::vector<std::size_t>(b.size() + 1));
    for (std::size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (std::size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (std::size_t i = 1; i <= a.size(); ++i)
      for (std::size_t j = 1; j <= b.size(); ++j) {
        d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1,
                            d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
          d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    return d[a.size()][b.size()];
  };
  const std::string* best = nullptr;
  std::size_t best_distance = 0;
  for (const auto& c : candidates) {
    const std::size_t d = distance(ascii_lower(c));
    // Close enough to be a slip: a third of the candidate's length (at least one edit).
    if (d > std::max<std::size_t>(1, c.size() / 3)) continue;
    if (!best || d < best_distance) {
      best = &c;
      best_distance = d;
    }
  }
  return best ? "; did you mean '" + *best + "'?" : "";
}

}  // namespace sphere
