// consumers/worker.h
#pragma once

// Channels' `runworker`: serves named channels (e.g. "thumbnails") with an application, usually
// a ChannelNameRouter of consumers. Each channel gets one long-lived instance with the scope
// {"type": "channel", "channel": name}; the consumer receives that channel's messages through
// the layer (Consumer::start listens on scope["channel"]) and dispatches them by type.

#include <memory>
#include <string>
#include <vector>

#include "asgi/application.h"
#include "asgi/loop.h"

namespace laurel::consumers {

class Worker {
 public:
  Worker(asgi::ApplicationPtr app, std::vector<std::string> channels);
  ~Worker();

  // Starts one instance per channel on the calling loop.
  void start(asgi::EventLoop& loop);
  // Ends every instance (idempotent; the destructor calls it).
  void stop();

 private:
  class NullPeer;
  asgi::ApplicationPtr app_;
  std::vector<std::string> channels_;
  std::unique_ptr<NullPeer> peer_;
  std::vector<std::unique_ptr<asgi::Instance>> instances_;
};

}  // namespace laurel::consumers
