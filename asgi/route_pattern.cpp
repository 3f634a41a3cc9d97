// asgi/route_pattern.cpp — Django's path()/re_path() matching on PCRE2.

#define PCRE2_CODE_UNIT_WIDTH 8
#include "asgi/route_pattern.h"

#include <pcre2.h>

#include <charconv>
#include <vector>

namespace laurel::asgi {

namespace {

// path() converters, with Django's regexes (django/urls/converters.py).
enum class Converter { kStr, kInt, kSlug, kUuid, kPath };

std::optional<Converter> converter_named(std::string_view name) {
  if (name == "str") return Converter::kStr;
  if (name == "int") return Converter::kInt;
  if (name == "slug") return Converter::kSlug;
  if (name == "uuid") return Converter::kUuid;
  if (name == "path") return Converter::kPath;
  return std::nullopt;
}

const char* converter_regex(Converter c) {
  switch (c) {
    case Converter::kStr:
      return "[^/]+";
    case Converter::kInt:
      return "[0-9]+";
    case Converter::kSlug:
      return "[-a-zA-Z0-9_]+";
    case Converter::kUuid:
      return "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}";
    case Converter::kPath:
      return ".+";
  }
  return "";
}

bool is_python_identifier(std::string_view s) {
  // ASCII identifiers only: PCRE2 group names are ASCII, so a Unicode name could not be captured.
  if (s.empty() || (s[0] >= '0' && s[0] <= '9')) return false;
  for (char c : s) {
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Python's re.escape, for the literal parts of a path() route: any ASCII punctuation is escaped
// (in PCRE2 a backslash before a non-alphanumeric always means the literal character).
void append_escaped(std::string_view literal, std::string& out) {
  for (char c : literal) {
    auto u = static_cast<unsigned char>(c);
    bool plain = u >= 0x80 || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                 (c >= '0' && c <= '9') || c == '_';
    if (!plain) out += '\\';
    out += c;
  }
}

// Django's _route_to_regex: `<converter:name>` components become named groups. The component
// grammar is Django's `<(?:(?P<converter>[^>:]+):)?(?P<parameter>[^>]+)>`, searched left to right.
std::string route_to_regex(std::string_view route, bool is_endpoint,
                           std::vector<std::pair<std::string, Converter>>& converters) {
  const std::string original(route);
  std::string out = "^";
  std::size_t pos = 0;
  while (true) {
    // Find the next component: a '<' with at least one character before the first '>' after it.
    std::size_t close = std::string_view::npos;
    std::size_t open = route.find('<', pos);
    for (; open != std::string_view::npos; open = route.find('<', open + 1)) {
      close = route.find('>', open + 1);
      if (close == std::string_view::npos) {
        open = std::string_view::npos;
        break;
      }
      if (close > open + 1) break;
    }
    if (open == std::string_view::npos) {
      append_escaped(route.substr(pos), out);
      break;
    }
    std::string_view component = route.substr(open, close - open + 1);
    std::string_view inner = route.substr(open + 1, close - open - 1);
    if (component.find_first_of(" \t\n\r\v\f") != std::string_view::npos) {
      throw ImproperlyConfigured("URL route '" + original +
                                 "' cannot contain whitespace in angle brackets <...>.");
    }
    std::string_view converter_name = "str", parameter = inner;
    std::size_t colon = inner.find(':');
    // The converter part needs one or more characters before the colon and leaves at least one
    // for the parameter; otherwise the whole text is the parameter (and fails as an identifier).
    if (colon != std::string_view::npos && colon > 0 && colon + 1 < inner.size()) {
      converter_name = inner.substr(0, colon);
      parameter = inner.substr(colon + 1);
    }
    if (!is_python_identifier(parameter)) {
      throw ImproperlyConfigured("URL route '" + original + "' uses parameter name '" +
                                 std::string(parameter) + "' which isn't a valid identifier.");
    }
    auto converter = converter_named(converter_name);
    if (!converter) {
      throw ImproperlyConfigured("URL route '" + original + "' uses invalid converter '" +
                                 std::string(converter_name) +
                                 "' (laurel knows str, int, slug, uuid and path).");
    }
    append_escaped(route.substr(pos, open - pos), out);
    converters.emplace_back(std::string(parameter), *converter);
    out += "(?P<";
    out += parameter;
    out += '>';
    out += converter_regex(*converter);
    out += ')';
    pos = close + 1;
  }
  // Python's \Z is the very end of the string, which PCRE2 spells \z.
  if (is_endpoint) out += "\\z";
  return out;
}

bool hex_digits_at(std::string_view s, std::size_t from, std::size_t count) {
  if (from + count > s.size()) return false;
  for (std::size_t k = from; k < from + count; ++k) {
    char c = s[k];
    bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    if (!hex) return false;
  }
  return true;
}

// Python `re` and PCRE2 agree on nearly all syntax; these escapes differ in spelling.
std::string python_regex_to_pcre2(std::string_view re) {
  std::string out;
  out.reserve(re.size());
  for (std::size_t i = 0; i < re.size(); ++i) {
    if (re[i] != '\\' || i + 1 == re.size()) {
      out += re[i];
      continue;
    }
    char next = re[i + 1];
    if (next == 'Z') {  // Python: end of string only; PCRE2's \Z also allows a final newline
      out += "\\z";
      ++i;
    } else if ((next == 'u' || next == 'U') && hex_digits_at(re, i + 2, next == 'u' ? 4 : 8)) {
      std::size_t digits = next == 'u' ? 4 : 8;
      out += "\\x{";
      out.append(re.substr(i + 2, digits));
      out += '}';
      i += 1 + digits;
    } else {
      out += re[i];
      out += next;
      ++i;
    }
  }
  return out;
}

struct CodeDeleter {
  void operator()(pcre2_code* code) const { pcre2_code_free(code); }
};

}  // namespace

struct RoutePattern::Compiled {
  std::unique_ptr<pcre2_code, CodeDeleter> code;
  bool full_match = false;  // Django full-matches an endpoint regex that ends in '$'
  std::uint32_t capture_count = 0;
  // Named groups in group-number order, with the path() converter for each.
  std::vector<std::pair<std::string, std::uint32_t>> names;
  std::vector<std::pair<std::string, Converter>> converters;
};

RoutePattern::RoutePattern(std::string pattern, Syntax syntax, bool is_endpoint)
    : pattern_(std::move(pattern)), syntax_(syntax), is_endpoint_(is_endpoint) {
  auto compiled = std::make_shared<Compiled>();
  std::string regex;
  if (syntax_ == Syntax::kPath) {
    regex = route_to_regex(pattern_, is_endpoint_, compiled->converters);
  } else {
    regex = python_regex_to_pcre2(pattern_);
    compiled->full_match = is_endpoint_ && !pattern_.empty() && pattern_.back() == '$';
  }

  // Unicode semantics as Python's str patterns have them (\w, \d match non-ASCII); bytes that are
  // not UTF-8 (a percent-decoded path can hold any) simply never match instead of failing.
  pcre2_compile_context* context = pcre2_compile_context_create(nullptr);
  pcre2_set_newline(context, PCRE2_NEWLINE_LF);  // Python's $ and . know only \n
  int error = 0;
  PCRE2_SIZE error_offset = 0;
  pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(regex.data()), regex.size(),
                                   PCRE2_UTF | PCRE2_UCP | PCRE2_MATCH_INVALID_UTF, &error,
                                   &error_offset, context);
  pcre2_compile_context_free(context);
  if (code == nullptr) {
    PCRE2_UCHAR message[256];
    pcre2_get_error_message(error, message, sizeof message);
    throw ImproperlyConfigured("'" + pattern_ + "' is not a valid " +
                               (syntax_ == Syntax::kPath ? "path() route" : "regular expression") +
                               ": " + reinterpret_cast<const char*>(message) + " at offset " +
                               std::to_string(error_offset));
  }
  compiled->code.reset(code);
  pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);  // best effort: the interpreter is the fallback

