// channel_layer/redis_receive_loops.h
#pragma once

// The receive loops of the Redis layer's process queues ("<prefix>specific.<client_prefix>!"):
// one per queue and shard, each popping on a connection of its own and handing every message to
// the process inbox (redis_process_inbox.h). A loop runs while someone waits or listens, and
// after a failure retries with a growing delay while waiting receive() calls fail.

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/loop.h"
#include "asgi/value.h"
#include "channel_layer/redis_connection.h"
#include "channel_layer/redis_process_inbox.h"

namespace laurel::channel_layer {

class RedisReceiveLoops {
 public:
  // A fresh (reconnecting) connection to shard `shard`.
  using Connect = std::function<std::unique_ptr<RedisConnection>(std::size_t shard)>;
  // A stored member back into a message; throws for one that is not (counted and dropped).
  using Decode = std::function<asgi::Value(std::string_view member)>;

  // `alive` is the layer's: false once it is closed, which a message handler may do.
  RedisReceiveLoops(asgi::EventLoop& loop, std::size_t shards, Connect connect, Decode decode,
                    std::shared_ptr<RedisProcessInbox> inbox,
                    std::shared_ptr<RedisCounters> counters, std::shared_ptr<bool> alive);

  // Reads the queue `key` on every shard: channels_redis senders put a specific channel's
  // messages on the shard of its non-local name (group_send) or of its full name (send()).
  // Starts the loops that are not running. `force`: start even before the caller registers its
  // interest in the inbox (receive() does so next).
  void ensure(const std::string& key, bool force = false);
  // Some loop is waiting to retry after a failure (Redis unreachable).
  bool any_failing() const;
  // The layer closes: retries are cancelled and the loops' connections dropped.
  void stop();

 private:
  // One pop loop on one process queue on one shard.
  struct QueueLoop {
    std::size_t shard = 0;
    std::string key;
    std::string inflight;
    std::unique_ptr<RedisConnection> conn;
    bool running = false;
    bool failing = false;
    std::chrono::milliseconds retry_delay{0};
    asgi::TimerPtr retry;
  };

  void pump(std::size_t index, bool force = false);
  void block(std::size_t index);
  void drain_more(std::size_t index);
  void fail_loop(std::size_t index, RedisReply* reply);
  void on_drained(std::size_t index, RedisReply* reply);
  void on_popped(std::size_t index, RedisReply* reply);
  bool take(std::size_t index, std::vector<RedisReply>& elements, std::size_t first);
  void dispatch(const std::string& member);

  asgi::EventLoop& loop_;
  std::size_t shards_;
  Connect connect_;
  Decode decode_;
  std::shared_ptr<RedisProcessInbox> inbox_;
  std::shared_ptr<RedisCounters> counters_;
  std::shared_ptr<bool> alive_;
  std::vector<QueueLoop> loops_;
};

}  // namespace laurel::channel_layer
