#!/usr/bin/python3
"""Real Django (Debian's python3-django) and the real laurel-chat binary sharing one project
database and one SECRET_KEY:

* tests/interop/django_auth_interop.py (users, hashes and sessions crossing both ways at the
  library level, through the auth_tests binary of the same build) passes with no FAIL;
* a session that Django's own login (django.test.Client().login) created opens laurel's chat
  WebSocket, and the chat shows that user; the same cookie from a foreign Origin gets 403;
* a session laurel's POST /auth/login created is request.user in a Django view;
* failed authentication shows in laurel_auth_failures_total{reason} on the metrics endpoint.

    /usr/bin/python3 tests/integration/run.py --binary build/asan/examples/chat/laurel-chat -k Django
"""

import asyncio
import json
import os
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import websockets  # noqa: E402  (python3-websockets)
import websockets.exceptions  # noqa: E402

from laurel_server import (http_request, LaurelServer, SANITIZER_PATTERNS,  # noqa: E402
                           server_env)

BINARY = None  # set by run.py
PYTHON = "/usr/bin/python3"  # Debian's, with Debian's Django
INTEROP_SCRIPT = os.path.join(ROOT, "tests", "interop", "django_auth_interop.py")
DJANGO_PROJECT = os.path.join(ROOT, "tests", "interop", "django_project.py")
TIMEOUT = 30
METRICS_PATH = "/-/metrics"


def build_dir():
    # build/<dir>/examples/chat/laurel-chat -> build/<dir>
    return os.path.dirname(os.path.dirname(os.path.dirname(BINARY or "")))


def auth_tests_binary():
    return os.path.join(build_dir(), "tests", "auth_tests")


def django_available():
    return subprocess.run([PYTHON, "-c", "import django"], capture_output=True).returncode == 0


def run(coro):
    return asyncio.run(asyncio.wait_for(coro, TIMEOUT))


class DjangoAuthInteropScript(unittest.TestCase):
    """tests/interop/django_auth_interop.py against this build's auth_tests."""

    def test_every_check_passes(self):
        if not django_available():
            self.fail("python3-django is not installed (apt-get install python3-django)")
        binary = auth_tests_binary()
        self.assertTrue(os.access(binary, os.X_OK),
                        "no auth_tests next to the binary under test (%s): build it with "
                        "ninja -C %s auth_tests" % (binary, build_dir()))
        p = subprocess.run([PYTHON, INTEROP_SCRIPT, binary], capture_output=True, timeout=1200,
                           env=server_env())
        out = (p.stdout + p.stderr).decode("utf-8", "replace")
        passed = [line for line in out.splitlines() if line.startswith("PASS: ")]
        failed = [line for line in out.splitlines() if line.startswith("FAIL")]
        self.assertEqual(failed, [], out[-6000:])
        self.assertEqual(p.returncode, 0, out[-6000:])
        # The script stops early when laurel's side fails; all of its checks must have run.
        self.assertGreaterEqual(len(passed), 13, out[-6000:])
        self.assertNotRegex(out, SANITIZER_PATTERNS)


