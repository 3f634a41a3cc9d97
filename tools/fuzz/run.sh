#!/usr/bin/env bash
# tools/fuzz/run.sh: builds the libFuzzer targets in tools/fuzz with clang, ASan and UBSan, and
# runs each for SECONDS (default 60) from a small seed corpus:
#   value     asgi::Value, its JSON parser and dumper, the channel layer's msgpack reader/writer
#   protocol  the HTTP/1.1 parser, handshake check and scope builder, then the WebSocket codec
#   auth      cookies, forms, base64/62, CSRF tokens, session JSON, JWTs, Django signed values
# A crash or a broken invariant stops a target and leaves its input in build/fuzz/<target>/crash-*.
#
#   tools/fuzz/run.sh [SECONDS] [value|protocol|auth]   # needs: apt-get install clang libclang-rt-14-dev
#
# LAUREL_FUZZ_RUNS=N replaces the time bound with N inputs from a fixed seed: the same inputs on
# every run, which is how `./laurel.sh test` runs it (a regression check, not a search).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
OUT="$ROOT/build/fuzz"
SECONDS_TO_RUN="${1:-60}"
ONLY="${2:-}"
FLAGS=(-std=c++20 -g -O1 -fsanitize=fuzzer,address,undefined -I"$ROOT")

build_and_run() {  # name, seeds function, sources...
  local name="$1" seed="$2"
  shift 2
  [ -z "$ONLY" ] || [ "$ONLY" = "$name" ] || return 0
  mkdir -p "$OUT/$name/corpus"
  clang++ "${FLAGS[@]}" "$@" -o "$OUT/$name/fuzz"
  "$seed" "$OUT/$name/corpus"
  local bound=(-max_total_time="$SECONDS_TO_RUN")
  if [ -n "${LAUREL_FUZZ_RUNS:-}" ]; then
    bound=(-runs="$LAUREL_FUZZ_RUNS" -seed=1)
    rm -rf "$OUT/$name/corpus" && mkdir -p "$OUT/$name/corpus" && "$seed" "$OUT/$name/corpus"
  fi
  (cd "$OUT/$name" && ./fuzz "${bound[@]}" -max_len=4096 -rss_limit_mb=2048 -print_final_stats=1 corpus)
}

value_seeds() {
  printf '%s' '{"type":"websocket","headers":[["host","x"]],"n":1.5,"a":[1,2,{"b":null}]}' >"$1/scope"
  printf '%s' '[true,false,"a string longer than inline",{"query_string":"","_auth_user_hash":"x","a-key-nobody-knows":[]}]' >"$1/keys"
}

protocol_seeds() {
  printf '\x07GET /ws/echo/?a=1 HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: chat, v2\r\n\r\n\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58\x01\x80\x00\x00\x00\x00\x80\x80\x00\x00\x00\x00\x88\x82\x00\x00\x00\x00\x03\xe8' >"$1/upgrade"
  printf '\x20POST /a%%20b HTTP/1.1\r\nHost: x\r\nX-Forwarded-For: 1.2.3.4, 10.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.0\r\n\r\n' >"$1/pipelined"
}

auth_seeds() {
  printf '%s' 'csrftoken=abc; sessionid=k2j3h4g5f6d7s8a9q0w1e2r3t4y5u6i7; a="quoted; value"' >"$1/cookie"
  printf '%s' 'username=demo&password=p%40ss+word&next=%2F' >"$1/form"
  printf '%s' '{"token_type":"access","exp":1900000000,"iat":1700000000,"jti":"0123456789abcdef0123456789abcdef","user_id":1}' >"$1/claims"
  printf '%s' '.eJyrVkrLz1eyUkpKLFKqBQA0AQXy:1r2s3t:abcdefghijklmnopqrstuvwxyz0123456789ABC' >"$1/signed"
}

V=("$ROOT/asgi/value.cpp" "$ROOT/asgi/json.cpp" "$ROOT/asgi/dict_key.cpp")
build_and_run value value_seeds "$ROOT/tools/fuzz/value_fuzz.cpp" "${V[@]}" \
  "$ROOT/channel_layer/redis_wire.cpp"
# llhttp: Debian ships its C sources (node-llhttp); compiled as C, instrumented like the rest.
mkdir -p "$OUT/llhttp"
for c in api http llhttp; do
  clang -c -g -O1 -fsanitize=fuzzer-no-link,address,undefined -I/usr/share/include/llhttp \
    "/usr/share/llhttp/$c.c" -o "$OUT/llhttp/$c.o"
done
build_and_run protocol protocol_seeds "$ROOT/tools/fuzz/protocol_fuzz.cpp" "${V[@]}" \
  "$ROOT/server/http_parser.cpp" "$ROOT/server/scope_builder.cpp" "$ROOT/server/websocket_codec.cpp" \
  "$ROOT/server/websocket_frame.cpp" "$ROOT/server/utf8_validator.cpp" \
  "$ROOT/server/websocket_handshake.cpp" -I/usr/share/include/llhttp "$OUT"/llhttp/*.o -lcrypto
build_and_run auth auth_seeds "$ROOT/tools/fuzz/auth_fuzz.cpp" "$ROOT"/asgi/*.cpp \
  "$ROOT/auth/encoding.cpp" "$ROOT/auth/jwt.cpp" "$ROOT/auth/signing.cpp" \
  "$ROOT/auth/django_json.cpp" "$ROOT/auth/csrf.cpp" "$ROOT/middleware/cookie_middleware.cpp" \
  "$ROOT/middleware/middleware.cpp" "$ROOT/auth/endpoint_http.cpp" -lcrypto -lz -lpcre2-8