  pcre2_pattern_info(code, PCRE2_INFO_CAPTURECOUNT, &compiled->capture_count);
  std::uint32_t name_count = 0, entry_size = 0;
  PCRE2_SPTR table = nullptr;
  pcre2_pattern_info(code, PCRE2_INFO_NAMECOUNT, &name_count);
  pcre2_pattern_info(code, PCRE2_INFO_NAMEENTRYSIZE, &entry_size);
  pcre2_pattern_info(code, PCRE2_INFO_NAMETABLE, &table);
  for (std::uint32_t i = 0; i < name_count; ++i) {
    PCRE2_SPTR entry = table + std::size_t{i} * entry_size;
    std::uint32_t group = (static_cast<std::uint32_t>(entry[0]) << 8) | entry[1];
    compiled->names.emplace_back(reinterpret_cast<const char*>(entry + 2), group);
  }
  compiled_ = std::move(compiled);
}

std::optional<RoutePattern::Match> RoutePattern::match(std::string_view path) const {
  const Compiled& c = *compiled_;
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create_from_pattern(c.code.get(), nullptr), &pcre2_match_data_free);
  std::uint32_t options = c.full_match ? (PCRE2_ANCHORED | PCRE2_ENDANCHORED) : 0;
  int rc = pcre2_match(c.code.get(), reinterpret_cast<PCRE2_SPTR>(path.data()), path.size(), 0,
                       options, data.get(), nullptr);
  if (rc < 0) return std::nullopt;  // PCRE2_ERROR_NOMATCH, or a resource limit: no route here
  PCRE2_SIZE* ov = pcre2_get_ovector_pointer(data.get());
  auto group = [&](std::uint32_t n) -> std::optional<std::string_view> {
    std::size_t at = std::size_t{2} * n;
    if (n >= static_cast<std::uint32_t>(rc) || ov[at] == PCRE2_UNSET) return std::nullopt;
    return path.substr(ov[at], ov[at + 1] - ov[at]);
  };

