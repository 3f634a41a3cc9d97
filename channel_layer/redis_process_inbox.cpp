#include "channel_layer/redis_process_inbox.h"

#include <algorithm>

namespace laurel::channel_layer {

// Ends a listen(): after destruction the handler is never called again, even for a backlog
// drain already posted to the loop. It may outlive the inbox (the layer was destroyed first).
class RedisProcessInbox::Registration final : public Listening {
 public:
  Registration(std::weak_ptr<RedisProcessInbox> inbox, std::string channel,
               std::shared_ptr<ListenerState> state)
      : inbox_(std::move(inbox)), channel_(std::move(channel)), state_(std::move(state)) {}
  ~Registration() override {
    state_->active = false;
    state_->backlog.clear();
    if (auto inbox = inbox_.lock()) {
      auto it = inbox->listeners_.find(channel_);
      if (it != inbox->listeners_.end() && it->second == state_) inbox->listeners_.erase(it);
    }
  }

 private:
  std::weak_ptr<RedisProcessInbox> inbox_;
  std::string channel_;
  std::shared_ptr<ListenerState> state_;
};

RedisProcessInbox::RedisProcessInbox(asgi::EventLoop& loop, std::size_t capacity,
                                     std::chrono::seconds expiry)
    : loop_(loop), capacity_(std::max<std::size_t>(1, capacity)), expiry_(expiry) {}

void RedisProcessInbox::deliver(const std::vector<std::string>& channels, Message message) {
  for (const std::string& channel : channels) {
    if (auto it = listeners_.find(channel); it != listeners_.end()) {
      std::shared_ptr<ListenerState> state = it->second;  // the handler may end the listen()
      if (state->draining) {
        state->backlog.push_back(message);
      } else {
        state->deliver(*message);
      }
      continue;
    }
    if (auto it = waiters_.find(channel); it != waiters_.end() && !it->second.empty()) {
      Waiter* w = it->second.front();
      it->second.pop_front();
      if (it->second.empty()) waiters_.erase(it);
      --waiting_;
      w->linked = false;
      w->message.emplace(*message);
      w->handle.resume();
      continue;
    }
    // Nobody is reading this channel right now: keep a bounded few (a consumer between two
    // receive() calls), dropping the oldest like channels_redis's BoundedQueue.
    Buffer& buffer = buffers_[channel];
    if (buffer.messages.size() >= capacity_) buffer.messages.pop_front();
    buffer.messages.push_back(message);
    buffer.last_arrival = std::chrono::steady_clock::now();
  }
  sweep_stale_buffers();
}

void RedisProcessInbox::sweep_stale_buffers() {
  // channels_redis keeps buffers of vanished consumers forever; laurel forgets them once their
  // newest message is older than the message expiry (at most one sweep a second).
  auto now = std::chrono::steady_clock::now();
  if (now - last_sweep_ < std::chrono::seconds(1)) return;
  last_sweep_ = now;
  std::erase_if(buffers_, [&](const auto& kv) { return now - kv.second.last_arrival > expiry_; });
}

std::size_t RedisProcessInbox::buffered(const std::string& channel) const {
  auto it = buffers_.find(channel);
  return it == buffers_.end() ? 0 : it->second.messages.size();
}

RedisProcessInbox::Receive RedisProcessInbox::receive(std::string channel) {
  return Receive(*this, std::move(channel));
}

ListeningPtr RedisProcessInbox::listen(std::string channel,
                                       std::function<void(const asgi::Value&)> deliver) {
  auto state = std::make_shared<ListenerState>();
  state->deliver = std::move(deliver);
  if (auto it = buffers_.find(channel); it != buffers_.end()) {
    state->backlog = std::move(it->second.messages);
    buffers_.erase(it);
  }
  if (!state->backlog.empty()) {
    // Not from inside listen(): the caller has not stored its registration yet.
    state->draining = true;
    loop_.post([weak = std::weak_ptr<ListenerState>(state)] {
      if (auto s = weak.lock()) drain_backlog(s);
    });
  }
  listeners_[channel] = state;  // a second listen() on a channel replaces the first
  return std::make_unique<Registration>(weak_from_this(), std::move(channel), std::move(state));
}

void RedisProcessInbox::drain_backlog(const std::shared_ptr<ListenerState>& state) {
  while (state->active && !state->backlog.empty()) {
    Message m = std::move(state->backlog.front());
    state->backlog.pop_front();
    state->deliver(*m);
  }
  state->draining = false;
}

void RedisProcessInbox::fail_waiters(std::exception_ptr error) {
  std::vector<Waiter*> all;
  for (auto& [channel, queue] : waiters_) {
    for (Waiter* w : queue) all.push_back(w);
  }
  waiters_.clear();
  waiting_ = 0;
  for (Waiter* w : all) w->linked = false;
  for (Waiter* w : all) {
    w->error = error;
    w->handle.resume();
  }
}

RedisProcessInbox::Receive::~Receive() { unlink(); }

void RedisProcessInbox::Receive::unlink() {
  if (!waiter_.linked) return;
  waiter_.linked = false;
  auto it = inbox_->waiters_.find(channel_);
  if (it == inbox_->waiters_.end()) return;
  auto& q = it->second;
  q.erase(std::remove(q.begin(), q.end(), &waiter_), q.end());
  if (q.empty()) inbox_->waiters_.erase(it);
  --inbox_->waiting_;
}

bool RedisProcessInbox::Receive::await_ready() {
  auto it = inbox_->buffers_.find(channel_);
  if (it == inbox_->buffers_.end() || it->second.messages.empty()) return false;
  waiter_.message.emplace(*it->second.messages.front());
  it->second.messages.pop_front();
  if (it->second.messages.empty()) inbox_->buffers_.erase(it);
  return true;
}

void RedisProcessInbox::Receive::await_suspend(std::coroutine_handle<> h) {
  waiter_.handle = h;
  waiter_.linked = true;
  inbox_->waiters_[channel_].push_back(&waiter_);
  ++inbox_->waiting_;
}

asgi::Value RedisProcessInbox::Receive::await_resume() {
  if (waiter_.error) std::rethrow_exception(waiter_.error);
  return std::move(*waiter_.message);
}

}  // namespace laurel::channel_layer
