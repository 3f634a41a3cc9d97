#!/usr/bin/python3
"""Login storm: does a burst of password logins delay other connections' messages?

    /usr/bin/python3 tools/bench/login_storm.py            # documented in docs/benchmarks.md

laurel verifies passwords (pbkdf2_sha256 with Django 5.2's 1,000,000 iterations) on its thread
pool, not on the event loop. This measures what that buys: echo round-trip latency at a fixed
rate (laurel-loadgen rate mode on /ws/echo/, 100 connections, 2,000 msg/s), once alone and once
while 50 concurrent clients POST /auth/token in a loop with real credentials, each client as its
own user from its own loopback address (127.0.0.2-51), so the login rate limiter (per user and per
address) lets every attempt reach the hasher instead of answering 429.

Builds laurel in Release (build/release) unless --no-build, starts laurel-chat with one worker,
pinned like tools/bench/run.py (server on core 0, load generator and login clients on core 1).
Each phase runs `--rounds` times, alternating, so a neighbour's load on the machine shows as
spread instead of deciding one side. After a storm the logins still in flight are waited for, so
the next phase never runs beside them; logins/s is the successful logins over the time from the
first request to the last answer. Every loop is bounded in time (--duration, a per-login timeout)
and in count (--max-logins); the server is stopped by its pid. Prints one JSON line per phase run and a
Markdown table; writes both to build/bench/login_storm.{jsonl,md}.
"""
import argparse
import base64
import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import cpu_ticks, free_port, log  # noqa: E402  (the benchmark's shared helpers)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build", "release")
OUT = os.path.join(ROOT, "build", "bench")
LOADGEN = os.path.join(BUILD, "tools", "laurel-loadgen")
LAUREL = os.path.join(BUILD, "examples", "chat", "laurel-chat")
SERVER_CORE, CLIENT_CORE = "0", "1"
PBKDF2_ITERATIONS = 1_000_000  # Django 5.2's default, and laurel's: no rehash on login
LOGIN_TIMEOUT = 400  # seconds one login may take: 50 queue for a few hashing threads, and a
# busy machine hashes slowly; the storm waits for them so the next phase runs beside none
PRIORITY = ["nice", "-n", "-10"] if os.geteuid() == 0 else []


def django_pbkdf2(password):
    salt = secrets.token_hex(11)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), PBKDF2_ITERATIONS)
    return "pbkdf2_sha256$%d$%s$%s" % (PBKDF2_ITERATIONS, salt, base64.b64encode(digest).decode())


