#!/usr/bin/env bash
# tools/bench/redis_fanout.sh: group_send fan-out across processes on one Redis.
#
# One room of MEMBERS WebSockets (default 1,000: 999 receivers and the sender) spread round robin
# over PROCESSES server processes (default 4) that share one redis-server through their channel
# layer. The sender publishes chat messages as fast as they are delivered (INFLIGHT published
# messages not yet delivered to every member); laurel-loadgen reports deliveries/s and the
# publish-to-delivery latency (p50/p99). Run for laurel (laurel-chat --redis, one worker each)
# and for Daphne + channels_redis (tests/interop/daphne_chat, the tutorial ChatConsumer), in the
# same topology, one after the other.
#
#   tools/bench/redis_fanout.sh [--duration 10] [--warmup 2] [--members 1000] [--processes 4]
#                               [--inflight 8] [--servers laurel,daphne] [--build-dir build/release]
#                               [--no-build] [--chat path/to/laurel-chat] [--monitor SECONDS]
#
# --monitor N keeps N seconds of `redis-cli monitor`, starting about 3 s after the warm-up began, in
# BUILD_DIR/bench/redis_fanout-<server>.monitor (what each publish costs in Redis commands).
#
# Every run is bounded by --duration and a message cap, and by `timeout`; everything started here
# (redis-server, servers) is stopped by pid on exit. Results: one JSON line per server on stdout
# and in BUILD_DIR/bench/redis_fanout.jsonl, then a Markdown table.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
PYTHON=/usr/bin/python3
DURATION=10
WARMUP=2
MEMBERS=1000
PROCESSES=4
INFLIGHT=8
SERVERS=laurel,daphne
BUILD_DIR="$ROOT/build/release"
BUILD=1
CHAT_OVERRIDE=""
MAX_MESSAGES=200000  # publishes per run, whatever the duration
MONITOR=0            # seconds of `redis-cli monitor` to keep per server (profiling)

while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --warmup) WARMUP="$2"; shift 2 ;;
    --members) MEMBERS="$2"; shift 2 ;;
    --processes) PROCESSES="$2"; shift 2 ;;
    --inflight) INFLIGHT="$2"; shift 2 ;;
    --servers) SERVERS="$2"; shift 2 ;;
    --build-dir) BUILD_DIR="$(cd "$ROOT" && realpath -m "$2")"; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --monitor) MONITOR="$2"; shift 2 ;;
    --chat) CHAT_OVERRIDE="$(realpath "$2")"; shift 2 ;;  # another laurel-chat (e.g. a sanitizer build)
    -h|--help) sed -n '2,21p' "$0"; exit 0 ;;
    *) echo "redis_fanout.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

log() { printf 'redis_fanout: %s\n' "$*" >&2; }

if [ "$BUILD" -eq 1 ]; then
  if [ ! -f "$BUILD_DIR/build.ninja" ]; then
    cmake -S "$ROOT" -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release -DLAUREL_TESTS=OFF >&2
  fi
  targets=(laurel-loadgen)
  [[ ",$SERVERS," == *,laurel,* ]] && targets+=(laurel-chat)
  ninja -C "$BUILD_DIR" -j "${LAUREL_JOBS:-2}" "${targets[@]}" >&2
fi
CHAT="${CHAT_OVERRIDE:-$BUILD_DIR/examples/chat/laurel-chat}"
LOADGEN="$BUILD_DIR/tools/laurel-loadgen"
[ -x "$LOADGEN" ] || { log "no $LOADGEN (build it)"; exit 1; }
if [[ ",$SERVERS," == *,laurel,* ]] && [ ! -x "$CHAT" ]; then log "no $CHAT (build it)"; exit 1; fi

WORK="$(mktemp -d /tmp/laurel-fanout.XXXXXX)"
PIDS=()
stop_all() {
  local pid
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    # Bounded wait for each, then KILL what is left.
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  PIDS=()
}
cleanup() { stop_all; rm -rf "$WORK"; }