  Match m;
  m.end = ov[1];
  if (syntax_ == Syntax::kRegex) {
    // Django: named groups become kwargs (unmatched ones left out) and unnamed groups are then
    // ignored; with no named groups at all, every group is a positional arg (None if unmatched).
    if (c.names.empty()) {
      for (std::uint32_t n = 1; n <= c.capture_count; ++n) {
        auto g = group(n);
        m.args.push_back(g ? Value(*g) : Value());
      }
    } else {
      for (const auto& [name, n] : c.names) {
        if (auto g = group(n)) m.kwargs[name] = *g;
      }
    }
    return m;
  }

  for (const auto& [name, n] : c.names) {
    std::string_view text = group(n).value_or(std::string_view{});
    Converter converter = Converter::kStr;
    for (const auto& [param, conv] : c.converters) {
      if (param == name) converter = conv;
    }
    if (converter == Converter::kInt) {
      std::int64_t number = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
      if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
      m.kwargs[name] = number;
    } else {
      m.kwargs[name] = text;  // a uuid stays its canonical lower-case text (Python's str(uuid))
    }
  }
  return m;
}

bool RoutePattern::is_viable_prefix(std::string_view text) const {
  const Compiled& c = *compiled_;
  std::unique_ptr<pcre2_match_data, decltype(&pcre2_match_data_free)> data(
      pcre2_match_data_create_from_pattern(c.code.get(), nullptr), &pcre2_match_data_free);
  // Hard partial matching reports PCRE2_ERROR_PARTIAL whenever the subject ran out while the
  // pattern could still go on, so a prefix of a longer match counts even if it matches already.
  int rc = pcre2_match(c.code.get(), reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(), 0,
                       PCRE2_ANCHORED | PCRE2_PARTIAL_HARD, data.get(), nullptr);
  // A complete match (rc >= 0) of a pattern without an end anchor may stop before the end of
  // `text`; the whole of `text` then still starts a path that matches.
  return rc >= 0 || rc == PCRE2_ERROR_PARTIAL;
}

}  // namespace laurel::asgi
