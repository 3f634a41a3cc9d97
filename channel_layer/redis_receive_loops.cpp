// channel_layer/redis_receive_loops.cpp
#include "channel_layer/redis_receive_loops.h"

#include <algorithm>
#include <cstdio>
#include <exception>
#include <utility>

#include "channel_layer/redis_scripts.h"
#include "channel_layer/redis_wire.h"

namespace laurel::channel_layer {
namespace wire = redis_wire;

namespace {

// channels_redis pops one message per BZPOPMIN; laurel blocks the same way when the queue is
// empty, but once woken drains what has piled up with ZPOPMIN <count> (one round trip for up to
// kDrainBatch messages, lowest score first, as successive BZPOPMINs would return them). The
// queue is this process's alone (receivers only read their own client prefix), so nobody else
// can tell the difference.
constexpr int kDrainBatch = 64;

}  // namespace

RedisReceiveLoops::RedisReceiveLoops(asgi::EventLoop& loop, std::size_t shards, Connect connect,
                                     Decode decode, std::shared_ptr<RedisProcessInbox> inbox,
                                     std::shared_ptr<RedisCounters> counters,
                                     std::shared_ptr<bool> alive)
    : loop_(loop),
      shards_(shards),
      connect_(std::move(connect)),
      decode_(std::move(decode)),
      inbox_(std::move(inbox)),
      counters_(std::move(counters)),
      alive_(std::move(alive)) {}

void RedisReceiveLoops::ensure(const std::string& key, bool force) {
  bool known = false;
  for (const auto& q : loops_) known = known || q.key == key;
  if (!known) {
    for (std::size_t s = 0; s < shards_; ++s) {
      QueueLoop q;
      q.shard = s;
      q.key = key;
      q.inflight = wire::inflight_key(key);
      loops_.push_back(std::move(q));
    }
  }
  for (std::size_t i = 0; i < loops_.size(); ++i) {
    if (!loops_[i].running && !loops_[i].retry) pump(i, force);
  }
}

bool RedisReceiveLoops::any_failing() const {
  for (const auto& q : loops_) {
    if (q.failing) return true;
  }
  return false;
}

void RedisReceiveLoops::stop() {
  for (auto& q : loops_) {
    q.retry.reset();
    q.conn.reset();
  }
}

void RedisReceiveLoops::pump(std::size_t index, bool force) {
  QueueLoop& q = loops_[index];
  q.retry.reset();
  if (!force && !inbox_->interested()) {
    q.running = false;
    return;
  }
  q.running = true;
  if (!q.conn || q.conn->dead()) q.conn = connect_(q.shard);
  bool queued =
      q.conn->command({"EVAL", redis_scripts::kRestoreInflight, "0", q.key, q.inflight}, nullptr);
  queued = queued && q.conn->command({"ZPOPMIN", q.key, std::to_string(kDrainBatch)},
                                     [this, index](RedisReply* r) { on_drained(index, r); });
  if (queued) {
    q.failing = false;
  } else {
    fail_loop(index, nullptr);
  }
}

// The queue was empty: wait for the next message in BZPOPMIN (5 s, then loop again).
void RedisReceiveLoops::block(std::size_t index) {
  QueueLoop& q = loops_[index];
  if (!inbox_->interested()) {
    q.running = false;
    return;
  }
  if (!q.conn->command({"BZPOPMIN", q.key, std::to_string(wire::kBlockingPopSeconds)},
                       [this, index](RedisReply* r) { on_popped(index, r); })) {
    fail_loop(index, nullptr);
  }
}

// After messages arrived: take the next batch without blocking.
void RedisReceiveLoops::drain_more(std::size_t index) {
  QueueLoop& q = loops_[index];
  if (!inbox_->interested()) {
    q.running = false;
    return;
  }
  if (!q.conn->command({"ZPOPMIN", q.key, std::to_string(kDrainBatch)},
                       [this, index](RedisReply* r) { on_drained(index, r); })) {
    fail_loop(index, nullptr);
  }
}

void RedisReceiveLoops::fail_loop(std::size_t index, RedisReply* reply) {
  QueueLoop& q = loops_[index];
  if (reply != nullptr) {
    std::fprintf(stderr, "laurel: Redis refused the receive loop on %s: %s\n", q.key.c_str(),
                 reply->str.c_str());
  }
  q.failing = true;
  q.running = false;
  q.retry_delay = q.retry_delay.count() == 0
                      ? std::chrono::milliseconds(100)
                      : std::min(q.retry_delay * 2, std::chrono::milliseconds(5000));
  q.retry = loop_.call_later(q.retry_delay, [this, index] { pump(index); });
  // Waiting receive() calls fail like every other operation during the outage (they
  // may close the layer: nothing here runs after them). Listeners just wait.
  inbox_->fail_waiters(std::make_exception_ptr(LayerUnavailable(
      "the Redis channel layer is unavailable (Redis unreachable or reconnecting)")));
}

// ZPOPMIN <count>: a flat array member, score, member, score...
void RedisReceiveLoops::on_drained(std::size_t index, RedisReply* reply) {
  if (!*alive_) return;
  if (reply == nullptr || reply->is_error() || reply->type != RedisReply::Type::kArray) {
    fail_loop(index, reply != nullptr && reply->is_error() ? reply : nullptr);
    return;
  }
  QueueLoop& q = loops_[index];
  q.failing = false;
  q.retry_delay = std::chrono::milliseconds(0);
  if (reply->elements.size() < 2) {
    block(index);
    return;
  }
  if (!take(index, reply->elements, 0)) return;
  drain_more(index);
}

// BZPOPMIN: key, member, score; nil after its timeout.
void RedisReceiveLoops::on_popped(std::size_t index, RedisReply* reply) {
  if (!*alive_) return;
  if (reply == nullptr || reply->is_error()) {
    fail_loop(index, reply);
    return;
  }
  QueueLoop& q = loops_[index];
  q.failing = false;
  q.retry_delay = std::chrono::milliseconds(0);
  if (reply->type == RedisReply::Type::kArray && reply->elements.size() == 3) {
    if (!take(index, reply->elements, 1)) return;
    drain_more(index);
  } else {
    pump(index);  // timed out: restore anything parked, then wait again (channels_redis's loop)
  }
}

// Dispatches the member/score pairs of `elements` from `first` on, in order. channels_redis's
// at-least-once dance (park in $inflight, then pop it) is kept so its receivers and ours
// look alike in Redis. False when a handler closed the layer.
bool RedisReceiveLoops::take(std::size_t index, std::vector<RedisReply>& elements,
                             std::size_t first) {
  QueueLoop& q = loops_[index];
  std::vector<std::string> park{"ZADD", q.inflight};
  for (std::size_t i = first; i + 1 < elements.size(); i += 2) {
    park.push_back(elements[i + 1].str);
    park.push_back(elements[i].str);
  }
  const std::size_t count = (park.size() - 2) / 2;
  q.conn->command(std::move(park), nullptr);
  q.conn->command({"ZPOPMIN", q.inflight, std::to_string(count)}, nullptr);
  auto token = alive_;
  for (std::size_t i = first; i + 1 < elements.size(); i += 2) {
    dispatch(elements[i].str);
    if (!*token) return false;  // a handler closed the layer
  }
  return true;
}

void RedisReceiveLoops::dispatch(const std::string& member) {
  wire::Routed routed;
  try {
    routed = wire::take_routing(decode_(member));
  } catch (const std::exception& e) {
    ++counters_->decode_errors;
    std::fprintf(stderr, "laurel: dropped an undecodable channel layer message: %s\n", e.what());
    return;
  }
  auto shared = std::make_shared<const asgi::Value>(std::move(routed.message));
  inbox_->deliver(routed.channels, std::move(shared));
}

}  // namespace laurel::channel_layer
