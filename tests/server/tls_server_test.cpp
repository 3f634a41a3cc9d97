// tests/server/tls_server_test.cpp
// The whole server with a TLS endpoint and the --metrics listener: https and wss through a real
// OpenSSL client over loopback sockets, the scope's scheme, and a scrape of the metrics parsed
// back. Waits are blocking reads with timeouts, never sleeps.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <future>
#include <thread>

#include "asgi/application.h"
#include "server/server.h"
#include "prometheus_text.h"
#include "test_cert.h"
#include "websocket_test_frames.h"

namespace laurel::server {
namespace {

using namespace std::chrono_literals;

// Answers every request with "<scheme> <path>" and echoes WebSocket messages as "<scheme>:<msg>".
class SchemeInstance : public asgi::Instance {
 public:
  SchemeInstance(asgi::Scope scope, asgi::Peer& peer) : scope_(std::move(scope)), peer_(peer) {}
  void receive(const asgi::ReceiveEvent& event) override {
    std::string scheme(scope_["scheme"].as_string());
    if (auto* r = std::get_if<asgi::HttpRequest>(&event)) {
      if (r->more_body) return;
      if (std::string(scope_["path"].as_string()) == "/hang") return;  // never answers
      std::string body(scheme + " " + std::string(scope_["path"].as_string()));
      peer_.send(asgi::HttpResponseStart{200, {{"content-type", "text/plain"}}});
      peer_.send(asgi::HttpResponseBody{body, false});
    } else if (std::holds_alternative<asgi::WebsocketConnect>(event)) {
      peer_.send(asgi::WebsocketAccept{});
    } else if (auto* m = std::get_if<asgi::WebsocketReceive>(&event)) {
      peer_.send(asgi::WebsocketSend{scheme + ":" + std::string(m->data), false});
    }
  }

 private:
  asgi::Scope scope_;
  asgi::Peer& peer_;
};

class SchemeApp : public asgi::Application {
 public:
  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) override {
    return std::make_unique<SchemeInstance>(std::move(scope), peer);
  }
};

int connect_to(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
  timeval tv{10, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// A blocking client speaking through OpenSSL (TLS) or the bare socket.
class Client {
 public:
  Client(int port, SSL_CTX* tls) : fd_(connect_to(port)) {
    if (fd_ < 0 || !tls) return;
    ssl_ = SSL_new(tls);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    SSL_set1_host(ssl_, "localhost");
    handshake_ok_ = SSL_connect(ssl_) == 1;
  }
  ~Client() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) close(fd_);
  }
  bool handshake_ok() const { return handshake_ok_; }
  int last_error() const { return last_error_; }
  void send_all(std::string_view data) {
    if (ssl_) {
      SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
    } else {
      ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
    }
  }
  bool read_more() {
    char buf[16384];
    int n = ssl_ ? SSL_read(ssl_, buf, sizeof buf)
                 : static_cast<int>(::recv(fd_, buf, sizeof buf, 0));
    if (n <= 0) {
      if (ssl_) last_error_ = SSL_get_error(ssl_, n);
      return false;
    }
    buf_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  // Status and body of one Content-Length response.
  std::pair<int, std::string> read_response() {
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) return {0, ""};
    }
    std::string head = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    int status = std::atoi(head.c_str() + 9);
    if (status == 101) return {status, head};
    std::string lower = head;
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto cl = lower.find("content-length: ");
    std::size_t len = cl == std::string::npos ? 0 : std::strtoul(lower.c_str() + cl + 16, nullptr, 10);
    while (buf_.size() < len) {
      if (!read_more()) return {0, ""};
    }
    std::string body = buf_.substr(0, len);
    buf_.erase(0, len);
    return {status, body};
  }
  std::string read_text_frame() {
    while (buf_.size() < 2 || buf_.size() < 2u + (static_cast<unsigned char>(buf_[1]) & 0x7F)) {
      if (!read_more()) return "<eof>";
    }
    std::size_t len = static_cast<unsigned char>(buf_[1]) & 0x7F;
    std::string payload = buf_.substr(2, len);
    buf_.erase(0, 2 + len);
    return payload;
  }

 private:
  int fd_;
  SSL* ssl_ = nullptr;
  bool handshake_ok_ = false;
  int last_error_ = 0;
  std::string buf_;
};

