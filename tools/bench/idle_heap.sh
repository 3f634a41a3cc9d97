#!/usr/bin/env bash
# tools/bench/idle_heap.sh: what an idle WebSocket holds, allocation by allocation.
#
# Starts build/release's laurel-chat under heaptrack on a free loopback port, opens N idle echo
# sockets with laurel-loadgen (default 2,000), and stops the server with SIGKILL while they are
# still open, so everything each socket holds is reported as "leaked". Prints the leaks made by
# at least N/2 calls as bytes and allocations per socket. Needs `apt-get install heaptrack`.
#
#   tools/bench/idle_heap.sh [N] [laurel-loadgen options, e.g. -H 'User-Agent: ...']
#
# Bounded: the load generator holds the sockets for 10 s; every process started here is stopped
# by its pid. Output: build/bench/idle_heap.zst (open it with `heaptrack --analyze`).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
BUILD="$ROOT/build/release"
OUT="$ROOT/build/bench"
N="${1:-2000}"
shift || true
PORT="$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
STATE="$(mktemp -d)"
mkdir -p "$OUT"
rm -f "$OUT"/idle_heap.zst

heaptrack -o "$OUT/idle_heap" "$BUILD/examples/chat/laurel-chat" -p "$PORT" --workers 1 -v 0 \
  --database "$STATE/users.sqlite3" >"$OUT/idle_heap.server.log" 2>&1 &
HEAPTRACK=$!
SERVER=""
for _ in $(seq 100); do  # up to 20 s for the server to listen
  SERVER="$(pgrep -P "$HEAPTRACK" -x laurel-chat || true)"
  if [ -n "$SERVER" ] && (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then break; fi
  sleep 0.2
done
[ -n "$SERVER" ] || { echo "idle_heap: the server did not start; see $OUT/idle_heap.server.log" >&2; kill "$HEAPTRACK"; exit 1; }

timeout 60 "$BUILD/tools/laurel-loadgen" idle -c "$N" --concurrency 50 -d 10 --open-timeout 30 \
  --port "$PORT" "$@" >"$OUT/idle_heap.loadgen.json" 2>"$OUT/idle_heap.loadgen.log" &
LOADGEN=$!
sleep 6  # all open and idle (the load generator reports when they are)
cat "$OUT/idle_heap.loadgen.log" >&2
kill -KILL "$SERVER"
wait "$HEAPTRACK" || true
kill "$LOADGEN" 2>/dev/null || true
wait "$LOADGEN" 2>/dev/null || true
rm -rf "$STATE"

heaptrack_print -f "$OUT/idle_heap.zst" -n 80 --print-leaks 1 --merge-backtraces 0 \
  --print-peaks 0 --print-allocators 0 --print-temporary 0 --print-histogram 0 2>/dev/null |
  /usr/bin/python3 -c '
import re, sys
n = int(sys.argv[1])
text = sys.stdin.read().split("MEMORY LEAKS", 1)[-1]
unit = {"": 1, "B": 1, "K": 1e3, "M": 1e6, "G": 1e9}  # heaptrack prints SI units
total = calls = 0
print("bytes/socket  allocs/socket  where")
for block in text.split("\n\n"):
    lines = [l.strip() for l in block.strip().splitlines() if l.strip() and not l.strip().startswith(("in ", "at "))]
    m = re.match(r"([\d.]+)([KMGB]?) leaked over (\d+) calls", lines[0]) if lines else None
    if not m or int(m.group(3)) < n // 2:
        continue
    size, count = float(m.group(1)) * unit[m.group(2)], int(m.group(3))
    frames = " <- ".join(f[:90] for f in [f for f in lines[1:] if not f.startswith("std::")][:2])
    print(f"{size / n:12.0f}  {count / n:13.1f}  {frames}")
    total += size; calls += count
print(f"{total / n:12.0f}  {calls / n:13.1f}  in all (bytes requested; the allocator adds its own)")
' "$N"
