// tests/server/server_loop_support.h
#pragma once

// The whole server on a real loop, for the server_loop_*_test.cpp files: run_server on port 0
// with a small echo application (EchoApp, which counts what it saw in Counters), a blocking test
// client on real sockets, and the ServerLoop fixture that starts and stops the server on a
// thread of its own. Waits are on conditions with deadlines, never sleeps.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <condition_variable>
#include <cstring>
#include <future>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "asgi/application.h"
#include "asgi/loop.h"
#include "server/server.h"
#include "tests/server/websocket_test_frames.h"

// Not in an anonymous namespace: the ServerLoop fixture is one type in every file that uses it.
namespace laurel::server::server_loop_test {

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
    std::string path(scope_["path"].as_string());
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
      if (path == "/addresses") {
        // The two ends as the scope reports them: "client-host:port server-host:port".
        auto end = [](const asgi::Value& v) {
          return std::string(v.as_list()[0].as_string()) + ":" + std::to_string(v.as_list()[1].as_int());
        };
        std::string out = end(scope_["client"]) + " " + end(scope_["server"]);
        peer_.send(asgi::HttpResponseStart{200, {{"Content-Type", "text/plain"}}});
        peer_.send(asgi::HttpResponseBody{out, false});
        return;
      }
      std::string out = std::string(scope_["method"].as_string()) + " " + path + " " +
                        std::string(scope_["query_string"].as_bytes()) + " " + body_;
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
  int local_port() const {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    return ntohs(addr.sin_port);
  }
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

inline std::string ws_upgrade(std::string_view path, std::string_view protocols = "") {
  std::string req = "GET " + std::string(path) +
                    " HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
                    "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                    "Sec-WebSocket-Version: 13\r\n";
  if (!protocols.empty()) req += "Sec-WebSocket-Protocol: " + std::string(protocols) + "\r\n";
  return req + "\r\n";
}

inline std::string client_frame(int opcode, std::string payload) {
  testing::ClientFrame f;
  f.opcode = static_cast<std::uint8_t>(opcode);
  f.payload = std::move(payload);
  return testing::encode(f);
}

inline std::string close_payload(int code) {
  std::string p;
  p.push_back(static_cast<char>(code >> 8));
  p.push_back(static_cast<char>(code & 0xFF));
  return p;
}

inline int close_code_of(const std::string& payload) {
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

}  // namespace laurel::server::server_loop_test
