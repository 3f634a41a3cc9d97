// channel_layer/redis_connection.h
#pragma once

// One hiredis async connection on a laurel event loop: pipelined commands with reply callbacks
// (or `co_await execute(...)`), AUTH/SELECT on connect, and reconnection with exponential
// backoff when Redis goes away. While a shard is down, commands fail at once with
// LayerUnavailable instead of queueing; each outage is logged once and counted.

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asgi/loop.h"
#include "asgi/metrics.h"
#include "channel_layer/layer.h"
#include "channel_layer/redis_address.h"

struct redisAsyncContext;

namespace laurel::channel_layer {

// A decoded Redis reply (RESP2), independent of hiredis's structs.
struct RedisReply {
  enum class Type {
    kNil,      // a missing value (BZPOPMIN timeout, absent key)
    kInteger,  // :123
    kString,   // bulk string (binary safe)
    kStatus,   // +OK
    kError,    // -ERR ...: the command ran and failed; the connection is fine
    kArray,    // *n
  };
  Type type = Type::kNil;
  std::int64_t integer = 0;
  std::string str;  // bulk, status or error text
  std::vector<RedisReply> elements;

  bool is_error() const { return type == Type::kError; }
  bool is_nil() const { return type == Type::kNil; }
};

// Health counters of one layer's Redis connections, for metrics.
struct RedisCounters {
  std::uint64_t outages = 0;             // a shard went from reachable to unreachable
  std::uint64_t recoveries = 0;          // a shard came back after an outage
  std::uint64_t connect_failures = 0;    // connection attempts that failed or timed out
  std::uint64_t commands_failed_fast = 0;  // refused while a shard was down
  std::uint64_t commands_lost = 0;       // in flight when the connection dropped
  std::uint64_t decode_errors = 0;       // stored messages laurel could not decode (dropped)
  std::uint64_t group_send_skipped_full = 0;  // group_send copies dropped at capacity
};

// What the connections to one shard share: the outage state that makes "log once per outage"
// hold when several connections to the same Redis notice it, and the counters.
// It also keeps the process metrics of the shard: the gauge laurel_redis_up{shard} counts the
// layers (one per worker) whose connections reach it, so 0 means unreachable from this process,
// and laurel_redis_outages_total{shard} counts outages.
class RedisShardHealth {
 public:
  RedisShardHealth(std::string display, std::shared_ptr<RedisCounters> counters);
  ~RedisShardHealth();
  RedisShardHealth(const RedisShardHealth&) = delete;
  RedisShardHealth& operator=(const RedisShardHealth&) = delete;
  bool down() const { return down_; }
  // A connection completed its handshake at least once and none has failed since.
  bool reachable() const { return reachable_; }
  void report_down(const std::string& why);  // logs and counts only the first report
  void report_up();
  RedisCounters& counters() { return *counters_; }
  const std::string& display() const { return display_; }

 private:
  std::string display_;
  std::shared_ptr<RedisCounters> counters_;
  bool down_ = false;
  bool reachable_ = false;
  std::chrono::steady_clock::time_point down_since_{};
  metrics::Gauge* up_gauge_;
  metrics::Counter* outages_metric_;
};

struct RedisConnectionOptions {
  bool reconnect = true;  // false: a dropped connection stays down (pooled blocking connections)
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds backoff_initial{100};
  std::chrono::milliseconds backoff_max{5000};
  std::size_t max_in_flight = 100000;  // pipelined commands awaiting replies; more are refused
  // No reply at all for this long while commands wait: Redis hangs (stopped, partitioned), so
  // drop the connection and fail them. Longer than BZPOPMIN's 5 s block.
  std::chrono::milliseconds reply_timeout{15000};
};

class RedisConnection {
 public:
  // `reply` is null when the command did not complete (connection lost or connection closed).
  using ReplyHandler = std::function<void(RedisReply* reply)>;  // may move from *reply

  // Starts connecting at once on `loop` (whose native_handle() is a uv_loop_t*).
  RedisConnection(asgi::EventLoop& loop, RedisAddress address,
                  std::shared_ptr<RedisShardHealth> health, RedisConnectionOptions options = {});
  // Pending handlers are called with null before this returns.
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connected and handshaken.
  bool up() const { return state_ == State::kUp; }
  // Gone for good (reconnect off and the connection dropped).
  bool dead() const { return state_ == State::kDead; }

  // Queues one command (pipelined behind any in flight). Returns false, without calling
  // `handler`, when the shard is down or the in-flight bound is reached: fail fast.
  bool command(std::vector<std::string> args, ReplyHandler handler);

  // `co_await conn.execute({...})`: the reply (errors included), or LayerUnavailable.
  // Several commands in one call go out in one write and resume once, with every reply.
  class Execute;
  Execute execute(std::vector<std::string> args);
  Execute execute_pipeline(std::vector<std::vector<std::string>> commands);

  const RedisAddress& address() const { return address_; }

 private:
  enum class State { kConnecting, kUp, kBackoff, kDead, kClosed };
  struct Pending;

  void connect();
  void on_handshake_done(bool ok, const std::string& why);
  void lose(const std::string& why);  // idempotent per connection attempt
  void schedule_reconnect();
  bool accepting() const;
  void count_in_flight();  // one more command awaits a reply
  void arm_watchdog();
  void watch();            // the stalled-reply check



  static void on_connect(const redisAsyncContext* ac, int status) noexcept;
  static void on_disconnect(const redisAsyncContext* ac, int status) noexcept;
  static void on_reply(redisAsyncContext* ac, void* reply, void* privdata) noexcept;

  asgi::EventLoop& loop_;
  RedisAddress address_;
  std::shared_ptr<RedisShardHealth> health_;
  RedisConnectionOptions options_;
  redisAsyncContext* ac_ = nullptr;
  State state_ = State::kConnecting;
  std::size_t in_flight_ = 0;
  Pending* pending_head_ = nullptr;  // every command awaiting a reply (for orderly shutdown)
  std::chrono::milliseconds backoff_{0};
  asgi::TimerPtr timer_;  // connect timeout or backoff
  asgi::TimerPtr watchdog_;  // armed while commands are in flight
  asgi::Clock::time_point last_progress_{};
};

// The awaiter behind execute(): suspends until the last reply; destroying it first (the awaiting
// coroutine was destroyed) makes the late replies harmless.
class RedisConnection::Execute {
 public:
  Execute(RedisConnection& conn, std::vector<std::vector<std::string>> commands);
  Execute(Execute&&) noexcept = default;
  ~Execute();
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<> h);
  // One reply per command; throws LayerUnavailable if any did not complete.
  std::vector<RedisReply> await_resume();

 private:
  struct State {
    std::vector<RedisReply> replies;
    std::size_t remaining = 0;
    bool failed = false;
    bool abandoned = false;
    // While await_suspend is still queueing: a reply that arrives synchronously (a refused
    // command) must not resume the coroutine underneath it.
    bool queueing = false;
    std::coroutine_handle<> waiter;
  };
  RedisConnection* conn_;
  std::vector<std::vector<std::string>> commands_;
  std::shared_ptr<State> state_;
};

}  // namespace laurel::channel_layer
