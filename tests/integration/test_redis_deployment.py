"""laurel deployed the way issue 5 describes: `--redis` on a real redis-server, next to real
channels_redis, real Daphne and real nginx. Each test starts its own redis-server on a free
loopback port and stops it by pid; laurel is the binary under test (run.py sets BINARY).

    /usr/bin/python3 tests/integration/run.py --binary build/asan/examples/chat/laurel-chat -k Redis
"""

import asyncio
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest

import websockets
import websockets.exceptions

from laurel_server import LaurelServer, free_port, server_env

BINARY = None  # set by run.py

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DAPHNE_PROJECT = os.path.join(ROOT, "tests", "interop", "daphne_chat")
DEPLOYMENT_DOC = os.path.join(ROOT, "docs", "deployment.md")
PYTHON = "/usr/bin/python3"  # Debian's, with Django, Channels, channels_redis and Daphne
DEADLINE = 30.0  # seconds for anything this file waits for (start-up, reconnection)


def run_async(coro, timeout=60):
    return asyncio.run(asyncio.wait_for(coro, timeout))


def wait_for_port(port, proc, what, path=None):
    deadline = time.monotonic() + DEADLINE
    while True:
        try:
            if path:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.settimeout(1)
                s.connect(path)
                s.close()
            else:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if proc.poll() is not None:
                raise AssertionError("%s exited with %s before listening" % (what, proc.returncode))
            if time.monotonic() > deadline:
                raise AssertionError("%s did not listen within %.0fs" % (what, DEADLINE))
            time.sleep(0.05)  # polling interval, not a timing assertion


class RedisServer:
    """A throwaway redis-server on loopback, no persistence, stopped (or killed) by pid."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="laurel-redis-")
        self.port = free_port()
        self.proc = None

    @property
    def url(self):
        return "redis://127.0.0.1:%d/0" % self.port

    def start(self):
        self.proc = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc, "redis-server")
        return self

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(20)

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        shutil.rmtree(self.dir, ignore_errors=True)


class Daphne:
    """tests/interop/daphne_chat under the real Daphne, on channels_redis at `redis_url`."""

    def __init__(self, redis_url):
        self.port = free_port()
        self.log = tempfile.NamedTemporaryFile(prefix="daphne-", suffix=".log", delete=False)
        env = dict(os.environ, LAUREL_TEST_REDIS=redis_url, DJANGO_SETTINGS_MODULE="chatsite.settings",
                   PYTHONPATH=DAPHNE_PROJECT)
        self.proc = subprocess.Popen(
            [PYTHON, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "chatsite.asgi:application"],
            cwd=DAPHNE_PROJECT, env=env, stdout=self.log, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL)
        wait_for_port(self.port, self.proc, "daphne")

    def output(self):
        with open(self.log.name, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(20)
        os.unlink(self.log.name)


# --- laurel's demo: authentication for the chat route -------------------------------------

DEMO_PASSWORD = re.compile(r"username demo, password (\S+) \(shown once\)")


def demo_password(server):
    m = DEMO_PASSWORD.search(server.stdout())
    if not m:
        raise AssertionError("laurel-chat did not print the demo user's password:\n" +
                             server.stdout()[-2000:])
    return m.group(1)


def access_token(password, host="127.0.0.1", port=None, unix_socket=None):
    """POST /auth/token with the demo user; the access token for `Authorization: Bearer`."""
    body = json.dumps({"username": "demo", "password": password})
    conn = http.client.HTTPConnection(host, port, timeout=20)
    try:
        conn.request("POST", "/auth/token", body, {"Content-Type": "application/json"})
        resp = conn.getresponse()
        data = resp.read()
    finally:
        conn.close()
    if resp.status != 200:
        raise AssertionError("POST /auth/token: %d %r" % (resp.status, data[:300]))
    return json.loads(data)["access"]


def bearer(token):
    return {"Authorization": "Bearer " + token}


async def recv_json(ws, timeout=15):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def echo_once(url):
    async with websockets.connect(url, ping_interval=None) as ws:
        await ws.send("still serving")
        return await asyncio.wait_for(ws.recv(), 10)


def python_group_send(redis_url, group, message, encryption_keys=()):
    """channels_redis's group_send from a separate Python process, as a Django view would."""
    script = (
        "import sys, json\n"
        "from django.conf import settings\n"
        "config = {'hosts': [sys.argv[1]]}\n"
        "keys = json.loads(sys.argv[4])\n"
        "if keys: config['symmetric_encryption_keys'] = keys\n"
        "settings.configure(CHANNEL_LAYERS={'default': {'BACKEND': "
        "'channels_redis.core.RedisChannelLayer', 'CONFIG': config}})\n"
        "from asgiref.sync import async_to_sync\n"
        "from channels.layers import get_channel_layer\n"
        "async_to_sync(get_channel_layer().group_send)(sys.argv[2], json.loads(sys.argv[3]))\n"
    )
    p = subprocess.run([PYTHON, "-c", script, redis_url, group, json.dumps(message),
                        json.dumps(list(encryption_keys))],
                       capture_output=True, timeout=60)
    if p.returncode != 0:
        raise AssertionError("group_send failed: " + p.stderr.decode("utf-8", "replace")[-3000:])


