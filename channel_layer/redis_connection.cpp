#include "channel_layer/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>
#include <cstdio>
#include <utility>

#include "channel_layer/redis_uv_adapter.h"

namespace laurel::channel_layer {

// One command awaiting its reply. hiredis owns the pointer until it calls on_reply; the
// connection links them so its destructor can answer and orphan them (conn = null).
struct RedisConnection::Pending {
  RedisConnection* conn;
  ReplyHandler handler;
  Pending* prev = nullptr;
  Pending* next = nullptr;
};

namespace {

RedisReply convert(const redisReply* r) {
  RedisReply out;
  switch (r->type) {
    case REDIS_REPLY_STRING:
      out.type = RedisReply::Type::kString;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_STATUS:
      out.type = RedisReply::Type::kStatus;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_ERROR:
      out.type = RedisReply::Type::kError;
      out.str.assign(r->str, r->len);
      break;
    case REDIS_REPLY_INTEGER:
      out.type = RedisReply::Type::kInteger;
      out.integer = r->integer;
      break;
    case REDIS_REPLY_ARRAY:
      out.type = RedisReply::Type::kArray;
      out.elements.reserve(r->elements);
      for (std::size_t i = 0; i < r->elements; ++i) out.elements.push_back(convert(r->element[i]));
      break;
    default:
      out.type = RedisReply::Type::kNil;
      break;
  }
  return out;
}

}  // namespace

RedisShardHealth::RedisShardHealth(std::string display, std::shared_ptr<RedisCounters> counters)
    : display_(std::move(display)),
      counters_(std::move(counters)),
      up_gauge_(&metrics::Registry::global().gauge(
          "laurel_redis_up",
          "Channel layers (one per worker) whose connections currently reach this Redis shard",
          {{"shard", display_}})),
      outages_metric_(&metrics::Registry::global().counter(
          "laurel_redis_outages_total", "Times a Redis shard became unreachable",
          {{"shard", display_}})) {}

RedisShardHealth::~RedisShardHealth() {
  if (reachable_) up_gauge_->sub();
}

void RedisShardHealth::report_down(const std::string& why) {
  if (reachable_) {
    reachable_ = false;
    up_gauge_->sub();
  }
  if (down_) return;
  outages_metric_->inc();
  down_ = true;
  down_since_ = std::chrono::steady_clock::now();
  ++counters_->outages;
  std::fprintf(stderr,
               "laurel: Redis at %s is unavailable (%s); channel layer operations on it fail "
               "with LayerUnavailable until it is back (reconnecting with backoff)\n",
               display_.c_str(), why.c_str());
}

void RedisShardHealth::report_up() {
  if (!reachable_) {
    reachable_ = true;
    up_gauge_->add();
  }
  if (!down_) return;
  down_ = false;
  ++counters_->recoveries;
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - down_since_).count();
  std::fprintf(stderr, "laurel: Redis at %s is back after %.1f s\n", display_.c_str(), seconds);
}

RedisConnection::RedisConnection(asgi::EventLoop& loop, RedisAddress address,
                                 std::shared_ptr<RedisShardHealth> health,
                                 RedisConnectionOptions options)
    : loop_(loop),
      address_(std::move(address)),
      health_(std::move(health)),
      options_(options) {
  connect();
}

RedisConnection::~RedisConnection() {
  state_ = State::kClosed;
  timer_.reset();
  watchdog_.reset();
  // Answer every pending command now, while this object is whole; hiredis may free the
  // context later (when we are inside one of its callbacks), so orphan what it still holds.
  std::vector<ReplyHandler> handlers;
  for (Pending* p = pending_head_; p != nullptr; p = p->next) {
    p->conn = nullptr;
    handlers.push_back(std::move(p->handler));
  }
  pending_head_ = nullptr;
  redisAsyncContext* ac = std::exchange(ac_, nullptr);
  if (ac != nullptr) {
    ac->data = nullptr;
    redisAsyncFree(ac);
  }
  for (auto& h : handlers) {
    if (h) h(nullptr);
  }
}

bool RedisConnection::accepting() const {
  if (ac_ == nullptr || in_flight_ >= options_.max_in_flight) return false;
  // A first connection attempt may pipeline behind the handshake; during an outage, refuse.
  return state_ == State::kUp || (state_ == State::kConnecting && !health_->down());
}

