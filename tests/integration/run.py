#!/usr/bin/python3
"""laurel's integration tests: the real binary (the sanitizer build) on loopback, driven by
clients nobody here wrote: python3-websockets, Node's ws, curl, and CPython's http.client. A raw
socket stands in only for what a well-behaved client refuses to send.

    /usr/bin/python3 tests/integration/run.py --binary build/asan/examples/chat/laurel-chat
    /usr/bin/python3 tests/integration/run.py --binary ... -k Slowloris   # a subset

Every scenario ends by checking that the server still serves another client; every server is
stopped with SIGTERM and must exit 0 with no sanitizer report on stderr.
"""

import argparse
import asyncio
import http.client
import importlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import websockets  # noqa: E402  (python3-websockets)
import websockets.exceptions  # noqa: E402

from laurel_server import (LaurelServer, SANITIZER_PATTERNS, free_port,  # noqa: E402
                           ipv6_loopback_available, server_env)
import ws_raw  # noqa: E402

BINARY = None  # set from --binary

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


# ---------------------------------------------------------------------------------------------
# WebSocket with python3-websockets


class WebsocketWithPythonClient(ServerTestCase):
    def test_echoes_text_as_text(self):
        async def go():
            async with websockets.connect(self.server.ws_url(), ping_interval=None) as ws:
                await ws.send("héllo, laurel ✓")
                return await asyncio.wait_for(ws.recv(), 10)
        self.assertEqual(run_async(go()), "héllo, laurel ✓")

    def test_echoes_binary_as_binary(self):
        payload = bytes(range(256)) * 4

        async def go():
            async with websockets.connect(self.server.ws_url(), ping_interval=None) as ws:
                await ws.send(payload)
                return await asyncio.wait_for(ws.recv(), 10)
        self.assertEqual(run_async(go()), payload)

    def test_many_messages_keep_their_order(self):
        async def go():
            async with websockets.connect(self.server.ws_url(), ping_interval=None) as ws:
                for i in range(200):
                    await ws.send("m%d" % i)
                return [await asyncio.wait_for(ws.recv(), 10) for _ in range(200)]
        self.assertEqual(run_async(go()), ["m%d" % i for i in range(200)])

    def test_fragmented_message_is_joined(self):
        async def go():
            async with websockets.connect(self.server.ws_url(), ping_interval=None) as ws:
                await ws.send(iter(["frag", "ment", "ed"]))
                return await asyncio.wait_for(ws.recv(), 10)
        self.assertEqual(run_async(go()), "fragmented")

    def test_subprotocol_answer_is_one_the_client_offered(self):
        async def go():
            async with websockets.connect(self.server.ws_url(), ping_interval=None,
                                          subprotocols=["laurel.test", "chat"]) as ws:
                await ws.send("x")
                await asyncio.wait_for(ws.recv(), 10)
                return ws.subprotocol
        # websockets itself fails the handshake if the server picks one that was not offered.
        self.assertIn(run_async(go()), [None, "laurel.test", "chat"])

    def test_client_close_codes_are_answered(self):
        for code in (1000, 1001, 3000, 4000, 4999):
            async def go():
                ws = await websockets.connect(self.server.ws_url(), ping_interval=None)
                await ws.close(code=code, reason="bye")
                return ws.close_code
            with self.subTest(code=code):
                self.assertIn(run_async(go()), (code, 1000))

    def test_oversized_message_closes_with_1009(self):
        async def go():
            async with websockets.connect(self.server.ws_url(), ping_interval=None,
                                          max_size=None) as ws:
                await ws.send("a" * (MAX_MESSAGE + 1))
                try:
                    await asyncio.wait_for(ws.recv(), 10)
                except websockets.exceptions.ConnectionClosed:
                    pass
                await ws.wait_closed()
                return ws.close_code
        self.assertEqual(run_async(go()), 1009)

    def test_message_at_the_limit_is_echoed(self):
        async def go():
            async with websockets.connect(self.server.ws_url(), ping_interval=None,
                                          max_size=None) as ws:
                await ws.send("b" * MAX_MESSAGE)
                return len(await asyncio.wait_for(ws.recv(), 10))
        self.assertEqual(run_async(go()), MAX_MESSAGE)

    def test_invalid_utf8_text_closes_with_1007(self):
        async def go():
            async with websockets.connect(self.server.ws_url(), ping_interval=None) as ws:
                # write_frame bypasses the client's own UTF-8 encoding: a real client, bad bytes.
                await ws.write_frame(True, 0x1, b"\xc3\x28 not utf-8")
                try:
                    await asyncio.wait_for(ws.recv(), 10)
                except websockets.exceptions.ConnectionClosed:
                    pass
                await ws.wait_closed()
                return ws.close_code
        self.assertEqual(run_async(go()), 1007)

    def test_ping_is_answered_with_pong(self):
        async def go():
            async with websockets.connect(self.server.ws_url(), ping_interval=None) as ws:
                for i in range(3):
                    waiter = await ws.ping(b"laurel-%d" % i)
                    await asyncio.wait_for(waiter, 10)
                return True
        self.assertTrue(run_async(go()))

    def test_many_clients_at_once(self):
        async def one(i):
            async with websockets.connect(self.server.ws_url(), ping_interval=None) as ws:
                await ws.send("client %d" % i)
                return await asyncio.wait_for(ws.recv(), 10)

        async def go():
            return await asyncio.gather(*(one(i) for i in range(50)))
        self.assertEqual(run_async(go()), ["client %d" % i for i in range(50)])


