#!/usr/bin/python3
"""The user and token commands of the real laurel-chat binary (docs/operations.md), against a
running server on the same files:

* createuser (password on stdin) → that user logs in at /auth/token and /auth/login;
* changepassword → the old password is refused, the new one works, the old refresh token is dead;
  with --redis the user's open socket is closed with 4401;
* token issue → the printed token opens the chat socket with an Authorization: Bearer header;
* token revoke (--user, or one token on stdin) → /auth/refresh refuses the token;
* check → exit 0 and OK lines for a good setup, exit 1 and FAIL lines for a bad one;
* createuser on a database made by Django's migrate, and Django's check_password accepts the
  hash laurel wrote (needs Debian's python3-django; skipped without it).

Run through run.py, which sets BINARY:
    /usr/bin/python3 tests/integration/run.py --binary build/asan/examples/chat/laurel-chat -k CliUsers
"""

import asyncio
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import textwrap
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import websockets  # noqa: E402  (python3-websockets)
import websockets.exceptions  # noqa: E402

from laurel_server import (http_request, SANITIZER_PATTERNS, LaurelServer,  # noqa: E402
                           server_env)

BINARY = None  # set by run.py
TIMEOUT = 20
PYTHON = "/usr/bin/python3"


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


def new_password():
    return "Cli-Passw0rd-" + secrets.token_hex(6)


def dead_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def django_available():
    return subprocess.run([PYTHON, "-c", "import django"], capture_output=True).returncode == 0


class Cli:
    """Runs the binary's commands in `workdir` (where the server keeps laurel-demo.sqlite3 and
    its key), so the defaults of both agree."""

    def __init__(self, test, workdir):
        self.test = test
        self.workdir = workdir

    def __call__(self, *args, stdin=None):
        p = subprocess.run([BINARY, *args], input=(stdin or "").encode(), capture_output=True,
                           cwd=self.workdir, env=server_env(), timeout=60)
        out = p.stdout.decode("utf-8", "replace")
        err = p.stderr.decode("utf-8", "replace")
        self.test.assertIsNone(SANITIZER_PATTERNS.search(err), err)
        if stdin:
            secret = stdin.strip()
            self.test.assertNotIn(secret, out, "a secret read on stdin is never printed")
            self.test.assertNotIn(secret, err, "a secret read on stdin is never printed")
        return p.returncode, out, err


class ServerClient:
    def __init__(self, server):
        self.server = server

    def request(self, method, path, body=None, headers=None):
        return http_request(self.server.port, method, path, body, headers, TIMEOUT)

    def token(self, username, password):
        status, _, payload = self.request("POST", "/auth/token",
                                          {"username": username, "password": password})
        return status, (json.loads(payload) if payload else None)

    def refresh(self, refresh_token):
        status, _, payload = self.request("POST", "/auth/refresh", {"refresh": refresh_token})
        return status

    def session_login(self, username, password):
        """Django-style: GET for the CSRF cookie, then POST with cookie + X-CSRFToken."""
        status, headers, payload = self.request("GET", "/auth/login")
        csrf = json.loads(payload)["csrftoken"]
        status, headers, payload = self.request(
            "POST", "/auth/login", {"username": username, "password": password},
            {"Cookie": "csrftoken=" + csrf, "X-CSRFToken": csrf})
        cookies = [v for k, v in headers if k.lower() == "set-cookie"]
        return status, cookies


async def chat_roundtrip(ws, text, user):
    await ws.send(json.dumps({"message": text}))
    reply = json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
    assert reply == {"message": text, "user": user}, reply