class RedisDeploymentTestCase(unittest.TestCase):
    def setUp(self):
        missing = [name for name in ("redis-server",) if not shutil.which(name)]
        if not BINARY or not os.access(BINARY, os.X_OK):
            missing.append("laurel binary")
        if missing:
            self.skipTest("not there: " + ", ".join(missing))
        self.cleanups = []

    def tearDown(self):
        errors = []
        for fn in reversed(self.cleanups):
            try:
                fn()
            except Exception as e:  # stop everything, then report
                errors.append(e)
        if errors:
            raise errors[0]

    def redis(self):
        r = RedisServer().start()
        self.cleanups.append(r.stop)
        return r

    def laurel(self, redis_urls, workdir=None, unix_socket=None, extra=()):
        args = []
        for url in redis_urls:
            args += ["--redis", url]
        args += ["--shutdown-timeout", "5", *extra]
        server = LaurelServer(BINARY, args, workdir=workdir, unix_socket=unix_socket).start()
        self.cleanups.append(server.stop)  # exit 0 and no sanitizer report, or the test fails
        return server


class RedisGroupSendFromPython(RedisDeploymentTestCase):
    def test_channels_redis_group_send_reaches_a_laurel_websocket(self):
        redis = self.redis()
        # Two workers: the member's worker and the one that did not accept it each have a layer.
        server = self.laurel([redis.url], extra=["--workers", "2"])
        token = access_token(demo_password(server), port=server.port)

        async def go():
            async with websockets.connect(server.ws_url("/ws/chat/lobby/"), ping_interval=None,
                                          extra_headers=bearer(token)) as ws:
                await asyncio.get_running_loop().run_in_executor(
                    None, python_group_send, redis.url, "chat_lobby",
                    {"type": "chat.message", "message": "from django \u2713", "user": "a-view"})
                return await recv_json(ws)
        self.assertEqual(run_async(go()), {"message": "from django \u2713", "user": "a-view"})
        self.assertIn("channel layer: redis on", server.stderr())


class RedisEncryptedLayer(RedisDeploymentTestCase):
    def test_encrypted_group_send_from_python_reaches_laurel_started_with_a_key_file(self):
        redis = self.redis()
        keydir = tempfile.mkdtemp(prefix="laurel-layer-keys-")
        self.cleanups.append(lambda: shutil.rmtree(keydir, ignore_errors=True))
        keyfile = os.path.join(keydir, "layer.keys")
        with open(keyfile, "w") as f:
            f.write("# channels_redis symmetric_encryption_keys, first one encrypts\n"
                    "new-layer-secret\nold-layer-secret\n")
        server = self.laurel([redis.url], extra=["--redis-key-file", keyfile])
        token = access_token(demo_password(server), port=server.port)

        async def go():
            async with websockets.connect(server.ws_url("/ws/chat/vault/"), ping_interval=None,
                                          extra_headers=bearer(token)) as ws:
                # Django holds the keys in the other order: laurel must open what it encrypts
                # with a key that is second in laurel's list.
                await asyncio.get_running_loop().run_in_executor(
                    None, python_group_send, redis.url, "chat_vault",
                    {"type": "chat.message", "message": "sealed", "user": "a-view"},
                    ["old-layer-secret", "new-layer-secret"])
                return await recv_json(ws)
        self.assertEqual(run_async(go()), {"message": "sealed", "user": "a-view"})
        self.assertIn("messages encrypted", server.stderr())

    def test_a_missing_key_file_is_a_usage_error(self):
        p = subprocess.run([BINARY, "--redis", "redis://127.0.0.1:1/0", "--redis-key-file",
                            "/nonexistent/layer.keys"], capture_output=True, timeout=30)
        self.assertEqual(p.returncode, 2)
        self.assertIn("--redis-key-file", p.stderr.decode())


