// channel_layer/redis_scripts.h
#pragma once

// The Lua scripts the Redis channel layer sends with EVAL: the restore of a queue's $inflight
// backup that channels_redis runs before each pop, group_send's capacity-checked adds, and
// flush(). Keys go where channels_redis puts them, so both kinds of process touch Redis alike.

namespace laurel::channel_layer::redis_scripts {

// Moves every message parked in a queue's $inflight backup (ARGV[2]) back into the queue
// (ARGV[1]) with its score, then drops the backup: at-least-once delivery when a receiver died
// between popping and finishing. Keys go in ARGV with numkeys 0, as channels_redis sends them.
inline constexpr const char* kRestoreInflight = R"lua(
local parked = redis.call('ZRANGE', ARGV[2], 0, -1, 'WITHSCORES')
for i = 1, #parked, 2 do
  redis.call('ZADD', ARGV[1], parked[i + 1], parked[i])
end
redis.call('DEL', ARGV[2])
)lua";

// group_send's per-shard write: KEYS are queue keys, ARGV is the n members, the n capacities,
// then the score and the expiry. A full queue is skipped; the count of skipped ones is returned.
inline constexpr const char* kGroupSend = R"lua(
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
inline constexpr const char* kFlush = R"lua(
local found = redis.call('KEYS', ARGV[1])
for first = 1, #found, 5000 do
  redis.call('DEL', unpack(found, first, math.min(first + 4999, #found)))
end
return #found
)lua";

}  // namespace laurel::channel_layer::redis_scripts
