// consumers/worker.cpp

#include "consumers/worker.h"

namespace laurel::consumers {

// A background consumer has no client: whatever it sends to one goes nowhere.
class Worker::NullPeer final : public asgi::Peer {
 public:
  explicit NullPeer(asgi::EventLoop& loop) : loop_(loop) {}
  asgi::SendStatus send(const asgi::SendEvent&) override { return asgi::SendStatus::kDropped; }
  asgi::EventLoop& loop() override { return loop_; }

 private:
  asgi::EventLoop& loop_;
};

Worker::Worker(asgi::ApplicationPtr app, std::vector<std::string> channels)
    : app_(std::move(app)), channels_(std::move(channels)) {}

Worker::~Worker() { stop(); }

void Worker::start(asgi::EventLoop& loop) {
  stop();
  peer_ = std::make_unique<NullPeer>(loop);
  // Consumers register with the layer on the current loop; make it this one while starting.
  struct CurrentLoop {
    asgi::EventLoop* previous = asgi::EventLoop::current();
    explicit CurrentLoop(asgi::EventLoop& loop) { asgi::EventLoop::set_current(&loop); }
    ~CurrentLoop() { asgi::EventLoop::set_current(previous); }
  } current(loop);
  for (const auto& channel : channels_) {
    asgi::Scope scope{{"type", "channel"}, {"channel", channel}};
    if (auto instance = app_->start(std::move(scope), *peer_)) {
      instances_.push_back(std::move(instance));
    }
  }
}

void Worker::stop() {
  instances_.clear();  // instances first: the peer outlives them
  peer_.reset();
}

}  // namespace laurel::consumers