class TlsServer : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = testing::make_test_cert();
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    SSL_CTX_load_verify_locations(client_ctx_, cert_.cert_file.c_str(), nullptr);
    SSL_CTX_set_verify(client_ctx_, SSL_VERIFY_PEER, nullptr);
    ServerConfig config;
    Endpoint ep;
    ep.port = 0;
    ep.tls_cert_file = cert_.cert_file;
    ep.tls_key_file = cert_.key_file;
    config.endpoints = {ep};
    config.access_log = false;
    config.metrics = "127.0.0.1:0";
    std::promise<std::pair<int, int>> ready;
    auto ports = ready.get_future();
    thread_ = std::thread([this, config, &ready] {
      rc_ = run_server(config, std::make_shared<SchemeApp>(), [&ready] {
        ready.set_value({bound_endpoints().at(0).port, bound_metrics_endpoint()->port});
      });
    });
    ASSERT_EQ(ports.wait_for(10s), std::future_status::ready);
    std::tie(port_, metrics_port_) = ports.get();
  }
  void TearDown() override {
    if (thread_.joinable()) {
      request_stop();
      thread_.join();
      EXPECT_EQ(rc_, 0);
    }
    SSL_CTX_free(client_ctx_);
    testing::remove_test_cert(cert_);
  }
  testing::PrometheusText scrape() {
    Client c(metrics_port_, nullptr);
    c.send_all("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    auto [status, body] = c.read_response();
    EXPECT_EQ(status, 200);
    auto parsed = testing::parse_prometheus(body);
    EXPECT_TRUE(parsed.ok) << parsed.error << "\n" << body;
    return parsed;
  }

  testing::TestCert cert_;
  SSL_CTX* client_ctx_ = nullptr;
  std::thread thread_;
  int port_ = 0, metrics_port_ = 0, rc_ = -1;
};

TEST_F(TlsServer, ServesHttpsWithTheHttpsScheme) {
  auto before = scrape();
  Client c(port_, client_ctx_);
  ASSERT_TRUE(c.handshake_ok());
  c.send_all("GET /hello HTTP/1.1\r\nHost: localhost\r\n\r\n");
  auto [status, body] = c.read_response();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "https /hello");
  // Kept alive: a second request on the same TLS connection.
  c.send_all("GET /again HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(c.read_response().second, "https /again");

  auto after = scrape();
  const std::string ok = "laurel_tls_handshakes_total{outcome=\"ok\"}";
  const std::string s2xx = "laurel_http_responses_total{status=\"2xx\"}";
  EXPECT_GE(after.samples[ok] - before.samples[ok], 1);
  // Two responses to the client, plus the first scrape's own 200.
  EXPECT_GE(after.samples[s2xx] - before.samples[s2xx], 3);
  EXPECT_GE(after.samples["laurel_open_connections{protocol=\"http\"}"], 1);
}

TEST_F(TlsServer, ServesWssWithTheWssScheme) {
  auto before = scrape();
  Client c(port_, client_ctx_);
  ASSERT_TRUE(c.handshake_ok());
  c.send_all(
      "GET /ws/ HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n");
  ASSERT_EQ(c.read_response().first, 101);
  ::laurel::server::testing::ClientFrame f;
  f.opcode = 1;
  f.payload = "hi";
  c.send_all(::laurel::server::testing::encode(f));
  EXPECT_EQ(c.read_text_frame(), "wss:hi");
  auto after = scrape();
  auto delta = [&](const std::string& k) { return after.samples[k] - before.samples[k]; };
  EXPECT_EQ(delta("laurel_websocket_handshakes_total{outcome=\"accepted\"}"), 1);
  EXPECT_EQ(delta("laurel_websocket_messages_total{direction=\"in\"}"), 1);
  EXPECT_EQ(delta("laurel_websocket_messages_total{direction=\"out\"}"), 1);
  EXPECT_EQ(delta("laurel_websocket_message_bytes_total{direction=\"out\"}"), 6);
  EXPECT_GE(after.samples["laurel_open_connections{protocol=\"websocket\"}"], 1);
}

TEST_F(TlsServer, RefusesPlainHttpOnTheTlsPortAndKeepsServing) {
  auto before = scrape();
  {
    Client plain(port_, nullptr);
    plain.send_all("GET / HTTP/1.1\r\nHost: x\r\n\r\n");
    while (plain.read_more()) {
    }
  }
  auto after = scrape();
  const std::string failed = "laurel_tls_handshakes_total{outcome=\"failed\"}";
  EXPECT_EQ(after.samples[failed] - before.samples[failed], 1);
  Client c(port_, client_ctx_);
  ASSERT_TRUE(c.handshake_ok());
  c.send_all("GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n");
  EXPECT_EQ(c.read_response().second, "https /x");
}

