// tests/consumers/json_http_consumer_test.cpp: JsonWebsocketConsumer's decoding and close codes,
// HttpConsumer's whole-body and streaming responses, and background workers.

#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "consumer_test_support.h"

namespace laurel::consumers::test {
namespace {

using asgi::Value;
using laurel::testing::HttpCommunicator;
using laurel::testing::WebsocketCommunicator;
using namespace std::chrono_literals;

class JsonEcho : public JsonWebsocketConsumer {
 public:
  Task<void> receive_json(const Value& content) override {
    send_json(Value{{"got", content}});
    co_return;
  }
};

class JsonConsumerTest : public ConsumerTest {};

TEST_F(JsonConsumerTest, DecodesAndEncodesJson) {
  WebsocketCommunicator comm(as_asgi<JsonEcho>(), "/ws/json/");
  ASSERT_TRUE(comm.connect().first);
  comm.send_json_to(Value{{"n", 1}, {"list", Value::list({"a", true})}});
  Value reply = comm.receive_json_from();
  EXPECT_EQ(reply["got"]["n"], Value(1));
  EXPECT_EQ(reply["got"]["list"][1], Value(true));
}

TEST_F(JsonConsumerTest, MalformedJsonClosesWith1007) {
  WebsocketCommunicator comm(as_asgi<JsonEcho>(), "/ws/json/");
  ASSERT_TRUE(comm.connect().first);
  comm.send_to("{\"n\": ");
  Value out = comm.receive_output();
  EXPECT_EQ(out["type"], Value("websocket.close"));
  EXPECT_EQ(out["code"], Value(JsonWebsocketConsumer::kCloseInvalidJson));
  EXPECT_EQ(out["code"], Value(1007));
}

TEST_F(JsonConsumerTest, BinaryFramesCloseWith1003) {
  WebsocketCommunicator comm(as_asgi<JsonEcho>(), "/ws/json/");
  ASSERT_TRUE(comm.connect().first);
  comm.send_bytes_to("{}");
  Value out = comm.receive_output();
  EXPECT_EQ(out["code"], Value(1003));
}

class Hello : public HttpConsumer {
 public:
  Task<void> handle(std::string_view body) override {
    if (body == "raise") throw std::runtime_error("handler failed");
    if (body == "silent") co_return;
    send_response(201, "hello " + std::string(body), {{"content-type", "text/plain"}});
  }
};

class Streamer : public HttpConsumer {
 public:
  Task<void> handle(std::string_view) override {
    send_headers(200, {{"content-type", "text/event-stream"}});
    for (int i = 0; i < 3; ++i) {
      send_body("chunk" + std::to_string(i) + "\n", true);
      co_await sleep_for(loop(), 1ms);
    }
    send_body("", false);
  }
};

class HttpConsumerTest : public ConsumerTest {};

TEST_F(HttpConsumerTest, HandleGetsTheBodyAndSendsAResponse) {
  HttpCommunicator comm(as_asgi<Hello>(), "POST", "/hello/", "world");
  auto response = comm.get_response();
  EXPECT_EQ(response.status, 201);
  EXPECT_EQ(response.body, "hello world");
  EXPECT_EQ(response.header("content-type"), "text/plain");
}

TEST_F(HttpConsumerTest, AHandlerThatRaisesOrSendsNothingAnswers500) {
  HttpCommunicator raising(as_asgi<Hello>(), "POST", "/", "raise");
  EXPECT_EQ(raising.get_response().status, 500);
  HttpCommunicator silent(as_asgi<Hello>(), "POST", "/", "silent");
  EXPECT_EQ(silent.get_response().status, 500);
}

TEST_F(HttpConsumerTest, StreamsChunksWithSendHeadersAndSendBody) {
  HttpCommunicator comm(as_asgi<Streamer>(), "GET", "/events/");
  EXPECT_EQ(comm.receive_output()["type"], Value("http.response.start"));
  Value first = comm.receive_output();
  EXPECT_EQ(first["body"].as_bytes(), "chunk0\n");
  EXPECT_EQ(first["more_body"], Value(true));
  auto rest = comm.get_response();
  EXPECT_EQ(rest.body, "chunk1\nchunk2\n");
}

// A background worker with blocking handlers, behind Worker (Channels' runworker).
struct WorkLog {
  std::atomic<int> done{0};
  std::atomic<bool> ran_off_loop{false};
  std::thread::id loop_thread;
};

class Thumbnailer : public SyncConsumer {
 public:
  explicit Thumbnailer(std::shared_ptr<WorkLog> log) : log_(std::move(log)) {
    handle_sync("thumbnail.make", &Thumbnailer::make);
  }
  void make(const Value& message) {
    if (std::this_thread::get_id() != log_->loop_thread) log_->ran_off_loop = true;
    if (message["size"].as_int() == 64) ++log_->done;
  }

 private:
  std::shared_ptr<WorkLog> log_;
};

TEST_F(ConsumerTest, WorkerServesANamedChannelWithBlockingHandlersOffTheLoop) {
  auto log = std::make_shared<WorkLog>();
  log->loop_thread = std::this_thread::get_id();
  Worker worker(as_asgi<Thumbnailer>(log), {"thumbnails"});
  {
    laurel::testing::ScopedCurrentLoop current(loop());
    worker.start(loop());
  }
  for (int i = 0; i < 3; ++i) {
    run(layer_->send("thumbnails", Value{{"type", "thumbnail.make"}, {"size", 64}}));
  }
  ASSERT_TRUE(laurel::testing::run_until(
      loop(), [&] { return log->done == 3; }, 5s));
  EXPECT_TRUE(log->ran_off_loop);
  worker.stop();
  run(layer_->send("thumbnails", Value{{"type", "thumbnail.make"}, {"size", 64}}));
  EXPECT_EQ(layer_->queued("thumbnails"), 1u);  // nobody serves the channel any more
}

}  // namespace
}  // namespace laurel::consumers::test
