#!/usr/bin/python3
"""Authentication flows against the real laurel-chat binary, with python3-websockets as the
client (DESIGN.md, Authentication; docs/authentication.md):

* a native-style client (Authorization header, no Origin) logs in with /auth/token, connects,
  reconnects after the server drops it (a restart), refreshes, and is closed with 4401 when it
  logs out; its old access token is then refused at the handshake with 401;
* a browser-style client with a session cookie and a foreign (or no) Origin is refused with 403,
  and accepted from an allowed Origin;
* tickets are single use, the subprotocol answer is the plain "bearer", unauthenticated chat
  sockets get 401, wrong password and unknown user look the same;
* every log the run produced is searched for the password and every token: none may appear.

    /usr/bin/python3 tests/integration/test_auth.py --binary build/asan/examples/chat/laurel-chat
"""

import argparse
import asyncio
import base64
import hashlib
import json
import os
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import websockets  # noqa: E402  (python3-websockets)
import websockets.exceptions  # noqa: E402

from laurel_server import http_request, LaurelServer  # noqa: E402

BINARY = None  # set from --binary
USERNAME = "tester"
PASSWORD = "It-is-a-Test-Passw0rd-" + secrets.token_hex(4)
SECRETS_SEEN = [PASSWORD]  # every credential the run handled, for the log check
TIMEOUT = 20


def django_pbkdf2(password, iterations=100000):
    """A Django pbkdf2_sha256 hash, made here the way Django makes it."""
    salt = secrets.token_hex(11)
    digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
    return "pbkdf2_sha256$%d$%s$%s" % (iterations, salt, base64.b64encode(digest).decode())


class AuthServer:
    """One laurel-chat with its own database and secret key in a temporary directory; kept
    across a restart (same files, new port)."""

    def __init__(self, extra_args=()):
        self.extra_args = list(extra_args)
        self.workdir = tempfile.mkdtemp(prefix="laurel-auth-it-")
        self.database = os.path.join(self.workdir, "users.sqlite3")
        self.access_log = os.path.join(self.workdir, "access.log")
        self.server = None
        self.generation = 0

    def start(self):
        self.generation += 1
        self.server = LaurelServer(BINARY, [
            "--database", self.database,
            "--secret-key-file", os.path.join(self.workdir, "secret.key"),
            "--access-log", self.access_log,
            "--shutdown-timeout", "3",
        ] + self.extra_args, workdir=self.workdir).start()
        return self

    def stop(self):
        self.server.stop()

    def add_user(self, username, password):
        db = sqlite3.connect(self.database, timeout=10)
        with db:
            db.execute(
                "INSERT INTO auth_user (password, last_login, is_superuser, username, last_name, "
                "email, is_staff, is_active, date_joined, first_name) "
                "VALUES (?, NULL, 0, ?, '', '', 0, 1, '2026-01-01 00:00:00', '')",
                (django_pbkdf2(password), username))
        db.close()

    # --- HTTP ---
    def request(self, method, path, body=None, headers=None):
        return http_request(self.server.port, method, path, body, headers, TIMEOUT)

    def post_json(self, path, body, headers=None):
        status, resp_headers, payload = self.request("POST", path, body, headers)
        parsed = json.loads(payload) if payload else None
        if isinstance(parsed, dict):
            for key in ("access", "refresh", "ticket"):
                if key in parsed:
                    SECRETS_SEEN.append(parsed[key])
        return status, resp_headers, parsed

    def ws_url(self, path):
        return self.server.ws_url(path)


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


