#!/usr/bin/env bash
# laurel.sh: the two commands a newcomer needs.
#   ./laurel.sh demo [args...]  install what is missing, build build/release, run the chat demo
#                               in the foreground (args go to laurel-chat: -p 9000, routes, ...)
#   ./laurel.sh test            install build and test dependencies, build build/asan with
#                               AddressSanitizer+UBSan, run the unit tests (ctest), the
#                               integration tests against the sanitizer-built binary, the browser
#                               tests, and the fuzz targets on a fixed set of inputs
# Re-running either is cheap: packages are checked with dpkg-query before apt is called, and the
# builds are incremental (ninja).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cd "$ROOT"

JOBS="${LAUREL_JOBS:-$(nproc 2>/dev/null || echo 2)}"
PYTHON=/usr/bin/python3  # Debian's, with Debian's python3-websockets; not a pyenv/venv python

BUILD_PACKAGES=(
  cmake ninja-build g++ pkg-config libuv1-dev node-llhttp libwslay-dev libssl-dev libgtest-dev
  libhiredis-dev libmsgpack-cxx-dev libcli11-dev nlohmann-json3-dev libargon2-dev
  libsqlite3-dev libpcre2-dev zlib1g-dev libtomlplusplus-dev
)
TEST_PACKAGES=(
  redis-server python3 python3-websockets python3-django python3-django-channels python3-daphne
  python3-channels-redis python3-cryptography curl nodejs npm nginx chromium
  clang libclang-rt-14-dev
)

log() { printf 'laurel.sh: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then
    "$@"
  elif command -v sudo >/dev/null 2>&1; then
    sudo "$@"
  else
    die "need root (or sudo) to run: $*"
  fi
}

package_present() {
  local pkg="$1"
  case "$pkg" in
    # A NodeSource nodejs bundles npm and conflicts with Debian's npm package: the commands are
    # what matter.
    nodejs) command -v node >/dev/null 2>&1 && return 0 ;;
    npm) command -v npm >/dev/null 2>&1 && return 0 ;;
  esac
  [ "$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)" = "install ok installed" ]
}

ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    package_present "$pkg" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing Debian packages: ${missing[*]}"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "${missing[@]}"
}

# configure <dir> <cmake args...>: only the first time; afterwards ninja re-runs cmake by itself
# when a CMakeLists.txt or a globbed folder changes.
configure() {
  local dir="$1"
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    log "configuring $dir"
    cmake -S "$ROOT" -B "$dir" -G Ninja "$@"
  fi
}

cmd_demo() {
  ensure_packages "${BUILD_PACKAGES[@]}"
  configure build/release -DCMAKE_BUILD_TYPE=Release -DLAUREL_TESTS=OFF
  ninja -C build/release -j "$JOBS" laurel-chat
  exec build/release/examples/chat/laurel-chat "$@"
}

# LeakSanitizer needs ptrace-like access that some sandboxes deny; find out once instead of
# failing every test with "LeakSanitizer has encountered a fatal error".
leak_detection_works() {
  local dir probe
  dir="$(mktemp -d)"
  probe="$dir/probe"
  printf 'int main(){return 0;}\n' >"$dir/probe.cpp"
  if g++ -fsanitize=address "$dir/probe.cpp" -o "$probe" >/dev/null 2>&1 &&
     ASAN_OPTIONS=detect_leaks=1 "$probe" >/dev/null 2>&1; then
    rm -rf "$dir"
    return 0
  fi
  rm -rf "$dir"
  return 1
}

