// testing/recording_peer.h
#pragma once

// A Peer without a socket: it records what the application sends, as the ASGI dicts Channels'
// communicators return, and refuses sends the server would refuse (anything after a close or a
// finished response), so tests see what a real connection would carry. Given the slot that holds
// the instance it serves, it carries out hand-overs (Peer::replace_instance) as a server does.

#include <deque>

#include "asgi/application.h"
#include "asgi/instance_slot.h"
#include "asgi/loop.h"

namespace laurel::testing {

class RecordingPeer final : public asgi::Peer {
 public:
  // Without `holder`, hand-overs are refused and the instance asking keeps forwarding.
  explicit RecordingPeer(asgi::EventLoop& loop, asgi::InstanceSlot* holder = nullptr)
      : loop_(loop), holder_(holder) {}

  asgi::SendStatus send(const asgi::SendEvent& event) override;
  asgi::EventLoop& loop() override { return loop_; }
  bool replace_instance(asgi::Instance& current, std::unique_ptr<asgi::Instance>& next) override {
    return holder_ != nullptr && holder_->replace(current, next);
  }

  std::deque<asgi::Value>& outputs() { return outputs_; }
  bool finished() const { return finished_; }   // a close or the last body chunk was sent
  std::size_t sends() const { return sends_; }  // every send() call, refused ones included

 private:
  asgi::EventLoop& loop_;
  asgi::InstanceSlot* holder_;
  std::deque<asgi::Value> outputs_;
  bool finished_ = false;
  std::size_t sends_ = 0;
};

}  // namespace laurel::testing
