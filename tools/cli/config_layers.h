// tools/cli/config_layers.h
#pragma once

// The layering of laurel's configuration: command-line flag > LAUREL_* environment variable >
// the TOML file of --config or LAUREL_CONFIG > default. config_file.h turns the environment and
// the file into command-line words; this puts them under the words given, so CLI11 checks a
// value the same way whatever its source, and an error names the source it came from.

#include <optional>
#include <string>
#include <vector>

#include "tools/cli/command_parser.h"
#include "tools/cli/config_file.h"

namespace laurel::cli {

struct ConfigLayers {
  std::string config_path;                 // --config, else LAUREL_CONFIG; empty: no file
  std::vector<ConfigWords> command_words;  // for the flags of the command that was parsed
  std::vector<ConfigWords> serve_words;    // serve's, when another command was parsed
};

// From a parse of the command line alone: the file to read and the words the environment and the
// file give the flags the command line left unset. Throws ConfigError.
ConfigLayers resolve_layers(const CommandParser& given, const EnvLookup& env);

// Parses `words` (the command's name first) into `line` with the words of `layers` added right
// after the name, where the command's flags are parsed and before any `--`. Each source is first
// checked on its own, so a wrong value is reported with where it came from. Applies serve's rules
// when serve is the command. Returns the one-line error ("<program>: error: ...") on a failure.
std::optional<std::string> parse_with_layers(CommandParser& line, const std::string& program,
                                             const std::string& description,
                                             const std::vector<std::string>& words,
                                             const std::vector<ConfigWords>& layers);

}  // namespace laurel::cli