class CliUsers(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="laurel-cli-users-")
        # No --database / --secret-key-file: the server and the commands use the demo defaults
        # (laurel-demo.sqlite3 and its key file in the working directory).
        cls.server = LaurelServer(BINARY, ["--shutdown-timeout", "3"], workdir=cls.workdir).start()
        cls.http = ServerClient(cls.server)

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        shutil.rmtree(cls.workdir, ignore_errors=True)

    def setUp(self):
        self.cli = Cli(self, self.workdir)

    def create(self, username, password, *flags):
        rc, out, err = self.cli("createuser", username, *flags, stdin=password + "\n")
        self.assertEqual(rc, 0, err)
        return out

    def test_createuser_then_login_with_token_and_session(self):
        password = new_password()
        out = self.create("op-create", password, "--email", "Op@EXAMPLE.com", "--staff")
        self.assertIn("Created user 'op-create'", out)
        self.assertTrue(os.path.exists(os.path.join(self.workdir, "laurel-demo.sqlite3")))
        status, tokens = self.http.token("op-create", password)
        self.assertEqual(status, 200, tokens)
        self.assertIn("access", tokens)
        status, cookies = self.http.session_login("op-create", password)
        self.assertEqual(status, 200)
        self.assertTrue(any(c.startswith("sessionid=") for c in cookies), cookies)
        status, _ = self.http.token("op-create", password + "x")
        self.assertNotEqual(status, 200)

        rc, out, err = self.cli("createuser", "op-create", stdin="whatever\n")
        self.assertEqual(rc, 1)
        self.assertIn("already taken", err)
        status, _ = self.http.token("op-create", password)
        self.assertEqual(status, 200, "the existing user is untouched")

    def test_createuser_never_takes_the_password_as_an_argument(self):
        rc, out, err = self.cli("createuser", "op-argv", "--password", "x")
        self.assertEqual(rc, 2, err)
        rc, out, err = self.cli("createuser", "op-empty", stdin="")
        self.assertEqual(rc, 1)
        self.assertIn("no password", err)

    def test_changepassword_refuses_the_old_password_and_ends_refresh_tokens(self):
        old, new = new_password(), new_password()
        self.create("op-change", old)
        status, tokens = self.http.token("op-change", old)
        self.assertEqual(status, 200, tokens)
        status, cookies = self.http.session_login("op-change", old)
        self.assertEqual(status, 200)
        session = [c.split(";")[0] for c in cookies if c.startswith("sessionid=")][0]
        csrf = "a" * 32
        session_headers = {"Cookie": session + "; csrftoken=" + csrf, "X-CSRFToken": csrf}
        status, _, _ = self.http.request("POST", "/auth/ticket", None, session_headers)
        self.assertEqual(status, 200, "the session works before the change")

        rc, out, err = self.cli("changepassword", "op-change", stdin=new + "\n")
        self.assertEqual(rc, 0, err)
        self.assertIn("Password changed successfully for user 'op-change'.", out)
        self.assertIn("refresh tokens: 1 revoked", out)
        self.assertIn("live sockets: not reached (no --redis", out)

        self.assertNotEqual(self.http.token("op-change", old)[0], 200)
        self.assertEqual(self.http.token("op-change", new)[0], 200)
        self.assertNotEqual(self.http.refresh(tokens["refresh"]), 200)
        # The session made with the old password no longer authenticates (its auth hash).
        status, _, _ = self.http.request("POST", "/auth/ticket", None, session_headers)
        self.assertEqual(status, 401)

        rc, out, err = self.cli("changepassword", "op-nobody", stdin=new + "\n")
        self.assertEqual(rc, 1)
        self.assertIn("does not exist", err)

    def test_token_issue_opens_the_chat_socket(self):
        self.create("op-token", new_password())
        rc, out, err = self.cli("token", "issue", "op-token", "--lifetime", "120")
        self.assertEqual(rc, 0, err)
        lines = out.splitlines()
        self.assertEqual(len(lines), 1, out)
        bearer = {"Authorization": "Bearer " + lines[0]}

        async def connect():
            async with websockets.connect(self.server.ws_url("/ws/chat/cli_room/"),
                                          extra_headers=bearer) as ws:
                await chat_roundtrip(ws, "issued from the command line", "op-token")
            async with websockets.connect(self.server.ws_url("/ws/echo/"),
                                          extra_headers=bearer) as ws:
                await ws.send("ping")
                self.assertEqual(await asyncio.wait_for(ws.recv(), TIMEOUT), "ping")
            with self.assertRaises(websockets.exceptions.InvalidStatusCode) as refused:
                async with websockets.connect(self.server.ws_url("/ws/chat/cli_room/"),
                                              extra_headers={"Authorization": "Bearer " +
                                                             lines[0][:-2] + "xx"}):
                    pass
            self.assertEqual(refused.exception.status_code, 401)
        run(connect())

        rc, out, err = self.cli("token", "issue", "op-ghost")
        self.assertEqual(rc, 1)

    def test_token_issue_refresh_then_revoke(self):
        self.create("op-revoke", new_password())
        # --refresh: the second line works once at /auth/refresh, like one /auth/token issued.
        rc, out, err = self.cli("token", "issue", "op-revoke", "--refresh")
        self.assertEqual(rc, 0, err)
        access, refresh = out.splitlines()
        self.assertEqual(self.http.refresh(refresh), 200)

        rc, out, err = self.cli("token", "issue", "op-revoke", "--refresh")
        refresh_a = out.splitlines()[1]
        rc, out, err = self.cli("token", "issue", "op-revoke", "--refresh")
        refresh_b = out.splitlines()[1]
        rc, out, err = self.cli("token", "revoke", stdin=refresh_a + "\n")
        self.assertEqual(rc, 0, err)
        self.assertIn("family revoked: 1 token", out)
        self.assertNotEqual(self.http.refresh(refresh_a), 200)

        rc, out, err = self.cli("token", "issue", "op-revoke", "--refresh")
        refresh_c = out.splitlines()[1]
        rc, out, err = self.cli("token", "revoke", "--user", "op-revoke")
        self.assertEqual(rc, 0, err)
        self.assertIn("refresh tokens of 'op-revoke':", out)
        self.assertIn("access tokens already issued: valid until they expire", out)
        self.assertNotEqual(self.http.refresh(refresh_b), 200)
        self.assertNotEqual(self.http.refresh(refresh_c), 200)

        rc, out, err = self.cli("token", "revoke", stdin="not-a-refresh-token\n")
        self.assertEqual(rc, 1)

    def test_check_good_and_bad_setups(self):
        rc, out, err = self.cli("check", "--allowed-hosts", "chat.example.com")
        self.assertEqual(rc, 0, out + err)
        self.assertRegex(out, r"(?m)^OK   secret key: 50 characters \(file laurel-demo\.sqlite3\.secret-key\)$")
        self.assertRegex(out, r"(?m)^OK   allowed hosts: chat\.example\.com$")
        self.assertRegex(out, r"(?m)^OK   database laurel-demo\.sqlite3: ")
        self.assertNotIn("FAIL", out)

        weak = os.path.join(self.workdir, "weak.key")
        with open(weak, "w") as f:
            f.write("django-insecure-" + "x" * 60 + "\n")
        port = dead_port()
        rc, out, err = self.cli("check", "--secret-key-file", weak, "--database",
                                os.path.join(self.workdir, "missing.sqlite3"),
                                "--redis", "redis://127.0.0.1:%d/0" % port,
                                "--tls-cert", os.path.join(self.workdir, "nope.pem"),
                                "--tls-key", os.path.join(self.workdir, "nope.key"))
        self.assertEqual(rc, 1, out + err)
        self.assertRegex(out, r"(?m)^FAIL secret key: starts with 'django-insecure-'")
        self.assertRegex(out, r"(?m)^FAIL redis redis://127\.0\.0\.1:%d/0: " % port)
        self.assertRegex(out, r"(?m)^FAIL tls .*nope\.pem: cannot read")
        self.assertRegex(out, r"(?m)^FAIL database .*missing\.sqlite3: does not exist")
        self.assertRegex(out, r"(?m)^WARN allowed hosts: not set")
        self.assertFalse(os.path.exists(os.path.join(self.workdir, "missing.sqlite3")))

    @unittest.skipUnless(shutil.which("redis-server"), "needs redis-server")
    def test_changepassword_with_redis_closes_the_open_socket(self):
        from test_redis_deployment import RedisServer
        redis = RedisServer().start()
        workdir = tempfile.mkdtemp(prefix="laurel-cli-redis-")
        server = LaurelServer(BINARY, ["--redis", redis.url, "--shutdown-timeout", "3"],
                              workdir=workdir).start()
        try:
            cli = Cli(self, workdir)
            rc, _, err = cli("createuser", "op-redis", stdin=new_password() + "\n")
            self.assertEqual(rc, 0, err)
            rc, out, err = cli("token", "issue", "op-redis")
            bearer = {"Authorization": "Bearer " + out.strip()}

            async def closed_by_changepassword():
                async with websockets.connect(server.ws_url("/ws/chat/redis_room/"),
                                              extra_headers=bearer) as ws:
                    await chat_roundtrip(ws, "before", "op-redis")
                    loop = asyncio.get_running_loop()
                    rc, out, err = await loop.run_in_executor(None, lambda: cli(
                        "changepassword", "op-redis", "--redis", redis.url,
                        stdin=new_password() + "\n"))
                    self.assertEqual(rc, 0, err)
                    self.assertIn("live sockets: told to close (4401) through Redis", out)
                    with self.assertRaises(websockets.exceptions.ConnectionClosed) as closed:
                        while True:
                            await asyncio.wait_for(ws.recv(), TIMEOUT)
                    self.assertEqual(closed.exception.code, 4401)
                    self.assertEqual(closed.exception.reason, "password_change")
            run(closed_by_changepassword())
        finally:
            server.stop()
            redis.stop()
            shutil.rmtree(workdir, ignore_errors=True)

    @unittest.skipUnless(django_available(), "needs Debian's python3-django")
    def test_createuser_on_a_django_made_database(self):
        tmp = tempfile.mkdtemp(prefix="laurel-cli-django-")
        db = os.path.join(tmp, "db.sqlite3")
        django_script = textwrap.dedent("""
            import sys, django
            from django.conf import settings
            settings.configure(
                SECRET_KEY="cli-interop-" + "k" * 50, USE_TZ=True,
                INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                                "django.contrib.sessions"],
                DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3",
                                       "NAME": sys.argv[2]}},
                DEFAULT_AUTO_FIELD="django.db.models.AutoField")
            django.setup()
            from django.core.management import call_command
            from django.contrib.auth import authenticate, get_user_model
            from django.contrib.auth.hashers import check_password
            if sys.argv[1] == "migrate":
                call_command("migrate", verbosity=0, interactive=False)
            else:
                password = sys.stdin.readline().rstrip("\\n")
                user = get_user_model().objects.get(username=sys.argv[3])
                ok = (check_password(password, user.password)
                      and not check_password(password + "x", user.password)
                      and authenticate(username=sys.argv[3], password=password) is not None
                      and user.is_superuser and user.is_staff and user.email == "dj@example.com")
                print("DJANGO-OK" if ok else "DJANGO-FAIL " + user.password.split("$")[0])
        """)
        try:
            p = subprocess.run([PYTHON, "-c", django_script, "migrate", db], capture_output=True,
                               timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            password = new_password()
            rc, out, err = self.cli("createuser", "dj-admin", "--database", db, "--superuser",
                                    "--email", "dj@EXAMPLE.COM", stdin=password + "\n")
            self.assertEqual(rc, 0, err)
            p = subprocess.run([PYTHON, "-c", django_script, "verify", db, "dj-admin"],
                               input=(password + "\n").encode(), capture_output=True, timeout=120)
            self.assertEqual(p.returncode, 0, p.stderr.decode())
            self.assertIn("DJANGO-OK", p.stdout.decode())
            # And check is happy with the Django project's schema.
            rc, out, err = self.cli("check", "--database", db)
            self.assertRegex(out, r"(?m)^OK   database .*db\.sqlite3: auth_user and django_session")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    print("run through tests/integration/run.py (it passes --binary)", file=sys.stderr)
    sys.exit(2)
