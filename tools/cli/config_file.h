// tools/cli/config_file.h
#pragma once

// laurel's configuration sources besides the command line: a TOML file (--config or
// LAUREL_CONFIG) and LAUREL_<FLAG> environment variables. Both are turned into extra
// command-line words, so the parser checks a value the same way whatever its source, and each
// word keeps its origin ("key 'port' in laurel.toml") for the one-line error. Precedence:
// command-line flag > environment variable > file > default. Free of CLI11 and of the TOML
// library, so the rules can be tested on their own.

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace laurel::cli {

// A wrong file, key or value; what() is one line naming the file and key, or the variable.
class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// How one flag takes its value; this decides which TOML types a key accepts.
enum class FlagKind {
  kValue,       // one word: string, integer or float in the file (--port, --ping-interval)
  kSwitch,      // no word: true or false in the file, 1/0/true/false/yes/no/on/off in the env
  kRepeatable,  // the flag repeats: an array (or one string) in the file, a,b in the env (--redis)
  kCommaList,   // one comma-separated word: an array (or "a,b") in the file (--allowed-hosts)
};

struct FlagInfo {
  std::string name;  // the long name as declared, without dashes: "port", "websocket_timeout"
  FlagKind kind = FlagKind::kValue;
  bool given = false;  // on the command line: neither the environment nor the file applies
};

// The flags of one command (serve, routes, ...), for the keys of its [section].
struct CommandFlags {
  std::string command;
  std::vector<FlagInfo> flags;
};

// One value of the file, kept in a neutral form once the TOML is read.
struct ConfigSetting {
  enum class Type { kString, kInteger, kFloat, kBoolean, kArray, kOther };
  std::string key;      // as written in the file ("ping_interval")
  std::string section;  // "" for a top-level key, else the command of its [section]
  int line = 0;
  Type type = Type::kString;
  std::vector<std::string> items;  // one text for scalars; the elements of an array
  bool boolean = false;
  std::string type_name;  // for errors: "a string", "an array", "a table", ...
};

struct ConfigFile {
  std::string path;
  // By section ("" = top level), then by normalised key (dashes: "ping-interval").
  std::map<std::string, std::map<std::string, ConfigSetting>> sections;
};

// "ping_interval", "Ping-Interval" → "ping-interval": how keys and flag names are compared.
std::string normalise_key(const std::string& name);

// "websocket_timeout" → "LAUREL_WEBSOCKET_TIMEOUT".
std::string env_name(const std::string& flag_name);

// The environment variable naming the config file when --config is absent.
inline constexpr const char* kConfigEnv = "LAUREL_CONFIG";

// Reads and checks `path`: TOML syntax, sections named after commands, every key a flag of its
// command (a top-level key: of some command), no key twice, no nested tables. Throws ConfigError.
ConfigFile load_config_file(const std::string& path, const std::vector<CommandFlags>& commands);

// Looks up an environment variable; empty optional when unset. Tests pass a map.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// Words to add to the command line of `command` for the flags it did not get there, each from
// the environment or else the file (its [command] section over its top level).
struct ConfigWords {
  std::string flag;                // "--port"
  std::vector<std::string> words;  // "--port=9000"; several for a repeatable flag; none for false
  std::string origin;              // "laurel.toml: key 'port'" or "environment variable LAUREL_PORT"
};
std::vector<ConfigWords> resolve_config(const ConfigFile* file, const CommandFlags& command,
                                        const EnvLookup& env);

}  // namespace laurel::cli
