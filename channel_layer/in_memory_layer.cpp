// channel_layer/in_memory_layer.cpp
//
// One State shared by every loop of the process, guarded by one mutex. Work for a loop (a
// message for a listener or for a waiting receive()) is collected under the lock and handed
// over after it with one EventLoop::post per loop and per operation; the loop then calls each of
// its listeners with the same message. The mutex is uncontended with one worker (see the
// measurement in tests/channel_layer/in_memory_layer_test.cpp); per-loop shards would remove it.

#include "channel_layer/in_memory_layer.h"

#include <algorithm>
#include <chrono>
#include <coroutine>
#include <deque>
#include <map>
#include <optional>
#include <random>
#include <stdexcept>
#include <vector>

#include "asgi/loop.h"
#include "asgi/metrics.h"

namespace laurel::channel_layer {

using asgi::EventLoop;
using asgi::Value;
using MessagePtr = std::shared_ptr<const Value>;

namespace {

// Owned by its loop: `alive` and `deliver` are touched only on that loop's thread.
struct Listener {
  EventLoop* loop;
  std::function<void(const Value&)> deliver;
  bool alive = true;
};

// A receive() suspended until a message arrives; completed on its own loop.
struct Waiter {
  EventLoop* loop;
  std::coroutine_handle<> handle;
  std::optional<Value> result;
  bool cancelled = false;
};

struct Queued {
  double expires;
  MessagePtr message;
};

struct Channel {
  std::deque<Queued> queue;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::size_t next_listener = 0;
  std::deque<std::shared_ptr<Waiter>> waiters;
  bool unused() const { return queue.empty() && listeners.empty() && waiters.empty(); }
};

// Everything one operation must hand to one loop.
struct LoopWork {
  EventLoop* loop = nullptr;
  std::vector<std::shared_ptr<Listener>> listeners;
  std::vector<std::shared_ptr<Waiter>> waiters;
};

double system_seconds() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
}

void require_dict(const Value& message) {
  if (!message.is_dict()) {
    throw asgi::TypeError(std::string("A channel layer message must be a dict, not ") +
                          kind_name(message.kind()));
  }
}

EventLoop& require_loop(const char* what) {
  EventLoop* loop = EventLoop::current();
  if (loop == nullptr) {
    throw std::logic_error(std::string("InMemoryChannelLayer::") + what +
                           " must be called on an event loop thread");
  }
  return *loop;
}

}  // namespace

struct InMemoryChannelLayer::State {
  LayerConfig config;
  WallClock clock;
  std::mutex mutex;
  std::map<std::string, Channel, std::less<>> channels;
  std::map<std::string, std::map<std::string, double, std::less<>>, std::less<>> groups;
  double last_clean = -1e300;

  double now() const { return clock ? clock() : system_seconds(); }

  // Channels cleans on every receive and group_send; laurel does the full sweep at most once a
  // second so a group_send stays O(members), and checks the head of a queue on every receive.
  void clean_locked(double now) {
    if (now - last_clean < 1.0) return;
    last_clean = now;
    for (auto it = channels.begin(); it != channels.end();) {
      auto& queue = it->second.queue;
      bool expired = false;
      while (!queue.empty() && queue.front().expires < now) {
        queue.pop_front();
        expired = true;
      }
      // As in Channels: a channel whose message expired is presumed dead and leaves its groups.
      if (expired) remove_from_groups_locked(it->first);
      it = it->second.unused() ? channels.erase(it) : std::next(it);
    }
    double cutoff = now - static_cast<double>(config.group_expiry.count());
    for (auto g = groups.begin(); g != groups.end();) {
      std::erase_if(g->second, [&](const auto& member) { return member.second < cutoff; });
      g = g->second.empty() ? groups.erase(g) : std::next(g);
    }
  }

  void remove_from_groups_locked(std::string_view channel) {
    for (auto g = groups.begin(); g != groups.end();) {
      if (auto m = g->second.find(channel); m != g->second.end()) g->second.erase(m);
      g = g->second.empty() ? groups.erase(g) : std::next(g);
    }
  }

  static LoopWork& work_for(std::vector<LoopWork>& work, EventLoop* loop) {
    for (auto& w : work) {
      if (w.loop == loop) return w;
    }
    work.push_back(LoopWork{loop, {}, {}});
    return work.back();
  }

