#!/usr/bin/python3
"""The server that the integration scenarios share: the binary (BINARY, set by run.py), the small
limits it runs with, ServerTestCase (one server per test class, checked after every test) and
the HTTP and WebSocket helpers the scenarios use.
"""

import asyncio
import http.client
import os
import re
import subprocess
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import websockets  # noqa: E402  (python3-websockets)

from laurel_server import LaurelServer  # noqa: E402

BINARY = None  # set by run.py


# Limits the shared server runs with: small enough that the limit tests stay fast.
MAX_MESSAGE = 64 * 1024
MAX_BODY = 64 * 1024
MAX_OUTBOUND = 1024 * 1024
HEADER_TIMEOUT = 2
SHARED_LIMITS = {"--max-message-size": str(MAX_MESSAGE), "--max-body-size": str(MAX_BODY),
                 "--max-outbound-bytes": str(MAX_OUTBOUND),
                 "--header-timeout": str(HEADER_TIMEOUT), "--shutdown-timeout": "5"}


def shared_args(**overrides):
    """The shared limits as flags; overrides use underscores (max_message_size="1M")."""
    limits = dict(SHARED_LIMITS)
    for key, value in overrides.items():
        limits["--" + key.replace("_", "-")] = value
    return [word for flag, value in limits.items() for word in (flag, value)]


SHARED_ARGS = shared_args()

ACCESS_LINE = re.compile(
    r'^(?P<client>\S+) - - \[\d{2}/[A-Z][a-z]{2}/\d{4}:\d{2}:\d{2}:\d{2}\] '
    r'"(?P<request>[^"]*)" (?P<status>\d{3}|-) (?P<length>\d+|-)$')


def run_async(coro, timeout=30):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def curl(*args, timeout=20):
    """curl's exit code, stdout and stderr (-sS: errors still shown)."""
    p = subprocess.run(["curl", "-sS", "--max-time", str(timeout - 5), *args],
                       capture_output=True, timeout=timeout)
    return p.returncode, p.stdout, p.stderr.decode("utf-8", "replace")


def curl_status(*args):
    rc, out, err = curl("-o", "/dev/null", "-w", "%{http_code}", *args)
    return rc, out.decode().strip(), err


def http_get(server, path="/", timeout=10):
    if server.unix_socket:
        rc, status, err = curl_status("--unix-socket", server.unix_socket, server.http_url(path))
        return int(status or 0)
    conn = http.client.HTTPConnection(server.host, server.port, timeout=timeout)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        resp.read()
        return resp.status
    finally:
        conn.close()


async def ws_echo_once(url, text="still here"):
    async with websockets.connect(url, ping_interval=None, max_size=None) as ws:
        await ws.send(text)
        return await asyncio.wait_for(ws.recv(), 10)


def read_http_response(sock, buf=b""):
    """One HTTP/1.1 response off a raw socket (Content-Length or no body). Returns
    (status, headers, body, leftover)."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed before a response head: %r" % buf[:200])
        buf += chunk
    head, buf = buf.split(b"\r\n\r\n", 1)
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    n = int(headers.get("content-length", "0"))
    while len(buf) < n:
        chunk = sock.recv(65536)
        if not chunk:
            raise EOFError("connection closed inside a body")
        buf += chunk
    return status, headers, buf[:n], buf[n:]


class ServerTestCase(unittest.TestCase):
    """Tests that share one server per class. `server_args` adds flags."""

    server_args = []
    limit_overrides = {}
    server = None

    @classmethod
    def start_server(cls):
        return LaurelServer(BINARY, shared_args(**cls.limit_overrides) + cls.server_args).start()

    @classmethod
    def setUpClass(cls):
        cls.server = cls.start_server()

    @classmethod
    def tearDownClass(cls):
        if cls.server:
            cls.server.stop()

    def setUp(self):
        # A server that died in an earlier test failed that test; give this one a fresh server so
        # its result is about itself.
        cls = type(self)
        if not cls.server.alive():
            cls.server = cls.start_server()

    def tearDown(self):
        # Whatever the scenario did, the server must still serve somebody else.
        self.assertTrue(self.server.alive(), "server died:\n" + self.server.stderr()[-4000:])
        self.assertEqual(http_get(self.server, "/"), 200, "server stopped serving GET /")
        self.server.check_stderr()
