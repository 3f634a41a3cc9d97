#!/usr/bin/python3
"""laurel's benchmark: laurel vs Node `ws` vs Daphne + Django Channels, side by side.

    /usr/bin/python3 tools/bench/run.py            # the documented command (docs/benchmarks.md)

Builds laurel in Release (build/release), then for each server in turn starts it pinned to core 0
(`taskset -c 0`, one worker) and drives it with laurel-loadgen pinned to core 1. Every load run is
bounded in time (--duration, default 10 s) and in messages. Results go to
build/bench/results.jsonl, one JSON line per run, and a Markdown table with laurel ÷ peer ratios is
printed (and written to build/bench/results.md). Every server started here is stopped by its pid.
"""
import argparse
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PEERS = os.path.join(ROOT, "tools", "bench", "peers")
BUILD = os.path.join(ROOT, "build", "release")
OUT = os.path.join(ROOT, "build", "bench")
LOADGEN = os.path.join(BUILD, "tools", "laurel-loadgen")
LAUREL = os.path.join(BUILD, "examples", "chat", "laurel-chat")
SERVER_CORE, CLIENT_CORE = "0", "1"
# Benchmark processes run at a higher priority than builds that may share the machine, so that a
# compiler on core 0 does not decide the result. Raising priority needs root; else left as is.
PRIORITY = ["nice", "-n", "-10"] if os.geteuid() == 0 else []


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port, proc, timeout=60):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return int(fields[11]) + int(fields[12])  # utime + stime
    except OSError:
        return 0