@unittest.skipUnless(os.path.isdir(DAPHNE_PROJECT), "tests/interop/daphne_chat not there")
class RedisLaurelAndDaphneInOneGroup(RedisDeploymentTestCase):
    def test_consumers_under_daphne_and_laurel_receive_each_others_messages(self):
        redis = self.redis()
        server = self.laurel([redis.url])
        daphne = Daphne(redis.url)
        self.cleanups.append(daphne.stop)
        token = access_token(demo_password(server), port=server.port)

        async def go():
            async with websockets.connect("ws://127.0.0.1:%d/ws/chat/mixed/" % daphne.port,
                                          ping_interval=None) as on_daphne, \
                    websockets.connect(server.ws_url("/ws/chat/mixed/"), ping_interval=None,
                                       extra_headers=bearer(token)) as on_laurel:
                await on_daphne.send(json.dumps({"message": "hello from daphne"}))
                got_laurel_1 = await recv_json(on_laurel)
                got_daphne_1 = await recv_json(on_daphne)  # its own message, via the group
                await on_laurel.send(json.dumps({"message": "hello from laurel"}))
                got_daphne_2 = await recv_json(on_daphne)
                got_laurel_2 = await recv_json(on_laurel)
                return got_laurel_1, got_daphne_1, got_daphne_2, got_laurel_2

        try:
            l1, d1, d2, l2 = run_async(go())
        except Exception:
            print(daphne.output()[-3000:])
            raise
        self.assertEqual(l1, {"message": "hello from daphne", "user": "daphne"})
        self.assertEqual(d1, {"message": "hello from daphne", "user": "daphne"})
        self.assertEqual(d2, {"message": "hello from laurel", "user": "demo"})
        self.assertEqual(l2, {"message": "hello from laurel", "user": "demo"})


class RedisOutage(RedisDeploymentTestCase):
    def test_laurel_survives_a_killed_redis_and_delivers_after_it_returns(self):
        redis = self.redis()
        server = self.laurel([redis.url])
        token = access_token(demo_password(server), port=server.port)
        echo = server.ws_url("/ws/echo/")

        async def member_receives(text):
            async with websockets.connect(server.ws_url("/ws/chat/lobby/"), ping_interval=None,
                                          extra_headers=bearer(token)) as ws:
                await asyncio.get_running_loop().run_in_executor(
                    None, python_group_send, redis.url, "chat_lobby",
                    {"type": "chat.message", "message": text})
                return await recv_json(ws)

        self.assertEqual(run_async(member_receives("before")), {"message": "before"})

        redis.kill()
        # Local traffic goes on while Redis is away.
        for _ in range(3):
            self.assertEqual(run_async(echo_once(echo)), "still serving")
        self.assertTrue(server.alive())

        # A chat socket during the outage cannot join its group: it is refused, not left hanging.
        async def join_during_outage():
            try:
                async with websockets.connect(server.ws_url("/ws/chat/lobby/"), ping_interval=None,
                                              extra_headers=bearer(token)) as ws:
                    await asyncio.wait_for(ws.recv(), 20)
                    return "received"
            except (websockets.exceptions.InvalidStatusCode,
                    websockets.exceptions.ConnectionClosed,
                    websockets.exceptions.InvalidHandshake):
                return "refused"
        self.assertEqual(run_async(join_during_outage()), "refused")
        self.assertEqual(run_async(echo_once(echo)), "still serving")

        redis.start()  # same port, empty data: groups are rebuilt by the sockets that join

        # Reconnection has backoff: members that join once it is back receive again.
        deadline = time.monotonic() + DEADLINE
        while True:
            try:
                got = run_async(member_receives("after"), timeout=20)
                break
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)  # polling interval while laurel reconnects
        self.assertEqual(got, {"message": "after"})
        self.assertEqual(run_async(echo_once(echo)), "still serving")
        self.assertTrue(server.alive())


# --- nginx: the configuration of docs/deployment.md, run for real ---------------------------

