// tools/cli/routes_command.cpp

#include "tools/cli/routes_command.h"

#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <iostream>
#include <optional>
#include <ostream>

#include "tools/cli/route_json.h"
#include "tools/cli/route_match_report.h"
#include "tools/cli/route_walk.h"
#include "tools/cli/route_warnings.h"
#include "tools/cli/routes_table.h"

namespace laurel::cli {
namespace {

// Builds the application with the process's stdout pointed at stderr: factories print start-up
// notes (a generated key, the demo user's password) and stdout must carry only the report, or
// `routes --json | jq` breaks on the first run.
asgi::ApplicationPtr build_quietly(const CommandContext& ctx) {
  std::cout.flush();
  std::fflush(stdout);
  int saved = ::dup(STDOUT_FILENO);
  if (saved >= 0) ::dup2(STDERR_FILENO, STDOUT_FILENO);
  struct Restore {
    int saved;
    ~Restore() {
      std::cout.flush();
      std::fflush(stdout);
      if (saved >= 0) {
        ::dup2(saved, STDOUT_FILENO);
        ::close(saved);
      }
    }
  } restore{saved};
  return ctx.make_app(ctx.options);
}

bool is_token(const std::string& word) {
  if (word.empty()) return false;
  for (char c : word) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

// The query from --match's words, or nullopt after one line on ctx.err.
std::optional<MatchQuery> parse_match(const std::vector<std::string>& words,
                                      const CommandContext& ctx) {
  auto fail = [&](const std::string& why) {
    ctx.err << "routes: --match: " << why << "\n";
    return std::nullopt;
  };
  auto protocol = normalize_protocol(words[0]);
  if (!protocol) {
    return fail("'" + words[0] + "' is not a protocol (http, ws, websocket or channel)");
  }
  MatchQuery q;
  q.protocol = *protocol;
  if (words.size() == 3) {
    if (q.protocol != "http") return fail("only http takes a method: --match ws PATH");
    if (!is_token(words[1])) return fail("'" + words[1] + "' is not an HTTP method");
    for (char c : words[1]) q.method += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  q.path = words.back();
  if (q.protocol == "channel") return q;
  // The scope's path has no query string, and always starts with '/'.
  if (auto question = q.path.find('?'); question != std::string::npos) q.path.resize(question);
  if (q.path.empty() || q.path[0] != '/') q.path.insert(0, "/");
  return q;
}

}  // namespace

void RoutesCommand::add_options(CLI::App& cmd) {
  cmd.add_flag("--json", json_, "Print JSON for tools instead of text");
  cmd.add_option("--match", match_words_,
                 "Show where a request would go: --match ws /ws/chat/lobby/, --match http GET "
                 "/chat/lobby/ (exit status 1 when no route matches)")
      ->expected(2, 3)
      ->type_name("PROTOCOL [METHOD] PATH");
}

int RoutesCommand::run(const CommandContext& ctx) {
  std::optional<MatchQuery> query;
  if (!match_words_.empty()) {
    query = parse_match(match_words_, ctx);
    if (!query) return 2;
  }
  asgi::ApplicationPtr app = build_quietly(ctx);
  if (!app) {
    ctx.err << "routes: the application factory returned nothing\n";
    return 1;
  }

  if (query) {
    MatchReport report = match_request(*app, *query);
    ctx.out << (json_ ? match_report_json(report).to_json() + "\n" : format_match_report(report));
    return report.match ? 0 : 1;
  }

  std::vector<asgi::RouteDescription> rows = collect_routes(*app);
  std::vector<RouteWarning> warnings = find_route_warnings(walk_routes(*app));
  if (json_) {
    asgi::Value doc{{"routes", routes_json(rows)}, {"warnings", warnings_json(warnings)}};
    ctx.out << doc.to_json() << "\n";
  } else {
    ctx.out << format_routes(rows) << format_warnings(warnings);
  }
  return 0;
}

}  // namespace laurel::cli
