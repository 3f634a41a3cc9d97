// consumers/consumer.h
#pragma once

// The base of every consumer (Channels' AsyncConsumer): one instance per connection, a scope, a
// channel name on the default channel layer (made on first use), handlers chosen by a message's
// "type", and the rule that a consumer handles one event or message at a time, in arrival
// order. Subclasses add the protocol (WebsocketConsumer, HttpConsumer); background workers use
// this class directly.

#include <cstdint>
#include <exception>
#include <functional>
#include <list>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asgi/application.h"
#include "asgi/events.h"
#include "asgi/task.h"
#include "asgi/value.h"
#include "channel_layer/layer.h"

namespace laurel::consumers {

// A channel-layer message with no registered handler: Channels' ValueError
// "No handler for message type chat.message".
class NoHandler : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// The consumer needs a channel layer (groups_, channel_layer()) and none is configured.
class NoChannelLayer : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

class Consumer : public std::enable_shared_from_this<Consumer> {
 public:
  virtual ~Consumer();
  Consumer(const Consumer&) = delete;
  Consumer& operator=(const Consumer&) = delete;

  // self.scope, self.channel_name, self.channel_layer.
  const asgi::Scope& scope() const { return scope_; }
  // Made and registered with the layer on the first call: nobody can send to a name before the
  // consumer has handed it out, and an idle socket that never asks (the echo consumer) pays for
  // neither the name nor the registration. Empty without a channel layer.
  const std::string& channel_name() const;
  channel_layer::ChannelLayer& channel_layer() const;  // throws NoChannelLayer
  bool has_channel_layer() const { return layer_ != nullptr; }
  // The loop this consumer lives on (timers, run_blocking).
  asgi::EventLoop& loop() const { return *loop_; }
  // scope["url_route"]["kwargs"][name] as text; throws KeyError naming the route to fix.
  std::string url_kwarg(std::string_view name) const;
  // True until the client disconnected or the server let go of the connection.
  bool connected() const { return peer_ != nullptr && !disconnected_; }

  // Driven by the application adapter (as_asgi); not for consumer authors.
  void start(asgi::Scope scope, asgi::Peer& peer);
  void on_event(const asgi::ReceiveEvent& event);
  void detach();

 protected:
  Consumer() = default;

  // Registers the handler for a layer message type: `handle("chat.message",
  // &ChatConsumer::chat_message)`. The message reference is valid until the handler's first
  // co_await: fan-out hands every member the same message; copy what you keep past a suspension.
  template <class C>
  void handle(std::string type, Task<void> (C::*fn)(const asgi::Value&)) {
    C* self = static_cast<C*>(this);
    handle(std::move(type), [self, fn](const asgi::Value& m) { return (self->*fn)(m); });
  }
  void handle(std::string type, std::function<Task<void>(const asgi::Value&)> fn);

  // Channels' dispatch(): the handler for message["type"]; throws NoHandler.
  virtual Task<void> dispatch(const asgi::Value& message);
  // One client event (websocket.receive, http.request, ...), by value: a coroutine must not hold
  // a reference to a temporary. Payload views stay valid until the returned task ends (the
  // consumer keeps the bytes while it runs).
  virtual Task<void> handle_event(asgi::ReceiveEvent event);
  // Handles a client event without starting a coroutine when it can (the echo hot path).
  virtual bool handle_event_inline(const asgi::ReceiveEvent& event) { return false; }
  // The server let go of the connection without a final event (websocket: deliver a 1006).
  virtual void on_detached() {}
  // An exception escaped a handler. Default: log it to stderr, then fail().
  virtual void on_error(std::exception_ptr error);
  // What the protocol does after an error (websocket: close 1011; http: 500).
  virtual void fail() {}
  // A short name for logs ("ChatConsumer").
  std::string class_name() const;

  // Sends an event to the client; kDropped once the connection has gone.
  asgi::SendStatus send_event(const asgi::SendEvent& event);
  // The final event was handled: stop receiving layer messages.
  void finish();
  bool failed() const { return failed_; }

  // Channels' `groups` class attribute: set in the constructor; joined on connect, left on
  // disconnect.
  std::vector<std::string> groups_;

 private:
  // One client event with its bytes owned, so that the views handed to a handler stay valid.
  // Events without bytes (connect, an empty disconnect) are handed over as they are.
  struct OwnedEvent {
    std::string data;        // body / frame / reason bytes
    int code = 0;
    std::uint8_t index = 0;  // which ReceiveEvent alternative
    bool flag = false;       // more_body / binary
    void own(const asgi::ReceiveEvent& event);
    asgi::ReceiveEvent view() const;
  };
  // An event or layer message waiting while another one is handled.
  struct Pending {
    bool is_message = false;
    OwnedEvent event;
    asgi::Value message;
  };
  // The consumer's own channel, made by the first channel_name() call; most sockets never ask.
  // Made on first use: most sockets never ask for a channel name.
  struct Channel {
    std::string name;  // empty until channel_name() is asked
    channel_layer::ListeningPtr listening;
    channel_layer::ListeningPtr named;  // a background worker's scope["channel"]
  };
  using Handler = std::function<Task<void>(const asgi::Value&)>;

  void on_layer_message(const asgi::Value& message);
  void run(Task<void> task);
  Task<void> make_task(const Pending& item);
  void complete(Task<void>& task);
  static Task<void> drain(std::shared_ptr<Consumer> self, Task<void> first);

  // What every idle socket holds is kept small: the parts most consumers never use (the
  // channel, the queue) are allocated on first use.
  asgi::Scope scope_;
  asgi::Peer* peer_ = nullptr;
  asgi::EventLoop* loop_ = nullptr;
  channel_layer::ChannelLayerPtr layer_;
  // Filled in by the first channel_name() call, which is logically const.
  mutable std::unique_ptr<Channel> channel_;
  // A handful per consumer class, searched in order; made by the first handle() call (an echo
  // consumer registers none).
  std::unique_ptr<std::vector<std::pair<std::string, Handler>>> handlers_;
  std::unique_ptr<std::list<Pending>> pending_;  // made when something first has to wait
  // The event whose task runs now; its bytes back the views it was given. Made by the first
  // event with bytes that takes the coroutine path, then reused.
  std::unique_ptr<OwnedEvent> current_;
  bool busy_ = false;
  bool disconnected_ = false;
  bool finished_ = false;
  bool failed_ = false;
};

// Channels' name for the base class.
using AsyncConsumer = Consumer;

}  // namespace laurel::consumers
