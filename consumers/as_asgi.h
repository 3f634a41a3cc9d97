// consumers/as_asgi.h
#pragma once

// as_asgi<T>(args...): Channels' `Consumer.as_asgi(**initkwargs)`. The Application it returns
// builds one T(args...) per connection; the consumer lives as long as its connection plus any of
// its coroutines still running (the instance and each running coroutine hold a shared_ptr).

#include <memory>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeinfo>
#include <utility>

#include "asgi/application.h"
#include "consumers/consumer.h"

namespace laurel::consumers {

namespace detail {

// The Instance the server talks to: forwards events; on destruction lets go of the peer.
class ConsumerInstance final : public asgi::Instance {
 public:
  explicit ConsumerInstance(std::shared_ptr<Consumer> consumer) : consumer_(std::move(consumer)) {}
  ~ConsumerInstance() override { consumer_->detach(); }
  void receive(const asgi::ReceiveEvent& event) override { consumer_->on_event(event); }

 private:
  std::shared_ptr<Consumer> consumer_;
};

// "ChatConsumer" from the mangled type name.
std::string short_type_name(const char* mangled);

template <class T, class... Args>
class ConsumerApplication final : public asgi::Application {
 public:
  explicit ConsumerApplication(Args... args) : args_(std::move(args)...) {}

  std::unique_ptr<asgi::Instance> start(asgi::Scope scope, asgi::Peer& peer) override {
    std::shared_ptr<Consumer> consumer =
        std::apply([](const Args&... a) { return std::make_shared<T>(a...); }, args_);
    consumer->start(std::move(scope), peer);
    return std::make_unique<ConsumerInstance>(std::move(consumer));
  }
  std::string name() const override { return short_type_name(typeid(T).name()); }

 private:
  std::tuple<Args...> args_;
};

}  // namespace detail

template <class T, class... Args>
asgi::ApplicationPtr as_asgi(Args&&... args) {
  static_assert(std::is_base_of_v<Consumer, T>, "as_asgi<T>: T must derive from a consumer");
  return std::make_shared<detail::ConsumerApplication<T, std::decay_t<Args>...>>(
      std::forward<Args>(args)...);
}

}  // namespace laurel::consumers
