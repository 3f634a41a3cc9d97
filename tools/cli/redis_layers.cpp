// tools/cli/redis_layers.cpp
#include "tools/cli/redis_layers.h"

#include <cstdio>
#include <exception>
#include <memory>
#include <utility>

#include "channel_layer/default_layer.h"
#include "channel_layer/redis_layer.h"

namespace laurel::cli {

void use_redis_layers(server::ServerConfig& server, std::vector<std::string> urls,
                      std::vector<std::string> encryption_keys) {
  auto shards = std::make_shared<const std::vector<std::string>>(std::move(urls));
  auto options = std::make_shared<const channel_layer::RedisLayerOptions>(
      channel_layer::RedisLayerOptions{"asgi", std::move(encryption_keys)});
  auto previous_start = std::move(server.on_worker_start);
  server.on_worker_start = [shards, options, previous_start](int worker) {
    if (previous_start) previous_start(worker);
    try {
      // On this worker's thread, so the layer (and its connections) live on this worker's loop.
      auto layer = std::make_shared<channel_layer::RedisChannelLayer>(channel_layer::LayerConfig{},
                                                                      *shards, *options);
      channel_layer::set_thread_layer(std::move(layer));
      if (worker == 0) {
        std::string where;
        for (const auto& url : *shards) {
          where += (where.empty() ? "" : ", ") + channel_layer::RedisAddress::parse(url).display();
        }
        std::fprintf(stderr, "laurel: channel layer: redis on %s (one connection set per worker%s)\n",
                     where.c_str(),
                     options->symmetric_encryption_keys.empty() ? "" : ", messages encrypted");
      }
    } catch (const std::exception& e) {
      // The URLs were checked at parse time; anything left is worth saying, not crashing over.
      // Consumers on this worker then use the process default layer.
      std::fprintf(stderr, "laurel: worker %d: cannot create the Redis channel layer: %s\n", worker,
                   e.what());
    }
  };
  auto previous_stop = std::move(server.on_worker_stop);
  server.on_worker_stop = [previous_stop](int worker) {
    // Last reference in the common case: its connections close on this loop before it ends.
    channel_layer::set_thread_layer(nullptr);
    if (previous_stop) previous_stop(worker);
  };
}

}  // namespace laurel::cli
