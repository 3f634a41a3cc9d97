// channel_layer/redis_layer.cpp
#include "channel_layer/redis_layer.h"

#include <chrono>
#include <map>
#include <stdexcept>
#include <utility>

#include "asgi/metrics.h"
#include "channel_layer/fernet.h"
#include "channel_layer/redis_message_codec.h"
#include "channel_layer/redis_process_inbox.h"
#include "channel_layer/redis_receive_loops.h"
#include "channel_layer/redis_scripts.h"
#include "channel_layer/redis_wire.h"

namespace laurel::channel_layer {
namespace wire = redis_wire;

namespace {

// laurel_channel_layer_seconds{operation}: from the call to its completion (successful calls;
// failures are counted by RedisCounters and the outage metrics instead).
void observe_since(std::string_view operation, std::chrono::steady_clock::time_point started) {
  metrics::observe_channel_layer_latency(
      operation, std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count());
}

double system_wall_clock() {
  return std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

const RedisReply& checked(const RedisReply& reply) {
  if (reply.is_error()) throw std::runtime_error("Redis refused a channel layer command: " + reply.str);
  return reply;
}

void require_message(const asgi::Value& message) {
  if (!message.is_dict()) throw std::invalid_argument("a channel layer message must be a dict");
  if (message.contains(wire::kChannelKey)) {
    throw std::invalid_argument("a channel layer message must not contain the reserved key '" +
                                std::string(wire::kChannelKey) + "'");
  }
}

}  // namespace

class RedisChannelLayer::Impl {
 public:
  struct Shard {
    RedisAddress address;
    std::shared_ptr<RedisShardHealth> health;
    std::unique_ptr<RedisConnection> commands;                 // pipelined, never blocks
    std::vector<std::unique_ptr<RedisConnection>> idle_blocking;  // for general receive()
  };

  Impl(const LayerConfig& config, std::vector<std::string> hosts, RedisLayerOptions options,
       asgi::EventLoop& loop)
      : config_(config),
        prefix_(std::move(options.prefix)),
        loop_(loop),
        client_prefix_(wire::uuid4_hex()),
        counters_(std::make_shared<RedisCounters>()),
        inbox_(std::make_shared<RedisProcessInbox>(loop, config.capacity, config.expiry)),
        codec_(options.symmetric_encryption_keys, config.expiry) {
    if (hosts.empty()) hosts.push_back("redis://localhost:6379");
    for (const auto& url : hosts) {
      Shard shard;
      shard.address = RedisAddress::parse(url);
      shard.health = std::make_shared<RedisShardHealth>(shard.address.display(), counters_);
      shards_.push_back(std::move(shard));
    }
    for (auto& shard : shards_) {
      shard.commands = std::make_unique<RedisConnection>(loop_, shard.address, shard.health);
    }
    receive_loops_ = std::make_unique<RedisReceiveLoops>(
        loop_, shards_.size(),
        [this](std::size_t s) {
          return std::make_unique<RedisConnection>(loop_, shards_[s].address, shards_[s].health);
        },
        [this](std::string_view member) { return decode(member); }, inbox_, counters_, alive_);
  }

  // The sorted-set member for a message, and back (redis_message_codec.h).
  std::string encode(const asgi::Value& message) const { return codec_.encode(message, now()); }
  asgi::Value decode(std::string_view member) const { return codec_.decode(member, now()); }

  ~Impl() {
    *alive_ = false;
    receive_loops_->stop();
    inbox_->fail_waiters(std::make_exception_ptr(
        LayerUnavailable("the Redis channel layer was closed while receive() waited")));
    for (auto& shard : shards_) {
      shard.idle_blocking.clear();
      shard.commands.reset();  // pending commands fail with LayerUnavailable
    }
  }

  double now() const { return clock_ ? clock_() : system_wall_clock(); }
  std::string expiry_bound(std::chrono::seconds lifetime) const {
    return std::to_string(static_cast<long long>(now()) - static_cast<long long>(lifetime.count()));
  }
  RedisConnection& commands(std::size_t shard) { return *shards_.at(shard).commands; }
  std::size_t next_round_robin(std::size_t& counter) {
    return shards_.size() == 1 ? 0 : counter++ % shards_.size();
  }
  std::shared_ptr<bool> alive() const { return alive_; }

  // A connection for one general-channel receive(): BZPOPMIN blocks it, so it is not shared.
  std::unique_ptr<RedisConnection> take_blocking(std::size_t shard) {
    auto& idle = shards_[shard].idle_blocking;
    while (!idle.empty()) {
      auto conn = std::move(idle.back());
      idle.pop_back();
      if (conn->up()) return conn;
    }
    RedisConnectionOptions options;
    options.reconnect = false;
    return std::make_unique<RedisConnection>(loop_, shards_[shard].address, shards_[shard].health,
                                             options);
  }
  void give_back(std::size_t shard, std::unique_ptr<RedisConnection> conn) {
    auto& idle = shards_[shard].idle_blocking;
    if (conn->up() && idle.size() < 4) idle.push_back(std::move(conn));
  }