class WebsocketProtocolErrors(ServerTestCase):
    """What no polite client sends, on a raw socket."""

    def test_unmasked_client_frame_closes_with_1002(self):
        ws = ws_raw.open_raw(self.server)
        try:
            ws.send_frame(ws_raw.OP_TEXT, b"unmasked", masked=False)
            self.assertEqual(ws.read_close_code(), 1002)
        finally:
            ws.close()

    def test_reserved_bits_close_with_1002(self):
        ws = ws_raw.open_raw(self.server)
        try:
            ws.send_frame(ws_raw.OP_TEXT, b"rsv", rsv=0b010)
            self.assertEqual(ws.read_close_code(), 1002)
        finally:
            ws.close()

    def test_invalid_close_code_closes_with_1002(self):
        ws = ws_raw.open_raw(self.server)
        try:
            ws.send_close(999)
            self.assertEqual(ws.read_close_code(), 1002)
        finally:
            ws.close()

    def test_fragmented_ping_closes_with_1002(self):
        ws = ws_raw.open_raw(self.server)
        try:
            ws.send_frame(ws_raw.OP_PING, b"p", fin=False)
            self.assertEqual(ws.read_close_code(), 1002)
        finally:
            ws.close()

    def test_raw_echo_and_orderly_close(self):
        ws = ws_raw.open_raw(self.server)
        try:
            ws.send_frame(ws_raw.OP_TEXT, b"raw hello")
            self.assertEqual(ws.read_frame(), (ws_raw.OP_TEXT, b"raw hello"))
            ws.send_close(1000)
            self.assertEqual(ws.read_close_code(), 1000)
        finally:
            ws.close()


