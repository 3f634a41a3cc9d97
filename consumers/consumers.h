// consumers/consumers.h
#pragma once

// Everything a consumer author includes: the consumer base classes, as_asgi, and the default
// channel layer (get_channel_layer / set_default_layer).

#include "channel_layer/default_layer.h"
#include "consumers/as_asgi.h"
#include "consumers/consumer.h"
#include "consumers/http_consumer.h"
#include "consumers/json_websocket_consumer.h"
#include "consumers/sync_consumer.h"
#include "consumers/websocket_consumer.h"
#include "consumers/worker.h"
