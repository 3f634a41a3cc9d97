// tools/cli/config_layers.cpp
#include "tools/cli/config_layers.h"

#include <map>
#include <utility>

namespace laurel::cli {
namespace {

// Flags whose one value is a comma-separated list: an array in the config file is joined.
bool is_comma_list(const std::string& name) {
  return name == "allowed-hosts" || name == "trusted-proxies";
}

// The flags of `cmd` that the environment and the config file may set: all of serve's; of the
// other commands only the application flags they share with serve (a variable must not turn
// every `createuser` into a superuser). --help and --config are never among them.
CommandFlags describe(const CLI::App* cmd, bool serve) {
  CommandFlags out;
  out.command = cmd->get_name();
  for (const CLI::Option* opt : cmd->get_options()) {
    if (opt->get_lnames().empty()) continue;  // positionals
    const std::string& name = opt->get_lnames().front();
    if (name == "help" || name == "help-all" || name == "config") continue;
    if (!serve && opt->get_group() != "Application") continue;
    FlagInfo flag;
    flag.name = name;
    flag.given = opt->count() > 0;
    if (opt->get_items_expected_max() == 0) {
      flag.kind = FlagKind::kSwitch;
    } else if (is_comma_list(name)) {
      flag.kind = FlagKind::kCommaList;
    } else if (opt->get_multi_option_policy() == CLI::MultiOptionPolicy::TakeAll ||
               opt->get_items_expected_max() > 1) {
      flag.kind = FlagKind::kRepeatable;
    } else {
      flag.kind = FlagKind::kValue;
    }
    out.flags.push_back(std::move(flag));
  }
  return out;
}

}  // namespace

ConfigLayers resolve_layers(const CommandParser& given, const EnvLookup& env) {
  ConfigLayers layers;
  layers.config_path = given.options.config_file;
  if (layers.config_path.empty()) {
    if (auto from_env = env ? env(kConfigEnv) : std::nullopt; from_env) {
      layers.config_path = *from_env;
    }
  }
  const CLI::App* cmd = given.parsed_command();
  const bool is_serve = cmd == given.serve;
  std::vector<CommandFlags> all{describe(given.serve, true)};
  for (const auto& [sub, command] : given.commands) all.push_back(describe(sub, false));
  std::optional<ConfigFile> file;
  if (!layers.config_path.empty()) file = load_config_file(layers.config_path, all);
  const ConfigFile* f = file ? &*file : nullptr;
  layers.command_words = resolve_config(f, describe(cmd, is_serve), env);
  // Another command checks serve's settings too (see parse_command_line).
  if (!is_serve) layers.serve_words = resolve_config(f, all.front(), env);
  return layers;
}

std::optional<std::string> parse_with_layers(CommandParser& line, const std::string& program,
                                             const std::string& description,
                                             const std::vector<std::string>& words,
                                             const std::vector<ConfigWords>& layers) {
  std::map<std::string, std::string> origin_of;  // "--port" → "laurel.toml:3: key 'port'"
  for (const auto& source : layers) {
    origin_of[source.flag] = source.origin;
    if (source.words.empty()) continue;
    std::vector<std::string> probe_words = words;
    probe_words.insert(probe_words.begin() + 1, source.words.begin(), source.words.end());
    CommandParser probe(program, description);
    try {
      probe.parse(program, probe_words);
    } catch (const CLI::ParseError& e) {
      return program + ": error: " + source.origin + ": " + one_line(e.what());
    }
  }
  std::vector<std::string> merged = words;
  for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
    merged.insert(merged.begin() + 1, it->words.begin(), it->words.end());
  }
  try {
    line.parse(program, merged);
    line.options.allowed_hosts = split_list(line.words.allowed_hosts);
    if (line.parsed_command() == line.serve) {
      apply_serve_words(line.options, line.words, *line.serve);
    }
  } catch (const CLI::ParseError& e) {
    return program + ": error: " + one_line(e.what()) + " (see " + program + " serve --help)";
  } catch (const FlagError& e) {
    auto origin = origin_of.find(e.flag);
    std::string where = origin == origin_of.end() ? "" : origin->second + ": ";
    return program + ": error: " + where + e.flag + ": " + e.message;
  }
  return std::nullopt;
}

}  // namespace laurel::cli
