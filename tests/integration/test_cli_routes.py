"""`laurel-chat routes`: the demo's route table, --json for tools, and --match hits and misses,
run against the real binary (the sanitizer build) in a fresh directory each time, so the demo's
first-run notes (a new database, a new key) must not leak into stdout.

    /usr/bin/python3 tests/integration/run.py --binary build/h1/examples/chat/laurel-chat -k CliRoutes
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from laurel_server import SANITIZER_PATTERNS, server_env  # noqa: E402

BINARY = None  # set by run.py (or --binary when run alone)

CHAT_PATTERN = r"ws/chat/(?P<room_name>\w+)/$"


class CliRoutes(unittest.TestCase):
    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="laurel-routes-")
        self.addCleanup(shutil.rmtree, self.workdir, True)

    def routes(self, *args, status=0):
        p = subprocess.run([BINARY, "routes", *args], capture_output=True, timeout=60,
                           cwd=self.workdir, env=server_env())
        out, err = p.stdout.decode(), p.stderr.decode()
        self.assertIsNone(SANITIZER_PATTERNS.search(err), err)
        self.assertEqual(p.returncode, status, "routes %s\nstdout:\n%s\nstderr:\n%s"
                         % (" ".join(args), out, err))
        return out

    def routes_json(self, *args, status=0):
        return json.loads(self.routes("--json", *args, status=status))

    def route(self, doc, protocol, pattern):
        rows = [r for r in doc["routes"] if r["protocol"] == protocol and r["pattern"] == pattern]
        self.assertEqual(len(rows), 1, "%s %s in %s" % (protocol, pattern, doc["routes"]))
        return rows[0]

    def test_json_on_a_first_run_is_the_demo_route_table(self):
        doc = self.routes_json()
        self.assertEqual(set(doc), {"routes", "warnings"})
        self.assertIsInstance(doc["warnings"], list)
        for row in doc["routes"]:
            self.assertEqual(set(row), {"protocol", "pattern", "name", "target", "middleware"})
        chat = self.route(doc, "websocket", CHAT_PATTERN)
        self.assertEqual((chat["name"], chat["target"]), ("chat", "ChatConsumer"))
        # The chat socket needs a user: LoginRequired is the innermost layer, the default
        # WebSocket stack (cookies first) wraps it.
        self.assertEqual(chat["middleware"][0], "CookieMiddleware")
        self.assertEqual(chat["middleware"][-1], "LoginRequired")
        echo = self.route(doc, "websocket", "ws/echo/$")
        self.assertEqual((echo["name"], echo["target"]), ("echo", "EchoConsumer"))
        self.assertNotIn("LoginRequired", echo["middleware"])
        self.assertEqual(echo["middleware"], chat["middleware"][:-1])
        self.assertEqual(self.route(doc, "http", "")["target"], "LobbyPage")
        room = self.route(doc, "http", "chat/<str:room_name>/")
        self.assertEqual((room["name"], room["target"]), ("room", "RoomPage"))
        names = [r["name"] for r in doc["routes"] if r["name"]]
        self.assertEqual(len(names), len(set(names)), "the demo has no duplicate names")

    def test_table_rows_match_the_json(self):
        doc = self.routes_json()
        lines = self.routes().splitlines()
        self.assertEqual(lines[0].split(), ["PROTOCOL", "PATTERN", "NAME", "TARGET", "MIDDLEWARE"])
        for row in doc["routes"]:
            cells = [row["protocol"], row["pattern"] or "-", row["name"] or "-", row["target"]]
            middleware = " > ".join(row["middleware"]) or "-"
            found = [l for l in lines[1:] if l.split()[:4] == cells]
            self.assertEqual(len(found), 1, "%s in\n%s" % (cells, "\n".join(lines)))
            self.assertTrue(found[0].endswith(middleware), found[0])
        self.assertEqual(len(lines) - 1, len(doc["routes"]) + (
            2 + len(doc["warnings"]) if doc["warnings"] else 0))

    def test_match_websocket_room_gives_its_kwargs_and_stack(self):
        out = self.routes("--match", "ws", "/ws/chat/lobby/")
        self.assertIn("{'room_name': 'lobby'}", out)
        self.assertIn("-> ChatConsumer", out)
        chat = self.route(self.routes_json(), "websocket", CHAT_PATTERN)
        for step, name in enumerate(chat["middleware"], 1):
            self.assertIn("%d. %s\n" % (step, name), out)
        for protocol in ("ws", "websocket"):
            doc = self.routes_json("--match", protocol, "/ws/chat/lobby/")
            self.assertTrue(doc["matched"])
            self.assertEqual(doc["kwargs"], {"room_name": "lobby"})
            self.assertEqual(doc["args"], [])
            self.assertEqual(doc["route"], chat)

    def test_match_http_with_a_method(self):
        doc = self.routes_json("--match", "http", "GET", "/chat/lobby/")
        self.assertTrue(doc["matched"])
        self.assertEqual(doc["query"]["method"], "GET")
        self.assertEqual(doc["route"]["target"], "RoomPage")
        self.assertEqual(doc["kwargs"], {"room_name": "lobby"})

    def test_missing_trailing_slash_is_a_miss_with_the_fix(self):
        out = self.routes("--match", "ws", "/ws/chat/lobby", status=1)
        self.assertIn("no route matches", out)
        self.assertIn("add the trailing slash: /ws/chat/lobby/", out)
        doc = self.routes_json("--match", "ws", "/ws/chat/lobby", status=1)
        self.assertFalse(doc["matched"])
        best = doc["nearest"][0]
        self.assertEqual(best["route"]["name"], "chat")
        self.assertEqual(best["matched_prefix"], "/ws/chat/lobby")
        self.assertEqual(best["rest"], "")
        self.assertIn("'/'", best["expected"])

    def test_miss_shows_where_each_nearest_pattern_parts(self):
        doc = self.routes_json("--match", "ws", "/ws/echo/extra", status=1)
        best = doc["nearest"][0]
        self.assertEqual(best["route"]["pattern"], "ws/echo/$")
        self.assertEqual((best["matched_prefix"], best["rest"]), ("/ws/echo/", "extra"))
        self.assertEqual(best["expected"], "the end of the path")

    def test_bad_protocol_is_a_usage_error(self):
        p = subprocess.run([BINARY, "routes", "--match", "wss", "/ws/"], capture_output=True,
                           timeout=60, cwd=self.workdir, env=server_env())
        self.assertEqual(p.returncode, 2)
        self.assertIn("is not a protocol", p.stderr.decode())


def main():
    import argparse
    global BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
