#!/usr/bin/python3
"""TLS and metrics against the real binary (docs/tls.md, docs/metrics.md).

A certificate is made here with `openssl req -x509`; the server serves it on a `--tls-cert` /
`--tls-key` listener and on an `-e ssl:...` endpoint. Clients trust exactly that certificate:
python3-websockets over wss and curl --cacert over https. Then: plain HTTP on the TLS port is
refused without harming other clients, SIGHUP reloads a renewed certificate (and keeps the old
one when the new files are broken), and the --metrics listener is scraped and parsed.

    /usr/bin/python3 tests/integration/test_tls.py --binary build/asan/examples/chat/laurel-chat
"""

import argparse
import asyncio
import os
import re
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import websockets  # noqa: E402  (python3-websockets)

from laurel_server import LaurelServer, free_port  # noqa: E402

BINARY = None  # set from --binary
TIMEOUT = 20


def make_cert(directory, cn):
    cert = os.path.join(directory, "cert.pem")
    key = os.path.join(directory, "key.pem")
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=" + cn,
         "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1"],
        check=True, capture_output=True, timeout=30)
    return cert, key


def client_context(cafile):
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = True
    return ctx


def peer_cn(port, cafile):
    """The CN of the certificate the server presents on `port` (verified against `cafile`)."""
    with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
        with client_context(cafile).wrap_socket(raw, server_hostname="localhost") as s:
            subject = dict(x[0] for x in s.getpeercert()["subject"])
            return subject["commonName"], s.version(), s.selected_alpn_protocol()


def curl(*args):
    p = subprocess.run(["curl", "-sS", "--max-time", str(TIMEOUT - 5), *args],
                       capture_output=True, timeout=TIMEOUT)
    return p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace")


def parse_prometheus(text):
    """{sample key: value} for a Prometheus text exposition; raises on a malformed line."""
    samples, types = {}, {}
    for line in text.splitlines():
        if not line:
            continue
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(" ", 3)
            assert kind in ("counter", "gauge", "histogram"), line
            types[name] = kind
            continue
        if line.startswith("#"):
            continue
        m = re.match(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_]+="(?:[^"\\]|\\.)*",?)*\})? (\S+)$',
                     line)
        assert m, "malformed sample line: %r" % line
        family = re.sub(r"_(bucket|sum|count)$", "", m.group(1))
        assert m.group(1) in types or family in types, "sample before TYPE: %r" % line
        samples[m.group(1) + (m.group(2) or "")] = float(m.group(3))
    return samples


def wait_for(predicate, what, deadline=TIMEOUT):
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if predicate():
            return
        time.sleep(0.05)  # polling interval, not a timing assertion
    raise AssertionError("timed out waiting for " + what)


class TlsServerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.dir = tempfile.mkdtemp(prefix="laurel-tls-")
        cls.cert, cls.key = make_cert(cls.dir, "first")
        cls.ca = os.path.join(cls.dir, "trusted-first.pem")
        with open(cls.cert) as src, open(cls.ca, "w") as dst:
            dst.write(src.read())
        cls.ssl_port = free_port()
        cls.metrics_port = free_port()
        cls.server = LaurelServer(BINARY, [
            "--tls-cert", cls.cert, "--tls-key", cls.key,
            "-e", "ssl:%d:privateKey=%s:certKey=%s:interface=127.0.0.1" % (
                cls.ssl_port, cls.key, cls.cert),
            "--metrics", "127.0.0.1:%d" % cls.metrics_port,
            "-v", "2",
        ], workdir=cls.dir).start()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def scrape(self):
        code, body, err = curl("http://127.0.0.1:%d/metrics" % self.metrics_port)
        self.assertEqual(code, 0, err)
        return parse_prometheus(body)

    def test_wss_echo_with_a_verified_certificate(self):
        before = self.scrape()

        async def run():
            url = "wss://localhost:%d/ws/echo/" % self.server.port
            async with websockets.connect(url, ssl=client_context(self.ca),
                                          open_timeout=TIMEOUT) as ws:
                await ws.send("over tls")
                return await asyncio.wait_for(ws.recv(), TIMEOUT)

        reply = asyncio.run(run())
        self.assertIn("over tls", reply)
        after = self.scrape()
        key = 'laurel_websocket_handshakes_total{outcome="accepted"}'
        self.assertGreaterEqual(after[key] - before.get(key, 0), 1)
        key = 'laurel_websocket_messages_total{direction="in"}'
        self.assertGreaterEqual(after[key] - before.get(key, 0), 1)

    def test_https_with_curl_on_both_tls_listeners(self):
        for port in (self.server.port, self.ssl_port):
            code, body, err = curl("--cacert", self.ca, "https://localhost:%d/" % port,
                                   "-o", "/dev/null", "-w", "%{http_code} %{http_version}")
            self.assertEqual(code, 0, err)
            status, version = body.split()
            self.assertEqual(status, "200")
            self.assertEqual(version, "1.1")  # ALPN http/1.1 even though curl offers h2
            # Without the certificate trusted, curl refuses the connection.
            code, _, err = curl("https://localhost:%d/" % port)
            self.assertNotEqual(code, 0)

    def test_modern_protocol_and_alpn(self):
        cn, version, alpn = peer_cn(self.server.port, self.ca)
        self.assertIn(version, ("TLSv1.2", "TLSv1.3"))
        self.assertEqual(alpn, None)  # python's ssl offers no ALPN unless asked
        ctx = client_context(self.ca)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=TIMEOUT) as raw:
            with self.assertRaises(ssl.SSLError):
                ctx.wrap_socket(raw, server_hostname="localhost")

    def test_plain_http_on_the_tls_port_is_refused(self):
        before = self.scrape()
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=TIMEOUT) as s:
            s.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        self.assertNotIn(b"HTTP/1.1", data)  # at most a TLS alert, never a response
        after = self.scrape()
        key = 'laurel_tls_handshakes_total{outcome="failed"}'
        self.assertGreaterEqual(after[key] - before.get(key, 0), 1)
        self.assertTrue(self.server.alive())

    def test_metrics_and_health(self):
        samples = self.scrape()
        for key in ('laurel_open_connections{protocol="http"}',
                    'laurel_open_connections{protocol="websocket"}',
                    'laurel_websocket_handshakes_total{outcome="denied"}',
                    'laurel_websocket_handshakes_total{outcome="invalid"}',
                    'laurel_socket_bytes_total{direction="in"}',
                    'laurel_http_responses_total{status="2xx"}'):
            self.assertIn(key, samples)
        code, body, err = curl("-i", "http://127.0.0.1:%d/healthz" % self.metrics_port)
        self.assertEqual(code, 0, err)
        self.assertTrue(body.startswith("HTTP/1.1 200"), body)
        code, body, _ = curl("-o", "/dev/null", "-w", "%{http_code}",
                             "http://127.0.0.1:%d/" % self.metrics_port)
        self.assertEqual(body, "404")

    def test_zz_sighup_reloads_the_certificate(self):
        # Renewed files in place, then SIGHUP: new connections get the new certificate.
        renewed_dir = tempfile.mkdtemp(prefix="laurel-tls-renewed-")
        new_cert, new_key = make_cert(renewed_dir, "renewed")
        trusted = os.path.join(renewed_dir, "trusted.pem")
        with open(new_cert) as src, open(trusted, "w") as dst:
            dst.write(src.read())
        os.replace(new_cert, self.cert)
        os.replace(new_key, self.key)
        log_before = self.server.stderr().count("reloaded TLS certificate")
        self.server.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.server.stderr().count("reloaded TLS certificate") >= log_before + 2,
                 "the reload log lines")
        self.assertEqual(peer_cn(self.server.port, trusted)[0], "renewed")
        self.assertEqual(peer_cn(self.ssl_port, trusted)[0], "renewed")

        # Broken files: the reload fails, is logged, and the renewed certificate stays.
        with open(self.cert, "w") as f:
            f.write("not a certificate\n")
        fails_before = self.server.stderr().count("TLS reload failed")
        self.server.proc.send_signal(signal.SIGHUP)
        wait_for(lambda: self.server.stderr().count("TLS reload failed") >= fails_before + 2,
                 "the reload failure log lines")
        self.assertEqual(peer_cn(self.server.port, trusted)[0], "renewed")
        self.assertTrue(self.server.alive())


def main():
    global BINARY
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args, rest = parser.parse_known_args()
    BINARY = os.path.abspath(args.binary)
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)


if __name__ == "__main__":
    main()
