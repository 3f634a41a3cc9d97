// tools/cli/redis_layers.h
#pragma once

// What `--redis` does: every worker loop gets its own RedisChannelLayer, made on the worker's
// thread when it starts and dropped when it stops, as that thread's channel layer
// (channel_layer::set_thread_layer), so the consumers a worker runs share its loop's connections.

#include <string>
#include <vector>

#include "server/server.h"

namespace laurel::cli {

// Adds the per-worker hooks to `server` (hooks already there still run). `urls` are the shards,
// already checked by the command line; the prefix and limits are channels_redis's defaults.
// `encryption_keys`: channels_redis's symmetric_encryption_keys (empty: none).
void use_redis_layers(server::ServerConfig& server, std::vector<std::string> urls,
                      std::vector<std::string> encryption_keys = {});

}  // namespace laurel::cli
