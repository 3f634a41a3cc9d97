// tests/tools/cli_test.cpp
// The command line: Daphne's flags and laurel's own → ServerConfig, and wrong input → exit 2 with
// one line naming the flag.

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "tools/cli/command_line.h"
#include "tools/cli/endpoint_string.h"
#include "tools/cli/routes_table.h"

namespace laurel::cli {
namespace {

using std::chrono::milliseconds;
using Kind = server::Endpoint::Kind;
using Action = ParseResult::Action;

ParseResult parse(std::vector<std::string> args) { return parse_command_line(args, "laurel"); }

// Parses a command line that must be accepted and returns what it configures.
CliOptions serve(std::vector<std::string> args) {
  ParseResult r = parse(std::move(args));
  EXPECT_EQ(r.action, Action::kServe) << r.output;
  return r.options;
}

// Parses a command line that must be refused; returns the error line.
std::string refused(std::vector<std::string> args) {
  ParseResult r = parse(std::move(args));
  EXPECT_EQ(r.action, Action::kExit);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_EQ(r.output.find('\n'), std::string::npos) << "error must be one line: " << r.output;
  return r.output;
}

TEST(CommandLine, NoArgumentsServesOnLoopbackPort8000LikeDaphne) {
  CliOptions o = serve({});
  EXPECT_EQ(o.command, "serve");
  ASSERT_EQ(o.server.endpoints.size(), 1u);
  EXPECT_EQ(o.server.endpoints[0].kind, Kind::kTcp);
  EXPECT_EQ(o.server.endpoints[0].host, "127.0.0.1");
  EXPECT_EQ(o.server.endpoints[0].port, 8000);
  EXPECT_EQ(o.server.workers, 1);
  EXPECT_EQ(o.server.ping_interval, milliseconds(20'000));
  EXPECT_EQ(o.server.ping_timeout, milliseconds(30'000));
  EXPECT_EQ(o.server.websocket_timeout, milliseconds(86'400'000));
  EXPECT_EQ(o.server.websocket_connect_timeout, milliseconds(5'000));
  EXPECT_EQ(o.server.application_close_timeout, milliseconds(10'000));
  EXPECT_EQ(o.server.http_timeout, milliseconds(0));
  EXPECT_EQ(o.server.server_name, "laurel");
  EXPECT_TRUE(o.server.access_log);
  EXPECT_EQ(o.server.access_log_path, "-");
}

TEST(CommandLine, ServeSubcommandAndBareFlagsMeanTheSame) {
  CliOptions a = serve({"serve", "-p", "9000"});
  CliOptions b = serve({"-p", "9000"});
  ASSERT_EQ(a.server.endpoints.size(), 1u);
  ASSERT_EQ(b.server.endpoints.size(), 1u);
  EXPECT_EQ(a.server.endpoints[0].port, 9000);
  EXPECT_EQ(b.server.endpoints[0].port, 9000);
  EXPECT_EQ(b.server.endpoints[0].host, "127.0.0.1");
}

TEST(CommandLine, BindAloneKeepsPort8000AndStripsIpv6Brackets) {
  CliOptions o = serve({"-b", "[::1]"});
  ASSERT_EQ(o.server.endpoints.size(), 1u);
  EXPECT_EQ(o.server.endpoints[0].host, "::1");
  EXPECT_EQ(o.server.endpoints[0].port, 8000);
}

TEST(CommandLine, UnixSocketAloneReplacesTheDefaultTcpListener) {
  CliOptions o = serve({"-u", "/tmp/laurel.sock"});
  ASSERT_EQ(o.server.endpoints.size(), 1u);
  EXPECT_EQ(o.server.endpoints[0].kind, Kind::kUnix);
  EXPECT_EQ(o.server.endpoints[0].path, "/tmp/laurel.sock");
}

TEST(CommandLine, PortAndUnixSocketAndFdGiveThreeListeners) {
  CliOptions o = serve({"--port", "8001", "--unix-socket", "/tmp/s", "--fd", "5"});
  ASSERT_EQ(o.server.endpoints.size(), 3u);
  EXPECT_EQ(o.server.endpoints[0].kind, Kind::kTcp);
  EXPECT_EQ(o.server.endpoints[0].port, 8001);
  EXPECT_EQ(o.server.endpoints[1].kind, Kind::kUnix);
  EXPECT_EQ(o.server.endpoints[2].kind, Kind::kFd);
  EXPECT_EQ(o.server.endpoints[2].fd, 5);
}

TEST(CommandLine, EachEndpointFlagTakesOneValue) {
  EXPECT_NE(refused({"-e", "tcp:8100", "stray"}).find("stray"), std::string::npos);
}

TEST(CommandLine, EndpointStringsAreRepeatable) {
  CliOptions o = serve({"-e", "tcp:port=8100:interface=127.0.0.2", "-e", "unix:/tmp/x.sock"});
  ASSERT_EQ(o.server.endpoints.size(), 2u);
  EXPECT_EQ(o.server.endpoints[0].host, "127.0.0.2");
  EXPECT_EQ(o.server.endpoints[0].port, 8100);
  EXPECT_EQ(o.server.endpoints[1].path, "/tmp/x.sock");
}

TEST(CommandLine, DaphneTimeoutsAreSecondsAndMinusOneMeansNoLimit) {
  CliOptions o = serve({"-t", "12", "--ping-interval", "5", "--ping-timeout", "7",
                        "--application-close-timeout", "3", "--websocket_timeout", "-1",
                        "--websocket_connect_timeout", "2"});
  EXPECT_EQ(o.server.http_timeout, milliseconds(12'000));
  EXPECT_EQ(o.server.ping_interval, milliseconds(5'000));
  EXPECT_EQ(o.server.ping_timeout, milliseconds(7'000));
  EXPECT_EQ(o.server.application_close_timeout, milliseconds(3'000));
  EXPECT_EQ(o.server.websocket_timeout, milliseconds(0));
  EXPECT_EQ(o.server.websocket_connect_timeout, milliseconds(2'000));
}

TEST(CommandLine, LaurelLimitsTakeSizesWithSuffixes) {
  CliOptions o = serve({"--workers", "2", "--max-message-size", "64K", "--max-body-size", "1MiB",
                        "--max-header-size", "8192", "--max-outbound-bytes", "2M",
                        "--shutdown-timeout", "1.5", "--header-timeout", "2"});
  EXPECT_EQ(o.server.workers, 2);
  EXPECT_EQ(o.server.max_message_size, 64u * 1024);
  EXPECT_EQ(o.server.max_body_size, 1u << 20);
  EXPECT_EQ(o.server.max_header_bytes, 8192u);
  EXPECT_EQ(o.server.max_outbound_bytes, 2u << 20);
  EXPECT_EQ(o.server.shutdown_timeout, milliseconds(1'500));
  EXPECT_EQ(o.server.header_timeout, milliseconds(2'000));
}

TEST(CommandLine, ServerNameCanBeChangedOrRemoved) {
  EXPECT_EQ(serve({"-s", "edge"}).server.server_name, "edge");
  EXPECT_EQ(serve({"--no-server-name"}).server.server_name, "");
}

TEST(CommandLine, AccessLogFollowsDaphneRules) {
  CliOptions quiet = serve({"-v", "0"});
  EXPECT_FALSE(quiet.server.access_log);
  CliOptions file = serve({"-v", "0", "--access-log", "/tmp/access.log"});
  EXPECT_TRUE(file.server.access_log);
  EXPECT_EQ(file.server.access_log_path, "/tmp/access.log");
  EXPECT_EQ(file.server.verbosity, 0);
}

TEST(CommandLine, ProxyHeadersAndTrustedProxies) {
  CliOptions o = serve({"--proxy-headers", "--proxy-headers-host", "X-Real-IP",
                        "--trusted-proxies", "10.0.0.1,10.0.0.2", "--root-path", "/chat"});
  EXPECT_TRUE(o.server.proxy_headers);
  EXPECT_EQ(o.server.proxy_headers_host, "X-Real-IP");
  EXPECT_EQ(o.server.proxy_headers_port, "X-Forwarded-Port");
  EXPECT_EQ(o.server.trusted_proxies, (std::vector<std::string>{"10.0.0.1", "10.0.0.2"}));
  EXPECT_EQ(o.server.root_path, "/chat");
}

TEST(CommandLine, RedisRepeatsForShardsAndRejectsBadUrls) {
  CliOptions o = serve({"--redis", "redis://127.0.0.1:6379/0", "--redis", "unix:///run/r.sock?db=2",
                        "-p", "9000"});
  EXPECT_EQ(o.redis_urls, (std::vector<std::string>{"redis://127.0.0.1:6379/0",
                                                    "unix:///run/r.sock?db=2"}));
  EXPECT_EQ(o.server.endpoints.at(0).port, 9000);
  ParseResult bad = parse_command_line({"--redis", "http://127.0.0.1:6379"});
  EXPECT_EQ(bad.action, ParseResult::Action::kExit);
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.output.find("--redis"), std::string::npos) << bad.output;
}

TEST(CommandLine, ApplicationFlagsReachCliOptions) {
  // --config is read (tests/tools/config_file_test.cpp): it has to name a real file.
  const std::string config = ::testing::TempDir() + "laurel-cli-test.toml";
  std::ofstream(config, std::ios::trunc) << "# nothing set here\n";
  CliOptions o = serve({"--redis", "redis://127.0.0.1:6379/0", "--database", "db.sqlite3",
                        "--secret-key-file", "key.txt", "--allowed-hosts", "a.example,b.example",
                        "--metrics", "127.0.0.1:9100", "--config", config, "--log-fmt", "%(message)s"});
  EXPECT_EQ(o.redis_urls, (std::vector<std::string>{"redis://127.0.0.1:6379/0"}));
  EXPECT_EQ(o.database, "db.sqlite3");
  EXPECT_EQ(o.secret_key_file, "key.txt");
  EXPECT_EQ(o.allowed_hosts, (std::vector<std::string>{"a.example", "b.example"}));
  EXPECT_EQ(o.metrics, "127.0.0.1:9100");
  EXPECT_EQ(o.config_file, config);
  EXPECT_EQ(o.log_fmt, "%(message)s");
}

TEST(CommandLine, RoutesIsASubcommandThatTakesApplicationFlags) {
  ParseResult r = parse({"routes", "--database", "x.sqlite3"});
  EXPECT_EQ(r.action, Action::kCommand);
  EXPECT_EQ(r.options.command, "routes");
  ASSERT_NE(r.command, nullptr);
  EXPECT_EQ(r.command->name(), "routes");
  EXPECT_EQ(r.options.database, "x.sqlite3");
}

TEST(CommandLine, ServeHelpDocumentsEveryFlag) {
  ParseResult r = parse({"serve", "--help"});
  EXPECT_EQ(r.action, Action::kExit);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* flag :
       {"--bind", "--port", "--unix-socket", "--fd", "--endpoint", "--verbosity",
        "--http-timeout", "--access-log", "--log-fmt", "--ping-interval", "--ping-timeout",
        "--application-close-timeout", "--root-path", "--proxy-headers", "--proxy-headers-host",
        "--proxy-headers-port", "--server-name", "--no-server-name", "--websocket_timeout",
        "--websocket_connect_timeout", "--workers", "--max-message-size", "--max-body-size",
        "--shutdown-timeout", "--trusted-proxies", "--redis", "--database", "--secret-key-file",
        "--allowed-hosts", "--metrics", "--config"}) {
    EXPECT_NE(r.output.find(flag), std::string::npos) << flag << " missing from serve --help";
  }
}

TEST(CommandLine, UnknownFlagIsRefusedNamingIt) {
  EXPECT_NE(refused({"--bogus"}).find("--bogus"), std::string::npos);
}

TEST(CommandLine, NonNumericPortIsRefusedNamingTheFlag) {
  EXPECT_NE(refused({"-p", "eighty"}).find("port"), std::string::npos);
}

TEST(CommandLine, OutOfRangeValuesAreRefused) {
  EXPECT_NE(refused({"-p", "70000"}).find("port"), std::string::npos);
  EXPECT_NE(refused({"--workers", "0"}).find("workers"), std::string::npos);
  EXPECT_NE(refused({"-v", "4"}).find("verbosity"), std::string::npos);
}

TEST(CommandLine, BadSizesAndDurationsAreRefusedNamingTheFlag) {
  EXPECT_NE(refused({"--max-body-size", "lots"}).find("--max-body-size"), std::string::npos);
  EXPECT_NE(refused({"--max-message-size", "0"}).find("--max-message-size"), std::string::npos);
  EXPECT_NE(refused({"--shutdown-timeout", "-3"}).find("--shutdown-timeout"), std::string::npos);
  EXPECT_NE(refused({"--ping-interval", "soon"}).find("--ping-interval"), std::string::npos);
}

TEST(CommandLine, ProxyHeaderNamesNeedProxyHeaders) {
  EXPECT_NE(refused({"--proxy-headers-host", "X-Real-IP"}).find("--proxy-headers-host"),
            std::string::npos);
  EXPECT_NE(refused({"--proxy-headers-port", "X-Port"}).find("--proxy-headers-port"),
            std::string::npos);
}

TEST(CommandLine, BadEndpointStringIsRefusedNamingTheFlag) {
  std::string err = refused({"-e", "carrier-pigeon:8000"});
  EXPECT_NE(err.find("--endpoint"), std::string::npos);
  EXPECT_NE(err.find("carrier-pigeon"), std::string::npos);
}

TEST(CommandLine, MissingValueIsRefused) {
  EXPECT_NE(refused({"--port"}).find("port"), std::string::npos);
}

TEST(CommandLine, UnknownSubcommandIsRefused) {
  EXPECT_NE(refused({"frobnicate"}).find("frobnicate"), std::string::npos);
}

TEST(EndpointString, TcpWithKeywords) {
  server::Endpoint e = parse_endpoint("tcp:port=8000:interface=127.0.0.1");
  EXPECT_EQ(e.kind, Kind::kTcp);
  EXPECT_EQ(e.port, 8000);
  EXPECT_EQ(e.host, "127.0.0.1");
  EXPECT_TRUE(e.tls_cert_file.empty());
}

TEST(EndpointString, TcpPositionalListensOnEveryInterfaceAsTwistedDoes) {
  server::Endpoint e = parse_endpoint("tcp:8123");
  EXPECT_EQ(e.port, 8123);
  EXPECT_EQ(e.host, "0.0.0.0");
}

TEST(EndpointString, EscapedColonsMakeAnIpv6Interface) {
  server::Endpoint e = parse_endpoint(R"(tcp:port=8000:interface=\:\:1)");
  EXPECT_EQ(e.host, "::1");
}

TEST(EndpointString, SslTakesKeyAndCertificate) {
  server::Endpoint e = parse_endpoint("ssl:8443:privateKey=key.pem:certKey=cert.pem");
  EXPECT_EQ(e.kind, Kind::kTcp);
  EXPECT_EQ(e.port, 8443);
  EXPECT_EQ(e.tls_key_file, "key.pem");
  EXPECT_EQ(e.tls_cert_file, "cert.pem");
  EXPECT_EQ(endpoint_url(e), "https://0.0.0.0:8443/");
}

TEST(EndpointString, SslWithoutKeyIsRefused) {
  EXPECT_THROW(parse_endpoint("ssl:8443"), std::invalid_argument);
}

TEST(EndpointString, UnixAndFdForms) {
  EXPECT_EQ(parse_endpoint("unix:/run/l.sock").path, "/run/l.sock");
  EXPECT_EQ(parse_endpoint("unix:address=/run/m.sock").path, "/run/m.sock");
  EXPECT_EQ(parse_endpoint("fd:fileno=3").fd, 3);
  EXPECT_EQ(parse_endpoint("fd:4").kind, Kind::kFd);
}

TEST(EndpointString, GarbageIsRefused) {
  EXPECT_THROW(parse_endpoint("tcp:port=http"), std::invalid_argument);
  EXPECT_THROW(parse_endpoint("tcp:port=8000:colour=blue"), std::invalid_argument);
  EXPECT_THROW(parse_endpoint("unix:"), std::invalid_argument);
  EXPECT_THROW(parse_endpoint(""), std::invalid_argument);
}

TEST(EndpointString, UrlsBracketIpv6) {
  server::Endpoint e;
  e.host = "::1";
  e.port = 9000;
  EXPECT_EQ(endpoint_url(e), "http://[::1]:9000/");
}

TEST(RoutesTable, AlignsColumnsAndJoinsMiddleware) {
  std::vector<asgi::RouteDescription> rows = {
      {"websocket", "ws/chat/(?P<room_name>\\w+)/$", "chat", "ChatConsumer",
       {"OriginValidator", "AuthMiddleware"}},
      {"http", "/", "", "IndexView", {}},
  };
  std::string table = format_routes(rows);
  EXPECT_NE(table.find("PROTOCOL"), std::string::npos);
  EXPECT_NE(table.find("OriginValidator > AuthMiddleware"), std::string::npos);
  EXPECT_NE(table.find("ChatConsumer"), std::string::npos);
  // Three lines: the header and one per route, each TARGET starting in the same column.
  auto header_end = table.find('\n');
  auto line2_end = table.find('\n', header_end + 1);
  std::string header = table.substr(0, header_end);
  std::string line2 = table.substr(header_end + 1, line2_end - header_end - 1);
  std::string line3 = table.substr(line2_end + 1);
  EXPECT_EQ(header.find("TARGET"), line2.find("ChatConsumer"));
  EXPECT_EQ(header.find("TARGET"), line3.find("IndexView"));
}

}  // namespace
}  // namespace laurel::cli