class SlowReader(ServerTestCase):
    def test_echo_client_that_never_reads_is_throttled_without_memory_growth(self):
        # Echo traffic is caused by the client itself: the server may stop reading from it
        # (TCP backpressure) or close it with 1008; either way it must not buffer without bound.
        ws = ws_raw.open_raw(self.server, rcvbuf=4096, timeout=5.0)
        rss_before = self.server.rss_kib()
        message = b"z" * (32 * 1024)
        sent = 0
        limit = 96 * 1024 * 1024  # bounded: never send more than this
        try:
            while sent < limit:
                try:
                    ws.send_frame(ws_raw.OP_BINARY, message)
                except (BrokenPipeError, ConnectionResetError, socket.timeout):
                    break  # closed by the server, or the server stopped reading from us
                sent += len(message)
            rss_peak = self.server.rss_kib()
            self.assertEqual(http_get(self.server, "/"), 200)  # others are served meanwhile
        finally:
            ws.close()
        self.assertLess(sent, limit, "the server took %d bytes from a client that never reads"
                        % sent)
        growth_mib = (rss_peak - rss_before) / 1024.0
        self.assertLess(growth_mib, 64, "server RSS grew by %.0f MiB for one slow reader" %
                        growth_mib)

    def test_room_member_that_never_reads_is_closed_with_1008(self):
        # Traffic the slow client did not cause: another member floods the room. The server
        # cannot push back on the sender for it, so it must drop the slow member (close 1008)
        # once MAX_OUTBOUND bytes are queued for it, and its memory must stay bounded.
        # The chat needs a logged-in user: the demo user's token, as a native client would.
        from test_redis_deployment import access_token, bearer, demo_password
        auth = bearer(access_token(demo_password(self.server), port=self.server.port))
        room = "/ws/chat/slowroom%d/" % os.getpid()
        slow = ws_raw.open_raw(self.server, path=room, rcvbuf=4096, timeout=5.0, headers=auth)
        rss_before = self.server.rss_kib()
        text = "m" * 8000
        total = 1500  # 1500 x 8 kB = 12 MB for the slow member: far past MAX_OUTBOUND

        async def flood():
            async with websockets.connect(self.server.ws_url(room), ping_interval=None,
                                          max_queue=None, max_size=None,
                                          extra_headers=auth) as fast:
                got = 0
                for i in range(total):
                    await fast.send(json.dumps({"message": text}))
                    if i % 50 == 49:  # the fast member reads its own copies as it goes
                        while got < i - 10:
                            await asyncio.wait_for(fast.recv(), 10)
                            got += 1
                while got < total:
                    await asyncio.wait_for(fast.recv(), 10)
                    got += 1
                return got

        try:
            self.assertEqual(run_async(flood(), timeout=120), total)
            rss_peak = self.server.rss_kib()
            slow.sock.settimeout(15.0)
            code, how = slow.read_until_close()  # the frames that did fit, then the close
        finally:
            slow.close()
        growth_mib = (rss_peak - rss_before) / 1024.0
        self.assertLess(growth_mib, 64, "server RSS grew by %.0f MiB for one slow reader" %
                        growth_mib)
        self.assertEqual(code, 1008, "a room member that never reads was not closed with 1008 "
                         "(the connection ended: %s)" % how)


class PingTimeout(ServerTestCase):
    server_args = ["--ping-interval", "1", "--ping-timeout", "2"]

    def test_server_pings_an_idle_client(self):
        ws = ws_raw.open_raw(self.server, timeout=10.0)
        try:
            op, payload = ws.read_frame()
            self.assertEqual(op, ws_raw.OP_PING)
            ws.send_frame(ws_raw.OP_PONG, payload)
            ws.send_frame(ws_raw.OP_TEXT, b"after pong")
            while True:  # a second ping may come first
                op, payload = ws.read_frame()
                if op != ws_raw.OP_PING:
                    break
            self.assertEqual((op, payload), (ws_raw.OP_TEXT, b"after pong"))
        finally:
            ws.close()

    def test_client_that_never_answers_pings_is_dropped(self):
        ws = ws_raw.open_raw(self.server, timeout=15.0)
        try:
            started = time.monotonic()
            code = ws.read_close_code()  # reads pings, never answers; ends at close or EOF
            took = time.monotonic() - started
        finally:
            ws.close()
        self.assertIn(code, (None, 1001, 1006, 1008, 1011))
        self.assertLess(took, 12, "a silent client was kept %.1fs past ping interval+timeout" %
                        took)


class GracefulShutdown(unittest.TestCase):
    def test_sigterm_closes_open_sockets_with_1001_and_exits_in_time(self):
        server = LaurelServer(BINARY, shared_args(shutdown_timeout="3")).start()
        try:
            async def go():
                conns = [await websockets.connect(server.ws_url(), ping_interval=None)
                         for _ in range(5)]
                for c in conns:
                    await c.send("hi")
                    await asyncio.wait_for(c.recv(), 10)
                started = time.monotonic()
                server.proc.send_signal(signal.SIGTERM)
                codes = []
                for c in conns:
                    try:
                        await asyncio.wait_for(c.recv(), 10)
                    except websockets.exceptions.ConnectionClosed:
                        pass
                    await c.wait_closed()
                    codes.append(c.close_code)
                return codes, started
            codes, started = run_async(go())
            rc = server.proc.wait(15)
            took = time.monotonic() - started
        finally:
            if server.proc.poll() is None:
                server.proc.kill()
                server.proc.wait(10)
        self.assertEqual(codes, [1001] * 5)
        self.assertEqual(rc, 0, server.stderr()[-3000:])
        self.assertLess(took, 3 + 5, "exit took %.1fs with --shutdown-timeout 3" % took)
        server.check_stderr()


