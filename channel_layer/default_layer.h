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

// The default layer, or nullptr when none is configured (Channels returns None).
ChannelLayerPtr get_channel_layer();

}  // namespace laurel::channel_layer