def deployment_nginx_config():
    """The first ```nginx block of docs/deployment.md: the documented configuration."""
    with open(DEPLOYMENT_DOC, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"```nginx\n(.*?)```", text, re.S)
    if not m:
        raise AssertionError("docs/deployment.md has no ```nginx block")
    return m.group(1)


def nginx_conf(doc_block, prefix, port, socket_dir):
    """The documented block with test paths and ports, wrapped in a complete nginx.conf."""
    block = doc_block.replace("unix:/run/laurel/", "unix:%s/" % socket_dir)
    block, n = re.subn(r"listen\s+80;", "listen 127.0.0.1:%d;" % port, block)
    if n != 1:
        raise AssertionError("the documented server block should have one `listen 80;`")
    # As root, nginx's workers would run as nobody, who may not connect to the test's sockets.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return user + """daemon off;
worker_processes 1;
pid {p}/nginx.pid;
error_log {p}/error.log info;
events {{ worker_connections 256; }}
http {{
    access_log {p}/access.log;
    client_body_temp_path {p}/client_body;
    proxy_temp_path {p}/proxy;
    fastcgi_temp_path {p}/fastcgi;
    uwsgi_temp_path {p}/uwsgi;
    scgi_temp_path {p}/scgi;
{block}
}}
""".format(p=prefix, block=block)


@unittest.skipUnless(shutil.which("nginx") or os.path.exists("/usr/sbin/nginx"), "nginx not there")
class RedisBehindNginx(RedisDeploymentTestCase):
    def test_message_through_nginx_reaches_a_client_on_the_other_process(self):
        nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
        redis = self.redis()
        base = tempfile.mkdtemp(prefix="laurel-nginx-")
        self.cleanups.append(lambda: shutil.rmtree(base, ignore_errors=True))
        socket_dir = os.path.join(base, "run")
        os.mkdir(socket_dir)
        database = os.path.join(base, "users.sqlite3")  # one user database and key for both
        servers = []
        for i in (1, 2):
            workdir = os.path.join(base, "laurel-%d" % i)
            os.mkdir(workdir)
            servers.append(self.laurel(
                [redis.url], workdir=workdir,
                unix_socket=os.path.join(socket_dir, "laurel-%d.sock" % i),
                extra=["--database", database, "--proxy-headers"]))
        password = demo_password(servers[0])

        prefix = os.path.join(base, "nginx")
        os.mkdir(prefix)
        port = free_port()
        conf = os.path.join(prefix, "nginx.conf")
        with open(conf, "w") as f:
            f.write(nginx_conf(deployment_nginx_config(), prefix, port, socket_dir))
        check = subprocess.run([nginx_bin, "-t", "-p", prefix, "-c", conf], capture_output=True)
        self.assertEqual(check.returncode, 0, check.stderr.decode())
        nginx = subprocess.Popen([nginx_bin, "-p", prefix, "-c", conf],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL)

        def stop_nginx():
            if nginx.poll() is None:
                nginx.terminate()
                nginx.wait(20)
        self.cleanups.append(stop_nginx)
        wait_for_port(port, nginx, "nginx")

        token = access_token(password, port=port)
        url = "ws://127.0.0.1:%d/ws/chat/nginx/" % port

        async def go():
            # nginx balances round robin: open sockets until each process holds at least one.
            clients = []
            try:
                for _ in range(8):
                    clients.append(await websockets.connect(url, ping_interval=None,
                                                            extra_headers=bearer(token)))
                    counts = [s.stdout().count("/ws/chat/nginx/") for s in servers]
                    if len(clients) >= 2 and all(counts):
                        break
                await clients[0].send(json.dumps({"message": "across processes"}))
                return [await recv_json(ws) for ws in clients]
            finally:
                for ws in clients:
                    await ws.close()

        def on_each_process():
            return [s.stdout().count("/ws/chat/nginx/") for s in servers]

        received = run_async(go())
        self.assertTrue(all(on_each_process()),
                        "nginx did not spread the sockets over both processes: %s" %
                        on_each_process())
        self.assertGreaterEqual(len(received), 2)
        for got in received:
            self.assertEqual(got, {"message": "across processes", "user": "demo"})
        # Plain HTTP through the same proxy and upstream keepalive.
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("GET", "/")
        self.assertEqual(conn.getresponse().status, 200)
        conn.close()
