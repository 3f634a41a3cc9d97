#!/usr/bin/python3
"""Ways of serving: a UNIX socket, IPv6 loopback, several workers, the command line's answers, the
Autobahn-like conformance cases against /ws/echo/, and the Redis layer against channels_redis.
"""

import asyncio
import os
import shutil
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

from laurel_server import (LaurelServer, SANITIZER_PATTERNS, free_port,  # noqa: E402
                           ipv6_loopback_available, server_env)
from server_case import SHARED_ARGS, ServerTestCase, curl_status, run_async, ws_echo_once  # noqa: E402

BINARY = None  # set by run.py


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
