// channel_layer/default_layer.h
#pragma once

// The process-wide default channel layer, Channels' get_channel_layer(): main() sets it once
// (in-memory or Redis), and every consumer started afterwards uses it.

#include "channel_layer/layer.h"

namespace laurel::channel_layer {

// Replaces the default layer and returns the previous one (tests swap layers this way, as
// Channels' `channel_layers.set` does). Safe from any thread; consumers already started keep
// the layer they started with.
ChannelLayerPtr set_default_layer(ChannelLayerPtr layer);

// The layer of the calling thread, overriding the process default there: a server with one
// event loop per worker gives each worker thread its own (a Redis layer lives on one loop). Set
// and cleared on that thread (nullptr clears); returns the previous one.
ChannelLayerPtr set_thread_layer(ChannelLayerPtr layer);

// The calling thread's layer if it has one, else the default layer, else nullptr when none is
// configured (Channels returns None).
ChannelLayerPtr get_channel_layer();

}  // namespace laurel::channel_layer
