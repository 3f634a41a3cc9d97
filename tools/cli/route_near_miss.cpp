// tools/cli/route_near_miss.cpp — partial matching of one route, explained in words.

#include "tools/cli/route_near_miss.h"

#include <algorithm>
#include <vector>

namespace laurel::cli {
namespace {

constexpr char kFirstPrintable = '!';
constexpr char kLastPrintable = '~';
constexpr std::size_t kPrintableCount = kLastPrintable - kFirstPrintable + 1;

bool is_continuation(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// The longest prefix of `text` that could still begin a match of `pattern`. Being a viable prefix
// is monotonic (a prefix of a viable prefix is one too), so the scan stops at the first failure;
// it steps over whole UTF-8 sequences, since half a character never matches.
std::size_t viable_length(const asgi::RoutePattern& pattern, std::string_view text) {
  // The empty prefix is not probed: PCRE2 reports no partial match before it has read a character.
  std::size_t best = 0;
  std::size_t k = 0;
  while (k < text.size()) {
    std::size_t next = k + 1;
    while (next < text.size() && is_continuation(text[next])) ++next;
    if (!pattern.is_viable_prefix(text.substr(0, next))) break;
    best = k = next;
  }
  return best;
}

bool in(const std::vector<char>& set, char c) {
  return std::find(set.begin(), set.end(), c) != set.end();
}

bool has_range(const std::vector<char>& set, char from, char to) {
  for (char c = from; c <= to; ++c) {
    if (!in(set, c)) return false;
  }
  return true;
}

std::string quoted(char c) { return std::string("'") + c + "'"; }

// Names a set of next characters as a reader would: classes when whole, else the characters.
std::string describe_chars(const std::vector<char>& chars) {
  if (chars.size() == kPrintableCount) return "any character";
  if (chars.size() == kPrintableCount - 1 && !in(chars, '/')) return "any character but '/'";
  std::vector<std::string> parts;
  std::vector<char> rest = chars;
  auto take = [&](char from, char to) {
    rest.erase(std::remove_if(rest.begin(), rest.end(),
                              [&](char c) { return c >= from && c <= to; }),
               rest.end());
  };
  bool lower = has_range(chars, 'a', 'z'), upper = has_range(chars, 'A', 'Z');
  bool digits = has_range(chars, '0', '9');
  if (lower && upper) {
    parts.push_back("a letter");
    take('a', 'z');
    take('A', 'Z');
  } else if (lower) {
    parts.push_back("a lower-case letter");
    take('a', 'z');
  } else if (digits && has_range(chars, 'a', 'f') && !in(chars, 'g')) {
    parts.push_back("a hex digit");
    take('a', 'f');
    take('0', '9');
    digits = false;
  }
  if (digits) {
    parts.push_back("a digit");
    take('0', '9');
  }
  if (rest.size() > 6) {
    parts.push_back("one of \"" + std::string(rest.begin(), rest.end()) + "\"");
  } else {
    for (char c : rest) parts.push_back(quoted(c));
  }
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i) out += i + 1 == parts.size() ? " or " : ", ";
    out += parts[i];
  }
  return out;
}

// What may follow `prefix` (a viable prefix of `pattern`), probing each printable ASCII
// character; `complete` says the prefix is a match already.
std::string describe_next(const asgi::RoutePattern& pattern, std::string_view prefix,
                          bool complete) {
  std::vector<char> chars;
  std::string probe(prefix);
  for (char c = kFirstPrintable;; ++c) {
    probe.push_back(c);
    if (pattern.is_viable_prefix(probe)) chars.push_back(c);
    probe.pop_back();
    if (c == kLastPrintable) break;
  }
  if (chars.empty()) return complete ? "the end of the path" : "a character outside ASCII";
  std::string out = describe_chars(chars);
  if (complete) out += " or the end of the path";
  return out;
}

bool matches_whole(const asgi::RoutePattern& pattern, std::string_view text) {
  auto m = pattern.match(text);
  return m && m->end == text.size();
}

}  // namespace

bool chain_matches(const RouteChain& chain, std::string_view path) {
  if (chain.levels.empty()) return chain.row.pattern == path;
  std::size_t pos = 0;
  for (const RouteLevel& level : chain.levels) {
    auto m = level.route->pattern.match(path.substr(pos));
    if (!m) return false;
    pos += m->end;
  }
  return true;
}

NearMiss explain_miss(const RouteChain& chain, std::string_view path) {
  NearMiss miss;
  if (chain.levels.empty()) {
    // A channel name: literal text, compared character by character.
    const std::string& name = chain.row.pattern;
    std::size_t k = 0;
    while (k < name.size() && k < path.size() && name[k] == path[k]) ++k;
    miss.matched = k;
    miss.path_ended = k == path.size();
    miss.expected = k < name.size() ? quoted(name[k]) : "the end of the name";
    return miss;
  }
  std::size_t pos = 0;
  for (std::size_t i = 0; i < chain.levels.size(); ++i) {
    const asgi::RoutePattern& pattern = chain.levels[i].route->pattern;
    std::string_view text = path.substr(pos);
    auto m = pattern.match(text);
    if (m && i + 1 < chain.levels.size()) {
      pos += m->end;  // a prefix for a nested router: the next pattern goes on from here
      continue;
    }
    if (m) {  // the whole route matches; nothing to explain
      miss.matched = path.size();
      return miss;
    }
    std::size_t k = viable_length(pattern, text);
    std::string_view prefix = text.substr(0, k);
    miss.matched = pos + k;
    miss.path_ended = k == text.size();
    miss.expected = describe_next(pattern, prefix, matches_whole(pattern, prefix));
    return miss;
  }
  return miss;
}

}  // namespace laurel::cli