def build():
    log("building laurel (Release) in build/release ...")
    subprocess.run(["cmake", "-S", ROOT, "-B", BUILD, "-G", "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                    "-DLAUREL_TESTS=OFF"], check=True, stdout=subprocess.DEVNULL)
    subprocess.run(["ninja", "-C", BUILD, "-j2", "laurel-chat", "laurel-loadgen"], check=True)


class Server:
    def __init__(self, state, pin):
        self.state, self.pin = state, pin
        self.port = free_port()
        self.proc = None

    def start(self):
        argv = [LAUREL, "-p", str(self.port), "--workers", "1", "-v", "0",
                "--database", os.path.join(self.state, "users.sqlite3"),
                "--secret-key-file", os.path.join(self.state, "secret.key")]
        if self.pin:
            argv = PRIORITY + ["taskset", "-c", SERVER_CORE] + argv
        self.log = open(os.path.join(self.state, "server.log"), "w")
        self.proc = subprocess.Popen(argv, cwd=self.state, stdout=self.log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("laurel-chat exited; see " + self.log.name)
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("laurel-chat did not listen within 60 s")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.kill(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


def add_users(database, count, password):
    """`count` users sharing one Django-made hash (each login still runs the full PBKDF2)."""
    hashed = django_pbkdf2(password)
    db = sqlite3.connect(database, timeout=30)
    with db:
        for i in range(count):
            db.execute(
                "INSERT INTO auth_user (password, last_login, is_superuser, username, last_name, "
                "email, is_staff, is_active, date_joined, first_name) "
                "VALUES (?, NULL, 0, ?, '', '', 0, 1, '2026-01-01 00:00:00', '')",
                (hashed, "storm%02d" % i))
    db.close()


class LoginStorm:
    """`clients` threads, client i logging in as storm<i> from 127.0.0.<i+2>, until stopped or
    `max_logins` attempts in all."""

    def __init__(self, port, clients, password, max_logins):
        self.port, self.clients, self.password = port, clients, password
        self.max_logins = max_logins
        self.stop_event = threading.Event()
        self.lock = threading.Lock()
        self.attempts = 0
        self.statuses = {}
        self.answered = []  # (when, seconds taken) of each successful login
        self.threads = []
        self.measured_until = None

    def _client(self, i):
        body = json.dumps({"username": "storm%02d" % i, "password": self.password}).encode()
        source = ("127.0.0.%d" % (i + 2), 0)
        while not self.stop_event.is_set():
            with self.lock:
                if self.attempts >= self.max_logins:
                    return
                self.attempts += 1
            t0 = time.monotonic()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=LOGIN_TIMEOUT,
                                                  source_address=source)
                conn.request("POST", "/auth/token", body=body,
                             headers={"Content-Type": "application/json"})
                resp = conn.getresponse()
                payload = resp.read()
                conn.close()
                status = resp.status
                if status == 200 and "access" not in json.loads(payload):
                    status = "200-without-token"
            except OSError as e:
                status = type(e).__name__
            done = time.monotonic()
            with self.lock:
                self.statuses[str(status)] = self.statuses.get(str(status), 0) + 1
                if status == 200:
                    self.answered.append((done, done - t0))

    def start(self):
        self.started = time.monotonic()
        for i in range(self.clients):
            t = threading.Thread(target=self._client, args=(i,), daemon=True)
            t.start()
            self.threads.append(t)

    def stop(self):
        """Starts no more logins, lets the ones in flight finish (bounded: the next phase must
        not run beside them) and reports: logins answered while the echo was measured, and the
        hashing throughput from the first request to the last answer."""
        with self.lock:
            self.measured_until = time.monotonic()
        self.stop_event.set()
        for t in self.threads:
            t.join(LOGIN_TIMEOUT + 10)
        drained = time.monotonic()
        done = sorted(self.answered)
        in_window = sum(1 for when, _ in done if when <= self.measured_until)
        took = sorted(t for _, t in done)
        last = done[-1][0] if done else drained
        return {"logins_ok": len(done), "logins_in_echo_window": in_window,
                "attempts": self.attempts, "statuses": self.statuses,
                "logins_per_sec": round(len(done) / (last - self.started), 2),
                "login_p50_s": round(took[len(took) // 2], 1) if took else None,
                "login_max_s": round(took[-1], 1) if took else None,
                "storm_seconds": round(last - self.started, 1),
                "echo_window_seconds": round(self.measured_until - self.started, 1)}


def run_loadgen(args, server, pin):
    argv = [LOADGEN, "rate", "-c", str(args.connections), "-r", str(args.rate), "-s", "32",
            "-d", str(args.duration), "-w", str(args.warmup), "--port", str(server.port)]
    if pin:
        argv = PRIORITY + ["taskset", "-c", CLIENT_CORE] + argv
    c0, t0 = cpu_ticks(server.proc.pid), time.time()
    p = subprocess.run(argv, capture_output=True, text=True,
                       timeout=args.duration + args.warmup + 120)
    wall = time.time() - t0
    try:
        result = json.loads(p.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        raise RuntimeError("laurel-loadgen gave no result: " + p.stderr[-500:])
    result["server_cpu"] = round((cpu_ticks(server.proc.pid) - c0) / os.sysconf("SC_CLK_TCK") / wall, 3)
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--duration", type=float, default=10, help="measured seconds per run")
    ap.add_argument("--warmup", type=float, default=2)
    ap.add_argument("--rate", type=int, default=2000, help="echo messages/s over all connections")
    ap.add_argument("--connections", type=int, default=100, help="echo connections")
    ap.add_argument("--logins", type=int, default=50, help="concurrent login clients")
    ap.add_argument("--max-logins", type=int, default=5000, help="login attempts per storm, at most")
    ap.add_argument("--rounds", type=int, default=2, help="alone/storm pairs")
    ap.add_argument("--no-build", action="store_true")
    ap.add_argument("--no-pin", action="store_true", help="do not pin to cores 0 and 1")
    args = ap.parse_args()
    pin = not args.no_pin and (os.cpu_count() or 1) >= 2 and shutil.which("taskset")
    if args.logins > 253:
        ap.error("--logins: at most 253 (one loopback address each)")

    if not args.no_build:
        build()
    state = os.path.join(OUT, "login-storm-state")
    shutil.rmtree(state, ignore_errors=True)
    os.makedirs(state)
    with open(os.path.join(state, "secret.key"), "w") as f:
        f.write(secrets.token_urlsafe(40) + "\n")
    if pin:
        os.sched_setaffinity(0, {int(CLIENT_CORE)})  # the login clients share the client core

    password = "storm-" + secrets.token_hex(8)
    server = Server(state, pin).start()  # creates the database (Django's schema)
    results = []
    try:
        add_users(os.path.join(state, "users.sqlite3"), args.logins, password)
        # A login must work before it is measured.
        probe = LoginStorm(server.port, 1, password, 1)
        probe.start()
        for t in probe.threads:
            t.join(LOGIN_TIMEOUT + 10)  # one attempt, then the thread ends
        probe_result = probe.stop()
        if probe_result["logins_ok"] != 1:
            raise RuntimeError("a test login failed: %s" % probe_result["statuses"])
        for round_no in range(1, args.rounds + 1):
            for phase in ("alone", "storm"):
                load_before = os.getloadavg()[0]
                storm = None
                if phase == "storm":
                    storm = LoginStorm(server.port, args.logins, password, args.max_logins)
                    storm.start()
                result = run_loadgen(args, server, pin)
                record = {"benchmark": "login_storm", "phase": phase, "round": round_no,
                          "login_clients": args.logins if storm else 0,
                          "pbkdf2_iterations": PBKDF2_ITERATIONS,
                          "rate": args.rate, "connections": args.connections,
                          "p50_us": result.get("p50_us"), "p99_us": result.get("p99_us"),
                          "p999_us": result.get("p999_us"),
                          "msgs_per_sec": result.get("msgs_per_sec"),
                          "errors": result.get("errors"), "server_cpu": result["server_cpu"],
                          "loadavg_before": round(load_before, 2),
                          "loadavg_after": round(os.getloadavg()[0], 2), "pinned": bool(pin)}
                if storm:
                    record.update(storm.stop())
                print(json.dumps(record), flush=True)
                results.append(record)
    finally:
        server.stop()

    lines = ["| round | phase | echo p50 µs | echo p99 µs | echo msgs/s | logins/s (ok of tried) | "
             "login statuses | server CPU | load avg |", "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append("| %d | %s | %s | %s | %s | %s | %s | %s | %s |" % (
            r["round"], "alone" if r["phase"] == "alone" else "%d logins" % r["login_clients"],
            r["p50_us"], r["p99_us"], r["msgs_per_sec"],
            "%s (%s of %s)" % (r["logins_per_sec"], r["logins_ok"], r["attempts"])
            if r["phase"] == "storm" else "-",
            json.dumps(r.get("statuses", {})) if r["phase"] == "storm" else "-",
            r["server_cpu"], r["loadavg_before"]))
    table = "\n".join(lines)
    print(table)
    os.makedirs(OUT, exist_ok=True)
    with open(os.path.join(OUT, "login_storm.jsonl"), "w") as f:
        f.writelines(json.dumps(r) + "\n" for r in results)
    with open(os.path.join(OUT, "login_storm.md"), "w") as f:
        f.write(table + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
