"""Group 0 (not in Autobahn): the refusals of the opening handshake, RFC 6455 §4.2.1 and §4.4.
"""

import socket

from case_registry import add
from conformance_client import Fail


def handshake_answer(opts, headers):
    """Sends a request with `headers` (name, value pairs) and returns (status, headers)."""
    sock = socket.create_connection((opts.host, opts.port), timeout=opts.timeout)
    try:
        lines = ["GET %s HTTP/1.1" % opts.path, "Host: %s:%d" % (opts.host, opts.port)]
        lines += ["%s: %s" % kv for kv in headers]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        sock.close()
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")
    parts = head[0].split(" ")
    status = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    fields = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        fields[name.strip().lower()] = value.strip()
    return status, fields


def handshake_case(headers, want_status, check=None):
    def run(c, opts):
        status, fields = handshake_answer(opts, headers)
        if status not in want_status:
            raise Fail("answered %d, expected %s" % (status, " or ".join(map(str, want_status))))
        if check:
            check(fields)
    return run


def needs_version_13(fields):
    # §4.2.2: the status is "such as 426", but naming the versions understood is a MUST.
    if "13" not in [v.strip() for v in fields.get("sec-websocket-version", "").split(",")]:
        raise Fail("refusal without Sec-WebSocket-Version: 13 (RFC 6455 §4.2.2, §4.4)")


KEY = ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")
UPGRADE = [("Upgrade", "websocket"), ("Connection", "Upgrade")]
HANDSHAKE_CASES = [
    ("0.1", "a valid handshake gets 101", UPGRADE + [KEY, ("Sec-WebSocket-Version", "13")], (101,), None),
    ("0.2", "version 8 is refused, naming version 13", UPGRADE + [KEY, ("Sec-WebSocket-Version", "8")], (426, 400),
     needs_version_13),
    ("0.3", "no version is refused, naming version 13", UPGRADE + [KEY], (426, 400), needs_version_13),
    ("0.4", "no Sec-WebSocket-Key gets 400", UPGRADE + [("Sec-WebSocket-Version", "13")], (400,), None),
    ("0.5", "a key that is not 16 bytes gets 400",
     UPGRADE + [("Sec-WebSocket-Key", "c2hvcnQ="), ("Sec-WebSocket-Version", "13")], (400,), None),
    ("0.6", "Upgrade without Connection: Upgrade is refused",
     [("Upgrade", "websocket"), KEY, ("Sec-WebSocket-Version", "13")], (400, 426), None),
]
for cid, title, headers, status, check in HANDSHAKE_CASES:
    add(cid, title, handshake_case(headers, status, check))
