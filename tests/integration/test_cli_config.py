#!/usr/bin/python3
"""The configuration file and LAUREL_* variables against the real binary (docs/configuration.md).

The server is started with only `--config laurel.toml` (or LAUREL_CONFIG) and the effect is
observed from outside: the port it listens on and announces, the access log file it writes, the
Origins its WebSocket handshakes accept (--allowed-hosts) and the Server header it sends. Then
the precedence: a LAUREL_* variable beats the file and a flag beats both. Wrong files and values
end the program with exit code 2 and one stderr line naming the key and file, or the variable.

    /usr/bin/python3 tests/integration/test_cli_config.py --binary build/asan/examples/chat/laurel-chat
"""

import argparse
import asyncio
import http.client
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
sys.path.insert(0, HERE)

import websockets  # noqa: E402  (python3-websockets)
import websockets.exceptions  # noqa: E402

from laurel_server import SANITIZER_PATTERNS, free_port, server_env  # noqa: E402

BINARY = None  # set from --binary
TIMEOUT = 20
LOGIN_TIMEOUT = 180  # a password hash under the sanitizers on a busy machine takes a while
READY_DEADLINE = 30.0


def clean_env(extra=None):
    """The server's environment: no LAUREL_* from the caller, plus `extra`."""
    env = {k: v for k, v in server_env().items() if not k.startswith("LAUREL_")}
    env.update(extra or {})
    return env


class ConfiguredServer:
    """One laurel-chat started with the given arguments and environment in its own directory.
    It is ready when it prints its "serving" lines; `ports` are the TCP ports announced."""

    def __init__(self, workdir, args, env=None):
        self.workdir = workdir
        self.cmd = [BINARY] + list(args)
        self.env = clean_env(env)
        self.stdout_path = os.path.join(workdir, "stdout-%d.log" % time.monotonic_ns())
        self.stderr_path = self.stdout_path.replace("stdout-", "stderr-")
        self.proc = None
        self.ports = []

    def start(self):
        with open(self.stdout_path, "wb") as out, open(self.stderr_path, "wb") as err:
            self.proc = subprocess.Popen(self.cmd, stdout=out, stderr=err,
                                         stdin=subprocess.DEVNULL, env=self.env, cwd=self.workdir)
        deadline = time.monotonic() + READY_DEADLINE
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise AssertionError("laurel exited with %s: %s" %
                                     (self.proc.returncode, self.stderr()[-3000:]))
            self.ports = [int(p) for p in
                          re.findall(r": serving https?://127\.0\.0\.1:(\d+)/", self.stdout())]
            if self.ports:
                return self
            time.sleep(0.05)  # polling for the ready line, not a timing assertion
        self.proc.kill()
        self.proc.wait(10)
        raise AssertionError("laurel did not announce a listener: " + self.stderr()[-3000:])

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(TIMEOUT)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError("laurel did not exit after SIGTERM")
        text = self.stderr()
        if SANITIZER_PATTERNS.search(text):
            raise AssertionError("sanitizer report:\n" + text[-6000:])
        if code != 0:
            raise AssertionError("laurel exited with %s after SIGTERM: %s" % (code, text[-3000:]))

    def stdout(self):
        return _read(self.stdout_path)

    def stderr(self):
        return _read(self.stderr_path)

    def get(self, path="/", port=None):
        conn = http.client.HTTPConnection("127.0.0.1", port or self.ports[0], timeout=TIMEOUT)
        try:
            conn.request("GET", path)
            resp = conn.getresponse()
            resp.read()
            return resp.status, resp.getheader("Server")
        finally:
            conn.close()

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.ports[0], timeout=LOGIN_TIMEOUT)
        try:
            data = json.dumps(body).encode() if body is not None else None
            all_headers = {"Content-Type": "application/json"} if data is not None else {}
            all_headers.update(headers or {})
            conn.request(method, path, body=data, headers=all_headers)
            resp = conn.getresponse()
            return resp.status, resp.getheaders(), resp.read()
        finally:
            conn.close()

    def session_cookie(self):
        """Logs the demo user in as a browser does and returns its session cookie. The demo
        prints the user's generated password once, when it creates the database."""
        m = re.search(r"username demo, password (\S+)", self.stdout())
        if not m:
            raise AssertionError("no demo password in stdout: " + self.stdout()[-2000:])
        status, _, payload = self.request("GET", "/auth/login")
        if status != 200:
            raise AssertionError("GET /auth/login: %s %r" % (status, payload))
        csrf = json.loads(payload)["csrftoken"]
        own = "127.0.0.1:%d" % self.ports[0]
        status, headers, payload = self.request(
            "POST", "/auth/login", {"username": "demo", "password": m.group(1)},
            {"Cookie": "csrftoken=" + csrf, "X-CSRFToken": csrf, "Origin": "http://" + own,
             "Host": own})
        if status != 200:
            raise AssertionError("POST /auth/login: %s %r" % (status, payload))
        for name, value in headers:
            if name.lower() == "set-cookie" and value.startswith("sessionid="):
                return value.split(";")[0]
        raise AssertionError("no session cookie: %r" % headers)

    def handshake(self, origin, cookie):
        """The status of a cookie-authenticated WebSocket handshake to /ws/echo/ with this
        Origin (101 if accepted): such handshakes must come from an allowed host."""
        async def attempt():
            try:
                async with websockets.connect("ws://127.0.0.1:%d/ws/echo/" % self.ports[0],
                                              origin=origin, open_timeout=TIMEOUT,
                                              extra_headers={"Cookie": cookie}) as ws:
                    await ws.send("hello")
                    await asyncio.wait_for(ws.recv(), TIMEOUT)
                    return 101
            except websockets.exceptions.InvalidStatusCode as e:
                return e.status_code
        return asyncio.run(attempt())


