#include "channel_layer/redis_layer.h"

#include <chrono>
#include <cstdio>
#include <map>
#include <optional>
#include <stdexcept>
#include <utility>

#include "asgi/metrics.h"
#include "channel_layer/fernet.h"
#include "channel_layer/redis_process_inbox.h"
#include "channel_layer/redis_wire.h"

namespace laurel::channel_layer {
namespace wire = redis_wire;

namespace {

// Moves every message parked in a queue's $inflight backup (ARGV[2]) back into the queue
// (ARGV[1]) with its score, then drops the backup: at-least-once delivery when a receiver died
// between popping and finishing. Keys go in ARGV with numkeys 0, as channels_redis sends them.
constexpr const char* kRestoreInflightLua = R"lua(
local parked = redis.call('ZRANGE', ARGV[2], 0, -1, 'WITHSCORES')
for i = 1, #parked, 2 do
  redis.call('ZADD', ARGV[1], parked[i + 1], parked[i])
end
redis.call('DEL', ARGV[2])
)lua";

// group_send's per-shard write: KEYS are queue keys, ARGV is the n members, the n capacities,
// then the score and the expiry. A full queue is skipped; the count of skipped ones is returned.
constexpr const char* kGroupSendLua = R"lua(
local n = #KEYS
local score = ARGV[#ARGV - 1]
local ttl = ARGV[#ARGV]
local skipped = 0
for i = 1, n do
  if redis.call('ZCOUNT', KEYS[i], '-inf', '+inf') < tonumber(ARGV[n + i]) then
    redis.call('ZADD', KEYS[i], score, ARGV[i])
    redis.call('EXPIRE', KEYS[i], ttl)
  else
    skipped = skipped + 1
  end
end
return skipped
)lua";

// flush(): every key under the prefix, deleted in batches that fit Lua's unpack().
constexpr const char* kFlushLua = R"lua(
local found = redis.call('KEYS', ARGV[1])
for first = 1, #found, 5000 do
  redis.call('DEL', unpack(found, first, math.min(first + 4999, #found)))
end
return #found
)lua";

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
  // One BZPOPMIN loop on one process queue ("<prefix>specific.<client_prefix>!") on one shard.
  struct QueueLoop {
    std::size_t shard = 0;
    std::string key;
    std::string inflight;
    std::unique_ptr<RedisConnection> conn;
    bool running = false;
    bool failing = false;
    std::chrono::milliseconds retry_delay{0};
    asgi::TimerPtr retry;
  };

  Impl(const LayerConfig& config, std::vector<std::string> hosts, RedisLayerOptions options,
       asgi::EventLoop& loop)
      : config_(config),
        prefix_(std::move(options.prefix)),
        loop_(loop),
        client_prefix_(wire::uuid4_hex()),
        counters_(std::make_shared<RedisCounters>()),
        inbox_(std::make_shared<RedisProcessInbox>(loop, config.capacity, config.expiry)) {
    if (hosts.empty()) hosts.push_back("redis://localhost:6379");
    for (const auto& url : hosts) {
      Shard shard;
      shard.address = RedisAddress::parse(url);
      shard.health = std::make_shared<RedisShardHealth>(shard.address.display(), counters_);
      shards_.push_back(std::move(shard));
    }
    if (!options.symmetric_encryption_keys.empty()) {
      fernet_.emplace(options.symmetric_encryption_keys);
    }
    for (auto& shard : shards_) {
      shard.commands = std::make_unique<RedisConnection>(loop_, shard.address, shard.health);
    }
  }

  // The sorted-set member for a message: 12 random bytes, then msgpack or its Fernet token.
  std::string encode(const asgi::Value& message) const {
    if (!fernet_) return wire::serialize(message);
    return wire::random_prefix() +
           fernet_->encrypt(wire::pack(message), static_cast<std::uint64_t>(now()));
  }
  // The inverse. channels_redis accepts a token for `expiry + 10` seconds. Throws WireError or
  // FernetError (a peer with other keys, or none).
  asgi::Value decode(std::string_view member) const {
    if (!fernet_) return wire::deserialize(member);
    if (member.size() <= wire::kRandomPrefixBytes) {
      throw wire::WireError("stored message shorter than its prefix");
    }
    return wire::unpack(fernet_->decrypt(member.substr(wire::kRandomPrefixBytes),
                                         static_cast<std::uint64_t>(now()),
                                         static_cast<std::uint64_t>(config_.expiry.count()) + 10));
  }

  ~Impl() {
    *alive_ = false;
    for (auto& q : loops_) {
      q.retry.reset();
      q.conn.reset();
    }
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

  // The process queues this layer reads. channels_redis senders put a specific channel's
  // messages on the shard of its non-local name (group_send) or of its full name (send()), so
  // with several hosts every shard's copy of the queue is read.
  // `force`: start even before the caller registers its interest (receive() does so next).
  void ensure_loops(std::string_view non_local, bool force = false) {
    std::string key = prefix_ + std::string(non_local);
    bool known = false;
    for (const auto& q : loops_) known = known || q.key == key;
    if (!known) {
      for (std::size_t s = 0; s < shards_.size(); ++s) {
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
  bool any_loop_failing() const {
    for (const auto& q : loops_) {
      if (q.failing) return true;
    }
    return false;
  }

  // The receive loop of one process queue. channels_redis pops one message per BZPOPMIN; laurel
  // blocks the same way when the queue is empty, but once woken drains what has piled up with
  // ZPOPMIN <count> (one round trip for up to kDrainBatch messages, lowest score first, as
  // successive BZPOPMINs would return them). The queue is this process's alone (receivers
  // only read their own client prefix), so nobody else can tell the difference.
  static constexpr int kDrainBatch = 64;

  void pump(std::size_t index, bool force = false) {
    QueueLoop& q = loops_[index];
    q.retry.reset();
    if (!force && !inbox_->interested()) {
      q.running = false;
      return;
    }
    q.running = true;
    if (!q.conn || q.conn->dead()) {
      q.conn = std::make_unique<RedisConnection>(loop_, shards_[q.shard].address,
                                                 shards_[q.shard].health);
    }
    bool queued = q.conn->command({"EVAL", kRestoreInflightLua, "0", q.key, q.inflight}, nullptr);
    queued = queued && q.conn->command({"ZPOPMIN", q.key, std::to_string(kDrainBatch)},
                                       [this, index](RedisReply* r) { on_drained(index, r); });
    if (queued) {
      q.failing = false;
    } else {
      fail_loop(index, nullptr);
    }
  }

  // The queue was empty: wait for the next message in BZPOPMIN (5 s, then loop again).
  void block(std::size_t index) {
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
  void drain_more(std::size_t index) {
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

  void fail_loop(std::size_t index, RedisReply* reply) {
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
  void on_drained(std::size_t index, RedisReply* reply) {
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
  void on_popped(std::size_t index, RedisReply* reply) {
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
  bool take(std::size_t index, std::vector<RedisReply>& elements, std::size_t first) {
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

  void dispatch(const std::string& member) {
    wire::Routed routed;
    try {
      routed = wire::take_routing(decode(member));
    } catch (const std::exception& e) {
      ++counters_->decode_errors;
      std::fprintf(stderr, "laurel: dropped an undecodable channel layer message: %s\n", e.what());
      return;
    }
    auto shared = std::make_shared<const asgi::Value>(std::move(routed.message));
    inbox_->deliver(routed.channels, std::move(shared));
  }

  LayerConfig config_;
  std::string prefix_;
  asgi::EventLoop& loop_;
  std::string client_prefix_;
  std::shared_ptr<RedisCounters> counters_;
  std::shared_ptr<RedisProcessInbox> inbox_;
  std::vector<Shard> shards_;
  std::vector<QueueLoop> loops_;
  std::size_t send_rr_ = 0;
  std::size_t receive_rr_ = 0;
  std::function<double()> clock_;
  std::optional<MultiFernet> fernet_;
  std::shared_ptr<bool> alive_ = std::make_shared<bool>(true);
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
bool RedisChannelLayer::encrypted() const { return impl_->fernet_.has_value(); }
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
      if (impl.any_loop_failing()) {
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
    pop_cmds.push_back({"EVAL", kRestoreInflightLua, "0", key, inflight});
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
    std::vector<std::string> eval{"EVAL", kGroupSendLua, std::to_string(indexes.size())};
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
    std::vector<std::string> cmd{"EVAL", kFlushLua, "0", impl.prefix_ + "*"};
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
