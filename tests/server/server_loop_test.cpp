// tests/server/server_loop_test.cpp
// The whole server on a real loop: run_server on port 0 with a small echo application, talked
// to over real sockets from the test thread. Waits are on conditions with deadlines, never
// sleeps.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <future>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "asgi/application.h"
#include "asgi/loop.h"
#include "server/server.h"
#include "websocket_test_frames.h"

namespace laurel::server {
namespace {

using namespace std::chrono_literals;

// --- what the application saw -------------------------------------------------------------

struct Counters {
  std::mutex mutex;
  std::condition_variable cv;
  int http_requests = 0;  // complete request bodies
  int http_disconnects = 0;
  int ws_connects = 0;
  int ws_receives = 0;
  int ws_disconnects = 0;
  int last_close_code = 0;
  int instances_alive = 0;
  int instances_started = 0;
  int sent_ok = 0, sent_backpressure = 0, sent_dropped = 0;
  int later_waiting = 0;
  int handed_over = 0;  // hand-overs the server accepted (Peer::replace_instance)

  template <class F>
  void update(F f) {
    {
      std::lock_guard lock(mutex);
      f(*this);
    }
    cv.notify_all();
  }
  template <class P>
  bool wait_for(P pred, std::chrono::milliseconds limit = 10s) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, limit, [&] { return pred(*this); });
  }
};

class EchoInstance : public asgi::Instance {
 public:
  EchoInstance(asgi::Scope scope, asgi::Peer& peer, Counters& c)
      : scope_(std::move(scope)), peer_(peer), c_(c) {
    c_.update([](Counters& c) {
      ++c.instances_alive;
      ++c.instances_started;
    });
  }
  ~EchoInstance() override {
    c_.update([](Counters& c) { --c.instances_alive; });
  }

  void receive(const asgi::ReceiveEvent& event) override {
    std::string path = scope_["path"].as_string();
    if (auto* r = std::get_if<asgi::HttpRequest>(&event)) {
      body_.append(r->body);
      if (r->more_body) return;
      c_.update([](Counters& c) { ++c.http_requests; });
      if (path == "/slow") return;  // never answers (timeout tests)
      if (path == "/later") {
        // Answers from a timer, outside any receive call.
        c_.update([](Counters& c) { ++c.later_waiting; });
        timer_ = peer_.loop().call_later(50ms, [this] {
          peer_.send(asgi::HttpResponseStart{200, {}});
          peer_.send(asgi::HttpResponseBody{"late", false});
        });
        return;
      }
      if (path == "/stream") {
        peer_.send(asgi::HttpResponseStart{200, {{"content-type", "text/plain"}}});
        peer_.send(asgi::HttpResponseBody{"ab", true});
        peer_.send(asgi::HttpResponseBody{"cd", true});
        peer_.send(asgi::HttpResponseBody{"", false});
        return;
      }
      std::string out = scope_["method"].as_string() + " " + path + " " +
                        scope_["query_string"].as_bytes().data + " " + body_;
      peer_.send(asgi::HttpResponseStart{200, {{"Content-Type", "text/plain"}}});
      peer_.send(asgi::HttpResponseBody{out, false});
    } else if (std::holds_alternative<asgi::HttpDisconnect>(event)) {
      c_.update([](Counters& c) { ++c.http_disconnects; });
    } else if (std::holds_alternative<asgi::WebsocketConnect>(event)) {
      c_.update([](Counters& c) { ++c.ws_connects; });
      if (path == "/deny") {
        peer_.send(asgi::WebsocketClose{});
      } else if (path == "/denyhttp") {
        peer_.send(asgi::WebsocketHttpResponseStart{401, {{"WWW-Authenticate", "Bearer"}}});
        peer_.send(asgi::WebsocketHttpResponseBody{"log in first", false});
      } else if (path == "/silent") {
        // neither accepts nor denies
      } else {
        asgi::WebsocketAccept accept;
        bool offered = false;
        for (const auto& p : scope_["subprotocols"].as_list()) offered |= p.as_string() == "chat";
        // "/force-chat" picks one the client may not have offered: the server must not send it.
        if (offered || path == "/force-chat") accept.subprotocol = "chat";
        peer_.send(accept);
      }
    } else if (auto* m = std::get_if<asgi::WebsocketReceive>(&event)) {
      c_.update([](Counters& c) { ++c.ws_receives; });
      if (m->data == "flood") {
        // Far more than the outbound bound, in one go: statuses go Ok → Backpressure → Dropped.
        std::string big(64 * 1024, 'x');
        int ok = 0, backpressure = 0, dropped = 0;
        for (int i = 0; i < 100; ++i) {
          switch (peer_.send(asgi::WebsocketSend{big, true})) {
            case asgi::SendStatus::kOk: ++ok; break;
            case asgi::SendStatus::kBackpressure: ++backpressure; break;
            case asgi::SendStatus::kDropped: ++dropped; break;
          }
        }
        c_.update([&](Counters& c) {
          c.sent_ok = ok;
          c.sent_backpressure = backpressure;
          c.sent_dropped = dropped;
        });
        return;
      }
      if (m->data == "close-please") {
        peer_.send(asgi::WebsocketClose{4000, "bye"});
        return;
      }
      // Echo from inside receive: the server must not re-enter or destroy us here.
      peer_.send(asgi::WebsocketSend{m->data, m->binary});
    } else if (auto* d = std::get_if<asgi::WebsocketDisconnect>(&event)) {
      int code = d->code;
      c_.update([code](Counters& c) {
        ++c.ws_disconnects;
        c.last_close_code = code;
      });
    }
  }