@unittest.skipUnless(os.path.exists(DJANGO_PROJECT), "tests/interop/django_project.py not there")
class DjangoSessionsEndToEnd(unittest.TestCase):
    """One Django project database, laurel-chat serving it."""

    DJANGO_USER = "django_dora"
    LAUREL_USER = "laurel_lena"

    @classmethod
    def setUpClass(cls):
        if not django_available():
            raise AssertionError("python3-django is not installed (apt-get install python3-django)")
        cls.workdir = tempfile.mkdtemp(prefix="laurel-django-it-")
        cls.db = os.path.join(cls.workdir, "db.sqlite3")
        cls.key_file = os.path.join(cls.workdir, "secret.key")
        with open(cls.key_file, "w") as f:
            f.write("django-and-laurel-share-this-" + secrets.token_hex(24) + "\n")
        cls.django_password = "dora-" + secrets.token_hex(8)
        cls.laurel_password = "lena-" + secrets.token_hex(8)
        made = cls.django("setup", "--username", cls.DJANGO_USER,
                          "--password", cls.django_password)
        cls.django_session = made["sessionid"]
        cls.django_user_id = made["user_id"]
        # A second Django user, who will log in through laurel; and the demo's user, so that
        # laurel-chat does not hash a generated password at start-up (slow under ASan).
        cls.django_shell(
            "from django.contrib.auth import get_user_model\n"
            "get_user_model().objects.create_user(%r, '', %r)\n"
            "get_user_model().objects.create_user('demo', '', None)\n"
            % (cls.LAUREL_USER, cls.laurel_password))
        cls.server = LaurelServer(BINARY, [
            "--database", cls.db, "--secret-key-file", cls.key_file,
            "--allowed-hosts", "127.0.0.1", "--metrics", METRICS_PATH,
            "--shutdown-timeout", "3"], workdir=cls.workdir).start()

    @classmethod
    def tearDownClass(cls):
        try:
            cls.server.stop()
            text = cls.server.stdout() + cls.server.stderr()
            for secret in (cls.django_password, cls.laurel_password, cls.django_session):
                if secret in text:
                    raise AssertionError("laurel's output holds a credential")
        finally:
            shutil.rmtree(cls.workdir, ignore_errors=True)

    # --- Django, in its own process ---
    @classmethod
    def django(cls, *args):
        p = subprocess.run([PYTHON, DJANGO_PROJECT, args[0], "--db", cls.db,
                            "--secret-key-file", cls.key_file, *args[1:]],
                           capture_output=True, timeout=300)
        if p.returncode != 0:
            raise AssertionError("django_project.py %s failed:\n%s" %
                                 (args[0], (p.stdout + p.stderr).decode()[-4000:]))
        return json.loads(p.stdout.decode().strip().splitlines()[-1])

    @classmethod
    def django_shell(cls, code):
        script = ("import sys; sys.argv = ['x']\n"
                  "sys.path.insert(0, %r)\n"
                  "import django_project\n"
                  "django_project.configure(%r, %r)\n" % (os.path.dirname(DJANGO_PROJECT),
                                                         cls.db, cls.key_file)) + code
        p = subprocess.run([PYTHON, "-c", script], capture_output=True, timeout=300)
        if p.returncode != 0:
            raise AssertionError("Django failed:\n" + (p.stdout + p.stderr).decode()[-4000:])

    # --- laurel over HTTP ---
    def origin(self):
        return "http://127.0.0.1:%d" % self.server.port

    def request(self, method, path, body=None, headers=None):
        return http_request(self.server.port, method, path, body, headers, TIMEOUT)

    def auth_failures(self):
        status, _, payload = self.request("GET", METRICS_PATH)
        self.assertEqual(status, 200)
        found = {}
        for m in re.finditer(r'^laurel_auth_failures_total\{reason="([a-z_]+)"\} (\d+)$',
                             payload.decode(), re.M):
            found[m.group(1)] = int(m.group(2))
        return found

    async def chat_as(self, cookie, origin, text):
        """Opens the chat with the cookie, sends `text`; the reply (who the chat says sent it)
        or the HTTP status of the refusal."""
        try:
            async with websockets.connect(self.server.ws_url("/ws/chat/interop/"),
                                          extra_headers={"Cookie": cookie},
                                          origin=origin) as ws:
                await ws.send(json.dumps({"message": text}))
                return json.loads(await asyncio.wait_for(ws.recv(), TIMEOUT))
        except websockets.exceptions.InvalidStatusCode as e:
            return e.status_code

    # --- the checks ---
    def test_django_login_session_opens_laurels_chat_socket_as_that_user(self):
        reply = run(self.chat_as("sessionid=" + self.django_session, self.origin(), "from django"))
        self.assertEqual(reply, {"message": "from django", "user": self.DJANGO_USER})

    def test_django_session_from_a_foreign_origin_is_refused_with_403(self):
        before = self.auth_failures().get("origin", 0)
        status = run(self.chat_as("sessionid=" + self.django_session, "https://evil.example",
                                  "from elsewhere"))
        self.assertEqual(status, 403)
        self.assertEqual(run(self.chat_as("sessionid=" + self.django_session, None, "no origin")),
                         403)
        self.assertGreaterEqual(self.auth_failures().get("origin", 0), before + 2)

    def test_a_forged_session_key_does_not_authenticate(self):
        status = run(self.chat_as("sessionid=" + "x" * 32, self.origin(), "forged"))
        self.assertEqual(status, 401)

    def test_laurel_login_session_is_request_user_in_a_django_view(self):
        status, _, payload = self.request("GET", "/auth/login")
        self.assertEqual(status, 200)
        csrf = json.loads(payload)["csrftoken"]
        status, headers, payload = self.request(
            "POST", "/auth/login", {"username": self.LAUREL_USER, "password": self.laurel_password},
            {"Cookie": "csrftoken=" + csrf, "X-CSRFToken": csrf, "Origin": self.origin(),
             "Host": "127.0.0.1:%d" % self.server.port})
        self.assertEqual(status, 200, payload)
        cookies = [v for k, v in headers if k.lower() == "set-cookie" and v.startswith("sessionid=")]
        self.assertEqual(len(cookies), 1, headers)
        key = cookies[0].split(";")[0].split("=", 1)[1]
        seen = self.django("whoami", "--sessionid", key)
        self.assertEqual(seen["username"], self.LAUREL_USER, seen)
        self.assertTrue(seen["authenticated"])
        # And the same session opens the chat as that user, from the page's own origin.
        reply = run(self.chat_as("sessionid=" + key, self.origin(), "from laurel's login"))
        self.assertEqual(reply, {"message": "from laurel's login", "user": self.LAUREL_USER})
        # A session key Django never saw is anonymous to Django: the view is not fooled.
        self.assertFalse(self.django("whoami", "--sessionid", "y" * 32)["authenticated"])

    def test_bad_login_shows_in_the_auth_failure_metric(self):
        before = self.auth_failures()
        status, _, _ = self.request("POST", "/auth/token",
                                    {"username": self.DJANGO_USER, "password": "wrong"})
        self.assertEqual(status, 401)
        status, _, _ = self.request("POST", "/auth/token",
                                    {"username": "nobody_here", "password": "wrong"})
        self.assertEqual(status, 401)
        after = self.auth_failures()
        self.assertEqual(after.get("bad_password", 0), before.get("bad_password", 0) + 1, after)
        self.assertEqual(after.get("unknown_user", 0), before.get("unknown_user", 0) + 1, after)
        before = after
        async def bad_bearer():
            try:
                async with websockets.connect(self.server.ws_url("/ws/chat/interop/"),
                                              extra_headers={"Authorization": "Bearer x.y.z"}):
                    return 101
            except websockets.exceptions.InvalidStatusCode as e:
                return e.status_code
        self.assertEqual(run(bad_bearer()), 401)
        self.assertEqual(self.auth_failures().get("bad_token", 0), before.get("bad_token", 0) + 1)


if __name__ == "__main__":
    print("run through tests/integration/run.py --binary ... -k Django", file=sys.stderr)
    sys.exit(2)
