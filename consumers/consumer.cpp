// consumers/consumer.cpp
//
// The serial dispatcher. A client event or layer message that arrives while the consumer is idle
// runs at once, on the caller's stack, with no copy of a layer message; if its handler suspends,
// a drain coroutine (holding the consumer alive) waits for it and then runs whatever queued
// meanwhile, one item at a time, as Channels' await_many_dispatch does.

#include "consumers/consumer.h"

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <typeinfo>

#include "channel_layer/default_layer.h"
#include "consumers/as_asgi.h"

namespace laurel::consumers {

using asgi::ReceiveEvent;
using asgi::Value;

namespace {

// Whether the event holds views into bytes that the consumer must own while a task runs.
bool carries_bytes(const ReceiveEvent& event) {
  if (auto* r = std::get_if<asgi::WebsocketReceive>(&event)) return !r->data.empty();
  if (auto* h = std::get_if<asgi::HttpRequest>(&event)) return !h->body.empty();
  if (auto* d = std::get_if<asgi::WebsocketDisconnect>(&event)) return !d->reason.empty();
  return false;
}

bool is_final(const ReceiveEvent& event) {
  return std::holds_alternative<asgi::WebsocketDisconnect>(event) ||
         std::holds_alternative<asgi::HttpDisconnect>(event);
}

// Resumes the awaiting coroutine when an already started task ends, without resuming the task.
struct Joined {
  Task<void>::Handle task;
  bool await_ready() const noexcept { return task.done(); }
  void await_suspend(std::coroutine_handle<> waiting) noexcept {
    task.promise().continuation = waiting;
  }
  void await_resume() const noexcept {}
};

}  // namespace

void Consumer::OwnedEvent::own(const ReceiveEvent& event) {
  index = static_cast<std::uint8_t>(event.index());
  // assign() keeps the buffer's capacity: after the first frames, owning one costs a memcpy.
  if (auto* r = std::get_if<asgi::WebsocketReceive>(&event)) {
    data.assign(r->data);
    flag = r->binary;
  } else if (auto* h = std::get_if<asgi::HttpRequest>(&event)) {
    data.assign(h->body);
    flag = h->more_body;
  } else if (auto* d = std::get_if<asgi::WebsocketDisconnect>(&event)) {
    data.assign(d->reason);
    code = d->code;
  } else {
    data.clear();
  }
}

ReceiveEvent Consumer::OwnedEvent::view() const {
  switch (index) {
    case 0:
      return asgi::HttpRequest{data, flag};
    case 1:
      return asgi::HttpDisconnect{};
    case 2:
      return asgi::WebsocketConnect{};
    case 3:
      return asgi::WebsocketReceive{data, flag};
    default:
      return asgi::WebsocketDisconnect{code, data};
  }
}

Consumer::~Consumer() = default;

channel_layer::ChannelLayer& Consumer::channel_layer() const {
  if (!layer_) {
    throw NoChannelLayer(
        "No channel layer is configured: call laurel::channel_layer::set_default_layer(...) in "
        "main() before serving");
  }
  return *layer_;
}

std::string Consumer::url_kwarg(std::string_view name) const {
  const Value* route = scope_.find("url_route");
  const Value* kwargs = route ? route->find("kwargs") : nullptr;
  const Value* value = kwargs ? kwargs->find(name) : nullptr;
  if (value == nullptr) {
    throw asgi::KeyError("scope[\"url_route\"][\"kwargs\"] has no '" + std::string(name) +
                         "': the route must capture it, e.g. re_path(R\"(ws/chat/(?P<" +
                         std::string(name) + ">\\w+)/$)\", ...)");
  }
  if (value->is_string()) return std::string(value->as_string());
  if (value->is_int()) return std::to_string(value->as_int());
  return value->repr();
}

std::string Consumer::class_name() const { return detail::short_type_name(typeid(*this).name()); }

namespace detail {
std::string short_type_name(const char* mangled) {
  int status = 0;
  char* demangled = abi::__cxa_demangle(mangled, nullptr, nullptr, &status);
  std::string name = status == 0 && demangled ? demangled : mangled;
  std::free(demangled);
  if (auto colon = name.rfind("::"); colon != std::string::npos) name.erase(0, colon + 2);
  return name;
}
}  // namespace detail

const std::string& Consumer::channel_name() const {
  static const std::string kNone;
  if (!layer_) return kNone;
  if (!channel_ || channel_->name.empty()) {
    std::string name = layer_->new_channel();  // made first: if it throws, the next call retries
    if (!channel_) channel_ = std::make_unique<Channel>();
    channel_->name = std::move(name);
    // Once the connection has gone (or the consumer finished) nothing would be delivered, so
    // the name is not registered; before that it is, so what is sent to it arrives.
    if (connected() && !finished_) {
      auto* self = const_cast<Consumer*>(this);  // consumers are never const objects
      channel_->listening = layer_->listen(
          channel_->name, [self](const Value& message) { self->on_layer_message(message); });
    }
  }
  return channel_->name;
}

void Consumer::handle(std::string type, Handler fn) {
  if (!handlers_) handlers_ = std::make_unique<std::vector<std::pair<std::string, Handler>>>();
  for (auto& [registered, handler] : *handlers_) {
    if (registered == type) {
      handler = std::move(fn);
      return;
    }
  }
  handlers_->emplace_back(std::move(type), std::move(fn));
}

void Consumer::start(asgi::Scope scope, asgi::Peer& peer) {
  scope_ = std::move(scope);
  // Kept for the connection's life: drop the capacity the routers and middleware grew it by.
  if (scope_.is_dict()) scope_.as_dict().shrink_to_fit();
  peer_ = &peer;
  loop_ = &peer.loop();
  layer_ = channel_layer::get_channel_layer();
  if (!layer_) return;
  // A background worker (ChannelNameRouter) serves the named channel it was started for; its
  // own channel name, like every consumer's, waits for channel_name().
  if (scope_.get_string("type") == "channel") {
    if (std::string_view named = scope_.get_string("channel"); !named.empty()) {
      channel_ = std::make_unique<Channel>();
      channel_->named = layer_->listen(
          std::string(named), [this](const Value& message) { on_layer_message(message); });
    }
  }
}

void Consumer::on_event(const ReceiveEvent& event) {
  if (finished_) return;
  bool final = is_final(event);
  if (final) {
    if (disconnected_) return;
    disconnected_ = true;  // from now on every send is a no-op
  } else if (failed_) {
    return;
  }
  if (busy_) {
    if (!pending_) pending_ = std::make_unique<std::list<Pending>>();
    pending_->emplace_back().event.own(event);
    return;
  }
  if (!final && handle_event_inline(event)) return;
  Task<void> task;
  try {
    if (carries_bytes(event)) {
      if (!current_) current_ = std::make_unique<OwnedEvent>();
      current_->own(event);
      task = handle_event(current_->view());
    } else {
      task = handle_event(event);
    }
  } catch (...) {
    on_error(std::current_exception());
    return;
  }
  run(std::move(task));
}

void Consumer::on_layer_message(const Value& message) {
  if (finished_ || disconnected_ || failed_) return;
  if (busy_) {
    // The only copy of a layer message: it must outlive the delivery call to wait its turn.
    if (!pending_) pending_ = std::make_unique<std::list<Pending>>();
    auto& item = pending_->emplace_back();
    item.is_message = true;
    item.message = message;
    return;
  }
  Task<void> task;
  try {
    task = dispatch(message);
  } catch (...) {
    on_error(std::current_exception());
    return;
  }
  run(std::move(task));
}

void Consumer::detach() {
  on_detached();
  peer_ = nullptr;
  if (channel_) {
    channel_->listening.reset();
    channel_->named.reset();
  }
}

void Consumer::finish() {
  finished_ = true;
  if (channel_) {
    channel_->listening.reset();
    channel_->named.reset();
  }
}

Task<void> Consumer::dispatch(const Value& message) {
  const Value* type = message.find("type");
  if (type == nullptr || !type->is_string()) {
    throw NoHandler("Incoming message has no 'type' attribute: " + message.repr());
  }
  std::string_view name = type->as_string();
  if (handlers_) {
    for (const auto& [registered, handler] : *handlers_) {
      if (registered == name) return handler(message);
    }
  }
  throw NoHandler("No handler for message type " + std::string(name));
}

Task<void> Consumer::handle_event(ReceiveEvent event) {
  if (is_final(event)) finish();
  co_return;
}

void Consumer::on_error(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "laurel: %s: %s\n", class_name().c_str(), e.what());
  } catch (...) {
    std::fprintf(stderr, "laurel: %s: non-standard exception\n", class_name().c_str());
  }
  failed_ = true;
  fail();
}