void RedisConnection::connect() {
  state_ = State::kConnecting;
  redisAsyncContext* ac = address_.is_unix()
                              ? redisAsyncConnectUnix(address_.path.c_str())
                              : redisAsyncConnect(address_.host.c_str(), address_.port);
  if (ac == nullptr || ac->err != 0) {
    std::string why = ac != nullptr ? ac->errstr : "out of memory";
    if (ac != nullptr) redisAsyncFree(ac);
    ++health_->counters().connect_failures;
    lose(why);
    return;
  }
  if (!attach_redis_to_uv(ac, loop_.native_handle())) {
    redisAsyncFree(ac);
    ++health_->counters().connect_failures;
    lose("cannot attach to the event loop");
    return;
  }
  ac_ = ac;
  ac->data = this;
  redisAsyncSetConnectCallback(ac, &RedisConnection::on_connect);
  redisAsyncSetDisconnectCallback(ac, &RedisConnection::on_disconnect);

  // Handshake first in the pipeline: AUTH, SELECT, or a PING that proves the server answers.
  std::vector<std::vector<std::string>> handshake;
  if (!address_.password.empty()) {
    if (address_.username.empty()) {
      handshake.push_back({"AUTH", address_.password});
    } else {
      handshake.push_back({"AUTH", address_.username, address_.password});
    }
  }
  if (address_.db != 0) handshake.push_back({"SELECT", std::to_string(address_.db)});
  if (handshake.empty()) handshake.push_back({"PING"});
  auto remaining = std::make_shared<std::size_t>(handshake.size());
  auto error = std::make_shared<std::string>();
  for (auto& cmd : handshake) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    for (auto& a : cmd) {
      argv.push_back(a.data());
      lens.push_back(a.size());
    }
    auto* p = new Pending{this, [this, remaining, error](RedisReply* r) {
                            if (r == nullptr) return;  // lose() already ran
                            if (r->is_error() && error->empty()) *error = r->str;
                            if (--*remaining == 0) on_handshake_done(error->empty(), *error);
                          }};
    p->next = pending_head_;
    if (pending_head_ != nullptr) pending_head_->prev = p;
    pending_head_ = p;
    count_in_flight();
    redisAsyncCommandArgv(ac, &RedisConnection::on_reply, p, static_cast<int>(argv.size()),
                          argv.data(), lens.data());
  }
  timer_ = loop_.call_later(options_.connect_timeout, [this] {
    ++health_->counters().connect_failures;
    redisAsyncContext* stale = ac_;
    lose("connection timed out");
    if (stale != nullptr) redisAsyncFree(stale);
  });
}

void RedisConnection::on_handshake_done(bool ok, const std::string& why) {
  if (state_ != State::kConnecting) return;
  if (!ok) {
    // AUTH or SELECT refused: a configuration error, reported like an outage and retried.
    ++health_->counters().connect_failures;
    redisAsyncContext* ac = ac_;
    lose("handshake refused: " + why);
    if (ac != nullptr) redisAsyncFree(ac);
    return;
  }
  state_ = State::kUp;
  timer_.reset();
  backoff_ = std::chrono::milliseconds{0};
  health_->report_up();
}

void RedisConnection::lose(const std::string& why) {
  watchdog_.reset();
  if (ac_ != nullptr) {
    // hiredis frees the context itself after this callback (or the caller frees it).
    ac_->data = nullptr;
    ac_ = nullptr;
  }
  if (state_ != State::kConnecting && state_ != State::kUp) return;
  timer_.reset();
  health_->report_down(why);
  if (options_.reconnect) {
    state_ = State::kBackoff;
    schedule_reconnect();
  } else {
    state_ = State::kDead;
  }
}

void RedisConnection::schedule_reconnect() {
  backoff_ = backoff_.count() == 0 ? options_.backoff_initial
                                   : std::min(backoff_ * 2, options_.backoff_max);
  timer_ = loop_.call_later(backoff_, [this] { connect(); });
}

bool RedisConnection::command(std::vector<std::string> args, ReplyHandler handler) {
  if (!accepting()) {
    ++health_->counters().commands_failed_fast;
    return false;
  }
  std::vector<const char*> argv;
  std::vector<std::size_t> lens;
  argv.reserve(args.size());
  lens.reserve(args.size());
  for (auto& a : args) {
    argv.push_back(a.data());
    lens.push_back(a.size());
  }
  auto* p = new Pending{this, std::move(handler)};
  if (redisAsyncCommandArgv(ac_, &RedisConnection::on_reply, p, static_cast<int>(argv.size()),
                            argv.data(), lens.data()) != REDIS_OK) {
    delete p;
    ++health_->counters().commands_failed_fast;
    return false;
  }
  p->next = pending_head_;
  if (pending_head_ != nullptr) pending_head_->prev = p;
  pending_head_ = p;
  count_in_flight();
  return true;
}