TEST_F(TlsServer, MetricsListenerAnswersHealthAndNothingElse) {
  Client h(metrics_port_, nullptr);
  h.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
  auto [status, body] = h.read_response();
  EXPECT_EQ(status, 200);
  EXPECT_EQ(body, "ok\n");
  h.send_all("GET /hello HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(h.read_response().first, 404);  // the application is not reachable here
}

TEST_F(TlsServer, EndsAClosingConnectionWithCloseNotify) {
  Client c(port_, client_ctx_);
  ASSERT_TRUE(c.handshake_ok());
  c.send_all("GET /bye HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(c.read_response().second, "https /bye");
  // The next read sees the TLS-level goodbye, not a bare TCP close.
  EXPECT_FALSE(c.read_more());
  EXPECT_EQ(c.last_error(), SSL_ERROR_ZERO_RETURN);
}

TEST(Shutdown, GivesInstancesApplicationCloseTimeoutAtShutdown) {
  ServerConfig config;
  config.endpoints = {Endpoint{}};
  config.endpoints[0].port = 0;
  config.access_log = false;
  config.shutdown_timeout = std::chrono::milliseconds(120'000);
  config.application_close_timeout = std::chrono::milliseconds(200);
  std::promise<int> ready;
  auto port = ready.get_future();
  int rc = -1;
  std::thread t([&] {
    rc = run_server(config, std::make_shared<SchemeApp>(),
                    [&] { ready.set_value(bound_endpoints().at(0).port); });
  });
  ASSERT_EQ(port.wait_for(10s), std::future_status::ready);
  Client c(port.get(), nullptr);
  c.send_all("GET /hang HTTP/1.1\r\nHost: x\r\n\r\n");
  // The request reached the application (it does not answer), then the shutdown starts.
  Client probe(bound_endpoints().at(0).port, nullptr);
  probe.send_all("GET /ping HTTP/1.1\r\nHost: x\r\n\r\n");
  ASSERT_EQ(probe.read_response().first, 200);
  auto started = std::chrono::steady_clock::now();
  request_stop();
  // Bounded by application_close_timeout, far below the 120 s shutdown_timeout.
  auto done = std::async(std::launch::async, [&] { t.join(); });
  ASSERT_EQ(done.wait_for(60s), std::future_status::ready);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 30s);
  EXPECT_EQ(rc, 0);
  EXPECT_FALSE(c.read_more());  // the hanging request's connection was dropped
}

TEST(TlsServerStartup, RefusesToStartWithAnUnusableCertificate) {
  ServerConfig config;
  Endpoint ep;
  ep.port = 0;
  ep.tls_cert_file = "/nonexistent/cert.pem";
  ep.tls_key_file = "/nonexistent/key.pem";
  config.endpoints = {ep};
  config.access_log = false;
  EXPECT_EQ(run_server(config, std::make_shared<SchemeApp>()), 1);
}

TEST(MetricsOnAPath, ServesMetricsAndHealthOnTheMainPortAheadOfTheApplication) {
  ServerConfig config;
  config.endpoints = {Endpoint{}};
  config.endpoints[0].port = 0;
  config.access_log = false;
  config.metrics = "/-/metrics";
  std::promise<int> ready;
  auto port = ready.get_future();
  int rc = -1;
  std::thread t([&] {
    rc = run_server(config, std::make_shared<SchemeApp>(),
                    [&] { ready.set_value(bound_endpoints().at(0).port); });
  });
  ASSERT_EQ(port.wait_for(10s), std::future_status::ready);
  int p = port.get();
  {
    Client c(p, nullptr);
    c.send_all("GET /-/metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    auto [status, body] = c.read_response();
    EXPECT_EQ(status, 200);
    EXPECT_TRUE(testing::parse_prometheus(body).ok);
    EXPECT_NE(body.find("laurel_open_connections"), std::string::npos);
    c.send_all("GET /other HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response().second, "http /other");  // everything else: the application
    c.send_all("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
    EXPECT_EQ(c.read_response().second, "ok\n");
  }
  request_stop();
  t.join();
  EXPECT_EQ(rc, 0);
}

}  // namespace
}  // namespace laurel::server
