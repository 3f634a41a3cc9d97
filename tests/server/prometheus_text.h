// tests/server/prometheus_text.h
#pragma once

// A strict little parser of the Prometheus text format for the tests: every line must be a
// HELP, a TYPE or a sample `name{labels} value`, every sample's family must have been typed
// before, and values must be numbers. Samples are keyed by their text up to the value.

#include <cstdlib>
#include <map>
#include <sstream>
#include <string>

namespace laurel::server::testing {

struct PrometheusText {
  bool ok = true;
  std::string error;
  std::map<std::string, std::string> types;
  std::map<std::string, std::string> help;
  std::map<std::string, double> samples;
};

inline bool metric_name_ok(const std::string& n) {
  if (n.empty()) return false;
  for (char c : n) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == ':')) return false;
  }
  return !std::isdigit(static_cast<unsigned char>(n[0]));
}

inline PrometheusText parse_prometheus(const std::string& text) {
  PrometheusText out;
  auto fail = [&](const std::string& why, const std::string& line) {
    out.ok = false;
    out.error = why + ": " + line;
    return out;
  };
  if (!text.empty() && text.back() != '\n') return fail("no final newline", "");
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    if (line.rfind("# HELP ", 0) == 0 || line.rfind("# TYPE ", 0) == 0) {
      std::string rest = line.substr(7);
      auto sp = rest.find(' ');
      if (sp == std::string::npos) return fail("bad comment", line);
      std::string name = rest.substr(0, sp);
      if (!metric_name_ok(name)) return fail("bad name", line);
      if (line[2] == 'H') {
        out.help[name] = rest.substr(sp + 1);
      } else {
        std::string t = rest.substr(sp + 1);
        if (t != "counter" && t != "gauge" && t != "histogram" && t != "summary" && t != "untyped")
          return fail("bad type", line);
        out.types[name] = t;
      }
      continue;
    }
    if (line[0] == '#') continue;
    // name{labels} value — label values may contain escaped quotes and spaces.
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    std::string name = line.substr(0, i);
    if (!metric_name_ok(name)) return fail("bad sample name", line);
    if (i < line.size() && line[i] == '{') {
      bool in_quotes = false;
      for (++i; i < line.size(); ++i) {
        if (in_quotes && line[i] == '\\') {
          ++i;
        } else if (line[i] == '"') {
          in_quotes = !in_quotes;
        } else if (!in_quotes && line[i] == '}') {
          break;
        }
      }
      if (i >= line.size()) return fail("unterminated labels", line);
      ++i;
    }
    std::string key = line.substr(0, i);
    if (i >= line.size() || line[i] != ' ') return fail("no value", line);
    std::string value = line.substr(i + 1);
    char* end = nullptr;
    double v = value == "+Inf" ? 1e308 : std::strtod(value.c_str(), &end);
    if (value != "+Inf" && (end == value.c_str() || *end != '\0')) return fail("bad value", line);
    std::string family = name;
    for (const char* suffix : {"_bucket", "_sum", "_count"}) {
      std::string s = suffix;
      if (!out.types.count(family) && family.size() > s.size() &&
          family.compare(family.size() - s.size(), s.size(), s) == 0) {
        family = family.substr(0, family.size() - s.size());
      }
    }
    if (!out.types.count(family)) return fail("sample before its TYPE", line);
    out.samples[key] = v;
  }
  return out;
}

}  // namespace laurel::server::testing
