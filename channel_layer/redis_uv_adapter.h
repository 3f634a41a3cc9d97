// channel_layer/redis_uv_adapter.h
#pragma once

// Plugs a hiredis async context into a libuv loop: hiredis asks for read/write interest, libuv
// polls the socket. laurel's own adapter instead of hiredis 0.14's adapters/libuv.h, which
// ignores libuv's error status (POLLERR: a refused connect, a reset socket) and so leaves the
// connection hanging; here an error wakes hiredis, whose read or write then reports it.

struct redisAsyncContext;

namespace laurel::channel_layer {

// `uv_loop` is a uv_loop_t*. Returns false when the context cannot be attached.
bool attach_redis_to_uv(redisAsyncContext* ac, void* uv_loop);

}  // namespace laurel::channel_layer