def _read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except FileNotFoundError:
        return ""


def port_refuses(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        return False
    except OSError:
        return True


class ConfigFile(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="laurel-config-it-")
        self.servers = []

    def tearDown(self):
        errors = []
        for server in self.servers:
            try:
                server.stop()
            except AssertionError as e:
                errors.append(str(e))
        shutil.rmtree(self.workdir, ignore_errors=True)
        if errors:
            self.fail("\n".join(errors))

    def write(self, text, name="laurel.toml"):
        path = os.path.join(self.workdir, name)
        with open(path, "w") as f:
            f.write(text)
        return path

    def start(self, args, env=None):
        server = ConfiguredServer(self.workdir, args, env)
        self.servers.append(server)
        return server.start()

    def run_refused(self, args, env=None):
        p = subprocess.run([BINARY] + list(args), capture_output=True, timeout=60,
                           env=clean_env(env), cwd=self.workdir, stdin=subprocess.DEVNULL)
        err = p.stderr.decode("utf-8", "replace")
        self.assertEqual(p.returncode, 2, err)
        self.assertNotRegex(err, SANITIZER_PATTERNS)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        return lines[0]

    def test_file_sets_port_access_log_server_name_and_allowed_hosts(self):
        port = free_port()
        access_log = os.path.join(self.workdir, "access.log")
        config = self.write(
            "# laurel.toml for the integration test\n"
            "database = \"%s\"\n"
            "allowed_hosts = [\"chat.example\"]\n"
            "\n"
            "[serve]\n"
            "port = %d\n"
            "verbosity = 0\n"
            "access_log = \"%s\"\n"
            "server_name = \"from # the file\"\n"
            % (os.path.join(self.workdir, "db.sqlite3"), port, access_log))
        server = self.start(["--config", config])
        self.assertEqual(server.ports, [port])
        status, server_header = server.get("/chat/configprobe/")
        self.assertEqual(status, 200)
        self.assertEqual(server_header, "from # the file")
        # allowed_hosts = ["chat.example"]: that Origin is accepted, the server's own refused.
        cookie = server.session_cookie()
        self.assertEqual(server.handshake("http://chat.example", cookie), 101)
        self.assertEqual(server.handshake("http://127.0.0.1:%d" % port, cookie), 403)
        self.assertTrue(os.path.exists(os.path.join(self.workdir, "db.sqlite3")))
        server.stop()
        with open(access_log) as f:
            self.assertIn("GET /chat/configprobe/", f.read())

    def test_environment_beats_the_file_and_a_flag_beats_both(self):
        file_port, env_port, flag_port = free_port(), free_port(), free_port()
        config = self.write("database = \"%s\"\nport = %d\nallowed_hosts = [\"chat.example\"]\n"
                            % (os.path.join(self.workdir, "db.sqlite3"), file_port))
        env = {"LAUREL_CONFIG": config, "LAUREL_PORT": str(env_port),
               "LAUREL_ALLOWED_HOSTS": "other.example,third.example"}
        by_env = self.start([], env)
        self.assertEqual(by_env.ports, [env_port])
        self.assertTrue(port_refuses(file_port))
        self.assertEqual(by_env.get()[0], 200)
        cookie = by_env.session_cookie()
        self.assertEqual(by_env.handshake("http://third.example", cookie), 101)
        self.assertEqual(by_env.handshake("http://chat.example", cookie), 403)
        by_env.stop()

        by_flag = self.start(["-p", str(flag_port), "--allowed-hosts", "chat.example"], env)
        self.assertEqual(by_flag.ports, [flag_port])
        self.assertEqual(by_flag.get()[0], 200)
        self.assertEqual(by_flag.handshake("http://chat.example", cookie), 101)
        self.assertEqual(by_flag.handshake("http://other.example", cookie), 403)

    def test_unknown_key_is_refused_naming_key_and_file(self):
        config = self.write("port = 8123\n[serve]\nping_intreval = 5\n")
        line = self.run_refused(["--config", config])
        self.assertIn("ping_intreval", line)
        self.assertIn(config + ":3", line)

    def test_bad_value_in_file_names_key_and_file(self):
        config = self.write("[serve]\nworkers = 0\n")
        line = self.run_refused(["--config", config])
        self.assertIn("'workers'", line)
        self.assertIn(config + ":2", line)
        # `routes` checks the serve settings of the file as well.
        line = self.run_refused(["routes", "--config", config])
        self.assertIn("'workers'", line)

    def test_bad_environment_value_names_the_variable(self):
        line = self.run_refused(["-p", str(free_port())], {"LAUREL_MAX_BODY_SIZE": "lots"})
        self.assertIn("LAUREL_MAX_BODY_SIZE", line)

    def test_missing_file_is_refused(self):
        missing = os.path.join(self.workdir, "nope.toml")
        self.assertIn(missing, self.run_refused(["--config", missing]))
        self.assertIn(missing, self.run_refused([], {"LAUREL_CONFIG": missing}))

    def test_help_lists_every_flag_with_the_config_footer(self):
        p = subprocess.run([BINARY, "serve", "--help"], capture_output=True, timeout=60,
                           env=clean_env(), cwd=self.workdir)
        self.assertEqual(p.returncode, 0)
        out = p.stdout.decode()
        for flag in ("--config", "--allowed-hosts", "--port", "--websocket_timeout"):
            self.assertIn(flag, out)
        self.assertIn("LAUREL_SOME_FLAG", out)


def main():
    global BINARY
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0]] + rest)


if __name__ == "__main__":
    main()