  // The process queue of `non_local`, read on every shard (redis_receive_loops.h).
  void ensure_loops(std::string_view non_local, bool force = false) {
    receive_loops_->ensure(prefix_ + std::string(non_local), force);
  }

  LayerConfig config_;
  std::string prefix_;
  asgi::EventLoop& loop_;
  std::string client_prefix_;
  std::shared_ptr<RedisCounters> counters_;
  std::shared_ptr<RedisProcessInbox> inbox_;
  RedisMessageCodec codec_;
  std::vector<Shard> shards_;
  std::size_t send_rr_ = 0;
  std::size_t receive_rr_ = 0;
  std::function<double()> clock_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
  std::unique_ptr<RedisReceiveLoops> receive_loops_;
};

RedisChannelLayer::RedisChannelLayer(LayerConfig config, std::vector<std::string> hosts,
                                     std::string prefix, asgi::EventLoop* loop)
    : RedisChannelLayer(std::move(config), std::move(hosts),
                        RedisLayerOptions{std::move(prefix), {}}, loop) {}

RedisChannelLayer::RedisChannelLayer(LayerConfig config, std::vector<std::string> hosts,
                                     RedisLayerOptions options, asgi::EventLoop* loop)
    : ChannelLayer(std::move(config)) {
  if (loop == nullptr) loop = asgi::EventLoop::current();
  if (loop == nullptr) {
    throw std::logic_error(
        "RedisChannelLayer needs an event loop: create it on a running loop or pass one (one "
        "layer per worker loop)");
  }
  impl_ = std::make_unique<Impl>(config_, std::move(hosts), std::move(options), *loop);
}

RedisChannelLayer::~RedisChannelLayer() = default;

const std::string& RedisChannelLayer::client_prefix() const { return impl_->client_prefix_; }
const std::string& RedisChannelLayer::prefix() const { return impl_->prefix_; }
bool RedisChannelLayer::encrypted() const { return impl_->codec_.encrypted(); }
std::size_t RedisChannelLayer::shard_count() const { return impl_->shards_.size(); }
RedisCounters RedisChannelLayer::counters() const { return *impl_->counters_; }
void RedisChannelLayer::set_wall_clock(std::function<double()> clock) {
  impl_->clock_ = std::move(clock);
}

std::string RedisChannelLayer::new_channel(std::string_view prefix) {
  return wire::make_channel_name(prefix, impl_->client_prefix_, wire::uuid4_hex());
}

Task<void> RedisChannelLayer::send(std::string channel, asgi::Value message) {
  const auto started = std::chrono::steady_clock::now();
  require_valid_channel_name(channel);
  require_message(message);
  Impl& impl = *impl_;
  auto alive = impl.alive();
  std::string_view non_local = wire::non_local_name(channel);
  const bool specific = wire::is_process_specific(channel);
  if (specific) message[wire::kChannelKey] = channel;
  std::string key = impl.prefix_ + std::string(non_local);
  // Specific channels: the shard their receivers read (the non-local name's). channels_redis
  // hashes the full name here, which misroutes with several hosts; laurel's receivers read
  // every shard, so both land. General channels: round robin, as channels_redis does.
  std::size_t shard = specific ? wire::consistent_hash(non_local, impl.shards_.size())
                               : impl.next_round_robin(impl.send_rr_);
  std::string member = impl.encode(message);
  std::size_t capacity = config_.capacity_for(channel);

  // (Pipelines are built as named locals: GCC 12 miscompiles braced lists inside co_await.)
  std::vector<std::vector<std::string>> count_cmds;
  count_cmds.push_back({"ZREMRANGEBYSCORE", key, "0", impl.expiry_bound(config_.expiry)});
  count_cmds.push_back({"ZCOUNT", key, "-inf", "+inf"});
  auto counted = co_await impl.commands(shard).execute_pipeline(std::move(count_cmds));
  if (!*alive) throw LayerUnavailable("the Redis channel layer was closed");
  if (checked(counted[1]).integer >= static_cast<std::int64_t>(capacity)) {
    throw ChannelFull("channel '" + channel + "' is full (capacity " + std::to_string(capacity) +
                      "); its consumer is not keeping up");
  }
  std::vector<std::vector<std::string>> add_cmds;
  add_cmds.push_back({"ZADD", key, wire::format_score(impl.now()), std::move(member)});
  add_cmds.push_back({"EXPIRE", key, std::to_string(config_.expiry.count())});
  auto added = co_await impl.commands(shard).execute_pipeline(std::move(add_cmds));
  checked(added[0]);
  observe_since("send", started);
}

Task<asgi::Value> RedisChannelLayer::receive(std::string channel) {
  require_valid_channel_name(channel);
  Impl& impl = *impl_;
  if (wire::is_process_specific(channel)) {
    std::string_view non_local = wire::non_local_name(channel);
    std::string own = impl.client_prefix_ + "!";
    if (non_local.size() < own.size() || non_local.substr(non_local.size() - own.size()) != own) {
      throw InvalidName("channel '" + channel +
                        "' belongs to another process; receive() only on names from this "
                        "layer's new_channel()");
    }
    if (impl.inbox_->buffered(channel) == 0) {
      // Start (or keep) the process queue's receive loop before waiting; during an outage
      // fail now instead of waiting for a Redis that is not there.
      impl.ensure_loops(non_local, /*force=*/true);
      if (impl.receive_loops_->any_failing()) {
        throw LayerUnavailable("the Redis channel layer is unavailable (Redis unreachable)");
      }
    }
    co_return co_await impl.inbox_->receive(channel);
  }

  // A general channel: this coroutine pops it directly, on a connection of its own.
  auto alive = impl.alive();
  std::size_t shard = impl.next_round_robin(impl.receive_rr_);
  std::string key = impl.prefix_ + channel;
  std::string inflight = wire::inflight_key(key);
  auto conn = impl.take_blocking(shard);
  for (;;) {
    std::vector<std::vector<std::string>> pop_cmds;
    pop_cmds.push_back({"EVAL", redis_scripts::kRestoreInflight, "0", key, inflight});
    pop_cmds.push_back({"BZPOPMIN", key, std::to_string(wire::kBlockingPopSeconds)});
    auto popped = co_await conn->execute_pipeline(std::move(pop_cmds));
    if (!*alive) throw LayerUnavailable("the Redis channel layer was closed");
    const RedisReply& r = checked(popped[1]);
    if (r.type != RedisReply::Type::kArray || r.elements.size() != 3) continue;  // timed out
    std::string member = r.elements[1].str;
    std::vector<std::vector<std::string>> done_cmds;
    done_cmds.push_back({"ZADD", inflight, r.elements[2].str, member});
    done_cmds.push_back({"ZPOPMIN", inflight});
    co_await conn->execute_pipeline(std::move(done_cmds));
    if (!*alive) throw LayerUnavailable("the Redis channel layer was closed");
    impl.give_back(shard, std::move(conn));
    try {
      co_return wire::take_routing(impl.decode(member)).message;
    } catch (const wire::WireError&) {
      ++impl.counters_->decode_errors;
      throw;
    } catch (const FernetError&) {
      ++impl.counters_->decode_errors;
      throw;
    }
  }
}

Task<void> RedisChannelLayer::group_add(std::string group, std::string channel) {
  const auto started = std::chrono::steady_clock::now();
  require_valid_group_name(group);
  require_valid_channel_name(channel);
  Impl& impl = *impl_;
  std::string key = wire::group_key(impl.prefix_, group);
  std::size_t shard = wire::consistent_hash(group, impl.shards_.size());
  std::vector<std::vector<std::string>> cmds;
  cmds.push_back({"ZADD", key, wire::format_score(impl.now()), std::move(channel)});
  cmds.push_back({"EXPIRE", key, std::to_string(config_.group_expiry.count())});
  auto replies = co_await impl.commands(shard).execute_pipeline(std::move(cmds));
  checked(replies[0]);
  observe_since("group_add", started);
}

Task<void> RedisChannelLayer::group_discard(std::string group, std::string channel) {
  const auto started = std::chrono::steady_clock::now();
  require_valid_group_name(group);
  require_valid_channel_name(channel);
  Impl& impl = *impl_;
  std::size_t shard = wire::consistent_hash(group, impl.shards_.size());
  std::vector<std::string> cmd{"ZREM", wire::group_key(impl.prefix_, group), std::move(channel)};
  auto replies = co_await impl.commands(shard).execute(std::move(cmd));
  checked(replies[0]);
  observe_since("group_discard", started);
}

// Local members get their copy through Redis too, like everyone else's. Handing it to them
// directly would let it overtake messages already waiting in this process's queue (from Python
// or other laurel processes, or this process's own earlier send()), which channels_redis
// delivers in score order; it would also skip the per-queue capacity check that decides whether
// channels_redis drops a copy. The membership is in Redis, so the round trips stay anyway; what
// laurel saves instead is per member: one copy per process, decoded once and handed to every
// local listener as the same object, and a receive loop that drains its queue in batches.
Task<void> RedisChannelLayer::group_send(std::string group, asgi::Value message) {
  const auto started = std::chrono::steady_clock::now();
  require_valid_group_name(group);
  require_message(message);
  metrics::count_group_send();
  Impl& impl = *impl_;
  auto alive = impl.alive();
  const std::size_t shards = impl.shards_.size();
  std::string gkey = wire::group_key(impl.prefix_, group);
  std::vector<std::vector<std::string>> member_cmds;
  member_cmds.push_back({"ZREMRANGEBYSCORE", gkey, "0", impl.expiry_bound(config_.group_expiry)});
  member_cmds.push_back({"ZRANGE", gkey, "0", "-1"});
  auto members = co_await impl.commands(wire::consistent_hash(group, shards))
                     .execute_pipeline(std::move(member_cmds));
  if (!*alive) throw LayerUnavailable("the Redis channel layer was closed");

  // One copy per queue key: the members of one process share its queue and one copy lists
  // them all in __asgi_channel__. Capacity is that of the first member seen for the key.
  struct Target {
    std::string key;
    asgi::List channels;
    std::size_t capacity;
  };
  std::vector<Target> targets;
  std::map<std::string, std::size_t, std::less<>> by_key;
  std::map<std::size_t, std::vector<std::size_t>> by_shard;
  for (const RedisReply& m : checked(members[1]).elements) {
    const std::string& channel = m.str;
    std::string_view non_local = wire::non_local_name(channel);
    std::string key = impl.prefix_ + std::string(non_local);
    auto [it, inserted] = by_key.try_emplace(key, targets.size());
    if (inserted) {
      targets.push_back({key, {}, config_.capacity_for(channel)});
      by_shard[wire::consistent_hash(non_local, shards)].push_back(it->second);
    }
    targets[it->second].channels.emplace_back(channel);
  }

  std::string expiry_bound = impl.expiry_bound(config_.expiry);
  for (auto& [shard, indexes] : by_shard) {
    // One round trip per shard: trim expired messages, then the capacity-checked adds.
    std::vector<std::vector<std::string>> pipeline;
    pipeline.push_back({"MULTI"});
    for (std::size_t i : indexes) {
      pipeline.push_back({"ZREMRANGEBYSCORE", targets[i].key, "0", expiry_bound});
    }
    pipeline.push_back({"EXEC"});
    std::vector<std::string> eval{"EVAL", redis_scripts::kGroupSend, std::to_string(indexes.size())};
    for (std::size_t i : indexes) eval.push_back(targets[i].key);
    for (std::size_t i : indexes) {
      asgi::Value copy = message;
      copy[wire::kChannelKey] = asgi::Value(std::move(targets[i].channels));
      eval.push_back(impl.encode(copy));
    }
    for (std::size_t i : indexes) eval.push_back(std::to_string(targets[i].capacity));
    eval.push_back(wire::format_score(impl.now()));
    eval.push_back(std::to_string(config_.expiry.count()));
    pipeline.push_back(std::move(eval));
    auto replies = co_await impl.commands(shard).execute_pipeline(std::move(pipeline));
    if (!*alive) throw LayerUnavailable("the Redis channel layer was closed");
    const RedisReply& skipped = checked(replies.back());
    if (skipped.integer > 0) impl.counters_->group_send_skipped_full += skipped.integer;
  }
  observe_since("group_send", started);
}

Task<void> RedisChannelLayer::flush() {
  const auto started = std::chrono::steady_clock::now();
  Impl& impl = *impl_;
  auto alive = impl.alive();
  for (std::size_t shard = 0; shard < impl.shards_.size(); ++shard) {
    std::vector<std::string> cmd{"EVAL", redis_scripts::kFlush, "0", impl.prefix_ + "*"};
    auto replies = co_await impl.commands(shard).execute(std::move(cmd));
    if (!*alive) throw LayerUnavailable("the Redis channel layer was closed");
    checked(replies[0]);
  }
  impl.inbox_->clear_buffers();
  observe_since("flush", started);
}

ListeningPtr RedisChannelLayer::listen(std::string channel,
                                       std::function<void(const asgi::Value&)> deliver) {
  require_valid_channel_name(channel);
  std::string_view non_local = wire::non_local_name(channel);
  std::string own = impl_->client_prefix_ + "!";
  if (!wire::is_process_specific(channel) || !non_local.ends_with(own)) {
    throw InvalidName("listen() needs a channel name from this layer's new_channel(); '" + channel +
                      "' is not one");
  }
  std::string nl(non_local);
  auto registration = impl_->inbox_->listen(std::move(channel), std::move(deliver));
  impl_->ensure_loops(nl);
  return registration;
}

}  // namespace laurel::channel_layer