  // Routes one message to one channel: a listener, else a waiting receive(), else the queue.
  // Returns false when the queue is full.
  bool route_locked(std::string_view name, Channel& channel, const MessagePtr& message, double now,
                    std::vector<LoopWork>& work) {
    if (!channel.listeners.empty()) {
      auto& listener = channel.listeners[channel.next_listener++ % channel.listeners.size()];
      work_for(work, listener->loop).listeners.push_back(listener);
      return true;
    }
    if (!channel.waiters.empty()) {
      auto waiter = std::move(channel.waiters.front());
      channel.waiters.pop_front();
      work_for(work, waiter->loop).waiters.push_back(std::move(waiter));
      return true;
    }
    if (channel.queue.size() >= config.capacity_for(name)) return false;
    channel.queue.push_back(Queued{now + static_cast<double>(config.expiry.count()), message});
    return true;
  }

  // After the lock is released: one post per loop, every recipient on it sharing `message`.
  static void hand_over(std::vector<LoopWork>& work, const MessagePtr& message) {
    for (auto& w : work) {
      w.loop->post(
          [message, listeners = std::move(w.listeners), waiters = std::move(w.waiters)]() mutable {
            for (auto& listener : listeners) {
              if (listener->alive) listener->deliver(*message);
            }
            for (auto& waiter : waiters) {
              // A receive() destroyed while this was in flight loses the message, as a cancelled
              // asyncio get() that already won the race would.
              if (waiter->cancelled) continue;
              waiter->result.emplace(*message);
              waiter->handle.resume();
            }
          });
    }
  }
};

class InMemoryChannelLayer::Registration final : public Listening {
 public:
  Registration(std::shared_ptr<State> state, std::string channel,
               std::shared_ptr<Listener> listener)
      : state_(std::move(state)), channel_(std::move(channel)), listener_(std::move(listener)) {}

  ~Registration() override {
    listener_->alive = false;  // deliveries already posted to this loop become no-ops
    std::lock_guard lock(state_->mutex);
    auto it = state_->channels.find(channel_);
    if (it == state_->channels.end()) return;
    std::erase(it->second.listeners, listener_);
    if (it->second.unused()) state_->channels.erase(it);
  }

 private:
  std::shared_ptr<State> state_;
  std::string channel_;
  std::shared_ptr<Listener> listener_;
};

InMemoryChannelLayer::InMemoryChannelLayer(LayerConfig config, WallClock clock)
    : ChannelLayer(config), state_(std::make_shared<State>()) {
  state_->config = std::move(config);
  state_->clock = std::move(clock);
}

InMemoryChannelLayer::~InMemoryChannelLayer() = default;

Task<void> InMemoryChannelLayer::send(std::string channel, Value message) {
  require_valid_channel_name(channel);
  require_dict(message);
  auto shared = std::make_shared<const Value>(std::move(message));
  std::vector<LoopWork> work;
  {
    std::lock_guard lock(state_->mutex);
    double now = state_->now();
    auto it = state_->channels.try_emplace(channel).first;
    if (!state_->route_locked(channel, it->second, shared, now, work)) {
      throw ChannelFull("Channel " + channel + " is full (capacity " +
                        std::to_string(state_->config.capacity_for(channel)) + ")");
    }
  }
  State::hand_over(work, shared);
  co_return;
}

namespace {

struct ReceiveAwaiter {
  std::shared_ptr<void> keep;  // the layer state, alive while we wait
  std::mutex& mutex;
  std::function<std::optional<Value>(const std::shared_ptr<Waiter>*)> take;  // under the lock
  EventLoop& loop;
  std::optional<Value> ready;
  std::shared_ptr<Waiter> waiter;
  std::function<void(const std::shared_ptr<Waiter>&)> forget;

  bool await_ready() {
    std::lock_guard lock(mutex);
    ready = take(nullptr);
    return ready.has_value();
  }
  bool await_suspend(std::coroutine_handle<> h) {
    auto w = std::make_shared<Waiter>(Waiter{&loop, h, std::nullopt, false});
    std::lock_guard lock(mutex);
    // A message may have arrived between await_ready and now: take it rather than wait.
    ready = take(&w);
    if (ready) return false;
    waiter = std::move(w);
    return true;
  }
  Value await_resume() { return ready ? std::move(*ready) : std::move(*waiter->result); }
  ~ReceiveAwaiter() {
    if (waiter && !waiter->result) {
      waiter->cancelled = true;
      std::lock_guard lock(mutex);
      forget(waiter);
    }
  }
};

}  // namespace

