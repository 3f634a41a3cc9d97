// channel_layer/default_layer.cpp

#include "channel_layer/default_layer.h"

#include <mutex>

namespace laurel::channel_layer {

namespace {
// Read once per connection (not per message), so a mutex costs nothing that matters.
std::mutex default_mutex;
ChannelLayerPtr default_layer;
// Only its own thread touches it, so it needs no lock.
thread_local ChannelLayerPtr thread_layer;
}  // namespace

ChannelLayerPtr set_default_layer(ChannelLayerPtr layer) {
  std::lock_guard lock(default_mutex);
  std::swap(layer, default_layer);
  return layer;
}

ChannelLayerPtr set_thread_layer(ChannelLayerPtr layer) {
  std::swap(layer, thread_layer);
  return layer;
}

ChannelLayerPtr get_channel_layer() {
  if (thread_layer) return thread_layer;
  std::lock_guard lock(default_mutex);
  return default_layer;
}

}  // namespace laurel::channel_layer
