// tools/cli/command_parser.cpp
#include "tools/cli/command_parser.h"

namespace laurel::cli {

CommandParser::CommandParser(const std::string& program, const std::string& description)
    : app{description.empty() ? "laurel protocol server" : description, program} {
  app.require_subcommand(0, 1);
  app.footer("With no command, `" + program + "` serves. See `" + program +
             " serve --help` for every flag.");
  serve = app.add_subcommand("serve", "Serve the application (the default command)");
  add_serve_options(*serve, options, words);
  serve->footer(
      "Every flag --some-flag can also be set by the environment variable LAUREL_SOME_FLAG or "
      "by the key some-flag (or some_flag) in the TOML file named by --config or "
      "LAUREL_CONFIG. A flag on the command line wins over the environment, which wins over "
      "the file. See docs/configuration.md.");
  for (auto& command : all_subcommands()) {
    CLI::App* cmd = app.add_subcommand(command->name(), command->summary());
    add_app_options(*cmd, options, words);
    command->add_options(*cmd);
    commands.emplace_back(cmd, std::move(command));
  }
}

void CommandParser::parse(const std::string& program, const std::vector<std::string>& args) {
  std::vector<std::string> storage;
  storage.reserve(args.size() + 1);
  storage.push_back(program);
  for (const auto& word : args) storage.push_back(word);
  std::vector<char*> argv;
  for (auto& s : storage) argv.push_back(s.data());
  app.parse(static_cast<int>(argv.size()), argv.data());
}

CLI::App* CommandParser::parsed_command() const {
  for (const auto& [cmd, command] : commands) {
    if (cmd->parsed()) return cmd;
  }
  return serve;
}

std::string one_line(std::string text) {
  for (auto& c : text) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  while (!text.empty() && text.back() == ' ') text.pop_back();
  return text;
}

}  // namespace laurel::cli
