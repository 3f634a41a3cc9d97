"""Starting and stopping the real laurel binary for the integration tests.

A LaurelServer runs the binary on a free loopback port (picked here, since the command line has no
"port 0"; a collision at bind time is retried with another port), waits until the port accepts
connections, and on stop sends SIGTERM and checks that the process exited 0 within its deadline
and that its stderr holds no sanitizer report.
"""

import http.client
import json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time

# What AddressSanitizer, LeakSanitizer and UndefinedBehaviorSanitizer print when they find
# something; any of these in the server's stderr fails the test that ran it.
SANITIZER_PATTERNS = re.compile(
    r"ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|"
    r"UndefinedBehaviorSanitizer|SUMMARY: (Address|Undefined|Leak)Sanitizer"
)

READY_DEADLINE = 30.0  # seconds for a sanitizer build to start listening
BIND_RETRIES = 5


class ServerError(AssertionError):
    pass


def http_request(port, method, path, body=None, headers=None, timeout=20):
    """One HTTP request to 127.0.0.1:port; a dict or list body goes as JSON, bytes as they are.
    Returns (status, headers, payload bytes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    data = json.dumps(body).encode() if isinstance(body, (dict, list)) else body
    all_headers = {"Content-Type": "application/json"} if data is not None else {}
    all_headers.update(headers or {})
    try:
        conn.request(method, path, body=data, headers=all_headers)
        resp = conn.getresponse()
        return resp.status, resp.getheaders(), resp.read()
    finally:
        conn.close()


def free_port(host="127.0.0.1"):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def ipv6_loopback_available():
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def server_env():
    env = dict(os.environ)
    # Freed blocks sit in ASan's quarantine (256 MiB by default) and look like growth in RSS;
    # a smaller quarantine keeps the memory checks of the slow-reader test meaningful.
    asan = env.get("ASAN_OPTIONS", "halt_on_error=1")
    if "quarantine_size_mb" not in asan:
        asan += ":quarantine_size_mb=16"
    env["ASAN_OPTIONS"] = asan
    env.setdefault("UBSAN_OPTIONS", "halt_on_error=1:print_stacktrace=1")
    return env


class LaurelServer:
    """One laurel process. `args` are extra command-line flags; TCP binding is added here unless
    `unix_socket` is given (then only the unix socket is served)."""

    def __init__(self, binary, args=(), host="127.0.0.1", unix_socket=None, workdir=None):
        self.binary = binary
        self.args = list(args)
        self.host = host
        self.unix_socket = unix_socket
        self.port = None
        self.proc = None
        self.workdir = workdir or tempfile.mkdtemp(prefix="laurel-it-")
        self.stdout_path = os.path.join(self.workdir, "stdout.log")
        self.stderr_path = os.path.join(self.workdir, "stderr.log")
        self.returncode = None

    # --- addresses ---
    def _host_for_url(self):
        return "[%s]" % self.host if ":" in self.host else self.host

    def http_url(self, path="/"):
        if self.unix_socket:
            return "http://localhost" + path
        return "http://%s:%d%s" % (self._host_for_url(), self.port, path)

    def ws_url(self, path="/ws/echo/"):
        return "ws://%s:%d%s" % (self._host_for_url(), self.port, path)

    def connect(self, timeout=10.0):
        """A raw socket to the server (TCP or unix)."""
        if self.unix_socket:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.settimeout(timeout)
            s.connect(self.unix_socket)
            return s
        s = socket.create_connection((self.host, self.port), timeout=timeout)
        s.settimeout(timeout)
        return s

    # --- life cycle ---
    def start(self):
        last_error = None
        for _ in range(BIND_RETRIES):
            cmd = [self.binary]
            if self.unix_socket:
                cmd += ["-u", self.unix_socket]
            else:
                self.port = free_port(self.host)
                cmd += ["-b", self.host, "-p", str(self.port)]
            cmd += self.args
            self.cmd = cmd
            out = open(self.stdout_path, "ab")
            err = open(self.stderr_path, "ab")
            self.proc = subprocess.Popen(cmd, stdout=out, stderr=err, stdin=subprocess.DEVNULL,
                                         env=server_env(), cwd=self.workdir)
            out.close()
            err.close()
            ok, last_error = self._wait_ready()
            if ok:
                return self
            if self.proc.poll() is not None and "in use" in self.stderr().lower():
                continue  # someone took the port between our probe and its bind: try another
            self._kill()
            raise ServerError("laurel did not start (%s): %s\ncommand: %s\nstderr:\n%s" %
                              (last_error, self.proc.returncode, " ".join(cmd), self.stderr()[-4000:]))
        raise ServerError("laurel could not bind a free port in %d tries: %s" %
                          (BIND_RETRIES, last_error))

    def _wait_ready(self):
        deadline = time.monotonic() + READY_DEADLINE
        error = "not listening"
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False, "exited with %s" % self.proc.returncode
            try:
                s = self.connect(timeout=1.0)
                s.close()
                return True, None
            except OSError as e:
                error = str(e)
            time.sleep(0.05)  # polling interval, not a timing assertion
        return False, "no listener after %.0fs (%s)" % (READY_DEADLINE, error)

    def _kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, deadline=20.0):
        """SIGTERM, then require exit status 0 within `deadline` and a clean stderr. Returns the
        seconds the server took to exit."""
        if self.proc is None:
            return 0.0
        if self.proc.poll() is not None:
            self.returncode = self.proc.returncode
            raise ServerError("laurel had already exited with %s\nstderr:\n%s" %
                              (self.returncode, self.stderr()[-4000:]))
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.returncode = self.proc.wait(deadline)
        except subprocess.TimeoutExpired:
            self._kill()
            raise ServerError("laurel did not exit within %.0fs of SIGTERM" % deadline)
        took = time.monotonic() - started
        self.check_stderr()
        if self.returncode != 0:
            raise ServerError("laurel exited with %s after SIGTERM\nstderr:\n%s" %
                              (self.returncode, self.stderr()[-4000:]))
        return took

    def check_stderr(self):
        text = self.stderr()
        m = SANITIZER_PATTERNS.search(text)
        if m:
            start = max(0, m.start() - 200)
            raise ServerError("sanitizer report in laurel's stderr:\n" + text[start:start + 6000])

    def stdout(self):
        return _read(self.stdout_path)

    def stderr(self):
        return _read(self.stderr_path)

    def rss_kib(self):
        with open("/proc/%d/status" % self.proc.pid) as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        return 0


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""