 private:
  asgi::Scope scope_;
  asgi::Peer& peer_;
  Counters& c_;
  std::string body_;
  asgi::TimerPtr timer_;
};

// Stands in front of an EchoInstance, as AsyncMiddleware does until its scope is resolved, and
// hands the connection over to it from inside its own receive(connect).
class HandOverInstance : public asgi::Instance {
 public:
  HandOverInstance(asgi::Scope scope, asgi::Peer& peer, Counters& c)
      : scope_(std::move(scope)), peer_(peer), c_(c) {
    c_.update([](Counters& c) { ++c.instances_alive; });
  }
  ~HandOverInstance() override {
    c_.update([](Counters& c) { --c.instances_alive; });
  }
  void receive(const asgi::ReceiveEvent& event) override {
    std::unique_ptr<asgi::Instance> echo = std::make_unique<EchoInstance>(scope_, peer_, c_);
    echo->receive(event);
    bool taken = peer_.replace_instance(*this, echo);
    // Still alive here: the server destroys a replaced instance after this call returns.
    c_.update([taken](Counters& c) { c.handed_over += taken ? 1 : 0; });
  }

 private:
  asgi::Scope scope_;
  asgi::Peer& peer_;
  Counters& c_;
};

class EchoApp : public asgi::Application {
 public:
  explicit EchoApp(Counters& c) : c_(c) {}
  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) override {
    if (scope["path"].as_string() == "/ws/handover/") {
      return std::make_unique<HandOverInstance>(std::move(scope), peer, c_);
    }
    return std::make_unique<EchoInstance>(std::move(scope), peer, c_);
  }

 private:
  Counters& c_;
};

// --- a blocking test client -----------------------------------------------------------------

