// tools/cli/command_line.cpp
#include "tools/cli/command_line.h"

#include <utility>

#include "tools/cli/command_parser.h"
#include "tools/cli/config_layers.h"

namespace laurel::cli {
namespace {

ParseResult exit_with(int code, std::string output) {
  ParseResult result;
  result.action = ParseResult::Action::kExit;
  result.exit_code = code;
  result.output = std::move(output);
  return result;
}

}  // namespace

ParseResult parse_command_line(const std::vector<std::string>& args, const std::string& program,
                               const std::string& description) {
  return parse_command_line(args, program, description, process_environment());
}

ParseResult parse_command_line(const std::vector<std::string>& args, const std::string& program,
                               const std::string& description, const EnvLookup& env) {
  // `prog -p 9000` and `prog` alone mean `prog serve ...`, as `daphne` takes flags directly.
  std::vector<std::string> words = args;
  const bool top_level_help =
      !words.empty() && (words[0] == "-h" || words[0] == "--help" || words[0] == "--help-all");
  if (words.empty() || (words[0].size() > 1 && words[0][0] == '-' && !top_level_help)) {
    words.insert(words.begin(), "serve");
  }

  // First the command line alone: help, unknown flags and bad values are answered from it, and
  // it says which flags the environment and the file may still set.
  ConfigLayers layers;
  bool is_serve = true;
  {
    CommandParser first(program, description);
    try {
      first.parse(program, words);
    } catch (const CLI::CallForHelp&) {
      return exit_with(0, first.app.help());
    } catch (const CLI::CallForAllHelp&) {
      return exit_with(0, first.app.help("", CLI::AppFormatMode::All));
    } catch (const CLI::ParseError& e) {
      return exit_with(
          2, program + ": error: " + one_line(e.what()) + " (see " + program + " serve --help)");
    }
    is_serve = first.parsed_command() == first.serve;
    try {
      layers = resolve_layers(first, env);
    } catch (const ConfigError& e) {
      return exit_with(2, program + ": error: " + e.what());
    }
  }

  CommandParser line(program, description);
  if (auto error = parse_with_layers(line, program, description, words, layers.command_words)) {
    return exit_with(2, std::move(*error));
  }
  // `routes --config laurel.toml` checks the whole configuration, so a deployment can test a
  // file before it restarts the server with it.
  if (!is_serve && !layers.serve_words.empty()) {
    CommandParser serve_check(program, description);
    if (auto error =
            parse_with_layers(serve_check, program, description, {"serve"}, layers.serve_words)) {
      return exit_with(2, std::move(*error));
    }
  }

  ParseResult result;
  result.options = std::move(line.options);
  result.options.config_file = layers.config_path;
  CLI::App* cmd = line.parsed_command();
  if (cmd == line.serve) {
    result.options.command = "serve";
    result.action = ParseResult::Action::kServe;
  } else {
    for (auto& [sub, command] : line.commands) {
      if (sub != cmd) continue;
      result.options.command = command->name();
      result.action = ParseResult::Action::kCommand;
      result.command = command;
    }
  }
  return result;
}

}  // namespace laurel::cli