# ---------------------------------------------------------------------------------------------
# WebSocket with Node's ws


@unittest.skipUnless(os.path.exists(os.path.join(HERE, "node_modules", "ws")),
                     "npm ws not installed (./laurel.sh test installs it)")
class WebsocketWithNodeClient(ServerTestCase):
    def node(self, *args):
        p = subprocess.run(["node", os.path.join(HERE, "ws_node_client.js"), *args],
                           capture_output=True, timeout=30, cwd=HERE)
        self.assertEqual(p.returncode, 0, p.stderr.decode() + p.stdout.decode())
        return json.loads(p.stdout.decode().strip().splitlines()[-1])

    def test_echo_text_and_binary(self):
        r = self.node("echo", self.server.ws_url())
        self.assertNotIn("error", r)
        self.assertEqual(r["received"], [{"binary": False, "data": "héllo from node"},
                                         {"binary": True, "data": "000102ff"}])
        self.assertEqual(r["code"], 1000)

    def test_close_codes(self):
        for code in ("1000", "4000", "3500"):
            with self.subTest(code=code):
                r = self.node("close", self.server.ws_url(), code)
                self.assertNotIn("error", r)
                self.assertIn(r["code"], (int(code), 1000))

    def test_oversized_message_closes_with_1009(self):
        r = self.node("big", self.server.ws_url(), str(MAX_MESSAGE + 100))
        self.assertNotIn("error", r)
        self.assertEqual(r["code"], 1009)


# ---------------------------------------------------------------------------------------------
# HTTP with curl and raw sockets