# Commands redis-server has run so far (INFO commandstats): round trips the layers cost.
redis_calls() {
  redis-cli -p "$REDIS_PORT" info commandstats |
    sed -n 's/^cmdstat_[^:]*:calls=\([0-9]*\),.*/\1/p' | awk '{n += $1} END {print n + 0}'
}

# CPU seconds (user + system) used so far by the given pids and their children that exited
# (daphne forks nothing; laurel-chat runs one worker): where the time went during a run.
cpu_seconds() {
  local pid total=0 ticks
  ticks="$(getconf CLK_TCK)"
  for pid in "$@"; do
    [ -r "/proc/$pid/stat" ] || continue
    # Fields after the ")" of the command name: utime is 14th, stime 15th of the whole line.
    total=$((total + $(sed 's/.*) //' "/proc/$pid/stat" | awk '{print $12 + $13}')))
  done
  awk -v t="$total" -v hz="$ticks" 'BEGIN { printf "%.2f", t / hz }'
}
trap cleanup EXIT

free_port() {
  "$PYTHON" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

wait_port() {  # wait_port PORT PID: until PORT accepts or PID exits (at most 60 s)
  local port="$1" pid="$2"
  for _ in $(seq 1 600); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    kill -0 "$pid" 2>/dev/null || { log "process $pid exited before listening on $port"; return 1; }
    sleep 0.1
  done
  log "nothing listening on $port after 60 s"
  return 1
}

start_redis() {
  REDIS_PORT="$(free_port)"
  redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save "" --appendonly no --dir "$WORK" \
    >"$WORK/redis.log" 2>&1 &
  REDIS_PID=$!
  PIDS+=("$REDIS_PID")
  wait_port "$REDIS_PORT" "$REDIS_PID"
  REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
}

PORTS=()
SERVER_PIDS=()
start_laurel() {
  local i port pid
  PORTS=()
  SERVER_PIDS=()
  for i in $(seq 1 "$PROCESSES"); do
    port="$(free_port)"
    (cd "$WORK" && exec "$CHAT" -b 127.0.0.1 -p "$port" --workers 1 -v 0 --redis "$REDIS_URL" \
      --database "$WORK/users.sqlite3" >"$WORK/laurel-$i.out" 2>"$WORK/laurel-$i.err") &
    pid=$!
    PIDS+=("$pid")
    SERVER_PIDS+=("$pid")
    wait_port "$port" "$pid"
    PORTS+=("$port")
  done
  # The first process created the user database and printed the demo user's password once.
  local password token
  password="$(sed -n 's/.*username demo, password \([^ ]*\) (shown once).*/\1/p' "$WORK/laurel-1.out")"
  [ -n "$password" ] || { log "laurel-chat printed no demo password"; return 1; }
  token="$(curl -sS --max-time 20 -H 'Content-Type: application/json' \
    -d "{\"username\":\"demo\",\"password\":\"$password\"}" \
    "http://127.0.0.1:${PORTS[0]}/auth/token" |
    "$PYTHON" -c 'import json,sys; print(json.load(sys.stdin)["access"])')"
  AUTH_ARGS=(-H "Authorization: Bearer $token")
}

start_daphne() {
  local i port pid
  PORTS=()
  SERVER_PIDS=()
  for i in $(seq 1 "$PROCESSES"); do
    port="$(free_port)"
    (cd "$ROOT/tests/interop/daphne_chat" &&
      LAUREL_TEST_REDIS="$REDIS_URL" DJANGO_SETTINGS_MODULE=chatsite.settings \
      PYTHONPATH="$ROOT/tests/interop/daphne_chat" \
      exec "$PYTHON" -m daphne -b 127.0.0.1 -p "$port" -v 0 chatsite.asgi:application \
      >"$WORK/daphne-$i.out" 2>&1) &
    pid=$!
    PIDS+=("$pid")
    SERVER_PIDS+=("$pid")
    wait_port "$port" "$pid"
    PORTS+=("$port")
  done
  AUTH_ARGS=()
}

RESULTS="$BUILD_DIR/bench/redis_fanout.jsonl"
mkdir -p "$(dirname "$RESULTS")"
declare -A LINES=()

run_one() {
  local server="$1" ports line
  start_redis
  case "$server" in
    laurel) start_laurel ;;
    daphne) start_daphne ;;
    *) log "unknown server $server"; return 1 ;;
  esac
  ports="$(IFS=,; echo "${PORTS[*]}")"
  local cpu0 rcpu0 cpu1 rcpu1 load_before calls0 calls1
  cpu0="$(cpu_seconds "${SERVER_PIDS[@]}")"
  rcpu0="$(cpu_seconds "$REDIS_PID")"
  calls0="$(redis_calls)"
  load_before="$(cut -d' ' -f1 /proc/loadavg)"
  if [ "$MONITOR" != 0 ]; then
    # Starts after the sockets are open (they take a while); bounded by timeout.
    (sleep "$WARMUP"; sleep 3; exec timeout "$MONITOR" redis-cli -p "$REDIS_PORT" monitor \
      >"$BUILD_DIR/bench/redis_fanout-$server.monitor" 2>/dev/null) &
    PIDS+=("$!")
  fi
  log "$server: $PROCESSES processes on ports $ports, redis on $REDIS_PORT; $MEMBERS members"
  # Wall-clock bound: opening the sockets, warm-up, the measured window and a margin.
  line="$(timeout $((120 + ${DURATION%.*} + ${WARMUP%.*})) "$LOADGEN" broadcast --ports "$ports" \
    --connections $((MEMBERS - 1)) --format chat-json --path /ws/chat/bench/ \
    --inflight "$INFLIGHT" --duration "$DURATION" --warmup "$WARMUP" \
    --messages "$MAX_MESSAGES" --concurrency 100 --open-timeout 60 "${AUTH_ARGS[@]}")"
  cpu1="$(cpu_seconds "${SERVER_PIDS[@]}")"
  rcpu1="$(cpu_seconds "$REDIS_PID")"
  calls1="$(redis_calls)"
  # server_cpu_s / redis_cpu_s: CPU seconds the servers / redis-server used while the load ran
  # (sockets opening, warm-up and measured window); load1 before and after the run.
  line="${line%\}},\"server\":\"$server\",\"processes\":$PROCESSES,\"members\":$MEMBERS"
  line+=",\"server_cpu_s\":$(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN{printf "%.2f", b-a}')"
  line+=",\"redis_cpu_s\":$(awk -v a="$rcpu0" -v b="$rcpu1" 'BEGIN{printf "%.2f", b-a}')"
  line+=",\"redis_commands\":$((calls1 - calls0))"
  line+=",\"load1_before\":\"$load_before\",\"load1\":\"$(cut -d' ' -f1 /proc/loadavg)\"}"
  echo "$line"
  echo "$line" >>"$RESULTS"
  LINES[$server]="$line"
  stop_all
}

IFS=, read -r -a SERVER_LIST <<<"$SERVERS"
for s in "${SERVER_LIST[@]}"; do run_one "$s"; done

echo
echo "| server | processes | members | deliveries/s | p50 ms | p99 ms | server CPU s | redis CPU s | load1 | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
for s in "${SERVER_LIST[@]}"; do
  "$PYTHON" - "${LINES[$s]}" <<'EOF'
import json, sys
r = json.loads(sys.argv[1])
print("| %s | %d | %d | %.0f | %.1f | %.1f | %.2f | %.2f | %s | %d |" % (
    r["server"], r["processes"], r["members"], r["msgs_per_sec"], r["p50_us"] / 1000,
    r["p99_us"] / 1000, r["server_cpu_s"], r["redis_cpu_s"], r["load1"], r["errors"]))
EOF
done
