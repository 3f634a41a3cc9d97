// tools/cli/config_file.cpp
#include "tools/cli/config_file.h"

// toml++ (Debian: libtomlplusplus-dev) in its header-only form: this is the only file that
// includes it, and it needs no link flags.
#include <toml++/toml.h>

#include <cctype>
#include <cerrno>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace laurel::cli {
namespace {

std::string lower(std::string text) {
  for (auto& c : text) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return text;
}

std::string format_double(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  if (ec != std::errc()) return std::to_string(d);
  return std::string(buf, end);
}

const char* type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "an array";
    case toml::node_type::table: return "a table";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "a value";
  }
}

// The text of a string or number; empty optional for anything else.
std::optional<std::string> scalar_text(const toml::node& node) {
  if (auto s = node.as_string()) return s->get();
  if (auto i = node.as_integer()) return std::to_string(i->get());
  if (auto f = node.as_floating_point()) return format_double(f->get());
  return std::nullopt;
}

int line_of(const toml::node& node) { return static_cast<int>(node.source().begin.line); }

std::string where(const std::string& path, int line) {
  return line > 0 ? path + ":" + std::to_string(line) : path;
}

// The flags a section may set: those of its command, or of any command for the top level.
std::set<std::string> known_keys(const std::vector<CommandFlags>& commands,
                                 const std::string& section) {
  std::set<std::string> keys;
  for (const auto& command : commands) {
    if (!section.empty() && command.command != section) continue;
    for (const auto& flag : command.flags) keys.insert(normalise_key(flag.name));
  }
  return keys;
}

ConfigSetting read_setting(const std::string& path, const std::string& section,
                           const std::string& key, const toml::node& node, int line) {
  ConfigSetting s;
  s.key = key;
  s.section = section;
  s.line = line;
  s.type_name = type_name(node);
  switch (node.type()) {
    case toml::node_type::string: s.type = ConfigSetting::Type::kString; break;
    case toml::node_type::integer: s.type = ConfigSetting::Type::kInteger; break;
    case toml::node_type::floating_point: s.type = ConfigSetting::Type::kFloat; break;
    case toml::node_type::boolean:
      s.type = ConfigSetting::Type::kBoolean;
      s.boolean = node.as_boolean()->get();
      s.items.push_back(s.boolean ? "true" : "false");
      return s;
    case toml::node_type::array: {
      s.type = ConfigSetting::Type::kArray;
      for (const auto& element : *node.as_array()) {
        auto text = scalar_text(element);
        if (!text) {
          throw ConfigError(where(path, line) + ": key '" + key +
                            "': array elements must be strings or numbers, not " +
                            type_name(element));
        }
        s.items.push_back(*text);
      }
      return s;
    }
    default:
      s.type = ConfigSetting::Type::kOther;
      return s;
  }
  s.items.push_back(*scalar_text(node));
  return s;
}

// Reads the keys of one table (the top level or a command's section) into `out`.
void read_table(const std::string& path, const std::vector<CommandFlags>& commands,
                const std::string& section, const toml::table& table,
                std::map<std::string, ConfigSetting>& out,
                std::vector<std::pair<std::string, const toml::table*>>* sections) {
  const std::set<std::string> keys = known_keys(commands, section);
  for (const auto& [raw_key, node] : table) {
    const std::string key(raw_key.str());
    const int line = static_cast<int>(raw_key.source().begin.line);
    const std::string at = where(path, line);
    // A table is a command's section, unless it is the (wrong) value of a known key.
    if (node.is_table() && keys.count(normalise_key(key)) == 0) {
      if (sections != nullptr) {
        bool is_command = false;
        for (const auto& command : commands) is_command = is_command || command.command == key;
        if (is_command) {
          sections->emplace_back(key, node.as_table());
          continue;
        }
        std::string names;
        for (const auto& command : commands) names += (names.empty() ? "" : ", ") + command.command;
        throw ConfigError(at + ": unknown section [" + key + "] (sections are commands: " + names +
                          ")");
      }
      throw ConfigError(at + ": key '" + key + "' in [" + section +
                        "] is a table; sections do not nest");
    }
    const std::string norm = normalise_key(key);
    if (norm == "config") {
      throw ConfigError(at + ": key '" + key + "': a config file cannot name another one");
    }
    if (keys.count(norm) == 0) {
      std::string hint;
      if (norm == "secret-key") {
        hint = " (the key itself stays out of the configuration: put it in a file and set "
               "secret-key-file)";
      }
      throw ConfigError(at + ": unknown key '" + key + "'" +
                        (section.empty() ? "" : " in [" + section + "]") + hint);
    }
    auto [it, inserted] = out.emplace(norm, read_setting(path, section, key, node, line));
    if (!inserted) {
      throw ConfigError(at + ": key '" + key + "' is set twice (also as '" + it->second.key +
                        "' on line " + std::to_string(it->second.line) + ")");
    }
  }
}

std::optional<bool> parse_bool(const std::string& text) {
  const std::string t = lower(text);
  if (t == "1" || t == "true" || t == "yes" || t == "on") return true;
  if (t == "0" || t == "false" || t == "no" || t == "off") return false;
  return std::nullopt;
}