class Server:
    """One server process, started pinned to SERVER_CORE and stopped by its pid."""

    def __init__(self, name, argv, cwd, port, state_dir=None):
        self.name, self.argv, self.cwd, self.port = name, argv, cwd, port
        self.state_dir = state_dir
        self.proc = None
        self.log_path = os.path.join(OUT, "logs", f"{name}.log")

    def start(self):
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        if self.state_dir:
            # laurel-chat creates its user database (and prints the demo password) on first start:
            # a fresh one each time, kept out of the source tree.
            shutil.rmtree(self.state_dir, ignore_errors=True)
            os.makedirs(self.state_dir)
        self.log_file = open(self.log_path, "w")
        # nice and taskset exec the server, so proc.pid is the server's own pid (RSS is read from it).
        self.proc = subprocess.Popen(PRIORITY + ["taskset", "-c", SERVER_CORE] + self.argv, cwd=self.cwd,
                                     stdout=self.log_file, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        if not wait_port(self.port, self.proc):
            self.stop()
            raise RuntimeError(f"{self.name} did not start; see {self.log_path}")
        time.sleep(0.5)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        if self.proc:
            self.log_file.close()
        self.proc = None


def loadgen(args, server, on_stderr_line=None, timeout=300):
    """Runs laurel-loadgen on CLIENT_CORE; returns its JSON result plus server CPU use."""
    argv = PRIORITY + ["taskset", "-c", CLIENT_CORE, LOADGEN] + args + ["--port", str(server.port)]
    t0, c0 = time.time(), cpu_ticks(server.proc.pid)
    p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    err_lines = []
    for line in p.stderr:
        err_lines.append(line.rstrip())
        if on_stderr_line:
            on_stderr_line(line)
    out = p.stdout.read()
    p.wait(timeout=timeout)
    wall = time.time() - t0
    try:
        result = json.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        result = {"errors": -1, "failed": " | ".join(err_lines)[-300:]}
    if err_lines:
        result["loadgen_stderr"] = " | ".join(err_lines)[-300:]
    result["server_cpu"] = round((cpu_ticks(server.proc.pid) - c0) / os.sysconf("SC_CLK_TCK") / wall, 3)
    return result


def laurel_token(server):
    """The laurel chat is for authenticated users: log in as the demo user, get a bearer token."""
    user, password = os.environ.get("LAUREL_BENCH_USER"), os.environ.get("LAUREL_BENCH_PASSWORD")
    if not (user and password):
        with open(server.log_path) as f:
            text = f.read()
        # laurel-chat prints "... the demo user: username demo, password XXXX" on first start.
        m_user = (re.search(r"username[\s:=\"']+([\w.@+-]+)", text, re.I)
                  or re.search(r"user[\s:=\"']+([\w.@+-]+)", text, re.I))
        m_pass = re.search(r"password[\s:=\"']+([^\s\"',)]+)", text, re.I)
        if not (m_user and m_pass):
            raise RuntimeError("no demo credentials printed by laurel-chat; set LAUREL_BENCH_USER and "
                               "LAUREL_BENCH_PASSWORD")
        user, password = m_user.group(1), m_pass.group(1)
    req = urllib.request.Request(f"http://127.0.0.1:{server.port}/auth/token",
                                 data=json.dumps({"username": user, "password": password}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=30) as r:
        return json.load(r)["access"]


def scenarios(d, w, quick):
    """(id, description, server role, loadgen args, per-server overrides). Daphne gets fewer
    connections where Python cannot keep up or open them within a bounded time; the table says so."""
    idle_n = 1000 if quick else 10000
    return [
        ("echo_small", "echo, 100 conns x 16 in flight, 32 B text (msgs/s)", "echo",
         ["echo", "-c", "100", "-k", "16", "-s", "32", "-d", d, "-w", w], {}),
        ("echo_64k", "echo, 16 conns x 1 in flight, 64 KiB binary (msgs/s)", "echo",
         ["echo", "-c", "16", "-k", "1", "-s", "65536", "--binary", "-d", d, "-w", w], {}),
        ("rate_2000", "echo at a fixed 2,000 msg/s over 100 conns, 32 B (latency)", "echo",
         ["rate", "-c", "100", "-r", "2000", "-s", "32", "-d", d, "-w", w], {}),
        ("handshake", "handshakes/s, 50 under way at once (open, close frame, close)", "echo",
         ["handshake", "--concurrency", "50", "-d", d, "-w", w], {}),
        ("idle_memory", f"memory per idle WebSocket, {idle_n} connections (KiB)", "echo",
         ["idle", "-c", str(idle_n), "--concurrency", "50", "-d", "3", "--open-timeout", "120"],
         {"daphne": ["idle", "-c", str(min(idle_n, 2000)), "--concurrency", "40", "-d", "3",
                     "--open-timeout", "120"]}),
        ("broadcast_1000", "broadcast to 1,000 members of one room, 4 messages in flight "
         "(deliveries/s)", "broadcast",
         ["broadcast", "-c", "1000", "-k", "4", "--format", "chat-json", "--path", "/ws/chat/bench/",
          "--concurrency", "50", "-d", d, "-w", w, "--open-timeout", "120"], {}),
    ]


def servers(port):
    daphne_dir = os.path.join(PEERS, "daphne_app")
    state = os.path.join(OUT, "laurel-state")
    laurel_argv = [LAUREL, "-p", str(port), "--workers", "1", "-v", "0",
                   "--database", os.path.join(state, "users.sqlite3")]
    return {
        "laurel": {role: Server("laurel", laurel_argv, state, port, state_dir=state)
                   for role in ("echo", "broadcast")},
        "node_ws": {
            "echo": Server("node_ws_echo", ["node", "node_ws_echo.js", str(port)], PEERS, port),
            "broadcast": Server("node_ws_broadcast", ["node", "node_ws_broadcast.js", str(port)], PEERS, port),
        },
        "daphne": {
            role: Server("daphne", ["/usr/bin/python3", "-m", "daphne", "-v", "0", "-b", "127.0.0.1",
                                    "-p", str(port), "benchsite.asgi:application"], daphne_dir, port)
            for role in ("echo", "broadcast")
        },
    }


def build():
    log("building laurel (Release) in build/release ...")
    subprocess.run(["cmake", "-S", ROOT, "-B", BUILD, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                    "-DLAUREL_TESTS=OFF"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", BUILD, "-j2", "laurel-loadgen"], check=True)
    r = subprocess.run(["ninja", "-C", BUILD, "-j2", "laurel-chat"])
    if r.returncode != 0:
        log("laurel-chat did not build" + ("; measuring the binary from the last good build"
                                           if os.path.exists(LAUREL) else
                                           ": its column will read 'not yet measured'"))


def ensure_node_modules():
    if not os.path.isdir(os.path.join(PEERS, "node_modules", "ws")):
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=PEERS, check=True)


def run_one(name, server, sc_id, args, results_file):
    extra_args, auth = [], None
    if name == "laurel" and sc_id.startswith("broadcast"):
        # The chat is for authenticated users once laurel's auth stack is wired in; until then
        # (no demo credentials, no /auth/token) it is driven without a token, and the record says so.
        try:
            extra_args = ["--header", "Authorization: Bearer " + laurel_token(server)]
            auth = "bearer"
        except Exception as e:  # noqa: BLE001 - any failure means "no token", reported below
            log(f"  laurel: no bearer token ({e}); connecting without one")
            auth = "none"
    rss_before = rss_kib(server.proc.pid)
    marks = {}

    def on_line(line):
        if "connections open" in line:
            marks["rss_open"] = rss_kib(server.proc.pid)

    result = loadgen(args + extra_args, server, on_line)
    result.update({"server": name, "scenario": sc_id, "loadavg": os.getloadavg()[0]})
    if auth:
        result["auth"] = auth
    if sc_id == "idle_memory":
        opened = max(result.get("connections", 0), 1)
        result["rss_before_kib"] = rss_before
        result["rss_open_kib"] = marks.get("rss_open", 0)
        result["kib_per_connection"] = round((marks.get("rss_open", rss_before) - rss_before) / opened, 2)
    results_file.write(json.dumps(result) + "\n")
    results_file.flush()
    log(f"  {name:8} {sc_id:15} {json.dumps({k: result.get(k) for k in ('connections', 'msgs_per_sec', 'p50_us', 'p99_us', 'errors', 'server_cpu', 'client_cpu', 'kib_per_connection') if k in result})}")
    return result


def metric(sc_id, r):
    """(value, unit, higher_is_better) pairs shown for a scenario."""
    if sc_id == "idle_memory":
        return [(r.get("kib_per_connection"), "KiB/conn", False)]
    if sc_id == "rate_2000":
        return [(r.get("p50_us"), "p50 µs", False), (r.get("p99_us"), "p99 µs", False),
                (r.get("msgs_per_sec"), "achieved msgs/s", True)]
    if sc_id == "broadcast_1000":
        return [(r.get("msgs_per_sec"), "deliveries/s", True), (per_cpu(r), "deliveries per server CPU-s", True),
                (r.get("p99_us"), "p99 µs", False)]
    if sc_id == "handshake":
        return [(r.get("msgs_per_sec"), "handshakes/s", True), (per_cpu(r), "per server CPU-s", True)]
    return [(r.get("msgs_per_sec"), "msgs/s", True), (per_cpu(r), "msgs per server CPU-s", True),
            (r.get("p99_us"), "p99 µs", False)]


def per_cpu(r):
    """Throughput per second of server CPU actually used: comparable even when the server did not
    get its whole core (a shared machine) or is not CPU-bound."""
    if r.get("msgs_per_sec") is None or not r.get("server_cpu"):
        return None
    return r["msgs_per_sec"] / r["server_cpu"]


def fmt(v):
    if v is None:
        return "not yet measured"
    if abs(v) >= 100:
        return f"{v:,.0f}"
    return f"{v:,.2f}" if abs(v) < 10 else f"{v:,.1f}"  # memory per socket: 1.98, not 2.0


def median(values):
    values = sorted(values)
    n = len(values)
    return None if n == 0 else (values[n // 2] if n % 2 else (values[n // 2 - 1] + values[n // 2]) / 2)


def table(all_results, scs):
    """One row per metric; with --rounds > 1 each cell is the median over the rounds, with the
    range in brackets, and the ratios are of the medians."""
    by = {}
    for r in all_results:
        by.setdefault((r["server"], r["scenario"]), []).append(r)
    lines = ["| scenario | metric | laurel | Node ws | Daphne + Channels | laurel ÷ Node | laurel ÷ Daphne |",
             "|---|---|---|---|---|---|---|"]
    for sc_id, desc, *_ in scs:
        for i, (_, unit, higher) in enumerate(metric(sc_id, {})):
            vals = {}
            notes = {}
            for s in ("laurel", "node_ws", "daphne"):
                runs = [r for r in by.get((s, sc_id), []) if r.get("errors", 0) >= 0]
                measured = [v for v in (metric(sc_id, r)[i][0] for r in runs) if v is not None]
                vals[s] = median(measured)
                if len(measured) > 1:
                    notes[s] = f" [{fmt(min(measured))}–{fmt(max(measured))}]"
                errors = sum(r.get("errors", 0) for r in runs)
                if errors:
                    notes[s] = notes.get(s, "") + f" ({errors} errors)"
                undelivered = sum(r.get("undelivered_after_drain") or 0 for r in runs)
                if undelivered and i == 0:
                    notes[s] = notes.get(s, "") + f" ({undelivered:.0f} undelivered)"
                if runs and sc_id == "idle_memory" and s == "daphne":
                    notes[s] = notes.get(s, "") + f" [{runs[0].get('connections', '?')} conns]"

            def ratio(a, b):
                if not a or not b:
                    return "–"
                return f"{a / b:.2f}×" + ("" if higher else " (lower is better)")

            lines.append(f"| {desc if i == 0 else ''} | {unit} | {fmt(vals['laurel'])}{notes.get('laurel', '')} | "
                         f"{fmt(vals['node_ws'])}{notes.get('node_ws', '')} | {fmt(vals['daphne'])}{notes.get('daphne', '')} | "
                         f"{ratio(vals['laurel'], vals['node_ws'])} | {ratio(vals['laurel'], vals['daphne'])} |")
    lines += ["", "| scenario | server | round | server CPU (cores) | loadgen CPU (cores) | load average |",
              "|---|---|---|---|---|---|"]
    for r in all_results:
        if r.get("errors", 0) >= 0:
            lines.append(f"| {r['scenario']} | {r['server']} | {r.get('round', 1)} | {r.get('server_cpu')} | "
                         f"{r.get('client_cpu')} | {r.get('loadavg', 0):.1f} |")
    return "\n".join(lines)


def run_server(name, scs, rf):
    """Every scenario of `scs` against one server (a fresh process per role); returns the results."""
    results = []
    for role in ("echo", "broadcast"):
        to_run = [s for s in scs if s[2] == role]
        if not to_run:
            continue
        server = servers(free_port())[name][role]
        log(f"{name}: starting {' '.join(server.argv)} on core {SERVER_CORE}")
        try:
            server.start()
            for sc_id, _, _, args, overrides in to_run:
                # A fresh server for the memory run, so earlier runs do not colour its RSS.
                if sc_id == "idle_memory" and to_run[0][0] != sc_id:
                    server.stop()
                    server.start()
                try:
                    results.append(run_one(name, server, sc_id, overrides.get(name, args), rf))
                except Exception as e:  # one failed run must not lose the others
                    log(f"  {name} {sc_id} failed: {e}")
                    rec = {"server": name, "scenario": sc_id, "errors": -1, "failed": str(e)}
                    rf.write(json.dumps(rec) + "\n")
        except Exception as e:
            log(f"{name} ({role}) failed: {e}")
        finally:
            server.stop()
    return results


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", default="10", help="measured seconds per run (default 10)")
    ap.add_argument("--warmup", default="2", help="warm-up seconds per run (default 2)")
    ap.add_argument("--servers", default="laurel,node_ws,daphne")
    ap.add_argument("--scenarios", default="", help="comma-separated scenario ids (default: all)")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--quick", action="store_true", help="1,000 idle connections instead of 10,000")
    ap.add_argument("--rounds", type=int, default=1,
                    help="run every server this many times, alternating, and report medians "
                         "(a neighbour's load then shows as spread instead of deciding one side)")
    a = ap.parse_args()

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by servers and loadgen
    os.makedirs(OUT, exist_ok=True)
    if not a.no_build:
        build()
    ensure_node_modules()
    if not os.path.exists(LOADGEN):
        sys.exit(f"{LOADGEN} is missing: build it (ninja -C build/release laurel-loadgen)")
    scs = [s for s in scenarios(a.duration, a.warmup, a.quick)
           if not a.scenarios or s[0] in a.scenarios.split(",")]
    names = a.servers.split(",")
    if "laurel" in names and not os.path.exists(LAUREL):
        log(f"{LAUREL} does not exist: laurel is not measured")
        names.remove("laurel")
    results = []
    with open(os.path.join(OUT, "results.jsonl"), "w") as rf:
        for round_no in range(1, a.rounds + 1):
            for name in names:
                results += [dict(r, round=round_no) for r in run_server(name, scs, rf)]
    md = table(results, scs)
    with open(os.path.join(OUT, "results.md"), "w") as f:
        f.write(md + "\n")
    print(md)


if __name__ == "__main__":
    main()
