// channel_layer/in_memory_layer.h
#pragma once

// Channels' InMemoryChannelLayer for one process with any number of loops (workers): bounded,
// expiring channel queues, expiring group membership, receive() that waits for a message, and
// laurel's push delivery (listen). A group_send hands the message to each loop that has members
// once, and members on a loop share that one message (no copy per member).

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "channel_layer/layer.h"

namespace laurel::channel_layer {

class InMemoryChannelLayer final : public ChannelLayer {
 public:
  // Seconds since an arbitrary epoch; message and group expiry are measured with it. Tests
  // inject a clock they advance by hand, so expiry tests take microseconds.
  using WallClock = std::function<double()>;

  explicit InMemoryChannelLayer(LayerConfig config = {}, WallClock clock = {});
  ~InMemoryChannelLayer() override;

  // Raises ChannelFull when the channel's queue is at capacity; a channel someone listen()s on
  // has no queue (its messages go straight to the listener's loop) and never fills.
  Task<void> send(std::string channel, asgi::Value message) override;
  // Waits on the calling loop until a message for `channel` arrives. Must run on a loop.
  Task<asgi::Value> receive(std::string channel) override;
  // "<prefix>.inmemory!<12 random letters>"; synchronous, unlike Channels' coroutine.
  std::string new_channel(std::string_view prefix = "specific") override;
  Task<void> group_add(std::string group, std::string channel) override;
  Task<void> group_discard(std::string group, std::string channel) override;
  // Members whose queue is full are skipped, as in Channels.
  Task<void> group_send(std::string group, asgi::Value message) override;
  // Drops every queued message and every group; listeners and waiting receivers stay.
  Task<void> flush() override;
  // Must be called on a loop thread; delivery happens on that loop. Several listeners on one
  // channel (a worker channel served by several loops) take its messages in turn.
  ListeningPtr listen(std::string channel,
                      std::function<void(const asgi::Value&)> deliver) override;

  // Diagnostics for tests: queued messages on a channel, members of a group.
  std::size_t queued(std::string_view channel);
  std::size_t group_size(std::string_view group);

 private:
  struct State;
  class Registration;
  // Shared with registrations and posted deliveries, which may outlive the layer object.
  std::shared_ptr<State> state_;
};

}  // namespace laurel::channel_layer
