// tools/cli/command_parser.h
#pragma once

// One CLI11 parser with every command (serve and the subcommands) and the variables their flags
// write into. Built afresh for each parse, since CLI11 keeps what it parsed; the config layering
// (tools/cli/config_layers.h) builds several to check each source on its own.

#include <CLI/CLI.hpp>

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "tools/cli/main.h"
#include "tools/cli/serve_options.h"
#include "tools/cli/subcommand.h"

namespace laurel::cli {

struct CommandParser {
  CliOptions options;
  ServeWords words;
  CLI::App app;
  CLI::App* serve = nullptr;
  std::vector<std::pair<CLI::App*, std::shared_ptr<Subcommand>>> commands;

  CommandParser(const std::string& program, const std::string& description);

  // `args` excludes the program name. Throws what CLI11 throws (help, errors).
  void parse(const std::string& program, const std::vector<std::string>& args);

  // The command that was parsed: `serve` unless another one was.
  CLI::App* parsed_command() const;
};

// CLI11's messages mostly start with the flag already; keep them on one line either way.
std::string one_line(std::string text);

}  // namespace laurel::cli
