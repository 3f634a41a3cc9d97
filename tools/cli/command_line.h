// tools/cli/command_line.h
#pragma once

// Turns the words of a command line, the LAUREL_* environment variables and the --config TOML
// file into CliOptions (and so a ServerConfig), without starting anything, so every flag can be
// tested on its own. Daphne's flags keep Daphne's names, defaults and units (seconds); laurel's
// own flags are documented in `serve --help` and docs/configuration.md.

#include <string>
#include <vector>

#include "tools/cli/config_file.h"
#include "tools/cli/main.h"
#include "tools/cli/subcommand.h"

namespace laurel::cli {

struct ParseResult {
  enum class Action {
    kServe,   // run the server with `options`
    kCommand,  // run `command` (routes, createuser, ...) with `options`
    kExit,    // print `output` (help, or an error on stderr) and exit with `exit_code`
  };
  Action action = Action::kExit;
  int exit_code = 0;
  std::string output;  // help text (stdout) or the one-line error (stderr)
  CliOptions options;
  std::shared_ptr<Subcommand> command;  // set for kCommand
};

// `args` excludes the program name. With no subcommand, or one that starts with a flag, the
// command is `serve`. A wrong flag or value gives kExit, exit code 2 and one line naming the flag.
// Flags not on the command line come from the environment (LAUREL_PORT, ...), else from the
// TOML file of --config or LAUREL_CONFIG (tools/cli/config_file.h); a wrong key or value there
// gives exit code 2 and one line naming the variable, or the file and key.
ParseResult parse_command_line(const std::vector<std::string>& args,
                               const std::string& program = "laurel",
                               const std::string& description = "");
// The same with the environment given (tests).
ParseResult parse_command_line(const std::vector<std::string>& args, const std::string& program,
                               const std::string& description, const EnvLookup& env);

}  // namespace laurel::cli