class Client {
 public:
  explicit Client(int port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, "127.0.0.1", &addr.sin_addr);
    timeval tv{10, 0};  // a hung server fails the test instead of hanging it
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  }
  ~Client() {
    if (fd_ >= 0) close(fd_);
  }
  bool connected() const { return connected_; }
  void send_all(std::string_view data) {
    while (!data.empty()) {
      ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
  }
  // Reads more bytes into the buffer; false on EOF, error or timeout.
  bool read_more() {
    char buf[65536];
    ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
    if (n <= 0) return false;
    buf_.append(buf, static_cast<std::size_t>(n));
    return true;
  }
  // True when the server closed the connection (EOF) with nothing more to read.
  bool closed_by_server() {
    while (read_more()) {
    }
    return true;
  }
  struct Response {
    int status = 0;
    std::string head;
    std::string body;
    bool ok = false;
  };
  Response read_response(bool head_request = false) {
    Response r;
    std::size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!read_more()) return r;
    }
    r.head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    r.status = std::atoi(r.head.c_str() + 9);
    std::string lower = r.head;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    auto cl = lower.find("content-length: ");
    if (head_request || r.status == 101 || r.status == 100 || r.status == 204) {
      r.ok = true;
      return r;
    }
    if (cl != std::string::npos) {
      std::size_t len = std::strtoul(lower.c_str() + cl + 16, nullptr, 10);
      while (buf_.size() < len) {
        if (!read_more()) return r;
      }
      r.body = buf_.substr(0, len);
      buf_.erase(0, len);
      r.ok = true;
    } else if (lower.find("transfer-encoding: chunked") != std::string::npos) {
      while (true) {
        std::size_t line;
        while ((line = buf_.find("\r\n")) == std::string::npos) {
          if (!read_more()) return r;
        }
        std::size_t size = std::strtoul(buf_.c_str(), nullptr, 16);
        while (buf_.size() < line + 2 + size + 2) {
          if (!read_more()) return r;
        }
        r.body.append(buf_, line + 2, size);
        buf_.erase(0, line + 2 + size + 2);
        if (size == 0) break;
      }
      r.ok = true;
    } else {
      while (read_more()) {
      }
      r.body = std::move(buf_);
      buf_.clear();
      r.ok = true;
    }
    return r;
  }
  // One unmasked server frame: opcode and payload; opcode -1 on EOF.
  std::pair<int, std::string> read_frame() {
    while (true) {
      if (buf_.size() >= 2) {
        auto b1 = static_cast<unsigned char>(buf_[1]);
        std::size_t len = b1 & 0x7F, hdr = 2;
        if (len == 126 && buf_.size() >= 4) {
          len = (static_cast<unsigned char>(buf_[2]) << 8) | static_cast<unsigned char>(buf_[3]);
          hdr = 4;
        } else if (len == 127 && buf_.size() >= 10) {
          len = 0;
          for (int i = 2; i < 10; ++i) len = (len << 8) | static_cast<unsigned char>(buf_[i]);
          hdr = 10;
        }
        if ((len < 126 || hdr > 2) && buf_.size() >= hdr + len) {
          int opcode = static_cast<unsigned char>(buf_[0]) & 0x0F;
          std::string payload = buf_.substr(hdr, len);
          buf_.erase(0, hdr + len);
          return {opcode, payload};
        }
      }
      if (!read_more()) return {-1, ""};
    }
  }
  void abort_connection() {
    linger lg{1, 0};  // RST instead of FIN: the peer sees the connection drop
    setsockopt(fd_, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

std::string ws_upgrade(std::string_view path, std::string_view protocols = "") {
  std::string req = "GET " + std::string(path) +
                    " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n";
  if (!protocols.empty()) req += "Sec-WebSocket-Protocol: " + std::string(protocols) + "\r\n";
  return req + "\r\n";
}

std::string client_frame(int opcode, std::string payload) {
  testing::ClientFrame f;
  f.opcode = static_cast<std::uint8_t>(opcode);
  f.payload = std::move(payload);
  return testing::encode(f);
}

std::string close_payload(int code) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  return p;
}

int close_code_of(const std::string& payload) {
  if (payload.size() < 2) return 1005;
  return (static_cast<unsigned char>(payload[0]) << 8) | static_cast<unsigned char>(payload[1]);
}

// --- the server under test --------------------------------------------------------------------

class ServerLoop : public ::testing::Test {
 protected:
  void start(ServerConfig config = {}) {
    if (config.endpoints.empty()) {
      config.endpoints = {Endpoint{}};
      config.endpoints[0].port = 0;
    }
    if (config.access_log_path.empty()) config.access_log = false;
    std::promise<int> ready;
    auto port = ready.get_future();
    thread_ = std::thread([this, config, &ready] {
      rc_ = run_server(config, std::make_shared<EchoApp>(counters_), [&ready] {
        ready.set_value(bound_endpoints().at(0).port);
      });
    });
    ASSERT_EQ(port.wait_for(10s), std::future_status::ready);
    port_ = port.get();
    ASSERT_GT(port_, 0);
  }
  void stop() {
    if (!thread_.joinable()) return;
    request_stop();
    thread_.join();
    EXPECT_EQ(rc_, 0);
  }
  void TearDown() override {
    stop();
    // Every instance the server started was destroyed.
    EXPECT_EQ(counters_.instances_alive, 0);
  }

  Counters counters_;
  std::thread thread_;
  int port_ = 0;
  int rc_ = -1;
};

TEST_F(ServerLoop, AnswersHttpRequestsOnOneKeptAliveConnection) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.connected());
  c.send_all("GET /hello?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /hello x=1 ");
  EXPECT_NE(r.head.find("Server: laurel"), std::string::npos);
  c.send_all("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /echo  hello");
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.instances_alive == 0; }));
  EXPECT_EQ(counters_.http_requests, 2);
  EXPECT_EQ(counters_.instances_started, 2);
  EXPECT_EQ(counters_.http_disconnects, 0);  // completed responses end without a disconnect
}

