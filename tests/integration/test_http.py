#!/usr/bin/python3
"""HTTP through the real binary with curl, CPython's http.client and raw sockets: keep-alive,
pipelining, chunked uploads, the size limits, slowloris and the access log.

    /usr/bin/python3 tests/integration/run.py --binary build/asan/examples/chat/laurel-chat -k Http
"""

import json
import os
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from server_case import (ACCESS_LINE, HEADER_TIMEOUT, MAX_BODY, ServerTestCase,  # noqa: E402
                         curl, curl_status, http_get, read_http_response, run_async,
                         ws_echo_once)

BINARY = None  # set by run.py


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
