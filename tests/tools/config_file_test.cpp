// tests/tools/config_file_test.cpp
// The config file (TOML) and LAUREL_* environment variables: precedence flag > environment >
// file > default for every kind of flag, and wrong keys or values → exit 2 with one line naming
// the key and file (or the variable).

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "tools/cli/command_line.h"
#include "tools/cli/config_file.h"

namespace laurel::cli {
namespace {

using std::chrono::milliseconds;
using Action = ParseResult::Action;
using Env = std::map<std::string, std::string>;

EnvLookup lookup(Env env) {
  return [env = std::move(env)](const std::string& name) -> std::optional<std::string> {
    auto it = env.find(name);
    if (it == env.end()) return std::nullopt;
    return it->second;
  };
}

// A TOML file in the test's temporary directory; each test names its own.
std::string write_file(const std::string& name, const std::string& text) {
  std::string path = ::testing::TempDir() + "laurel-config-" + name + ".toml";
  std::ofstream out(path, std::ios::trunc);
  out << text;
  return path;
}

ParseResult parse(std::vector<std::string> args, Env env = {}) {
  return parse_command_line(args, "laurel", "", lookup(std::move(env)));
}

CliOptions serve(std::vector<std::string> args, Env env = {}) {
  ParseResult r = parse(std::move(args), std::move(env));
  EXPECT_EQ(r.action, Action::kServe) << r.output;
  return r.options;
}

std::string refused(std::vector<std::string> args, Env env = {}) {
  ParseResult r = parse(std::move(args), std::move(env));
  EXPECT_EQ(r.action, Action::kExit) << r.output;
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_EQ(r.output.find('\n'), std::string::npos) << "error must be one line: " << r.output;
  return r.output;
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

int port_of(const CliOptions& o) { return o.server.endpoints.at(0).port; }

TEST(ConfigPrecedence, IntegerFlagFileThenEnvThenCommandLine) {
  std::string file = write_file("port", "port = 9001\n");
  EXPECT_EQ(port_of(serve({})), 8000);
  EXPECT_EQ(port_of(serve({"--config", file})), 9001);
  EXPECT_EQ(port_of(serve({"--config", file}, {{"LAUREL_PORT", "9002"}})), 9002);
  EXPECT_EQ(port_of(serve({"--config", file, "-p", "9003"}, {{"LAUREL_PORT", "9002"}})), 9003);
  EXPECT_EQ(port_of(serve({"--port", "9003"}, {{"LAUREL_PORT", "9002"}})), 9003);
}

TEST(ConfigPrecedence, DurationsInSecondsWithFractions) {
  std::string file = write_file("durations",
                                "ping_interval = 2.5\n"
                                "ping-timeout = 7\n"
                                "websocket_timeout = -1\n");
  CliOptions from_file = serve({"--config", file});
  EXPECT_EQ(from_file.server.ping_interval, milliseconds(2'500));
  EXPECT_EQ(from_file.server.ping_timeout, milliseconds(7'000));
  EXPECT_EQ(from_file.server.websocket_timeout, milliseconds(0));  // -1: no limit
  CliOptions from_env = serve({"--config", file}, {{"LAUREL_PING_INTERVAL", "4"}});
  EXPECT_EQ(from_env.server.ping_interval, milliseconds(4'000));
  EXPECT_EQ(from_env.server.ping_timeout, milliseconds(7'000));  // the file still sets the rest
  CliOptions from_flag =
      serve({"--config", file, "--ping-interval", "1"}, {{"LAUREL_PING_INTERVAL", "4"}});
  EXPECT_EQ(from_flag.server.ping_interval, milliseconds(1'000));
  EXPECT_EQ(serve({}).server.ping_interval, milliseconds(20'000));
}

TEST(ConfigPrecedence, CommaListsTakeArraysInTheFile) {
  std::string file = write_file("hosts", "allowed_hosts = [\"a.example\", \"b.example\"]\n"
                                         "trusted-proxies = [\"10.0.0.1\"]\n");
  CliOptions f = serve({"--config", file});
  EXPECT_EQ(f.allowed_hosts, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(f.server.trusted_proxies, (std::vector<std::string>{"10.0.0.1"}));
  CliOptions e = serve({"--config", file}, {{"LAUREL_ALLOWED_HOSTS", "c.example,d.example"}});
  EXPECT_EQ(e.allowed_hosts, (std::vector<std::string>{"c.example", "d.example"}));
  CliOptions c = serve({"--config", file, "--allowed-hosts", "e.example"},
                       {{"LAUREL_ALLOWED_HOSTS", "c.example"}});
  EXPECT_EQ(c.allowed_hosts, (std::vector<std::string>{"e.example"}));
  EXPECT_TRUE(serve({}).allowed_hosts.empty());
}

TEST(ConfigPrecedence, RepeatableFlagsTakeArraysAndCommaSeparatedEnv) {
  std::string file = write_file("redis", "redis = [\"redis://127.0.0.1:6379/0\", "
                                         "\"redis://127.0.0.1:6380/0\"]\n");
  EXPECT_EQ(serve({"--config", file}).redis_urls,
            (std::vector<std::string>{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6380/0"}));
  EXPECT_EQ(serve({"--config", file}, {{"LAUREL_REDIS", "redis://10.0.0.5:6379/1"}}).redis_urls,
            (std::vector<std::string>{"redis://10.0.0.5:6379/1"}));
  EXPECT_EQ(serve({}, {{"LAUREL_REDIS", "redis://a:1/0, redis://b:2/0"}}).redis_urls,
            (std::vector<std::string>{"redis://a:1/0", "redis://b:2/0"}));
  EXPECT_EQ(serve({"--config", file, "--redis", "redis://c:3/0"}).redis_urls,
            (std::vector<std::string>{"redis://c:3/0"}));
  // One string is one URL.
  std::string one = write_file("redis-one", "redis = \"redis://127.0.0.1:6379/2\"\n");
  EXPECT_EQ(serve({"--config", one}).redis_urls,
            (std::vector<std::string>{"redis://127.0.0.1:6379/2"}));
}

TEST(ConfigPrecedence, SwitchesTakeBooleansAndTheEnvironmentCanTurnThemOff) {
  std::string on = write_file("switch-on", "proxy_headers = true\nno-server-name = true\n");
  CliOptions f = serve({"--config", on});
  EXPECT_TRUE(f.server.proxy_headers);
  EXPECT_EQ(f.server.server_name, "");
  CliOptions off = serve({"--config", on}, {{"LAUREL_PROXY_HEADERS", "0"},
                                            {"LAUREL_NO_SERVER_NAME", "false"}});
  EXPECT_FALSE(off.server.proxy_headers);
  EXPECT_EQ(off.server.server_name, "laurel");
  EXPECT_TRUE(serve({}, {{"LAUREL_PROXY_HEADERS", "yes"}}).server.proxy_headers);
  std::string no = write_file("switch-off", "proxy_headers = false\n");
  EXPECT_FALSE(serve({"--config", no}).server.proxy_headers);
  EXPECT_TRUE(serve({"--config", no, "--proxy-headers"}).server.proxy_headers);
}

TEST(ConfigPrecedence, SizesAndStringsAndAccessLog) {
  std::string file = write_file("sizes",
                                "max_message_size = \"64K\"\n"
                                "max-body-size = 1048576\n"
                                "server_name = \"edge # not a comment\"  # a comment\n"
                                "access_log = \"/tmp/laurel-access.log\"\n"
                                "verbosity = 0\n");
  CliOptions o = serve({"--config", file});
  EXPECT_EQ(o.server.max_message_size, 64u * 1024);
  EXPECT_EQ(o.server.max_body_size, 1u << 20);
  EXPECT_EQ(o.server.server_name, "edge # not a comment");
  EXPECT_TRUE(o.server.access_log);
  EXPECT_EQ(o.server.access_log_path, "/tmp/laurel-access.log");
  EXPECT_EQ(o.server.verbosity, 0);
  EXPECT_EQ(serve({"--config", file}, {{"LAUREL_ACCESS_LOG", "none"}}).server.access_log, false);
}

TEST(ConfigPrecedence, ServeSectionOverridesTheTopLevel) {
  std::string file = write_file("section",
                                "# shared by every command\n"
                                "database = \"top.sqlite3\"\n"
                                "port = 9100\n"
                                "\n"
                                "[serve]\n"
                                "port = 9200\n"
                                "allowed_hosts = [\n"
                                "  \"a.example\",  # the site\n"
                                "  \"b.example\",\n"
                                "]\n");
  CliOptions o = serve({"--config", file});
  EXPECT_EQ(port_of(o), 9200);
  EXPECT_EQ(o.database, "top.sqlite3");
  EXPECT_EQ(o.allowed_hosts, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(o.config_file, file);
}

TEST(ConfigPrecedence, BindingFromTheFileFollowsDaphneRules) {
  std::string unix_only = write_file("bind-unix", "unix_socket = \"/tmp/laurel-cfg.sock\"\n");
  CliOptions u = serve({"--config", unix_only});
  ASSERT_EQ(u.server.endpoints.size(), 1u);
  EXPECT_EQ(u.server.endpoints[0].kind, server::Endpoint::Kind::kUnix);
  std::string bind = write_file("bind-host", "bind = \"0.0.0.0\"\n");
  CliOptions b = serve({"--config", bind});
  ASSERT_EQ(b.server.endpoints.size(), 1u);
  EXPECT_EQ(b.server.endpoints[0].host, "0.0.0.0");
  EXPECT_EQ(b.server.endpoints[0].port, 8000);
}

TEST(ConfigPrecedence, ConfigFileCanComeFromTheEnvironment) {
  std::string file = write_file("from-env", "workers = 3\n");
  EXPECT_EQ(serve({}, {{"LAUREL_CONFIG", file}}).server.workers, 3);
  EXPECT_EQ(serve({}, {{"LAUREL_CONFIG", file}}).config_file, file);
  // --config wins over LAUREL_CONFIG.
  std::string other = write_file("from-flag", "workers = 4\n");
  EXPECT_EQ(serve({"--config", other}, {{"LAUREL_CONFIG", file}}).server.workers, 4);
}

TEST(ConfigPrecedence, EmptyVariableCountsAsUnset) {
  std::string file = write_file("empty-env", "port = 9001\n");
  EXPECT_EQ(port_of(serve({"--config", file}, {{"LAUREL_PORT", ""}})), 9001);
}

TEST(ConfigPrecedence, AppliesToOtherCommandsApplicationFlags) {
  std::string file = write_file("routes", "database = \"from-file.sqlite3\"\nport = 9001\n");
  ParseResult r = parse({"routes", "--config", file});
  ASSERT_EQ(r.action, Action::kCommand) << r.output;
  EXPECT_EQ(r.options.database, "from-file.sqlite3");
  ParseResult e = parse({"routes", "--config", file}, {{"LAUREL_DATABASE", "env.sqlite3"}});
  ASSERT_EQ(e.action, Action::kCommand) << e.output;
  EXPECT_EQ(e.options.database, "env.sqlite3");
  ParseResult f = parse({"routes", "--database", "flag.sqlite3"}, {{"LAUREL_DATABASE", "env"}});
  EXPECT_EQ(f.options.database, "flag.sqlite3");
}

TEST(ConfigErrors, OtherCommandsCheckServeSettingsToo) {
  // `routes --config FILE` is how a deployment checks a file before restarting the server.
  std::string file = write_file("routes-check", "database = \"x.sqlite3\"\n[serve]\nworkers = 0\n");
  std::string err = refused({"routes", "--config", file});
  EXPECT_TRUE(contains(err, file + ":3")) << err;
  EXPECT_TRUE(contains(err, "workers")) << err;
}

TEST(ConfigErrors, UnknownKeyNamesTheKeyAndFile) {
  std::string file = write_file("typo", "port = 9000\nping_intreval = 5\n");
  std::string err = refused({"--config", file});
  EXPECT_TRUE(contains(err, "ping_intreval")) << err;
  EXPECT_TRUE(contains(err, file + ":2")) << err;
}

TEST(ConfigErrors, UnknownKeyInServeSectionAndUnknownSection) {
  std::string key = write_file("typo-section", "[serve]\nprot = 9000\n");
  std::string err = refused({"--config", key});
  EXPECT_TRUE(contains(err, "'prot'")) << err;
  EXPECT_TRUE(contains(err, "[serve]")) << err;
  std::string section = write_file("bad-section", "[server]\nport = 9000\n");
  err = refused({"--config", section});
  EXPECT_TRUE(contains(err, "[server]")) << err;
  EXPECT_TRUE(contains(err, section)) << err;
}

TEST(ConfigErrors, SecretKeyItselfIsNotAcceptedInTheFile) {
  std::string file = write_file("secret", "secret_key = \"hunter2hunter2\"\n");
  std::string err = refused({"--config", file});
  EXPECT_TRUE(contains(err, "secret_key")) << err;
  EXPECT_TRUE(contains(err, "secret-key-file")) << err;
  EXPECT_FALSE(contains(err, "hunter2")) << err;  // the value is never echoed
  std::string ok = write_file("secret-file", "secret_key_file = \"/etc/laurel/secret\"\n");
  EXPECT_EQ(serve({"--config", ok}).secret_key_file, "/etc/laurel/secret");
  EXPECT_EQ(serve({}, {{"LAUREL_SECRET_KEY_FILE", "/run/s"}}).secret_key_file, "/run/s");
}

TEST(ConfigErrors, BadValueInFileNamesKeyAndFile) {
  std::string range = write_file("bad-port", "\n\nport = 70000\n");
  std::string err = refused({"--config", range});
  EXPECT_TRUE(contains(err, range + ":3")) << err;
  EXPECT_TRUE(contains(err, "'port'")) << err;

  std::string word = write_file("bad-duration", "[serve]\nping_interval = \"soon\"\n");
  err = refused({"--config", word});
  EXPECT_TRUE(contains(err, word)) << err;
  EXPECT_TRUE(contains(err, "ping_interval")) << err;

  // A check made after parsing (not CLI11's) still says where the value came from.
  std::string zero = write_file("zero-size", "max_message_size = 0\n");
  err = refused({"--config", zero});
  EXPECT_TRUE(contains(err, zero)) << err;
  EXPECT_TRUE(contains(err, "max_message_size")) << err;
}

TEST(ConfigErrors, WrongTomlTypesAreRefused) {
  std::string text = write_file("switch-type", "proxy_headers = \"yes\"\n");
  std::string err = refused({"--config", text});
  EXPECT_TRUE(contains(err, "proxy_headers")) << err;
  EXPECT_TRUE(contains(err, "true or false")) << err;
  std::string array = write_file("port-array", "port = [1, 2]\n");
  err = refused({"--config", array});
  EXPECT_TRUE(contains(err, "'port'")) << err;
  EXPECT_TRUE(contains(err, "array")) << err;
  std::string nested = write_file("nested", "[serve.limits]\nworkers = 2\n");
  EXPECT_TRUE(contains(refused({"--config", nested}), "limits"));
}

TEST(ConfigErrors, KeyTwiceUnderTwoSpellingsIsRefused) {
  std::string file = write_file("twice", "ping_interval = 1\nping-interval = 2\n");
  std::string err = refused({"--config", file});
  EXPECT_TRUE(contains(err, "twice")) << err;
  EXPECT_TRUE(contains(err, "ping-interval")) << err;
}

TEST(ConfigErrors, ConfigKeyInsideTheFileIsRefused) {
  std::string file = write_file("nested-config", "config = \"other.toml\"\n");
  EXPECT_TRUE(contains(refused({"--config", file}), "config"));
}

TEST(ConfigErrors, BadEnvironmentValueNamesTheVariable) {
  std::string err = refused({}, {{"LAUREL_PORT", "eighty"}});
  EXPECT_TRUE(contains(err, "LAUREL_PORT")) << err;
  err = refused({}, {{"LAUREL_WORKERS", "0"}});
  EXPECT_TRUE(contains(err, "LAUREL_WORKERS")) << err;
  err = refused({}, {{"LAUREL_PROXY_HEADERS", "maybe"}});
  EXPECT_TRUE(contains(err, "LAUREL_PROXY_HEADERS")) << err;
  err = refused({}, {{"LAUREL_MAX_OUTBOUND_BYTES", "0"}});
  EXPECT_TRUE(contains(err, "LAUREL_MAX_OUTBOUND_BYTES")) << err;
  // ... but not when the command line overrides it.
  EXPECT_EQ(port_of(serve({"-p", "9000"}, {{"LAUREL_PORT", "eighty"}})), 9000);
}

TEST(ConfigErrors, MissingFileIsRefusedNamingIt) {
  std::string path = ::testing::TempDir() + "laurel-config-does-not-exist.toml";
  std::string err = refused({"--config", path});
  EXPECT_TRUE(contains(err, path)) << err;
  err = refused({}, {{"LAUREL_CONFIG", path}});
  EXPECT_TRUE(contains(err, path)) << err;
  err = refused({"routes", "--config", path});
  EXPECT_TRUE(contains(err, path)) << err;
}

TEST(ConfigErrors, TomlSyntaxErrorsGiveTheLine) {
  std::string file = write_file("syntax", "port = 9000\nbind = \"127.0.0.1\n");
  std::string err = refused({"--config", file});
  EXPECT_TRUE(contains(err, file + ":2")) << err;
}

TEST(ConfigErrors, HelpNeedsNoConfigFile) {
  ParseResult r = parse({"serve", "--help", "--config", "/nonexistent/laurel.toml"});
  EXPECT_EQ(r.action, Action::kExit);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_TRUE(contains(r.output, "LAUREL_SOME_FLAG"));
}

TEST(ConfigFileUnit, KeyAndVariableNames) {
  EXPECT_EQ(normalise_key("websocket_timeout"), "websocket-timeout");
  EXPECT_EQ(normalise_key("ping-interval"), "ping-interval");
  EXPECT_EQ(env_name("secret-key-file"), "LAUREL_SECRET_KEY_FILE");
  EXPECT_EQ(env_name("websocket_connect_timeout"), "LAUREL_WEBSOCKET_CONNECT_TIMEOUT");
}

// docs/configuration.md: its example laurel.toml is accepted as written, and it documents
// every flag `serve --help` lists, with the flag's environment variable.
std::string read_doc() {
  std::ifstream in(std::string(LAUREL_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

TEST(ConfigurationDoc, ExampleFileIsAccepted) {
  std::string doc = read_doc();
  auto begin = doc.find("```toml\n");
  ASSERT_NE(begin, std::string::npos) << "docs/configuration.md has no ```toml example";
  begin += 8;
  auto end = doc.find("```", begin);
  ASSERT_NE(end, std::string::npos);
  std::string file = write_file("doc-example", doc.substr(begin, end - begin));
  CliOptions o = serve({"--config", file});
  EXPECT_FALSE(o.server.endpoints.empty());
  ParseResult routes = parse({"routes", "--config", file});
  EXPECT_EQ(routes.action, Action::kCommand) << routes.output;
}

TEST(ConfigurationDoc, DocumentsEveryServeFlagAndItsVariable) {
  std::string doc = read_doc();
  ASSERT_FALSE(doc.empty());
  ParseResult help = parse({"serve", "--help"});
  std::set<std::string> flags;
  std::regex flag_re("--[a-z][a-z_-]+");
  for (auto it = std::sregex_iterator(help.output.begin(), help.output.end(), flag_re);
       it != std::sregex_iterator(); ++it) {
    flags.insert(it->str());
  }
  ASSERT_GT(flags.size(), 30u);
  for (const auto& flag : flags) {
    if (flag == "--help" || flag == "--some-flag") continue;
    EXPECT_TRUE(contains(doc, "`" + flag + "`")) << flag << " is not in docs/configuration.md";
    if (flag == "--config") continue;
    EXPECT_TRUE(contains(doc, env_name(flag.substr(2))))
        << env_name(flag.substr(2)) << " is not in docs/configuration.md";
  }
}

}  // namespace
}  // namespace laurel::cli
