#include "channel_layer/redis_uv_adapter.h"

#include <hiredis/async.h>
#include <uv.h>

namespace laurel::channel_layer {
namespace {

// Owned by libuv from uv_close() on: freed only in the close callback.
struct UvEvents {
  redisAsyncContext* ac;  // null once hiredis has cleaned up
  uv_poll_t handle;
  int events;
};

void on_poll(uv_poll_t* handle, int status, int events) noexcept {
  auto* p = static_cast<UvEvents*>(handle->data);
  // On error libuv has already stopped the poll and passes no events: let hiredis try what it
  // was waiting for, so its read() / getsockopt() sees the error and disconnects.
  if (status != 0) events = p->events;
  if (p->ac != nullptr && (events & UV_READABLE)) redisAsyncHandleRead(p->ac);
  if (p->ac != nullptr && (events & UV_WRITABLE)) redisAsyncHandleWrite(p->ac);
}

void update(UvEvents* p) {
  if (p->events != 0) {
    uv_poll_start(&p->handle, p->events, on_poll);
  } else {
    uv_poll_stop(&p->handle);
  }
}

void add_read(void* data) {
  auto* p = static_cast<UvEvents*>(data);
  p->events |= UV_READABLE;
  update(p);
}
void del_read(void* data) {
  auto* p = static_cast<UvEvents*>(data);
  p->events &= ~UV_READABLE;
  update(p);
}
void add_write(void* data) {
  auto* p = static_cast<UvEvents*>(data);
  p->events |= UV_WRITABLE;
  update(p);
}
void del_write(void* data) {
  auto* p = static_cast<UvEvents*>(data);
  p->events &= ~UV_WRITABLE;
  update(p);
}

void on_closed(uv_handle_t* handle) noexcept { delete static_cast<UvEvents*>(handle->data); }

void cleanup(void* data) {
  auto* p = static_cast<UvEvents*>(data);
  p->ac = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&p->handle), on_closed);
}

}  // namespace

bool attach_redis_to_uv(redisAsyncContext* ac, void* uv_loop) {
  if (ac->ev.data != nullptr) return false;
  auto* p = new UvEvents{ac, {}, 0};
  if (uv_poll_init(static_cast<uv_loop_t*>(uv_loop), &p->handle, ac->c.fd) != 0) {
    delete p;
    return false;
  }
  p->handle.data = p;
  ac->ev.addRead = add_read;
  ac->ev.delRead = del_read;
  ac->ev.addWrite = add_write;
  ac->ev.delWrite = del_write;
  ac->ev.cleanup = cleanup;
  ac->ev.data = p;
  return true;
}

}  // namespace laurel::channel_layer
