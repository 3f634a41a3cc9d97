// tests/server/server_loop_test.cpp
// The server as a whole on a real loop (server_loop_support.h): graceful shutdown, garbage from
// one client, the access log, several workers, UNIX sockets and a bind failure.

#include <sys/socket.h>
#include <sys/un.h>

#include <fstream>
#include <random>
#include <sstream>

#include <gtest/gtest.h>

#include "tests/server/server_loop_support.h"

namespace laurel::server::server_loop_test {
namespace {

TEST_F(ServerLoop, ShutdownClosesWebsocketsWith1001) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  request_stop();
  auto close = c.read_frame();
  EXPECT_EQ(close.first, 0x8);
  EXPECT_EQ(close_code_of(close.second), 1001);
  c.send_all(client_frame(0x8, close_payload(1001)));
  thread_.join();
  EXPECT_EQ(rc_, 0);
  EXPECT_EQ(counters_.ws_disconnects, 1);
  EXPECT_EQ(counters_.last_close_code, 1001);
}

TEST_F(ServerLoop, ShutdownLetsInFlightHttpResponsesFinish) {
  start();
  Client c(port_);
  c.send_all("GET /later HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.later_waiting == 1; }));
  request_stop();
  auto r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "late");
  EXPECT_NE(r.head.find("Connection: close"), std::string::npos);
  thread_.join();
  EXPECT_EQ(rc_, 0);
  // Stopped listening: nobody answers on the port any more.
  Client after(port_);
  EXPECT_FALSE(after.connected());
}

TEST_F(ServerLoop, SurvivesGarbageAndKeepsServingOthers) {
  start();
  std::mt19937 rng(1234);
  for (int i = 0; i < 20; ++i) {
    Client junk(port_);
    std::string bytes(1 + rng() % 3000, '\0');
    for (char& b : bytes) b = static_cast<char>(rng());
    if (i % 2) bytes = ws_upgrade("/ws") + bytes;  // garbage frames after a valid upgrade
    junk.send_all(bytes);
    junk.closed_by_server();
  }
  Client good(port_);
  good.send_all("GET /still-here HTTP/1.1\r\n\r\n");
  EXPECT_EQ(good.read_response().body, "GET /still-here  ");
}

// A temporary file for the server's access log, removed when the test ends.
class AccessLogFile {
 public:
  AccessLogFile() {
    int fd = mkstemp(path_);
    created_ = fd >= 0;
    if (created_) close(fd);
  }
  ~AccessLogFile() {
    if (created_) unlink(path_);
  }
  bool created() const { return created_; }
  const char* path() const { return path_; }
  std::string read() const {
    std::ifstream in(path_);
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

 private:
  char path_[32] = "/tmp/laurel_access_XXXXXX";
  bool created_ = false;
};

TEST_F(ServerLoop, AccessLogHasDaphnesFormatWithoutQueryStrings) {
  AccessLogFile file;
  ASSERT_TRUE(file.created());
  ServerConfig config;
  config.access_log_path = file.path();
  start(config);
  {
    Client c(port_);
    c.send_all("GET /logged?ticket=secret HTTP/1.1\r\nAuthorization: Bearer tok\r\n\r\n");
    ASSERT_EQ(c.read_response().status, 200);
    Client w(port_);
    w.send_all(ws_upgrade("/ws/x/?ticket=secret2"));
    ASSERT_EQ(w.read_response().status, 101);
    w.send_all(client_frame(0x8, close_payload(1000)));
    EXPECT_TRUE(w.closed_by_server());
  }
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  stop();
  std::string log = file.read();
  EXPECT_NE(log.find("\"GET /logged\" 200 "), std::string::npos) << log;
  EXPECT_NE(log.find("127.0.0.1:"), std::string::npos);
  EXPECT_NE(log.find("\"WSCONNECTING /ws/x/\" - -"), std::string::npos) << log;
  EXPECT_NE(log.find("\"WSCONNECT /ws/x/\" - -"), std::string::npos) << log;
  EXPECT_NE(log.find("\"WSDISCONNECT /ws/x/\" - -"), std::string::npos) << log;
  EXPECT_EQ(log.find("secret"), std::string::npos);
  EXPECT_EQ(log.find("tok"), std::string::npos);
}

TEST_F(ServerLoop, ScopeCarriesBothAddressesOfTheConnection) {
  start(ServerConfig{});
  Client c(port_);
  c.send_all("GET /addresses HTTP/1.1\r\n\r\n");
  Client::Response r = c.read_response();
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "127.0.0.1:" + std::to_string(c.local_port()) + " 127.0.0.1:" +
                        std::to_string(port_));
}

TEST_F(ServerLoop, AccessLogNamesTheForwardedClientOfAWebsocketBehindATrustedProxy) {
  AccessLogFile file;
  ASSERT_TRUE(file.created());
  ServerConfig config;
  config.access_log_path = file.path();
  config.proxy_headers = true;  // 127.0.0.1 is trusted by default
  start(config);
  {
    Client direct(port_);
    direct.send_all(ws_upgrade("/ws/direct/"));
    ASSERT_EQ(direct.read_response().status, 101);
    Client proxied(port_);
    std::string req = ws_upgrade("/ws/proxied/");
    req.insert(req.size() - 2, "X-Forwarded-For: 203.0.113.7\r\nX-Forwarded-Port: 4711\r\n");
    proxied.send_all(req);
    ASSERT_EQ(proxied.read_response().status, 101);
    direct.send_all(client_frame(0x8, close_payload(1000)));
    proxied.send_all(client_frame(0x8, close_payload(1000)));
    EXPECT_TRUE(direct.closed_by_server());
    EXPECT_TRUE(proxied.closed_by_server());
  }
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 2; }));
  stop();
  std::string log = file.read();
  for (std::string action : {"WSCONNECTING", "WSCONNECT", "WSDISCONNECT"}) {
    EXPECT_NE(log.find("203.0.113.7:4711 - - "), std::string::npos) << log;
    std::size_t proxied_line = log.find("\"" + action + " /ws/proxied/\"");
    std::size_t direct_line = log.find("\"" + action + " /ws/direct/\"");
    ASSERT_NE(proxied_line, std::string::npos) << action << "\n" << log;
    ASSERT_NE(direct_line, std::string::npos) << action << "\n" << log;
    std::size_t proxied_start = log.rfind('\n', proxied_line);
    std::size_t direct_start = log.rfind('\n', direct_line);
    proxied_start = proxied_start == std::string::npos ? 0 : proxied_start + 1;
    direct_start = direct_start == std::string::npos ? 0 : direct_start + 1;
    EXPECT_EQ(log.compare(proxied_start, 17, "203.0.113.7:4711 "), 0) << log;
    EXPECT_EQ(log.compare(direct_start, 10, "127.0.0.1:"), 0) << log;
  }
}