asgi::SendStatus Consumer::send_event(const asgi::SendEvent& event) {
  if (peer_ == nullptr || disconnected_) return asgi::SendStatus::kDropped;
  return peer_->send(event);
}

void Consumer::run(Task<void> task) {
  auto self = shared_from_this();  // the handler may end the connection while it runs
  busy_ = true;                    // anything arriving re-entrantly waits its turn
  task.handle().resume();
  if (task.done()) {
    complete(task);
    if (!pending_ || pending_->empty()) {
      busy_ = false;
      return;
    }
    task = Task<void>();
  }
  spawn(drain(std::move(self), std::move(task)));
}

void Consumer::complete(Task<void>& task) {
  try {
    task.result();
  } catch (...) {
    on_error(std::current_exception());
  }
}

Task<void> Consumer::make_task(const Pending& item) {
  if (item.is_message) {
    if (failed_ || finished_) return {};
    return dispatch(item.message);
  }
  ReceiveEvent event = item.event.view();
  if (finished_ || (failed_ && !is_final(event))) return {};
  if (!is_final(event) && handle_event_inline(event)) return {};
  return handle_event(event);
}

Task<void> Consumer::drain(std::shared_ptr<Consumer> self, Task<void> first) {
  if (first.valid()) {
    co_await Joined{first.handle()};
    self->complete(first);
    first = Task<void>();
  }
  while (self->pending_ && !self->pending_->empty()) {
    // The item lives in this frame while its task runs: the task's views point into it.
    Pending item = std::move(self->pending_->front());
    self->pending_->pop_front();
    Task<void> next;
    try {
      next = self->make_task(item);
    } catch (...) {
      self->on_error(std::current_exception());
      continue;
    }
    if (!next.valid()) continue;
    // Started by a plain resume() rather than co_await: a long queue of handlers that finish at
    // once then runs in a loop, not as a chain of symmetric transfers that an unoptimised build
    // turns into nested calls (and a stack overflow).
    next.handle().resume();
    if (!next.done()) co_await Joined{next.handle()};
    self->complete(next);
  }
  self->busy_ = false;
}

}  // namespace laurel::consumers
