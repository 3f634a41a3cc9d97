#!/usr/bin/env bash
# tools/fuzz/run.sh: builds tools/fuzz/value_fuzz.cpp with clang's libFuzzer, ASan and UBSan, and
# runs it for SECONDS (default 60) on a seed corpus of scope- and message-shaped JSON. A crash or
# a broken round trip stops it and leaves the input in build/fuzz/crash-*.
#
#   tools/fuzz/run.sh [SECONDS]      # needs: apt-get install clang libclang-rt-14-dev
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/build/fuzz"
SECONDS_TO_RUN="${1:-60}"
mkdir -p "$OUT/corpus"
clang++ -std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I"$ROOT" \
  "$ROOT/tools/fuzz/value_fuzz.cpp" "$ROOT/asgi/value.cpp" "$ROOT/asgi/json.cpp" \
  "$ROOT/asgi/dict_key.cpp" "$ROOT/channel_layer/redis_wire.cpp" -o "$OUT/value_fuzz"
printf '%s' '{"type":"websocket","headers":[["host","x"]],"n":1.5,"a":[1,2,{"b":null}]}' >"$OUT/corpus/scope"
printf '%s' '[true,false,"a string longer than inline",{"query_string":"","_auth_user_hash":"x","a-key-nobody-knows":[]}]' >"$OUT/corpus/keys"
cd "$OUT"
./value_fuzz -max_total_time="$SECONDS_TO_RUN" -max_len=4096 -rss_limit_mb=2048 corpus