cmd_test() {
  ensure_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"

  if [ ! -f tests/integration/node_modules/ws/package.json ]; then
    log "installing the npm test client (ws) into tests/integration/node_modules"
    (cd tests/integration && npm ci --no-audit --no-fund --loglevel=error)
  fi

  local detect_leaks=1
  if ! leak_detection_works; then
    log "LeakSanitizer does not work here; leak detection is off for this run"
    detect_leaks=0
  fi
  export ASAN_OPTIONS="halt_on_error=1:abort_on_error=0:detect_leaks=${detect_leaks}:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1"
  export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
  export LSAN_OPTIONS="report_objects=0"

  configure build/asan -DCMAKE_BUILD_TYPE=Debug -DLAUREL_SANITIZE=ON -DLAUREL_TESTS=ON
  log "building build/asan (-j$JOBS)"
  # -k 0: a target that fails to compile does not hide the results of everything else; the
  # failure still fails the run.
  local build_rc=0
  ninja -C build/asan -j "$JOBS" -k 0 || build_rc=$?

  local unit_rc=0 integ_rc=0 ctest_log integ_summary
  ctest_log="$(mktemp)"
  integ_summary="$(mktemp)"
  log "unit tests (ctest)"
  (cd build/asan && ctest --output-on-failure -j "$JOBS" --timeout 600) 2>&1 | tee "$ctest_log" ||
    unit_rc=$?

  log "integration tests (real binary, real clients)"
  "$PYTHON" tests/integration/run.py --binary build/asan/examples/chat/laurel-chat \
    --summary "$integ_summary" || integ_rc=$?

  # The chat demo in a real browser (tests/browser): headless Debian chromium driven by
  # playwright-core from npm, against the same sanitizer-built binary.
  local browser_rc=0 browser_log browser_pass=0 browser_fail=0
  browser_log="$(mktemp)"
  log "browser tests (headless chromium, playwright-core)"
  # (pipefail is on: a failing npm ci or node fails the pipeline, not only tee)
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error &&
     LAUREL_CHAT_BINARY="$ROOT/build/asan/examples/chat/laurel-chat" \
       node --test --test-concurrency=1 --test-reporter=spec chat.test.js) 2>&1 |
    tee "$browser_log" || browser_rc=$?
  browser_pass="$(sed -nE 's/^[^ ]+ pass ([0-9]+)$/\1/p' "$browser_log" | tail -1)"
  browser_fail="$(sed -nE 's/^[^ ]+ fail ([0-9]+)$/\1/p' "$browser_log" | tail -1)"
  browser_pass="${browser_pass:-0}"
  browser_fail="${browser_fail:-0}"
  if [ "$browser_rc" -ne 0 ] && [ "$browser_fail" -eq 0 ]; then browser_fail=1; fi
  rm -f "$browser_log"

  # The libFuzzer targets (tools/fuzz) as a regression check: a fixed seed and a fixed number of
  # inputs each, so every run tries the same inputs.
  local fuzz_pass=0 fuzz_fail=0 target
  for target in value protocol auth; do
    log "fuzz target $target (libFuzzer, 300,000 inputs from seed 1)"
    if LAUREL_FUZZ_RUNS=300000 tools/fuzz/run.sh 0 "$target" >"build/fuzz-$target.log" 2>&1; then
      fuzz_pass=$((fuzz_pass + 1))
    else
      fuzz_fail=$((fuzz_fail + 1))
      tail -40 "build/fuzz-$target.log" >&2
    fi
  done

  # One closing summary: the counts of every tier.
  local unit_pass=0 unit_fail=0 integ_pass=0 integ_fail=0 line
  line="$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$ctest_log" | tail -1 || true)"
  if [ -n "$line" ]; then
    unit_fail="$(sed -E 's/.* ([0-9]+) tests failed out of ([0-9]+).*/\1/' <<<"$line")"
    unit_pass="$(( $(sed -E 's/.*out of ([0-9]+).*/\1/' <<<"$line") - unit_fail ))"
  fi
  if [ -s "$integ_summary" ]; then
    read -r integ_pass integ_fail <"$integ_summary"
  elif [ "$integ_rc" -ne 0 ]; then
    integ_fail=1
  fi
  rm -f "$ctest_log" "$integ_summary"

  echo
  echo "==== laurel test summary ===="
  if [ "$build_rc" -ne 0 ]; then
    echo "  build (build/asan):          FAILED (see the compiler errors above)  <-- FAILED"
    unit_fail=$((unit_fail + 1))
  fi
  printf '  unit (ctest, ASan+UBSan):  %s passed, %s failed%s\n' "$unit_pass" "$unit_fail" \
    "$([ "$unit_rc" -ne 0 ] && echo '  <-- FAILED' || true)"
  printf '  integration (real clients): %s passed, %s failed%s\n' "$integ_pass" "$integ_fail" \
    "$([ "$integ_rc" -ne 0 ] && echo '  <-- FAILED' || true)"
  printf '  browser (chromium):         %s passed, %s failed%s\n' "$browser_pass" "$browser_fail" \
    "$([ "$browser_rc" -ne 0 ] && echo '  <-- FAILED' || true)"
  printf '  fuzz (libFuzzer, fixed seed): %s passed, %s failed%s\n' "$fuzz_pass" "$fuzz_fail" \
    "$([ "$fuzz_fail" -ne 0 ] && echo '  <-- FAILED (build/fuzz-*.log)' || true)"
  echo "summary: $((unit_pass + integ_pass + browser_pass + fuzz_pass)) passed," \
    "$((unit_fail + integ_fail + browser_fail + fuzz_fail)) failed"
  if [ "$build_rc" -ne 0 ] || [ "$unit_rc" -ne 0 ] || [ "$integ_rc" -ne 0 ] ||
     [ "$browser_rc" -ne 0 ] || [ "$fuzz_fail" -ne 0 ]; then
    exit 1
  fi
}

usage() {
  cat <<'EOF'
usage: ./laurel.sh demo [laurel-chat args...]   build (Release) and run the chat demo
       ./laurel.sh test                         build with sanitizers and run every test
EOF
}

case "${1:-}" in
  demo) shift; cmd_demo "$@" ;;
  test) shift; [ "$#" -eq 0 ] || { usage >&2; exit 2; }; cmd_test ;;
  -h|--help|help) usage ;;
  *) usage >&2; exit 2 ;;
esac