Task<Value> InMemoryChannelLayer::receive(std::string channel) {
  require_valid_channel_name(channel);
  EventLoop& loop = require_loop("receive()");
  State& s = *state_;
  // `take` pops a live message, or (given a waiter) registers it; runs under the lock.
  auto take = [&s, &channel](const std::shared_ptr<Waiter>* waiter) -> std::optional<Value> {
    double now = s.now();
    s.clean_locked(now);
    auto it = s.channels.try_emplace(channel).first;
    auto& queue = it->second.queue;
    while (!queue.empty() && queue.front().expires < now) queue.pop_front();
    if (!queue.empty()) {
      Value message = *queue.front().message;
      queue.pop_front();
      if (it->second.unused()) s.channels.erase(it);
      return message;
    }
    if (waiter) it->second.waiters.push_back(*waiter);
    return std::nullopt;
  };
  auto forget = [&s, &channel](const std::shared_ptr<Waiter>& waiter) {
    auto it = s.channels.find(channel);
    if (it == s.channels.end()) return;
    std::erase(it->second.waiters, waiter);
    if (it->second.unused()) s.channels.erase(it);
  };
  // A named awaiter: GCC 12 may destroy a non-trivial temporary in a co_await expression twice.
  ReceiveAwaiter awaiter{state_, s.mutex, take, loop, std::nullopt, nullptr, forget};
  co_return co_await awaiter;
}

std::string InMemoryChannelLayer::new_channel(std::string_view prefix) {
  static constexpr char kLetters[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
  thread_local std::mt19937_64 random{std::random_device{}()};
  std::string name;
  name.reserve(prefix.size() + 22);
  name.append(prefix);
  name += ".inmemory!";
  std::uniform_int_distribution<int> pick(0, 51);
  for (int i = 0; i < 12; ++i) name += kLetters[pick(random)];
  return name;
}

Task<void> InMemoryChannelLayer::group_add(std::string group, std::string channel) {
  require_valid_group_name(group);
  require_valid_channel_name(channel);
  std::lock_guard lock(state_->mutex);
  auto& members = state_->groups.try_emplace(group).first->second;
  members.insert_or_assign(std::move(channel), state_->now());
  co_return;
}

Task<void> InMemoryChannelLayer::group_discard(std::string group, std::string channel) {
  require_valid_channel_name(channel);
  require_valid_group_name(group);
  std::lock_guard lock(state_->mutex);
  auto g = state_->groups.find(group);
  if (g == state_->groups.end()) co_return;
  if (auto m = g->second.find(channel); m != g->second.end()) g->second.erase(m);
  if (g->second.empty()) state_->groups.erase(g);
}

Task<void> InMemoryChannelLayer::group_send(std::string group, Value message) {
  require_valid_group_name(group);
  require_dict(message);
  metrics::count_group_send();
  auto shared = std::make_shared<const Value>(std::move(message));
  std::vector<LoopWork> work;
  {
    std::lock_guard lock(state_->mutex);
    double now = state_->now();
    state_->clean_locked(now);
    auto g = state_->groups.find(group);
    if (g != state_->groups.end()) {
      for (const auto& [name, joined] : g->second) {
        auto it = state_->channels.try_emplace(name).first;
        // A full member misses this message; the others still get it (Channels does the same).
        state_->route_locked(name, it->second, shared, now, work);
      }
    }
  }
  State::hand_over(work, shared);
  co_return;
}

Task<void> InMemoryChannelLayer::flush() {
  std::lock_guard lock(state_->mutex);
  state_->groups.clear();
  for (auto it = state_->channels.begin(); it != state_->channels.end();) {
    it->second.queue.clear();
    it = it->second.unused() ? state_->channels.erase(it) : std::next(it);
  }
  co_return;
}

ListeningPtr InMemoryChannelLayer::listen(std::string channel,
                                          std::function<void(const Value&)> deliver) {
  require_valid_channel_name(channel);
  EventLoop& loop = require_loop("listen()");
  auto listener = std::make_shared<Listener>(Listener{&loop, std::move(deliver), true});
  std::vector<MessagePtr> backlog;
  {
    std::lock_guard lock(state_->mutex);
    double now = state_->now();
    auto& entry = state_->channels.try_emplace(channel).first->second;
    entry.listeners.push_back(listener);
    for (auto& queued : entry.queue) {
      if (queued.expires >= now) backlog.push_back(std::move(queued.message));
    }
    entry.queue.clear();
  }
  if (!backlog.empty()) {
    // Queued messages first, in order, before anything sent after this call.
    loop.post([listener, backlog = std::move(backlog)] {
      for (const auto& message : backlog) {
        if (!listener->alive) return;
        listener->deliver(*message);
      }
    });
  }
  return std::make_unique<Registration>(state_, std::move(channel), std::move(listener));
}

std::size_t InMemoryChannelLayer::queued(std::string_view channel) {
  std::lock_guard lock(state_->mutex);
  auto it = state_->channels.find(channel);
  return it == state_->channels.end() ? 0 : it->second.queue.size();
}

std::size_t InMemoryChannelLayer::group_size(std::string_view group) {
  std::lock_guard lock(state_->mutex);
  auto it = state_->groups.find(group);
  return it == state_->groups.end() ? 0 : it->second.size();
}

}  // namespace laurel::channel_layer