class AuthFlows(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.app = AuthServer().start()
        cls.app.add_user(USERNAME, PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.app.stop()
        # Every log this run produced: none may hold the password or a token.
        leaks = []
        for name in os.listdir(cls.app.workdir):
            path = os.path.join(cls.app.workdir, name)
            if not name.endswith(".log") or not os.path.isfile(path):
                continue
            with open(path, "rb") as f:
                text = f.read().decode("utf-8", "replace")
            for secret in SECRETS_SEEN:
                if secret and secret in text:
                    leaks.append("%s holds a credential (%s...)" % (name, secret[:6]))
        if leaks:
            raise AssertionError("credentials in logs: %s" % leaks)
        with open(cls.app.access_log, "rb") as f:
            if not f.read():
                raise AssertionError("the access log is empty: the log check checked nothing")

    def login_tokens(self):
        status, _, body = self.app.post_json("/auth/token",
                                             {"username": USERNAME, "password": PASSWORD})
        self.assertEqual(status, 200, body)
        self.assertEqual(set(body), {"access", "refresh", "expires_in", "token_type"})
        return body

    async def chat_roundtrip(self, ws, text):
        await ws.send(json.dumps({"message": text}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        self.assertEqual(reply, {"message": text, "user": USERNAME})

    def test_native_client_logs_in_reconnects_refreshes_and_is_closed_on_logout(self):
        app = self.app
        tokens = self.login_tokens()
        bearer = {"Authorization": "Bearer " + tokens["access"]}

        async def first_connection():
            async with websockets.connect(app.ws_url("/ws/chat/lobby/"),
                                          extra_headers=bearer) as ws:
                await self.chat_roundtrip(ws, "hello")
                # The server goes away under the socket (a deploy): the client sees a close.
                stopping = asyncio.get_running_loop().run_in_executor(None, app.stop)
                with self.assertRaises(websockets.exceptions.ConnectionClosed) as closed:
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                self.assertIn(closed.exception.code, (1001, 1012, 1006))
                await stopping
        run(first_connection())
        app.start()  # same database and key: the access token still works

        async def reconnect():
            async with websockets.connect(app.ws_url("/ws/chat/lobby/"),
                                          extra_headers=bearer) as ws:
                await self.chat_roundtrip(ws, "back again")
        run(reconnect())

        status, _, refreshed = app.post_json("/auth/refresh", {"refresh": tokens["refresh"]})
        self.assertEqual(status, 200, refreshed)
        self.assertNotEqual(refreshed["refresh"], tokens["refresh"])
        new_bearer = {"Authorization": "Bearer " + refreshed["access"]}

        async def logout_closes_socket():
            async with websockets.connect(app.ws_url("/ws/chat/lobby/"),
                                          extra_headers=new_bearer) as ws:
                await self.chat_roundtrip(ws, "before logout")
                status, _, _ = await asyncio.get_running_loop().run_in_executor(
                    None, lambda: app.post_json("/auth/logout", {}, new_bearer))
                self.assertEqual(status, 200)
                with self.assertRaises(websockets.exceptions.ConnectionClosed) as closed:
                    while True:
                        await asyncio.wait_for(ws.recv(), TIMEOUT)
                self.assertEqual(closed.exception.code, 4401)
        run(logout_closes_socket())

        # The first access token (issued seconds before the logout, across the restart) is
        # refused now. (So is one issued within the logout's own second, since JWT iat is whole
        # seconds; a login in that second is answered once it is over: docs/authentication.md,
        # Limits. The tests after this one log in again at once and rely on that.)
        async def old_token_refused():
            with self.assertRaises(websockets.exceptions.InvalidStatusCode) as refused:
                async with websockets.connect(app.ws_url("/ws/chat/lobby/"),
                                              extra_headers=bearer):
                    pass
            self.assertEqual(refused.exception.status_code, 401)
        run(old_token_refused())
        status, _, _ = app.post_json("/auth/refresh", {"refresh": refreshed["refresh"]})
        self.assertEqual(status, 401)  # logout ended the refresh token too

    def browser_session(self):
        status, headers, payload = self.app.request("GET", "/auth/login")
        self.assertEqual(status, 200)
        csrf = json.loads(payload)["csrftoken"]
        status, headers, payload = self.app.request(
            "POST", "/auth/login", {"username": USERNAME, "password": PASSWORD},
            {"Cookie": "csrftoken=" + csrf, "X-CSRFToken": csrf,
             "Origin": "http://127.0.0.1:%d" % self.app.server.port,
             "Host": "127.0.0.1:%d" % self.app.server.port})
        self.assertEqual(status, 200, payload)
        cookies = [v for k, v in headers if k.lower() == "set-cookie"]
        session = [c for c in cookies if c.startswith("sessionid=")]
        self.assertEqual(len(session), 1, cookies)
        self.assertIn("HttpOnly", session[0])
        self.assertIn("SameSite=Lax", session[0])
        key = session[0].split(";")[0].split("=", 1)[1]
        SECRETS_SEEN.append(key)
        return key

    def test_browser_cookie_from_foreign_origin_is_refused_with_403(self):
        key = self.browser_session()
        cookie = {"Cookie": "sessionid=" + key}

        async def attempt(origin):
            try:
                async with websockets.connect(self.app.ws_url("/ws/chat/lobby/"),
                                              extra_headers=cookie, origin=origin) as ws:
                    await self.chat_roundtrip(ws, "from the page")
                    return 101
            except websockets.exceptions.InvalidStatusCode as e:
                return e.status_code
        self.assertEqual(run(attempt("https://evil.example")), 403)
        self.assertEqual(run(attempt(None)), 403)
        self.assertEqual(run(attempt("http://127.0.0.1:%d" % self.app.server.port)), 101)

    def test_ticket_opens_one_socket_once(self):
        tokens = self.login_tokens()
        status, _, body = self.app.post_json(
            "/auth/ticket", {}, {"Authorization": "Bearer " + tokens["access"]})
        self.assertEqual(status, 200, body)
        url = self.app.ws_url("/ws/chat/lobby/?ticket=" + body["ticket"])

        async def once():
            async with websockets.connect(url) as ws:
                await self.chat_roundtrip(ws, "by ticket")
            with self.assertRaises(websockets.exceptions.InvalidStatusCode) as replay:
                async with websockets.connect(url):
                    pass
            self.assertEqual(replay.exception.status_code, 401)
        run(once())

    def test_subprotocol_answer_is_plain_bearer(self):
        tokens = self.login_tokens()

        async def connect():
            async with websockets.connect(self.app.ws_url("/ws/chat/lobby/"),
                                          subprotocols=["bearer", tokens["access"]]) as ws:
                self.assertEqual(ws.subprotocol, "bearer")
                await self.chat_roundtrip(ws, "by subprotocol")
        run(connect())

    def test_unauthenticated_chat_is_refused_with_401_and_echo_stays_open(self):
        async def attempt():
            with self.assertRaises(websockets.exceptions.InvalidStatusCode) as refused:
                async with websockets.connect(self.app.ws_url("/ws/chat/lobby/")):
                    pass
            self.assertEqual(refused.exception.status_code, 401)
            self.assertIn("Bearer", refused.exception.headers.get("WWW-Authenticate", ""))
            async with websockets.connect(self.app.ws_url("/ws/echo/")) as ws:
                await ws.send("ping")
                self.assertEqual(await ws.recv(), "ping")
        run(attempt())

    def test_wrong_password_and_unknown_user_look_the_same(self):
        wrong = self.app.request("POST", "/auth/token",
                                 {"username": USERNAME, "password": "not-" + PASSWORD})
        unknown = self.app.request("POST", "/auth/token",
                                   {"username": "nobody-" + USERNAME, "password": "x"})
        self.assertEqual(wrong[0], 401)
        self.assertEqual(wrong[0], unknown[0])
        self.assertEqual(wrong[2], unknown[2])


CHAT_CLIENT = os.path.join(HERE, "..", "..", "examples", "chat", "client", "chat_client.py")


class ChatClientProcess:
    """examples/chat/client/chat_client.py, the demo's native-style client, as a user runs it;
    its stdout lines are collected by a thread so the test can wait for one."""

    def __init__(self, port, username, password, *args):
        env = dict(os.environ, LAUREL_CHAT_PASSWORD=password)
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", CHAT_CLIENT, "--url", "http://127.0.0.1:%d" % port,
             "--username", username, "--no-input", "--timeout", str(TIMEOUT * 2)] + list(args),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env,
            text=True)
        self.lines = []
        self.changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            with self.changed:
                self.lines.append(line.rstrip("\n"))
                self.changed.notify_all()

    def wait_for(self, predicate, timeout=TIMEOUT):
        deadline = time.monotonic() + timeout
        with self.changed:
            while not predicate(self.lines):
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self.changed.wait(left)
            return True

    def finish(self, timeout=TIMEOUT):
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def connected_after_refresh(lines):
    """How many times the client connected after a refresh that followed a connection: the
    refresh must come from the server's 4408, not from a token that was already stale."""
    connected = [i for i, line in enumerate(lines) if "connected to room" in line]
    refreshed = [i for i, line in enumerate(lines) if "token refreshed" in line]
    if not connected or not refreshed:
        return 0
    first_refresh = next((r for r in refreshed if r > connected[0]), None)
    return 0 if first_refresh is None else sum(c > first_refresh for c in connected)


class ShortLivedAccessTokens(unittest.TestCase):
    """--access-token-lifetime 4: an open chat socket is closed with 4408 when its token expires;
    the demo client refreshes the pair and reconnects, and the room's messages keep reaching it."""

    LIFETIME = 4

    @classmethod
    def setUpClass(cls):
        cls.app = AuthServer(["--access-token-lifetime", str(cls.LIFETIME)]).start()
        cls.app.add_user(USERNAME, PASSWORD)

    @classmethod
    def tearDownClass(cls):
        cls.app.stop()

    def test_token_is_issued_with_the_configured_lifetime(self):
        status, _, body = self.app.post_json("/auth/token",
                                             {"username": USERNAME, "password": PASSWORD})
        self.assertEqual(status, 200, body)
        self.assertEqual(body["expires_in"], self.LIFETIME)

    def test_client_refreshes_after_4408_and_keeps_receiving(self):
        room = "expiry" + secrets.token_hex(3)
        listener = ChatClientProcess(self.app.server.port, USERNAME, PASSWORD,
                                     "--room", room, "--expect", "1")
        try:
            self.assertTrue(listener.wait_for(
                lambda lines: any("connected to room" in line for line in lines)), listener.lines)
            # A fresh 4-second token is used as it is, not refreshed before the first connection.
            self.assertFalse(any("token refreshed" in line for line in listener.lines),
                             listener.lines)
            # The server closes the socket at the token's expiry (4408); the client refreshes and
            # is back in the room within the lifetime plus a little.
            self.assertTrue(listener.wait_for(lambda lines: connected_after_refresh(lines) >= 1,
                                              timeout=self.LIFETIME + TIMEOUT), listener.lines)
            sender = ChatClientProcess(self.app.server.port, USERNAME, PASSWORD,
                                       "--room", room, "--send", "after the refresh",
                                       "--expect", "1")
            self.assertEqual(sender.finish(), 0, sender.lines)
            self.assertEqual(listener.finish(), 0, listener.lines)
        finally:
            if listener.proc.poll() is None:
                listener.proc.kill()
        self.assertIn("%s: after the refresh" % USERNAME, listener.lines)
        # The refreshed socket was closed by the server with 4408, never with 4401 (revoked).
        self.assertFalse(any("4401" in l or "log in again" in l for l in listener.lines),
                         listener.lines)


def main():
    global BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