TEST_F(ServerLoop, SpreadsConnectionsOverSeveralWorkers) {
  ServerConfig config;
  config.workers = 3;
  start(config);
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 12; ++i) {
    clients.push_back(std::make_unique<Client>(port_));
    clients.back()->send_all(ws_upgrade("/ws"));
  }
  for (auto& c : clients) ASSERT_EQ(c->read_response().status, 101);
  for (int i = 0; i < 12; ++i) {
    std::string text = "m" + std::to_string(i);
    clients[i]->send_all(client_frame(0x1, text));
    EXPECT_EQ(clients[i]->read_frame().second, text);
  }
  clients.clear();  // dropped connections
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 12; }));
}

TEST_F(ServerLoop, ServesAUnixSocketWithANullServerAddress) {
  std::string path = "/tmp/laurel_test_" + std::to_string(getpid()) + ".sock";
  // A stale socket file from an earlier crash must not stop the server from starting.
  int stale = socket(AF_UNIX, SOCK_STREAM, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size());
  unlink(path.c_str());
  ASSERT_EQ(bind(stale, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  close(stale);  // the file stays, nobody listens
  ServerConfig config;
  config.access_log = false;
  Endpoint ep;
  ep.kind = Endpoint::Kind::kUnix;
  ep.path = path;
  config.endpoints = {ep};
  std::promise<void> ready;
  thread_ = std::thread([&] {
    rc_ = run_server(config, std::make_shared<EchoApp>(counters_), [&] { ready.set_value(); });
  });
  ASSERT_EQ(ready.get_future().wait_for(10s), std::future_status::ready);
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  std::string req = "GET /unix HTTP/1.1\r\nConnection: close\r\n\r\n";
  ASSERT_EQ(::send(fd, req.data(), req.size(), MSG_NOSIGNAL), static_cast<ssize_t>(req.size()));
  std::string got;
  char buf[4096];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0) got.append(buf, static_cast<std::size_t>(n));
  close(fd);
  EXPECT_EQ(got.rfind("HTTP/1.1 200 OK\r\n", 0), 0u) << got;
  EXPECT_NE(got.find("GET /unix  "), std::string::npos);
  stop();
  EXPECT_NE(access(path.c_str(), F_OK), 0);  // the socket file is removed on exit
}

TEST_F(ServerLoop, ReportsABindFailureNamingTheAddress) {
  start();
  ServerConfig config;
  config.endpoints = {Endpoint{}};
  config.endpoints[0].port = port_;  // taken by the running server
  ::testing::internal::CaptureStderr();
  int rc = run_server(config, std::make_shared<EchoApp>(counters_));
  std::string err = ::testing::internal::GetCapturedStderr();
  EXPECT_EQ(rc, 1);
  EXPECT_NE(err.find("tcp:127.0.0.1:" + std::to_string(port_)), std::string::npos) << err;
}

}  // namespace
}  // namespace laurel::server::server_loop_test