TEST_F(ServerLoop, AnswersPipelinedRequestsInOrder) {
  start();
  Client c(port_);
  c.send_all(
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(c.read_response().body, "GET /1  ");
  EXPECT_EQ(c.read_response().body, "POST /2  abc");
  EXPECT_EQ(c.read_response().body, "GET /3  ");
  EXPECT_EQ(counters_.http_requests, 3);
}

TEST_F(ServerLoop, ReadsChunkedRequestsAndChunksResponsesWithoutALength) {
  start();
  Client c(port_);
  c.send_all(
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.body, "POST /up  abcde");
  c.send_all("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
  r = c.read_response();
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.head.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_EQ(r.body, "abcd");
}

TEST_F(ServerLoop, SendsNoBodyForHead) {
  start();
  Client c(port_);
  c.send_all("HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n");
  auto r = c.read_response(/*head_request=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Content-Length: 9"), std::string::npos);  // "HEAD /h  "
  r = c.read_response();
  EXPECT_EQ(r.body, "GET /after  ");  // the HEAD response carried no body bytes
}

TEST_F(ServerLoop, Sends100ContinueBeforeTheBody) {
  start();
  Client c(port_);
  c.send_all("POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 100);
  c.send_all("ok");
  r = c.read_response();
  EXPECT_EQ(r.body, "POST /e  ok");
}

TEST_F(ServerLoop, RefusesOversizedHeadersWith431AndCloses) {
  ServerConfig config;
  config.max_header_bytes = 1024;
  start(config);
  Client c(port_);
  c.send_all("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'x') + "\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(counters_.instances_started, 0);
}

TEST_F(ServerLoop, RefusesOversizedBodiesWith413) {
  ServerConfig config;
  config.max_body_size = 10;
  start(config);
  Client c(port_);
  c.send_all("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 413);
}

TEST_F(ServerLoop, AnswersMalformedRequestsWith400AndKeepsServing) {
  start();
  {
    Client bad(port_);
    bad.send_all("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(bad.read_response().status, 400);
    EXPECT_TRUE(bad.closed_by_server());
  }
  Client good(port_);
  good.send_all("GET /fine HTTP/1.1\r\n\r\n");
  EXPECT_EQ(good.read_response().status, 200);
}

TEST_F(ServerLoop, Answers504WhenTheApplicationStaysSilent) {
  ServerConfig config;
  config.http_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all("GET /slow HTTP/1.1\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 504);
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.http_disconnects == 1; }));
}

TEST_F(ServerLoop, Answers408WhenHeadersArriveTooSlowly) {
  ServerConfig config;
  config.header_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all("GET / HTTP/1.1\r\nHost: h\r\n");  // never finished
  EXPECT_EQ(c.read_response().status, 408);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(ServerLoop, DeliversHttpDisconnectWhenTheClientLeavesEarly) {
  start();
  {
    Client c(port_);
    c.send_all("GET /slow HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.http_requests == 1; }));
  }
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.http_disconnects == 1; }));
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.instances_alive == 0; }));
}

TEST_F(ServerLoop, EchoesWebsocketMessagesAndReportsThePeersCloseCode) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/ws/echo/?ticket=abc", "other, chat"));
  auto r = c.read_response();
  ASSERT_EQ(r.status, 101);
  EXPECT_NE(r.head.find("Sec-WebSocket-Protocol: chat"), std::string::npos);
  // Two frames in one write, then a binary one.
  c.send_all(client_frame(0x1, "hello") + client_frame(0x1, "world"));
  c.send_all(client_frame(0x2, std::string("\x00\x01\x02", 3)));
  EXPECT_EQ(c.read_frame(), (std::pair<int, std::string>{0x1, "hello"}));
  EXPECT_EQ(c.read_frame(), (std::pair<int, std::string>{0x1, "world"}));
  EXPECT_EQ(c.read_frame(), (std::pair<int, std::string>{0x2, std::string("\x00\x01\x02", 3)}));
  c.send_all(client_frame(0x8, close_payload(4321)));
  auto close = c.read_frame();
  EXPECT_EQ(close.first, 0x8);
  EXPECT_EQ(close_code_of(close.second), 4321);
  EXPECT_TRUE(c.closed_by_server());
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.last_close_code, 4321);
  EXPECT_EQ(counters_.ws_connects, 1);
  EXPECT_EQ(counters_.ws_receives, 3);
}

TEST_F(ServerLoop, HandsTheConnectionOverToTheInstanceAStandInStarted) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/ws/handover/"));
  ASSERT_EQ(c.read_response().status, 101);
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.handed_over == 1; }));
  // Frames now reach the echo instance alone: the stand-in is gone and forwards nothing.
  c.send_all(client_frame(0x1, "hello"));
  EXPECT_EQ(c.read_frame(), (std::pair<int, std::string>{0x1, "hello"}));
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.instances_alive == 1; }));
  c.send_all(client_frame(0x8, close_payload(1000)));
  EXPECT_EQ(c.read_frame().first, 0x8);
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.ws_connects, 1);
  EXPECT_EQ(counters_.ws_receives, 1);
}

TEST_F(ServerLoop, DoesNotSendASubprotocolTheClientDidNotOffer) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/force-chat", "other"));
  auto r = c.read_response();
  ASSERT_EQ(r.status, 101);
  EXPECT_EQ(r.head.find("Sec-WebSocket-Protocol"), std::string::npos);
}

TEST_F(ServerLoop, ReportsADroppedConnectionAs1006) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  c.abort_connection();
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.last_close_code, 1006);
}

TEST_F(ServerLoop, ClosesFromTheApplicationWithItsCode) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  c.send_all(client_frame(0x1, "close-please"));
  auto close = c.read_frame();
  EXPECT_EQ(close.first, 0x8);
  EXPECT_EQ(close_code_of(close.second), 4000);
  c.send_all(client_frame(0x8, close_payload(4000)));
  EXPECT_TRUE(c.closed_by_server());
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.last_close_code, 4000);
}

TEST_F(ServerLoop, DeniesAHandshakeClosedBeforeAcceptWith403) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/deny"));
  EXPECT_EQ(c.read_response().status, 403);
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
}

TEST_F(ServerLoop, SendsTheApplicationsDenialResponse) {
  start();
  Client c(port_);
  c.send_all(ws_upgrade("/denyhttp"));
  auto r = c.read_response();
  EXPECT_EQ(r.status, 401);
  EXPECT_NE(r.head.find("WWW-Authenticate: Bearer"), std::string::npos);
  EXPECT_EQ(r.body, "log in first");
}

TEST_F(ServerLoop, RefusesAHandshakeTheApplicationDoesNotAnswerInTime) {
  ServerConfig config;
  config.websocket_connect_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/silent"));
  EXPECT_EQ(c.read_response().status, 403);
}

TEST_F(ServerLoop, DoesNotPassFramesSentBeforeTheAcceptToASilentApplication) {
  ServerConfig config;
  config.websocket_connect_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/silent") + client_frame(0x1, "early"));
  EXPECT_EQ(c.read_response().status, 403);
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.ws_receives, 0);
}

TEST_F(ServerLoop, PingsIdleWebsocketsAndClosesThoseThatDoNotAnswer) {
  ServerConfig config;
  config.ping_interval = 50ms;
  config.ping_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  auto ping = c.read_frame();
  EXPECT_EQ(ping.first, 0x9);
  // No pong: the server gives up on us.
  EXPECT_TRUE(c.closed_by_server());
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.ws_disconnects == 1; }));
  EXPECT_EQ(counters_.last_close_code, 1006);
}

TEST_F(ServerLoop, KeepsWebsocketsThatAnswerPings) {
  ServerConfig config;
  config.ping_interval = 30ms;
  config.ping_timeout = 60ms;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  for (int i = 0; i < 4; ++i) {
    auto ping = c.read_frame();
    ASSERT_EQ(ping.first, 0x9);
    c.send_all(client_frame(0xA, ping.second));
  }
  // Still open and serving after several ping intervals and timeouts.
  c.send_all(client_frame(0x1, "alive"));
  std::pair<int, std::string> frame;
  while ((frame = c.read_frame()).first == 0x9) c.send_all(client_frame(0xA, frame.second));
  EXPECT_EQ(frame, (std::pair<int, std::string>{0x1, "alive"}));
  EXPECT_EQ(counters_.ws_disconnects, 0);
}

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

TEST_F(ServerLoop, AccessLogHasDaphnesFormatWithoutQueryStrings) {
  char path[] = "/tmp/laurel_access_XXXXXX";
  int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  ServerConfig config;
  config.access_log_path = path;
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
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string log = ss.str();
  unlink(path);
  EXPECT_NE(log.find("\"GET /logged\" 200 "), std::string::npos) << log;
  EXPECT_NE(log.find("127.0.0.1:"), std::string::npos);
  EXPECT_NE(log.find("\"WSCONNECTING /ws/x/\" - -"), std::string::npos) << log;
  EXPECT_NE(log.find("\"WSCONNECT /ws/x/\" - -"), std::string::npos) << log;
  EXPECT_NE(log.find("\"WSDISCONNECT /ws/x/\" - -"), std::string::npos) << log;
  EXPECT_EQ(log.find("secret"), std::string::npos);
  EXPECT_EQ(log.find("tok"), std::string::npos);
}

TEST_F(ServerLoop, ReportsBackpressureAndClosesClientsTooSlowToRead) {
  ServerConfig config;
  config.outbound_high_water = 256 * 1024;
  config.max_outbound_bytes = 1024 * 1024;
  start(config);
  Client c(port_);
  c.send_all(ws_upgrade("/ws"));
  ASSERT_EQ(c.read_response().status, 101);
  c.send_all(client_frame(0x1, "flood"));
  ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.sent_dropped > 0; }));
  // Each frame is 65536 + 10 header bytes. Three fit under the high-water mark; up to the
  // bound twelve more are queued with kBackpressure; the rest are refused.
  EXPECT_EQ(counters_.sent_ok, 3);
  EXPECT_EQ(counters_.sent_backpressure, 12);
  EXPECT_EQ(counters_.sent_dropped, 85);
  // The client finally reads: what had already gone to the kernel, then the close frame with
  // 1008 (frames still queued in the server were dropped so that the close comes next).
  int messages = 0;
  std::pair<int, std::string> frame;
  while ((frame = c.read_frame()).first == 0x2) ++messages;
  EXPECT_LE(messages, 15);
  EXPECT_EQ(frame.first, 0x8);
  EXPECT_EQ(close_code_of(frame.second), 1008);
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
}  // namespace laurel::server
