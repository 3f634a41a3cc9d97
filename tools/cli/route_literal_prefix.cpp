// tools/cli/route_literal_prefix.cpp — reading the literal start out of a Django URL pattern.

#include "tools/cli/route_literal_prefix.h"

#include <cctype>
#include <string_view>

namespace laurel::cli {
namespace {

bool escaped_at(std::string_view s, std::size_t i) {
  std::size_t backslashes = 0;
  while (i > 0 && s[i - 1] == '\\') {
    ++backslashes;
    --i;
  }
  return backslashes % 2 == 1;
}

bool ends_with_anchor(std::string_view re) {
  if (re.size() >= 1 && re.back() == '$' && !escaped_at(re, re.size() - 1)) return true;
  if (re.size() >= 2 && re[re.size() - 2] == '\\' && (re.back() == 'Z' || re.back() == 'z')) {
    return !escaped_at(re, re.size() - 2);
  }
  return false;
}

// An unescaped '|' outside a character class: the literal start then says nothing.
bool has_alternation(std::string_view re) {
  bool in_class = false;
  for (std::size_t i = 0; i < re.size(); ++i) {
    if (re[i] == '\\') {
      ++i;
    } else if (in_class) {
      if (re[i] == ']') in_class = false;
    } else if (re[i] == '[') {
      in_class = true;
    } else if (re[i] == '|') {
      return true;
    }
  }
  return false;
}

std::string regex_literal_prefix(std::string_view re) {
  constexpr std::string_view kSpecial = ".[](){}*+?^$|";
  std::string out;
  std::size_t i = 0;
  while (i < re.size()) {
    char c = re[i];
    std::size_t width = 1;
    if (c == '\\') {
      if (i + 1 == re.size()) break;
      char next = re[i + 1];
      // \d, \w, \b, \A ... are classes or assertions, not text.
      if (std::isalnum(static_cast<unsigned char>(next))) break;
      c = next;
      width = 2;
    } else if (kSpecial.find(c) != std::string_view::npos) {
      break;
    }
    std::size_t after = i + width;
    if (after < re.size()) {
      char q = re[after];
      if (q == '*' || q == '?' || q == '{') break;  // this character may be absent
      if (q == '+') {
        out += c;  // at least once, and then who knows
        break;
      }
    }
    out += c;
    i = after;
  }
  return out;
}

}  // namespace

PatternShape pattern_shape(const asgi::RoutePattern& pattern) {
  PatternShape shape;
  std::string_view text = pattern.pattern();
  if (pattern.syntax() == asgi::RoutePattern::Syntax::kPath) {
    // path(): anchored at the start always, at the end when it is a leaf (Django's \Z).
    shape.anchored_start = true;
    shape.anchored_end = pattern.is_endpoint();
    shape.literal_prefix = std::string(text.substr(0, text.find('<')));
    return shape;
  }
  shape.anchored_end = ends_with_anchor(text);
  // A leaf regex ending in '$' is full-matched (Django), so it is anchored at the start as well.
  shape.anchored_start = (pattern.is_endpoint() && shape.anchored_end) || text.starts_with('^') ||
                         text.starts_with("\\A");
  if (has_alternation(text)) return shape;
  std::string_view body = text;
  if (body.starts_with('^')) body.remove_prefix(1);
  else if (body.starts_with("\\A")) body.remove_prefix(2);
  shape.literal_prefix = regex_literal_prefix(body);
  return shape;
}

}  // namespace laurel::cli