class HttpWithCurl(ServerTestCase):
    def test_get_page(self):
        rc, body, err = curl("-D", "-", self.server.http_url("/"))
        self.assertEqual(rc, 0, err)
        head, _, page = body.partition(b"\r\n\r\n")
        self.assertTrue(head.startswith(b"HTTP/1.1 200"), head[:200])
        self.assertIn(b"content-type: text/html", head.lower())
        self.assertIn(b"<html", page.lower())

    def test_head_has_headers_and_no_body(self):
        rc, out, err = curl("-I", self.server.http_url("/"))
        self.assertEqual(rc, 0, err)  # curl fails if a body follows a HEAD answer's head
        self.assertTrue(out.startswith(b"HTTP/1.1 200"), out[:200])

    def test_unknown_route_is_404(self):
        rc, status, err = curl_status(self.server.http_url("/no/such/route/"))
        self.assertEqual((rc, status), (0, "404"), err)

    def test_keepalive_and_pipelining(self):
        s = self.server.connect()
        try:
            req = b"GET / HTTP/1.1\r\nHost: x\r\n\r\n"
            s.sendall(req * 3)  # three requests in one write: answers must come back in order
            leftover = b""
            for _ in range(3):
                status, headers, body, leftover = read_http_response(s, leftover)
                self.assertEqual(status, 200)
                self.assertNotEqual(headers.get("connection", "").lower(), "close")
            s.sendall(b"GET /no/such/route/ HTTP/1.1\r\nHost: x\r\n\r\n")  # same socket, later
            status, _, _, _ = read_http_response(s, leftover)
            self.assertEqual(status, 404)
        finally:
            s.close()

    def test_curl_reuses_the_connection(self):
        url = self.server.http_url("/")
        rc, out, err = curl("-v", "-o", "/dev/null", "-o", "/dev/null", url, url)
        self.assertEqual(rc, 0, err)
        self.assertIn("Re-using existing connection", err)

    def test_chunked_upload_is_read(self):
        body = json.dumps({"username": "nobody-here", "password": "wrong"}).encode()
        with tempfile.NamedTemporaryFile() as f:
            f.write(body)
            f.flush()
            rc, status, err = curl_status("-X", "POST", "-H", "Transfer-Encoding: chunked",
                                          "-H", "Content-Type: application/json",
                                          "--data-binary", "@" + f.name,
                                          self.server.http_url("/"))
        self.assertEqual(rc, 0, err)
        # The page read the whole body and answered, rather than the server refusing the
        # framing (400/411/501) or hanging.
        self.assertIn(status, ("200", "405"))

    def test_chunked_upload_over_the_limit_is_413(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"x" * (MAX_BODY * 2))
            f.flush()
            rc, status, err = curl_status("-X", "POST", "-H", "Transfer-Encoding: chunked",
                                          "--data-binary", "@" + f.name,
                                          self.server.http_url("/"))
        self.assertEqual(status, "413", err)

    def test_expect_100_continue(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(json.dumps({"username": "nobody-here", "password": "wrong"}).encode())
            f.flush()
            rc, out, err = curl("-v", "-o", "/dev/null", "-H", "Expect: 100-continue",
                                "-H", "Content-Type: application/json",
                                "--expect100-timeout", "10", "--data-binary", "@" + f.name,
                                self.server.http_url("/"))
        self.assertEqual(rc, 0, err)
        self.assertIn("HTTP/1.1 100 Continue", err)

    def test_body_over_max_body_size_is_413(self):
        with tempfile.NamedTemporaryFile() as f:
            f.write(b"y" * (MAX_BODY + 1))
            f.flush()
            rc, status, err = curl_status("-X", "POST", "--data-binary", "@" + f.name,
                                          self.server.http_url("/"))
        self.assertEqual(status, "413", err)

    def test_20_kib_header_is_431(self):
        rc, status, err = curl_status("-H", "X-Big: " + "h" * (20 * 1024),
                                      self.server.http_url("/"))
        self.assertEqual(status, "431", err)

    def test_garbage_gets_400_and_others_are_served(self):
        s = self.server.connect()
        try:
            s.sendall(b"\x16\x03\x01 this is not http\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        finally:
            s.close()
        self.assertTrue(data.startswith(b"HTTP/1.1 400"), data[:200])
        self.assertEqual(http_get(self.server, "/"), 200)

    def test_slowloris_is_cut_off_while_others_are_served(self):
        s = self.server.connect(timeout=HEADER_TIMEOUT + 10)
        started = time.monotonic()
        cut_off = False
        served_meanwhile = False
        try:
            s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n")
            deadline = started + HEADER_TIMEOUT + 10
            i = 0
            while time.monotonic() < deadline:
                try:
                    s.sendall(b"X-Drip-%d: a\r\n" % i)  # one header line at a time, never done
                except (BrokenPipeError, ConnectionResetError):
                    cut_off = True
                    break
                i += 1
                if not served_meanwhile:
                    served_meanwhile = http_get(self.server, "/", timeout=5) == 200
                s.settimeout(0.3)
                try:
                    data = s.recv(65536)
                    if data == b"" or data.startswith(b"HTTP/1.1 408"):
                        cut_off = True
                        break
                except socket.timeout:
                    pass
        finally:
            s.close()
        took = time.monotonic() - started
        self.assertTrue(served_meanwhile, "another client was not served during the drip")
        self.assertTrue(cut_off, "a client dripping headers was not cut off within %ds" %
                        (HEADER_TIMEOUT + 10))
        self.assertLess(took, HEADER_TIMEOUT + 10)

    def test_access_log_is_daphne_format_without_secrets(self):
        secret = "SeCrEt%d" % os.getpid()
        rc, status, err = curl_status("-H", "Authorization: Bearer tok" + secret,
                                      "-H", "Cookie: sessionid=cookie" + secret,
                                      self.server.http_url("/?ticket=q" + secret))
        self.assertEqual(status, "200", err)
        self.assertEqual(run_async(ws_echo_once(self.server.ws_url() + "?room=w" + secret)),
                         "still here")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # the log is written by the server; wait for lines
            log = self.server.stdout()
            if "WSDISCONNECT" in log:
                break
            time.sleep(0.05)
        lines = [l for l in log.splitlines() if ACCESS_LINE.match(l)]
        requests = [ACCESS_LINE.match(l).group("request") for l in lines]
        self.assertIn('GET /', requests, log[-2000:])
        get_line = next(l for l in lines if ACCESS_LINE.match(l).group("request") == "GET /")
        m = ACCESS_LINE.match(get_line)
        self.assertEqual(m.group("status"), "200")
        self.assertRegex(m.group("client"), r"^127\.0\.0\.1:\d+$")
        for action in ("WSCONNECTING /ws/echo/", "WSCONNECT /ws/echo/", "WSDISCONNECT /ws/echo/"):
            self.assertIn(action, requests)
        self.assertNotIn(secret, self.server.stdout())
        self.assertNotIn(secret, self.server.stderr())


class UnixSocket(unittest.TestCase):
    def test_serves_on_a_unix_socket(self):
        workdir = tempfile.mkdtemp(prefix="laurel-unix-")
        path = os.path.join(workdir, "laurel.sock")
        server = LaurelServer(BINARY, SHARED_ARGS, unix_socket=path, workdir=workdir).start()
        try:
            rc, status, err = curl_status("--unix-socket", path, "http://localhost/")
            self.assertEqual((rc, status), (0, "200"), err)
            rc, status, err = curl_status("--unix-socket", path, "http://localhost/nope/")
            self.assertEqual(status, "404", err)
        finally:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@unittest.skipUnless(ipv6_loopback_available(), "no IPv6 loopback here")
class Ipv6(unittest.TestCase):
    def test_serves_on_ipv6_loopback(self):
        server = LaurelServer(BINARY, SHARED_ARGS, host="::1").start()
        try:
            rc, status, err = curl_status("-g", server.http_url("/"))
            self.assertEqual((rc, status), (0, "200"), err)
            self.assertEqual(run_async(ws_echo_once(server.ws_url(), "v6")), "v6")
        finally:
            server.stop()


class Workers(ServerTestCase):
    server_args = ["--workers", "2"]

    def test_two_workers_serve_http_and_websockets(self):
        async def ws_one(i):
            async with websockets.connect(self.server.ws_url(), ping_interval=None) as ws:
                await ws.send("w%d" % i)
                return await asyncio.wait_for(ws.recv(), 10)

        async def go():
            return await asyncio.gather(*(ws_one(i) for i in range(40)))
        self.assertEqual(run_async(go()), ["w%d" % i for i in range(40)])
        statuses = [curl_status(self.server.http_url("/"))[1] for _ in range(10)]
        self.assertEqual(statuses, ["200"] * 10)


class CommandLine(unittest.TestCase):
    def test_bad_flag_exits_2_with_one_line(self):
        p = subprocess.run([BINARY, "--no-such-flag"], capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        err = p.stderr.decode().strip()
        self.assertIn("--no-such-flag", err)
        self.assertEqual(len(err.splitlines()), 1, err)

    def test_bad_value_exits_2_naming_the_flag(self):
        p = subprocess.run([BINARY, "serve", "--max-body-size", "huge"], capture_output=True,
                           timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--max-body-size", p.stderr.decode())

    def test_serve_help_lists_daphne_flags(self):
        p = subprocess.run([BINARY, "serve", "--help"], capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 0)
        out = p.stdout.decode()
        for flag in ("--bind", "--port", "--unix-socket", "--websocket_timeout", "--proxy-headers"):
            self.assertIn(flag, out)

    def test_routes_prints_the_route_table(self):
        p = subprocess.run([BINARY, "routes"], capture_output=True, timeout=30,
                           cwd=tempfile.mkdtemp(prefix="laurel-routes-"))
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        out = p.stdout.decode()
        self.assertIn("PROTOCOL", out)
        self.assertIn("ws/echo", out)

    def test_ready_line_names_the_url(self):
        server = LaurelServer(BINARY, SHARED_ARGS).start()
        try:
            deadline = time.monotonic() + 10
            while "serving" not in server.stdout() and time.monotonic() < deadline:
                time.sleep(0.05)
            self.assertIn("serving http://127.0.0.1:%d/" % server.port, server.stdout())
        finally:
            server.stop()


CONFORMANCE = os.path.join(ROOT, "tests", "conformance", "autobahn_like.py")


@unittest.skipUnless(os.path.exists(CONFORMANCE), "tests/conformance/autobahn_like.py not there")
class Conformance(ServerTestCase):
    # Autobahn's cases send messages up to 1 MiB (close 7.1.6 among them): the default limit.
    limit_overrides = {"max_message_size": "1M"}
    def test_autobahn_like_suite_against_echo(self):
        p = subprocess.run([sys.executable, CONFORMANCE, "--host", self.server.host,
                            "--port", str(self.server.port), "--path", "/ws/echo/",
                            "--max-message-size", str(1 << 20)],
                           capture_output=True, timeout=900)
        self.assertEqual(p.returncode, 0, (p.stdout + p.stderr).decode()[-6000:])


INTEROP = os.path.join(ROOT, "tests", "interop", "channels_redis_interop.py")


def layer_probe():
    # build/<dir>/examples/chat/laurel-chat → build/<dir>/tools/laurel-layer-probe
    build_dir = os.path.dirname(os.path.dirname(os.path.dirname(BINARY or "")))
    return os.path.join(build_dir, "tools", "laurel-layer-probe")


class ChannelsRedisInterop(unittest.TestCase):
    """laurel's Redis layer and the real channels_redis on one real redis-server."""

    def setUp(self):
        missing = [what for what, ok in (("tests/interop/channels_redis_interop.py",
                                          os.path.exists(INTEROP)),
                                         ("laurel-layer-probe", os.path.exists(layer_probe())),
                                         ("redis-server", shutil.which("redis-server")))
                   if not ok]
        if missing:
            self.skipTest("not there: " + ", ".join(missing))

    def test_python_and_laurel_reach_each_other(self):
        workdir = tempfile.mkdtemp(prefix="laurel-redis-")
        port = free_port()
        redis = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1",
                                  "--save", "", "--appendonly", "no", "--dir", workdir],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL)
        try:
            deadline = time.monotonic() + 20
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=1).close()
                    break
                except OSError:
                    if time.monotonic() > deadline or redis.poll() is not None:
                        self.fail("redis-server did not start on port %d" % port)
                    time.sleep(0.05)
            p = subprocess.run(["/usr/bin/python3", INTEROP, "redis://127.0.0.1:%d/0" % port,
                                "--probe", layer_probe()], capture_output=True, timeout=300,
                               env=server_env())
            out = (p.stdout + p.stderr).decode("utf-8", "replace")
            self.assertEqual(p.returncode, 0, out[-6000:])
            self.assertNotRegex(out, SANITIZER_PATTERNS)
        finally:
            redis.terminate()
            redis.wait(20)
            shutil.rmtree(workdir, ignore_errors=True)


def main():
    global BINARY
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "asan", "examples",
                                                         "chat", "laurel-chat"))
    parser.add_argument("--summary", help="write '<passed> <failed>' here")
    parser.add_argument("-k", dest="pattern", help="only tests whose id contains this")
    parser.add_argument("-v", dest="verbose", action="store_true")
    args = parser.parse_args()
    BINARY = os.path.abspath(args.binary)
    if not os.access(BINARY, os.X_OK):
        print("integration: no binary at %s (build it first)" % BINARY, file=sys.stderr)
        if args.summary:
            with open(args.summary, "w") as f:
                f.write("0 1\n")
        print("integration: 0 passed, 1 failed")
        return 1

    suite = unittest.defaultTestLoader.loadTestsFromModule(sys.modules[__name__])
    # Scenarios of their own live in tests/integration/test_*.py; each gets the binary as BINARY.
    for name in sorted(os.listdir(HERE)):
        if name.startswith("test_") and name.endswith(".py"):
            module = importlib.import_module(name[:-3])
            module.BINARY = BINARY
            suite.addTests(unittest.defaultTestLoader.loadTestsFromModule(module))
    if args.pattern:
        def flatten(s):
            for t in s:
                if isinstance(t, unittest.TestSuite):
                    yield from flatten(t)
                else:
                    yield t
        suite = unittest.TestSuite(t for t in flatten(suite) if args.pattern in t.id())
    runner = unittest.TextTestRunner(verbosity=2)
    started = time.monotonic()
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    if args.summary:
        with open(args.summary, "w") as f:
            f.write("%d %d\n" % (passed, failed))
    print("integration tests took %.0fs; %d skipped" % (time.monotonic() - started,
                                                          len(result.skipped)))
    print("integration: %d passed, %d failed" % (passed, failed))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
