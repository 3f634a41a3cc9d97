// consumers/sync_consumer.h
#pragma once

// Channels' SyncConsumer, for background workers behind a ChannelNameRouter: handlers are plain
// blocking functions (`void fn(const asgi::Value&)`), run one at a time on the loop's thread
// pool so they may sleep, hash or query a database without stalling the loop. A handler gets
// its own copy of the message; it must not touch the connection or the layer directly (post
// back with loop().post(...) for that, or use an async Consumer).

#include "consumers/consumer.h"

namespace laurel::consumers {

class SyncConsumer : public Consumer {
 protected:
  template <class C>
  void handle_sync(std::string type, void (C::*fn)(const asgi::Value&)) {
    C* self = static_cast<C*>(this);
    handle(std::move(type), [self, fn](const asgi::Value& message) {
      return run_in_pool(
          self, [self, fn](const asgi::Value& m) { (self->*fn)(m); }, message);
    });
  }

 private:
  // `message` by value: the copy lives in the coroutine frame while the pool thread reads it.
  static Task<void> run_in_pool(Consumer* self, std::function<void(const asgi::Value&)> fn,
                                asgi::Value message);
};

}  // namespace laurel::consumers
