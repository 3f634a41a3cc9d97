#!/usr/bin/python3
"""WebSockets through the real binary: python3-websockets and Node's ws as clients, a raw socket
for the frames they refuse to send; slow readers, keepalive pings and a graceful shutdown.

    /usr/bin/python3 tests/integration/run.py --binary build/asan/examples/chat/laurel-chat -k Websocket
"""

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import websockets  # noqa: E402  (python3-websockets)
import websockets.exceptions  # noqa: E402

from laurel_server import LaurelServer  # noqa: E402
from server_case import MAX_MESSAGE, ServerTestCase, http_get, run_async, shared_args  # noqa: E402
import ws_raw  # noqa: E402

BINARY = None  # set by run.py


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
