// examples/chat/main.cpp
// The demo program: the chat application of examples/chat behind laurel's command line
// (`laurel-chat -p 9000`, `laurel-chat routes`). main() chooses the process's channel layer
// before the application starts, as a Django settings module chooses CHANNEL_LAYERS.

#include <memory>
#include <stdexcept>

#include "channel_layer/default_layer.h"
#include "channel_layer/in_memory_layer.h"
#include "examples/chat/chat_app.h"
#include "tools/cli/main.h"

namespace {

laurel::asgi::ApplicationPtr make_demo(const laurel::CliOptions& options) {
  if (!options.redis_url.empty()) {
    // The Redis layer lives on one event loop per worker, and the server does not yet offer a
    // per-worker start hook to create it on; refuse rather than silently use memory instead.
    throw std::invalid_argument("--redis is not wired into the demo yet; run without it for "
                                "the in-memory channel layer");
  }
  laurel::channel_layer::set_default_layer(
      std::make_shared<laurel::channel_layer::InMemoryChannelLayer>());
  return laurel::chat::make_application();
}

}  // namespace

int main(int argc, char** argv) {
  laurel::ProgramInfo info;
  info.description = "laurel chat demo: the Channels tutorial chat";
  info.ready_note = "(ws /ws/chat/<room>/, /ws/echo/)";
  return laurel::main(argc, argv, make_demo, info);
}
