// channel_layer/redis_process_inbox.h
#pragma once

// The local side of a process's specific channels on the Redis layer. All of a process's
// "specific.<client_prefix>!<local>" channels share one Redis queue; the layer's receive loop
// pops from it and hands each message here, which routes it by local channel name to a listen()
// handler, else to a waiting receive(), else to a small bounded buffer (capacity, oldest dropped,
// forgotten after `expiry`), as channels_redis's per-channel buffers do.

#include <chrono>
#include <coroutine>
#include <deque>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asgi/loop.h"
#include "asgi/value.h"
#include "channel_layer/layer.h"

namespace laurel::channel_layer {

class RedisProcessInbox : public std::enable_shared_from_this<RedisProcessInbox> {
 public:
  using Message = std::shared_ptr<const asgi::Value>;

  RedisProcessInbox(asgi::EventLoop& loop, std::size_t capacity, std::chrono::seconds expiry);

  // One popped message for `channels` (its `__asgi_channel__`): a group_send copy may name
  // several local channels; they share the message.
  void deliver(const std::vector<std::string>& channels, Message message);

  // Awaits the next message for `channel`. Throws what fail_waiters() passes.
  class Receive;
  Receive receive(std::string channel);
  // Push delivery; buffered messages for `channel` go first (posted to the loop, in order).
  ListeningPtr listen(std::string channel, std::function<void(const asgi::Value&)> deliver);

  // Someone is waiting or listening: the Redis receive loop must run.
  bool interested() const { return waiting_ > 0 || !listeners_.empty(); }
  // Resumes every waiting receive() with `error` (Redis went away, the layer closed).
  void fail_waiters(std::exception_ptr error);
  // Drops every buffered message (flush()).
  void clear_buffers() { buffers_.clear(); }
  std::size_t buffered(const std::string& channel) const;

 private:
  struct Waiter {
    std::coroutine_handle<> handle;
    std::optional<asgi::Value> message;
    std::exception_ptr error;
    bool linked = false;
  };
  struct ListenerState {
    std::function<void(const asgi::Value&)> deliver;
    std::deque<Message> backlog;  // buffered before listen(), delivered first
    bool draining = false;
    bool active = true;
  };
  struct Buffer {
    std::deque<Message> messages;
    std::chrono::steady_clock::time_point last_arrival;
  };
  class Registration;

  void sweep_stale_buffers();
  static void drain_backlog(const std::shared_ptr<ListenerState>& state);

  asgi::EventLoop& loop_;
  std::size_t capacity_;
  std::chrono::seconds expiry_;
  std::map<std::string, std::deque<Waiter*>, std::less<>> waiters_;
  std::size_t waiting_ = 0;
  std::map<std::string, std::shared_ptr<ListenerState>, std::less<>> listeners_;
  std::map<std::string, Buffer, std::less<>> buffers_;
  std::chrono::steady_clock::time_point last_sweep_{};
};

class RedisProcessInbox::Receive {
 public:
  Receive(RedisProcessInbox& inbox, std::string channel) : inbox_(&inbox), channel_(std::move(channel)) {}
  Receive(Receive&&) = delete;
  ~Receive();
  bool await_ready();
  void await_suspend(std::coroutine_handle<> h);
  asgi::Value await_resume();

 private:
  void unlink();
  RedisProcessInbox* inbox_;
  std::string channel_;
  Waiter waiter_;
};

}  // namespace laurel::channel_layer