void RedisConnection::count_in_flight() {
  if (in_flight_++ == 0) last_progress_ = loop_.now();
  arm_watchdog();
}

void RedisConnection::arm_watchdog() {
  if (watchdog_) return;
  auto period = std::max(options_.reply_timeout / 4, std::chrono::milliseconds(50));
  watchdog_ = loop_.call_later(period, [this] {
    watchdog_.reset();
    watch();
  });
}

void RedisConnection::watch() {
  if (in_flight_ == 0 || ac_ == nullptr) return;
  if (loop_.now() - last_progress_ < options_.reply_timeout) {
    arm_watchdog();
    return;
  }
  redisAsyncContext* ac = ac_;
  lose("no reply from Redis for " + std::to_string(options_.reply_timeout.count()) + " ms");
  redisAsyncFree(ac);  // fails every waiting command
}

void RedisConnection::on_connect(const redisAsyncContext* ac, int status) noexcept {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self == nullptr || status == REDIS_OK) return;  // success shows as the handshake reply
  ++self->health_->counters().connect_failures;
  self->lose(ac->errstr[0] != '\0' ? ac->errstr : "connection refused");
}

void RedisConnection::on_disconnect(const redisAsyncContext* ac, int status) noexcept {
  auto* self = static_cast<RedisConnection*>(ac->data);
  if (self == nullptr) return;
  self->lose(status == REDIS_OK ? "connection closed" : ac->errstr);
}

void RedisConnection::on_reply(redisAsyncContext* ac, void* reply, void* privdata) noexcept {
  auto* p = static_cast<Pending*>(privdata);
  RedisConnection* self = p->conn;
  if (self == nullptr) {  // orphaned by the destructor, which already answered it
    delete p;
    return;
  }
  if (p->prev != nullptr) p->prev->next = p->next;
  if (p->next != nullptr) p->next->prev = p->prev;
  if (self->pending_head_ == p) self->pending_head_ = p->next;
  --self->in_flight_;
  self->last_progress_ = self->loop_.now();
  ReplyHandler handler = std::move(p->handler);
  delete p;
  if (reply == nullptr) {
    // hiredis answers pending commands with null only while it frees the context.
    ++self->health_->counters().commands_lost;
    self->lose(ac != nullptr && ac->errstr[0] != '\0' ? ac->errstr : "connection lost");
    if (handler) handler(nullptr);
    return;
  }
  RedisReply converted = convert(static_cast<redisReply*>(reply));
  if (handler) handler(&converted);  // may destroy `self`
}

RedisConnection::Execute RedisConnection::execute(std::vector<std::string> args) {
  std::vector<std::vector<std::string>> commands;
  commands.push_back(std::move(args));
  return Execute(*this, std::move(commands));
}

RedisConnection::Execute RedisConnection::execute_pipeline(
    std::vector<std::vector<std::string>> commands) {
  return Execute(*this, std::move(commands));
}

RedisConnection::Execute::Execute(RedisConnection& conn,
                                  std::vector<std::vector<std::string>> commands)
    : conn_(&conn), commands_(std::move(commands)), state_(std::make_shared<State>()) {}

RedisConnection::Execute::~Execute() {
  if (state_) state_->abandoned = true;
}

bool RedisConnection::Execute::await_suspend(std::coroutine_handle<> h) {
  State& s = *state_;
  s.waiter = h;
  s.replies.resize(commands_.size());
  s.remaining = commands_.size();
  s.queueing = true;
  for (std::size_t i = 0; i < commands_.size(); ++i) {
    bool queued = conn_->command(std::move(commands_[i]), [st = state_, i](RedisReply* r) {
      if (r != nullptr) {
        st->replies[i] = std::move(*r);
      } else {
        st->failed = true;
      }
      if (--st->remaining == 0 && !st->abandoned && !st->queueing) st->waiter.resume();
    });
    if (!queued) {
      // Refused: nothing more goes out; wait only for what is already in flight.
      s.failed = true;
      s.remaining -= commands_.size() - i;
      break;
    }
  }
  s.queueing = false;
  return s.remaining != 0;  // everything answered already: continue without suspending
}

std::vector<RedisReply> RedisConnection::Execute::await_resume() {
  if (state_->failed) {
    throw LayerUnavailable(
        "the Redis channel layer is unavailable (Redis unreachable or reconnecting); the "
        "operation did not happen");
  }
  return std::move(state_->replies);
}

}  // namespace laurel::channel_layer
