// channel_layer/redis_layer.h
#pragma once

// The Redis channel layer, wire-compatible with channels_redis 4.x's RedisChannelLayer: Python
// Channels processes and laurel processes on the same Redis (same hosts list, same prefix) send
// to each other's channels and groups. One instance per event loop (per worker): it runs on the
// loop current when it is created; give each worker of a multi-loop process its own.

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "asgi/loop.h"
#include "channel_layer/layer.h"
#include "channel_layer/redis_connection.h"

namespace laurel::channel_layer {

// What a channels_redis CONFIG holds beyond the common LayerConfig and the hosts.
struct RedisLayerOptions {
  std::string prefix = "asgi";
  // channels_redis's `symmetric_encryption_keys`: when not empty, stored message bodies are Fernet
  // tokens, encrypted with the first secret and opened with any of them (rotation). Every process
  // on the layer, Python or laurel, needs the same list. read_symmetric_keys_file() (fernet.h)
  // reads one from a file, which keeps secrets off command lines.
  std::vector<std::string> symmetric_encryption_keys;
};

class RedisChannelLayer final : public ChannelLayer {
 public:
  // `hosts`: redis:// or unix:// URLs; their order defines the shards, as in channels_redis's
  // CONFIG["hosts"]. `loop` defaults to asgi::EventLoop::current(). Throws std::invalid_argument
  // for a bad URL or an empty host list, std::logic_error when there is no loop.
  RedisChannelLayer(LayerConfig config, std::vector<std::string> hosts,
                    std::string prefix = "asgi", asgi::EventLoop* loop = nullptr);
  // The same with the other channels_redis options; throws std::invalid_argument as above.
  RedisChannelLayer(LayerConfig config, std::vector<std::string> hosts, RedisLayerOptions options,
                    asgi::EventLoop* loop = nullptr);
  // Pending operations fail with LayerUnavailable; listeners stop.
  ~RedisChannelLayer() override;

  Task<void> send(std::string channel, asgi::Value message) override;
  Task<asgi::Value> receive(std::string channel) override;
  std::string new_channel(std::string_view prefix = "specific") override;
  Task<void> group_add(std::string group, std::string channel) override;
  Task<void> group_discard(std::string group, std::string channel) override;
  Task<void> group_send(std::string group, asgi::Value message) override;
  Task<void> flush() override;
  ListeningPtr listen(std::string channel,
                      std::function<void(const asgi::Value&)> deliver) override;

  // The per-process part of this layer's channel names (uuid4 hex, like channels_redis's).
  const std::string& client_prefix() const;
  const std::string& prefix() const;
  bool encrypted() const;
  std::size_t shard_count() const;
  // Connection health for metrics.
  RedisCounters counters() const;
  // Wall-clock seconds used for scores and expiry bounds (default: the system clock). Tests
  // move it to check expiry without waiting; peers on other machines need synced clocks.
  void set_wall_clock(std::function<double()> clock);

  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace laurel::channel_layer