std::string trim(const std::string& text) {
  std::size_t b = 0, e = text.size();
  while (b < e && std::isspace(static_cast<unsigned char>(text[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(text[e - 1]))) --e;
  return text.substr(b, e - b);
}

ConfigWords from_env(const FlagInfo& flag, const std::string& var, const std::string& value) {
  ConfigWords out{"--" + flag.name, {}, "environment variable " + var};
  const std::string prefix = "--" + flag.name + "=";
  switch (flag.kind) {
    case FlagKind::kSwitch: {
      auto b = parse_bool(value);
      if (!b) {
        throw ConfigError(out.origin + ": expects true or false (1/0, yes/no, on/off), not '" +
                          value + "'");
      }
      if (*b) out.words.push_back("--" + flag.name);
      break;
    }
    case FlagKind::kRepeatable: {
      std::stringstream ss(value);
      std::string part;
      while (std::getline(ss, part, ',')) {
        part = trim(part);
        if (!part.empty()) out.words.push_back(prefix + part);
      }
      break;
    }
    case FlagKind::kValue:
    case FlagKind::kCommaList:
      out.words.push_back(prefix + value);
      break;
  }
  return out;
}

ConfigWords from_file(const FlagInfo& flag, const std::string& path, const ConfigSetting& s) {
  ConfigWords out{"--" + flag.name, {},
                  where(path, s.line) + ": key '" + s.key + "'" +
                      (s.section.empty() ? "" : " in [" + s.section + "]")};
  const std::string prefix = "--" + flag.name + "=";
  using Type = ConfigSetting::Type;
  const bool scalar = s.type == Type::kString || s.type == Type::kInteger || s.type == Type::kFloat;
  switch (flag.kind) {
    case FlagKind::kSwitch:
      if (s.type != Type::kBoolean) {
        throw ConfigError(out.origin + ": expects true or false, not " + s.type_name);
      }
      if (s.boolean) out.words.push_back("--" + flag.name);
      break;
    case FlagKind::kValue:
      if (!scalar) {
        throw ConfigError(out.origin + ": expects one string or number, not " + s.type_name);
      }
      out.words.push_back(prefix + s.items.at(0));
      break;
    case FlagKind::kRepeatable:
      if (!scalar && s.type != Type::kArray) {
        throw ConfigError(out.origin + ": expects an array of strings, not " + s.type_name);
      }
      for (const auto& item : s.items) out.words.push_back(prefix + item);
      break;
    case FlagKind::kCommaList: {
      if (!scalar && s.type != Type::kArray) {
        throw ConfigError(out.origin + ": expects an array of strings, not " + s.type_name);
      }
      std::string joined;
      for (const auto& item : s.items) joined += (joined.empty() ? "" : ",") + item;
      out.words.push_back(prefix + joined);
      break;
    }
  }
  return out;
}

}  // namespace

std::string normalise_key(const std::string& name) {
  std::string out = lower(name);
  for (auto& c : out) {
    if (c == '_') c = '-';
  }
  return out;
}

std::string env_name(const std::string& flag_name) {
  std::string out = "LAUREL_";
  for (char c : flag_name) {
    out += c == '-' ? '_' : static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  }
  return out;
}

ConfigFile load_config_file(const std::string& path, const std::vector<CommandFlags>& commands) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError(path + ": cannot read the config file: " + std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();

  toml::table root;
  try {
    root = toml::parse(text.str(), path);
  } catch (const toml::parse_error& e) {
    std::string message(e.description());
    for (auto& c : message) {
      if (c == '\n' || c == '\r') c = ' ';
    }
    throw ConfigError(path + ":" + std::to_string(e.source().begin.line) + ":" +
                      std::to_string(e.source().begin.column) + ": not valid TOML: " + message);
  }

  ConfigFile file;
  file.path = path;
  std::vector<std::pair<std::string, const toml::table*>> sections;
  read_table(path, commands, "", root, file.sections[""], &sections);
  for (const auto& [name, table] : sections) {
    read_table(path, commands, name, *table, file.sections[name], nullptr);
  }
  return file;
}

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* value = std::getenv(name.c_str());
    if (value == nullptr) return std::nullopt;
    return std::string(value);
  };
}

std::vector<ConfigWords> resolve_config(const ConfigFile* file, const CommandFlags& command,
                                        const EnvLookup& env) {
  std::vector<ConfigWords> out;
  for (const auto& flag : command.flags) {
    if (flag.given) continue;
    const std::string var = env_name(flag.name);
    // An empty variable counts as unset, as `LAUREL_PORT=` in a unit file or compose file means.
    if (auto value = env ? env(var) : std::nullopt; value && !value->empty()) {
      out.push_back(from_env(flag, var, *value));
      continue;
    }
    if (file == nullptr) continue;
    const std::string key = normalise_key(flag.name);
    const ConfigSetting* setting = nullptr;
    for (const std::string& section : {command.command, std::string()}) {
      auto s = file->sections.find(section);
      if (s == file->sections.end()) continue;
      auto it = s->second.find(key);
      if (it != s->second.end()) {
        setting = &it->second;
        break;
      }
    }
    if (setting != nullptr) out.push_back(from_file(flag, file->path, *setting));
  }
  return out;
}

}  // namespace laurel::cli
