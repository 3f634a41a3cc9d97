// channel_layer/layer.h
#pragma once

// The channel layer contract of Channels: named channels with bounded, expiring queues and named
// groups of channels, shared by consumers in one process (InMemoryChannelLayer) or across
// processes and languages (RedisChannelLayer, wire-compatible with channels_redis).

#include <chrono>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>

#include "asgi/task.h"
#include "asgi/value.h"

namespace laurel::channel_layer {

struct LayerConfig {
  std::chrono::seconds expiry{60};          // message lifetime in a channel queue
  std::chrono::seconds group_expiry{86400}; // membership lifetime unless re-added
  std::size_t capacity = 100;               // messages per channel before ChannelFull
  // {glob pattern, capacity}: first match against the full channel name wins (fnmatch globs).
  std::vector<std::pair<std::string, std::size_t>> channel_capacity;
  std::size_t capacity_for(std::string_view channel) const;
};

// A send to a channel whose queue is at capacity (Channels' ChannelFull).
class ChannelFull : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// A channel or group name that Channels would reject; the message names the rule.
class InvalidName : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};
// The layer cannot reach its backend (Redis down); the operation did not happen.
class LayerUnavailable : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Ends a listen() registration when destroyed.
class Listening {
 public:
  virtual ~Listening() = default;
};
using ListeningPtr = std::unique_ptr<Listening>;

class ChannelLayer {
 public:
  virtual ~ChannelLayer() = default;

  // Channels' API. Messages are dicts with a "type" key.
  virtual Task<void> send(std::string channel, asgi::Value message) = 0;
  virtual Task<asgi::Value> receive(std::string channel) = 0;
  // A fresh channel name this process can receive on ("specific.<process>!<unique>").
  virtual std::string new_channel(std::string_view prefix = "specific") = 0;
  virtual Task<void> group_add(std::string group, std::string channel) = 0;
  virtual Task<void> group_discard(std::string group, std::string channel) = 0;
  virtual Task<void> group_send(std::string group, asgi::Value message) = 0;
  virtual Task<void> flush() = 0;

  // laurel: push delivery instead of one receive() loop per consumer. Messages for `channel`
  // (a name from new_channel) are handed to `deliver` on the calling loop as they arrive, in
  // order, until the returned registration is destroyed. Messages queued before are delivered
  // first. The handler gets a reference valid during the call: fan-out shares one message.
  virtual ListeningPtr listen(std::string channel,
                              std::function<void(const asgi::Value&)> deliver) = 0;

  const LayerConfig& config() const { return config_; }

 protected:
  explicit ChannelLayer(LayerConfig config) : config_(std::move(config)) {}
  LayerConfig config_;
};

using ChannelLayerPtr = std::shared_ptr<ChannelLayer>;

// Channels' name rules (ASCII): letters, digits, '-', '_', '.', and for channels an optional
// '!' with a local part; shorter than 100 characters. Throw InvalidName naming the rule broken.
void require_valid_channel_name(std::string_view name);
void require_valid_group_name(std::string_view name);

}  // namespace laurel::channel_layer
