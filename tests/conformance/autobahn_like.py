#!/usr/bin/env python3
"""RFC 6455 conformance cases for a WebSocket echo endpoint, after the Autobahn|Testsuite.

Group 0 checks the refusals of the opening handshake (RFC 6455 §4.2.1, §4.4). Then it runs
cases modelled on Autobahn's server groups 1 (framing), 2 (pings and pongs), 3 (reserved
bits), 4 (opcodes), 5 (fragmentation), 6 (UTF-8), 7 (closing), 9 (limits and performance) and
10 (auto-fragmentation) against a running echo endpoint that echoes text as text and binary as
binary. Each case opens its own connection with raw sockets (no third-party module), checks the
echoed data, the close code, and that the server then closes the TCP connection itself.

    python3 tests/conformance/autobahn_like.py --host 127.0.0.1 --port 8000 --path /ws/echo/

By default the group 9 messages stop at 1 MiB; --full sends up to 16 MiB and 65,537 fragments,
so the server must allow them, e.g. `laurel serve --max-message-size 16M --max-outbound-bytes
64M` (an echo of 8 MiB is over laurel's default 4 MiB outbound bound and is closed with 1008).
--max-message-size N tells the script the server's limit: cases whose message is bigger then
expect close 1009 instead of an echo, and two cases check exactly that.

Outcomes: PASS, FAIL, and NON-STRICT where Autobahn would say so (the server failed the
connection before echoing a valid message that came before the bad frame); NON-STRICT counts as
passed unless --strict. Stricter than Autobahn on one point: the 6.4.x cases fail unless the
server closes with 1007 as soon as the invalid UTF-8 arrives (fail fast).

Prints one line per case and a summary; exits 1 if any case failed.
"""

import argparse
import base64
import hashlib
import os
import socket
import struct
import sys
import time

GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0x0, 0x1, 0x2, 0x8, 0x9, 0xA


class Fail(Exception):
    """The case failed; the message says how."""


class Closed(Exception):
    """The TCP connection ended (`clean` is False for a reset)."""

    def __init__(self, clean):
        super().__init__("connection closed" if clean else "connection reset")
        self.clean = clean


class Timeout(Exception):
    """Nothing arrived in time."""


class NonStrict(Exception):
    """Acceptable but not the best behaviour (Autobahn's NON-STRICT); counted as passed unless
    --strict is given."""


class Frame:
    def __init__(self, fin, rsv, opcode, payload):
        self.fin, self.rsv, self.opcode, self.payload = fin, rsv, opcode, payload

    def describe(self):
        names = {0: "continuation", 1: "text", 2: "binary", 8: "close", 9: "ping", 10: "pong"}
        name = names.get(self.opcode, "opcode %d" % self.opcode)
        return "%s frame of %d bytes" % (name, len(self.payload))


def close_code(payload):
    if len(payload) >= 2:
        return struct.unpack("!H", payload[:2])[0]
    return None


class Conn:
    """One client connection: handshake, frame writer, frame reader with deadlines."""

    def __init__(self, opts):
        self.opts = opts
        self.sock = socket.create_connection((opts.host, opts.port), timeout=opts.timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.buf = bytearray()
        self.eof = None  # None, or Closed once the peer ended the connection
        self.send_failed = False
        self._handshake()

    def _handshake(self):
        key = base64.b64encode(os.urandom(16)).decode()
        request = (
            "GET %s HTTP/1.1\r\nHost: %s:%d\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n\r\n"
            % (self.opts.path, self.opts.host, self.opts.port, key)
        )
        self.sock.sendall(request.encode())
        deadline = time.monotonic() + self.opts.timeout
        while b"\r\n\r\n" not in self.buf:
            self._fill(deadline)
        head, _, rest = bytes(self.buf).partition(b"\r\n\r\n")
        self.buf = bytearray(rest)
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise Fail("handshake refused: %s" % lines[0])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        expected = base64.b64encode(hashlib.sha1(key.encode() + GUID).digest()).decode()
        if headers.get("sec-websocket-accept") != expected:
            raise Fail("wrong Sec-WebSocket-Accept %r" % headers.get("sec-websocket-accept"))
        if headers.get("upgrade", "").lower() != "websocket":
            raise Fail("101 without Upgrade: websocket")
        if "upgrade" not in [t.strip().lower() for t in headers.get("connection", "").split(",")]:
            raise Fail("101 without Connection: Upgrade")

    # --- writing ---

    def raw(self, data, chop=None):
        """Sends bytes, optionally in pieces of `chop` bytes (each its own write)."""
        if self.send_failed:
            return
        try:
            if not chop:
                self.sock.sendall(data)
                return
            pieces = [data[i:i + chop] for i in range(0, len(data), chop)]
            pause = len(pieces) <= 300  # small chopped sends: make each its own segment
            for piece in pieces:
                self.sock.sendall(piece)
                if pause:
                    time.sleep(0.001)
        except (BrokenPipeError, ConnectionResetError):
            # The server may close first (it is failing the connection); reading tells.
            self.send_failed = True

    @staticmethod
    def encode(opcode, payload=b"", fin=True, rsv=0, mask=True):
        if isinstance(payload, str):
            payload = payload.encode()
        head = bytearray([(0x80 if fin else 0) | (rsv << 4) | opcode])
        n = len(payload)
        mbit = 0x80 if mask else 0
        if n < 126:
            head.append(mbit | n)
        elif n < 65536:
            head.append(mbit | 126)
            head += struct.pack("!H", n)
        else:
            head.append(mbit | 127)
            head += struct.pack("!Q", n)
        if not mask:
            return bytes(head) + payload
        key = os.urandom(4)
        head += key
        return bytes(head) + xor_mask(payload, key)

    def send(self, opcode, payload=b"", fin=True, rsv=0, mask=True, chop=None):
        self.raw(self.encode(opcode, payload, fin, rsv, mask), chop)

    def send_message(self, payload, binary, frag=None, chop=None):
        """A message in one frame, or in frames of `frag` bytes."""
        opcode = OP_BINARY if binary else OP_TEXT
        if not frag or len(payload) <= frag:
            self.send(opcode, payload, chop=chop)
            return
        out = []
        for i in range(0, len(payload), frag):
            last = i + frag >= len(payload)
            out.append(self.encode(opcode if i == 0 else OP_CONT, payload[i:i + frag], fin=last))
        self.raw(b"".join(out), chop)

    def send_close(self, code=None, reason=b""):
        body = b"" if code is None else struct.pack("!H", code) + reason
        self.send(OP_CLOSE, body)

    # --- reading ---

    def _fill(self, deadline):
        if self.eof is not None:
            raise self.eof
        left = deadline - time.monotonic()
        if left <= 0:
            raise Timeout()
        self.sock.settimeout(left)
        try:
            chunk = self.sock.recv(1 << 20)
        except socket.timeout:
            raise Timeout()
        except ConnectionResetError:
            self.eof = Closed(False)
            raise self.eof
        if not chunk:
            self.eof = Closed(True)
            raise self.eof
        self.buf += chunk

    def _need(self, n, deadline):
        while len(self.buf) < n:
            self._fill(deadline)

    def frame(self, timeout=None):
        """The next server frame; checks what RFC 6455 demands of server frames."""
        deadline = time.monotonic() + (self.opts.timeout if timeout is None else timeout)
        self._need(2, deadline)
        b0, b1 = self.buf[0], self.buf[1]
        if b1 & 0x80:
            raise Fail("server frame is masked (RFC 6455 §5.1)")
        n = b1 & 0x7F
        pos = 2
        if n == 126:
            self._need(4, deadline)
            n = struct.unpack("!H", self.buf[2:4])[0]
            pos = 4
        elif n == 127:
            self._need(10, deadline)
            n = struct.unpack("!Q", self.buf[2:10])[0]
            pos = 10
        self._need(pos + n, deadline)
        payload = bytes(self.buf[pos:pos + n])
        del self.buf[:pos + n]
        f = Frame(bool(b0 & 0x80), (b0 >> 4) & 7, b0 & 0xF, payload)
        if f.rsv:
            raise Fail("server frame has RSV bits set")
        if f.opcode >= 8 and (not f.fin or n > 125):
            raise Fail("server sent a fragmented or oversized control frame")
        return f

    def message(self, timeout=None):
        """Next data message (reassembled: the server may fragment, group 10), pongs skipped
        only when asked; pings from the server are answered."""
        deadline = time.monotonic() + (self.opts.timeout if timeout is None else timeout)
        parts, opcode = [], None
        while True:
            f = self.frame(max(0.0, deadline - time.monotonic()))
            if f.opcode == OP_PING:
                self.send(OP_PONG, f.payload)
                continue
            if f.opcode in (OP_CLOSE, OP_PONG):
                if parts:
                    raise Fail("%s inside a fragmented message" % f.describe())
                return f
            if opcode is None:
                if f.opcode == OP_CONT:
                    raise Fail("server sent a continuation frame without a message")
                opcode = f.opcode
            elif f.opcode != OP_CONT:
                raise Fail("server started a new message inside a fragmented one")
            parts.append(f.payload)
            if f.fin:
                return Frame(True, 0, opcode, b"".join(parts))

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def xor_mask(payload, key):
    if not payload:
        return b""
    n = len(payload)
    k = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")


# --- expectations ---

def expect_echo(c, payload, binary, timeout=None):
    if isinstance(payload, str):
        payload = payload.encode()
    f = c.message(timeout)
    want = OP_BINARY if binary else OP_TEXT
    if f.opcode == OP_CLOSE:
        raise Fail("expected an echo of %d bytes, got close %s" % (len(payload), close_code(f.payload)))
    if f.opcode != want:
        raise Fail("expected a %s echo, got %s" % ("binary" if binary else "text", f.describe()))
    if f.payload != payload:
        raise Fail("echo differs (%d bytes sent, %d back)" % (len(payload), len(f.payload)))


def expect_pong(c, payload):
    if isinstance(payload, str):
        payload = payload.encode()
    f = c.frame()
    if f.opcode != OP_PONG:
        raise Fail("expected a pong, got %s" % f.describe())
    if f.payload != payload:
        raise Fail("pong payload differs from the ping's")


def expect_clean_end(c):
    """After the close handshake, the server closes TCP (RFC 6455 §7.1.1): we see a FIN."""
    try:
        f = c.frame(c.opts.timeout)
        raise Fail("server sent %s after its close frame" % f.describe())
    except Closed as e:
        if not e.clean:
            raise Fail("server reset the connection instead of closing it")
    except Timeout:
        raise Fail("server did not close the TCP connection after the close handshake")


def expect_server_close(c, codes, clean=True, timeout=None):
    """The server sends a close frame with one of `codes`, then closes TCP. If the client has
    not sent its close yet, it answers with one first, as a client must."""
    try:
        f = c.message(timeout)
    except Closed:
        raise Fail("connection dropped without a close frame (expected %s)" % codes)
    except Timeout:
        raise Fail("no close frame (expected %s)" % codes)
    handle_close(c, f, codes, clean)


def handle_close(c, f, codes, clean):
    if f.opcode != OP_CLOSE:
        raise Fail("expected close %s, got %s" % (codes, f.describe()))
    code = close_code(f.payload)
    if code not in codes:
        raise Fail("close code %s, expected %s" % (code, codes))
    if len(f.payload) > 2:
        try:
            f.payload[2:].decode("utf-8")
        except UnicodeDecodeError:
            raise Fail("close reason is not UTF-8")
    if not c.closing:
        c.send_close(code if code not in (None, 1005) else 1000)
        c.closing = True
    if clean:
        expect_clean_end(c)
    else:
        try:
            expect_clean_end(c)
        except Fail as e:
            if "did not close" in str(e) or "sent" in str(e):
                raise


def finish_normally(c, code=1000):
    """Ends a case that should leave the connection open: close 1000, echoed, TCP closed."""
    c.send_close(code)
    c.closing = True
    expect_server_close(c, [code, 1000])


def expect_protocol_error(c, code=1002):
    expect_server_close(c, [code], clean=False)


def echo_then_error(c, payload, binary, code=1002):
    """A valid message followed by a bad frame: the echo should come first, then the close.
    A server that fails the connection before its application answered is non-strict, as in
    Autobahn (the echo is produced asynchronously)."""
    f = c.message()
    if f.opcode == OP_CLOSE:
        handle_close(c, f, [code], clean=False)
        raise NonStrict("closed with %d before echoing the valid message sent first" % code)
    if f.opcode != (OP_BINARY if binary else OP_TEXT) or f.payload != payload:
        raise Fail("expected the echo of the first message, got %s" % f.describe())
    expect_protocol_error(c, code)


def expect_quiet(c, seconds):
    try:
        f = c.frame(seconds)
        raise Fail("unexpected %s" % f.describe())
    except Timeout:
        pass


# --- cases ---

CASES = []


def case(cid, title):
    def register(fn):
        CASES.append((cid, title, fn))
        return fn
    return register


def add(cid, title, fn):
    CASES.append((cid, title, fn))


def size_ok(opts, n):
    return opts.max_message_size is None or n <= opts.max_message_size


def echo_case(payload, binary, frag=None, chop=None, timeout=None):
    def run(c, opts):
        c.send_message(payload, binary, frag=frag, chop=chop)
        if size_ok(opts, len(payload)):
            expect_echo(c, payload, binary, timeout)
            finish_normally(c)
        else:
            expect_server_close(c, [1009], clean=False)
    return run


# Group 0 (not in Autobahn): the opening handshake's refusals, RFC 6455 §4.2.1 and §4.4.
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


# Group 1: framing.
for group, binary in (("1.1", False), ("1.2", True)):
    for i, n in enumerate([0, 125, 126, 127, 128, 65535, 65536], 1):
        payload = (b"\xfe" if binary else b"*") * n
        add("%s.%d" % (group, i), "%s message, %d bytes" % ("binary" if binary else "text", n),
            echo_case(payload, binary))
    add("%s.8" % group, "%s message, 65536 bytes, sent in 997-byte chops" % ("binary" if binary else "text"),
        echo_case((b"\xfe" if binary else b"*") * 65536, binary, chop=997))


# Group 2: pings and pongs.
def ping_case(payload, chop=None):
    def run(c, opts):
        c.send(OP_PING, payload, chop=chop)
        expect_pong(c, payload)
        finish_normally(c)
    return run


add("2.1", "ping without payload", ping_case(b""))
add("2.2", "ping with small text payload", ping_case(b"Hello, world!"))
add("2.3", "ping with small binary payload", ping_case(b"\x00\xff\xfe\xfd\xfc\xfb\x00\xff"))
add("2.4", "ping with 125-byte payload", ping_case(b"\xfe" * 125))


@case("2.5", "ping with 126-byte payload is a protocol error")
def _(c, opts):
    c.send(OP_PING, b"\xfe" * 126)
    expect_protocol_error(c)


add("2.6", "ping with 125-byte payload sent one octet at a time", ping_case(b"\xfe" * 125, chop=1))


@case("2.7", "unsolicited pong without payload is ignored")
def _(c, opts):
    c.send(OP_PONG)
    expect_quiet(c, 0.3)
    finish_normally(c)


@case("2.8", "unsolicited pong with payload is ignored")
def _(c, opts):
    c.send(OP_PONG, b"unsolicited pong payload")
    expect_quiet(c, 0.3)
    finish_normally(c)


@case("2.9", "unsolicited pong, then ping: only the ping is answered")
def _(c, opts):
    c.send(OP_PONG, b"unsolicited pong payload")
    c.send(OP_PING, b"ping payload")
    expect_pong(c, b"ping payload")
    finish_normally(c)


def ten_pings(chop):
    def run(c, opts):
        data = b"".join(Conn.encode(OP_PING, b"payload-%d" % i) for i in range(10))
        c.raw(data, chop)
        for i in range(10):
            expect_pong(c, b"payload-%d" % i)
        finish_normally(c)
    return run


add("2.10", "10 pings in a row", ten_pings(None))
add("2.11", "10 pings in a row, sent one octet at a time", ten_pings(1))


# Group 3: reserved bits.
def rsv_case(rsv, opcode, before_echo=False, chop=None, payload=b"Hello, world!"):
    def run(c, opts):
        data = b""
        if before_echo:
            data += Conn.encode(OP_TEXT, b"Hello, world!")
        data += Conn.encode(opcode, payload, rsv=rsv)
        if before_echo:
            data += Conn.encode(OP_PING, b"")
        c.raw(data, chop)
        if before_echo:
            echo_then_error(c, b"Hello, world!", False)
        else:
            expect_protocol_error(c)
    return run


add("3.1", "text with RSV = 1", rsv_case(1, OP_TEXT))
add("3.2", "text, then text with RSV = 2, then ping", rsv_case(2, OP_TEXT, before_echo=True))
add("3.3", "text, then text with RSV = 3, then ping, frame-wise", rsv_case(3, OP_TEXT, before_echo=True))
add("3.4", "text, then text with RSV = 4, then ping, octet-wise", rsv_case(4, OP_TEXT, before_echo=True, chop=1))
add("3.5", "binary with RSV = 5", rsv_case(5, OP_BINARY, payload=b"\x00\xff\xfe\xfd"))
add("3.6", "ping with RSV = 6", rsv_case(6, OP_PING))
add("3.7", "close with RSV = 7", rsv_case(7, OP_CLOSE, payload=b""))


# Group 4: opcodes.
def opcode_case(op, payload, surround, chop=None):
    def run(c, opts):
        data = b""
        if surround:
            data += Conn.encode(OP_TEXT, b"Hello, world!")
        data += Conn.encode(op, payload)
        if surround:
            data += Conn.encode(OP_PING, b"")
        c.raw(data, chop)
        if surround:
            echo_then_error(c, b"Hello, world!", False)
        else:
            expect_protocol_error(c)
    return run


for base, ops in (("4.1", [3, 4, 5, 6, 7]), ("4.2", [11, 12, 13, 14, 15])):
    for i, op in enumerate(ops, 1):
        add("%s.%d" % (base, i), "reserved opcode %d%s" % (op, "" if i <= 2 else ", between text and ping"),
            opcode_case(op, b"" if i == 1 else b"reserved opcode payload", surround=i > 2))


# Group 5: fragmentation.
@case("5.1", "ping in 2 fragments is a protocol error")
def _(c, opts):
    c.send(OP_PING, b"fragment1", fin=False)
    c.send(OP_CONT, b"fragment2")
    expect_protocol_error(c)


@case("5.2", "pong in 2 fragments is a protocol error")
def _(c, opts):
    c.send(OP_PONG, b"fragment1", fin=False)
    c.send(OP_CONT, b"fragment2")
    expect_protocol_error(c)


def two_fragments(chop=None, ping_between=False, framewise=False):
    def run(c, opts):
        frames = [Conn.encode(OP_TEXT, b"fragment1", fin=False)]
        if ping_between:
            frames.append(Conn.encode(OP_PING, b"ping payload"))
        frames.append(Conn.encode(OP_CONT, b"fragment2"))
        if framewise:
            for fr in frames:
                c.raw(fr)
                time.sleep(0.05)
        else:
            c.raw(b"".join(frames), chop)
        if ping_between:
            expect_pong(c, b"ping payload")
        expect_echo(c, b"fragment1fragment2", False)
        finish_normally(c)
    return run


add("5.3", "text in 2 fragments", two_fragments())
add("5.4", "text in 2 fragments, sent frame-wise", two_fragments(framewise=True))
add("5.5", "text in 2 fragments, sent octet-wise", two_fragments(chop=1))
add("5.6", "text in 2 fragments with a ping between", two_fragments(ping_between=True))
add("5.7", "text in 2 fragments with a ping between, octet-wise", two_fragments(chop=1, ping_between=True))
add("5.8", "text in 2 fragments with a ping between, frame-wise", two_fragments(ping_between=True, framewise=True))


def stray_continuation(fin, chop=None, framewise=False):
    def run(c, opts):
        frames = [Conn.encode(OP_CONT, b"non-continuation payload", fin=fin),
                  Conn.encode(OP_TEXT, b"Hello, world!")]
        if framewise:
            for fr in frames:
                c.raw(fr)
                time.sleep(0.05)
        else:
            c.raw(b"".join(frames), chop)
        expect_protocol_error(c)
    return run


add("5.9", "continuation (FIN) without a message, then text", stray_continuation(True))
add("5.10", "same, frame-wise", stray_continuation(True, framewise=True))
add("5.11", "same, octet-wise", stray_continuation(True, chop=1))
add("5.12", "continuation (not FIN) without a message, then text", stray_continuation(False))
add("5.13", "same, frame-wise", stray_continuation(False, framewise=True))
add("5.14", "same, octet-wise", stray_continuation(False, chop=1))


@case("5.15", "2 fragments, then continuation, then a new message inside it")
def _(c, opts):
    c.raw(Conn.encode(OP_TEXT, b"fragment1", fin=False) + Conn.encode(OP_CONT, b"fragment2") +
          Conn.encode(OP_CONT, b"fragment3", fin=False) + Conn.encode(OP_TEXT, b"fragment4"))
    echo_then_error(c, b"fragment1fragment2", False)


@case("5.16", "continuation, text (not FIN), continuation (FIN), repeated")
def _(c, opts):
    one = (Conn.encode(OP_CONT, b"fragment1", fin=False) + Conn.encode(OP_TEXT, b"fragment2", fin=False) +
           Conn.encode(OP_CONT, b"fragment3"))
    c.raw(one + one)
    expect_protocol_error(c)


@case("5.17", "continuation (FIN), text (not FIN), continuation (FIN), repeated")
def _(c, opts):
    one = (Conn.encode(OP_CONT, b"fragment1") + Conn.encode(OP_TEXT, b"fragment2", fin=False) +
           Conn.encode(OP_CONT, b"fragment3"))
    c.raw(one + one)
    expect_protocol_error(c)


@case("5.18", "text (not FIN), then text (FIN): a new message inside a fragmented one")
def _(c, opts):
    c.raw(Conn.encode(OP_TEXT, b"fragment1", fin=False) + Conn.encode(OP_TEXT, b"fragment2"))
    expect_protocol_error(c)


def pings_between_fragments(chop):
    def run(c, opts):
        seq = [("t", b"fragment1"), ("c", b"fragment2"), ("p", b"pongme 1!"), ("c", b"fragment3"),
               ("c", b"fragment4"), ("p", b"pongme 2!"), ("f", b"fragment5")]
        pongs = []
        for kind, data in seq:
            if kind == "t":
                fr = Conn.encode(OP_TEXT, data, fin=False)
            elif kind == "c":
                fr = Conn.encode(OP_CONT, data, fin=False)
            elif kind == "f":
                fr = Conn.encode(OP_CONT, data)
            else:
                fr = Conn.encode(OP_PING, data)
            c.raw(fr, chop)
            if kind == "p":
                expect_pong(c, data)  # answered while the message is still open
            time.sleep(0.05)
        expect_echo(c, b"fragment1fragment2fragment3fragment4fragment5", False)
        finish_normally(c)
    return run


add("5.19", "5 fragments with 2 pings between, each answered at once", pings_between_fragments(None))
add("5.20", "same, octet-wise", pings_between_fragments(1))


# Group 6: UTF-8.
KOSME = b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"


def utf8_case(payload, valid, frag=None, chop=None):
    def run(c, opts):
        c.send_message(payload, False, frag=frag, chop=chop)
        if valid:
            expect_echo(c, payload, False)
            finish_normally(c)
        else:
            expect_protocol_error(c, 1007)
    return run


add("6.1.1", "empty text message", utf8_case(b"", True))


@case("6.1.2", "3 empty fragments")
def _(c, opts):
    c.raw(Conn.encode(OP_TEXT, b"", fin=False) + Conn.encode(OP_CONT, b"", fin=False) + Conn.encode(OP_CONT, b""))
    expect_echo(c, b"", False)
    finish_normally(c)


@case("6.1.3", "empty first and last fragment, text in the middle")
def _(c, opts):
    c.raw(Conn.encode(OP_TEXT, b"", fin=False) + Conn.encode(OP_CONT, b"middle frame payload", fin=False) +
          Conn.encode(OP_CONT, b""))
    expect_echo(c, b"middle frame payload", False)
    finish_normally(c)


HELLO = "Hello-µ@ßöäüàá-UTF-8!!".encode()
add("6.2.1", "valid UTF-8 in one fragment", utf8_case(HELLO, True))


@case("6.2.2", "valid UTF-8 in 2 fragments split on a code point boundary")
def _(c, opts):
    c.raw(Conn.encode(OP_TEXT, HELLO[:12], fin=False) + Conn.encode(OP_CONT, HELLO[12:]))
    expect_echo(c, HELLO, False)
    finish_normally(c)


add("6.2.3", "valid UTF-8 in 1-octet fragments", utf8_case(HELLO, True, frag=1))
add("6.2.4", "valid UTF-8 (κόσμε) in 1-octet fragments", utf8_case(KOSME, True, frag=1))
BAD = KOSME + b"\xed\xa0\x80" + b"edited"
add("6.3.1", "invalid UTF-8 in one fragment", utf8_case(BAD, False))
add("6.3.2", "invalid UTF-8 in 1-octet fragments", utf8_case(BAD, False, frag=1))


def fail_fast(parts, one_frame):
    """Autobahn 6.4.x: the connection must fail as soon as the bad bytes arrive, before the
    rest of the message is sent. Autobahn calls failing only at the end NON-STRICT; this script
    fails it, because laurel promises to fail fast (RFC 6455 §8.1)."""
    def run(c, opts):
        if one_frame:
            whole = b"".join(parts)
            wire = Conn.encode(OP_TEXT, whole)
            head = len(wire) - len(whole)
            cut1 = head + len(parts[0])
            cut2 = cut1 + len(parts[1])
            pieces = [wire[:cut1], wire[cut1:cut2], wire[cut2:]]
        else:
            pieces = [Conn.encode(OP_TEXT, parts[0], fin=False), Conn.encode(OP_CONT, parts[1], fin=False),
                      Conn.encode(OP_CONT, parts[2])]
        c.raw(pieces[0])
        expect_quiet(c, 0.3)
        c.raw(pieces[1])
        try:
            f = c.frame(1.0)
        except Timeout:
            c.raw(pieces[2])
            raise Fail("not fail-fast: no close before the rest of the message was sent")
        except Closed:
            raise Fail("connection dropped without a close frame")
        if f.opcode != OP_CLOSE or close_code(f.payload) != 1007:
            raise Fail("expected close 1007 at once, got %s (code %s)" % (f.describe(), close_code(f.payload)))
        c.send_close(1007)
        c.closing = True
        try:
            expect_clean_end(c)
        except Fail as e:
            if "did not close" in str(e):
                raise
    return run


add("6.4.1", "fail fast: 3 fragments, the second invalid", fail_fast([KOSME, b"\xf4\x90\x80\x80", b"edited"], False))
add("6.4.2", "fail fast: 3 fragments, the second only the octet that makes it invalid",
    fail_fast([KOSME + b"\xf4", b"\x90", b"\x80\x80edited"], False))
add("6.4.3", "fail fast: one frame in 3 TCP pieces, the second invalid",
    fail_fast([KOSME, b"\xf4\x90\x80\x80", b"edited"], True))
add("6.4.4", "fail fast: one frame in 3 TCP pieces, the second only the bad octet",
    fail_fast([KOSME + b"\xf4", b"\x90", b"\x80\x80edited"], True))

# 6.5 .. : Markus Kuhn's decoder test vectors, each as one text message.
UTF8_VECTORS = [
    (True, [b"hello$world", b"hello\xc2\xa2world", b"hello\xe2\x82\xacworld", b"hello\xf0\xa4\xad\xa2world", KOSME]),
    (True, [KOSME[:i] for i in (2, 5, 7, 9, 11)]),  # prefixes that end on a code point
    (False, [KOSME[:i] for i in (1, 3, 4, 6, 8, 10)]),  # prefixes that end inside one
    (True, [b"\x00", b"\xc2\x80", b"\xe0\xa0\x80", b"\xf0\x90\x80\x80"]),
    (False, [b"\xf8\x88\x80\x80\x80", b"\xfc\x84\x80\x80\x80\x80"]),
    (True, [b"\x7f", b"\xdf\xbf", b"\xef\xbf\xbf", b"\xf4\x8f\xbf\xbf"]),
    (False, [b"\xf7\xbf\xbf\xbf", b"\xfb\xbf\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf\xbf"]),
    (True, [b"\xed\x9f\xbf", b"\xee\x80\x80", b"\xef\xbf\xbd", b"\xf4\x8f\xbf\xbf"]),
    (False, [b"\xf4\x90\x80\x80"]),
    (False, [b"\x80", b"\xbf", b"\x80\xbf", b"\x80\xbf\x80", b"\x80\xbf\x80\xbf", bytes(range(0x80, 0xbf))]),
    (False, [b"".join(bytes([i, 0x20]) for i in range(lo, hi))
             for lo, hi in ((0xc0, 0xdf), (0xe0, 0xef), (0xf0, 0xf7), (0xf8, 0xfb), (0xfc, 0xfd))]),
    (False, [b"\xc0", b"\xe0\x80", b"\xf0\x80\x80", b"\xf8\x80\x80\x80", b"\xfc\x80\x80\x80\x80",
             b"\xdf", b"\xef\xbf", b"\xf7\xbf\xbf", b"\xfb\xbf\xbf\xbf", b"\xfd\xbf\xbf\xbf\xbf"]),
    (False, [b"\xc0\xe0\x80\xf0\x80\x80\xf8\x80\x80\x80\xfc\x80\x80\x80\x80\xdf\xef\xbf\xf7\xbf\xbf\xfb\xbf\xbf\xbf\xfd\xbf\xbf\xbf\xbf"]),
    (False, [b"\xfe", b"\xff", b"\xfe\xfe\xff\xff"]),
    (False, [b"\xc0\xaf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf", b"\xf8\x80\x80\x80\xaf", b"\xfc\x80\x80\x80\x80\xaf"]),
    (False, [b"\xc1\xbf", b"\xe0\x9f\xbf", b"\xf0\x8f\xbf\xbf", b"\xf8\x87\xbf\xbf\xbf", b"\xfc\x83\xbf\xbf\xbf\xbf"]),
    (False, [b"\xc0\x80", b"\xe0\x80\x80", b"\xf0\x80\x80\x80", b"\xf8\x80\x80\x80\x80", b"\xfc\x80\x80\x80\x80\x80"]),
    (False, [b"\xed\xa0\x80", b"\xed\xad\xbf", b"\xed\xae\x80", b"\xed\xaf\xbf", b"\xed\xb0\x80",
             b"\xed\xbe\x80", b"\xed\xbf\xbf"]),
    (False, [b"\xed\xa0\x80\xed\xb0\x80", b"\xed\xa0\x80\xed\xbf\xbf", b"\xed\xad\xbf\xed\xb0\x80",
             b"\xed\xad\xbf\xed\xbf\xbf", b"\xed\xae\x80\xed\xb0\x80", b"\xed\xae\x80\xed\xbf\xbf",
             b"\xed\xaf\xbf\xed\xb0\x80", b"\xed\xaf\xbf\xed\xbf\xbf"]),
    (True, [b"\xef\xbf\xbe", b"\xef\xbf\xbf", b"\xf0\x9f\xbf\xbe", b"\xf3\xbf\xbf\xbf", b"\xf4\x8f\xbf\xbe"]),
    (True, [b"\xef\xbf\xb9", b"\xef\xbf\xba", b"\xef\xbf\xbb", b"\xef\xbf\xbc", b"\xef\xbf\xbd"]),
]
for gi, (valid, payloads) in enumerate(UTF8_VECTORS, 5):
    for pi, p in enumerate(payloads, 1):
        if valid:
            p.decode("utf-8")  # the table itself must be right
        add("6.%d.%d" % (gi, pi), "%s UTF-8 %s" % ("valid" if valid else "invalid", p[:12].hex()),
            utf8_case(p, valid))


# Group 7: closing.
@case("7.1.1", "echo a message, then close normally")
def _(c, opts):
    c.send(OP_TEXT, b"Hello World!")
    expect_echo(c, b"Hello World!", False)
    finish_normally(c)


@case("7.1.2", "close twice: the second close is ignored")
def _(c, opts):
    c.send_close(1000)
    c.send_close(1000)
    c.closing = True
    expect_server_close(c, [1000])


@case("7.1.3", "ping after close: no pong")
def _(c, opts):
    c.send_close(1000)
    c.send(OP_PING, b"Hello World!")
    c.closing = True
    expect_server_close(c, [1000])


@case("7.1.4", "text after close: no echo")
def _(c, opts):
    c.send_close(1000)
    c.send(OP_TEXT, b"Hello World!")
    c.closing = True
    expect_server_close(c, [1000])


@case("7.1.5", "fragment, close, continuation: the message is dropped")
def _(c, opts):
    c.send(OP_TEXT, b"fragment1", fin=False)
    c.send_close(1000)
    c.send(OP_CONT, b"fragment2")
    c.closing = True
    expect_server_close(c, [1000])


@case("7.1.6", "a 256 KiB message, then close")
def _(c, opts):
    payload = b"BAsd7&jh23" * 26214 + b"BAsd"
    c.send(OP_TEXT, payload)
    c.send(OP_TEXT, b"Hello World!")
    c.send_close(1000)
    c.closing = True
    # The server may answer the close before or after echoing; it must end with close 1000.
    while True:
        f = c.message()
        if f.opcode == OP_CLOSE:
            if close_code(f.payload) != 1000:
                raise Fail("close code %s, expected 1000" % close_code(f.payload))
            break
    expect_clean_end(c)


@case("7.3.1", "close without payload")
def _(c, opts):
    c.send_close(None)
    c.closing = True
    expect_server_close(c, [1000, None])


@case("7.3.2", "close with a 1-byte payload is a protocol error")
def _(c, opts):
    c.send(OP_CLOSE, b"\x03")
    c.closing = True
    expect_server_close(c, [1002], clean=False)


@case("7.3.3", "close with code 1000")
def _(c, opts):
    c.send_close(1000)
    c.closing = True
    expect_server_close(c, [1000])


@case("7.3.4", "close with code 1000 and a reason")
def _(c, opts):
    c.send_close(1000, b"Hello World!")
    c.closing = True
    expect_server_close(c, [1000])


@case("7.3.5", "close with code 1000 and a 123-byte reason")
def _(c, opts):
    c.send_close(1000, b"*" * 123)
    c.closing = True
    expect_server_close(c, [1000])


@case("7.3.6", "close with a 124-byte reason (126-byte control frame) is a protocol error")
def _(c, opts):
    c.send_close(1000, b"*" * 124)
    c.closing = True
    expect_server_close(c, [1002], clean=False)


@case("7.5.1", "close reason that is not UTF-8")
def _(c, opts):
    c.send_close(1000, BAD)
    c.closing = True
    expect_server_close(c, [1007], clean=False)


def close_code_case(code, valid):
    def run(c, opts):
        c.send_close(code)
        c.closing = True
        if valid:
            expect_server_close(c, [code, 1000])
        else:
            expect_server_close(c, [1002], clean=False)
    return run


for i, code in enumerate([1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 3000, 3999, 4000, 4999], 1):
    add("7.7.%d" % i, "close with valid code %d" % code, close_code_case(code, True))
for i, code in enumerate([0, 999, 1004, 1005, 1006, 1016, 1100, 2000, 2999], 1):
    add("7.9.%d" % i, "close with invalid code %d" % code, close_code_case(code, False))
add("7.13.1", "close with code 5000", close_code_case(5000, False))
add("7.13.2", "close with code 65535", close_code_case(65535, False))


# Group 9: limits and performance (sizes cut down unless --full).
def register_group9(opts):
    KB, MB = 1024, 1 << 20
    sizes = [64 * KB, 256 * KB, 1 * MB] + ([4 * MB, 8 * MB, 16 * MB] if opts.full else [])
    big_timeout = max(opts.timeout, 60.0)
    for group, binary in (("9.1", False), ("9.2", True)):
        for i, n in enumerate(sizes, 1):
            payload = (b"\xfe" if binary else b"*") * n
            add("%s.%d" % (group, i), "%s message of %d bytes" % ("binary" if binary else "text", n),
                echo_case(payload, binary, timeout=big_timeout))
    total = 4 * MB if opts.full else 1 * MB
    frags = [64, 256, 1 * KB, 4 * KB, 16 * KB, 64 * KB, 256 * KB, 1 * MB, 4 * MB]
    for group, binary in (("9.3", False), ("9.4", True)):
        for i, fs in enumerate(frags, 1):
            if fs > total:
                continue
            payload = (b"\xfe" if binary else b"*") * total
            add("%s.%d" % (group, i), "%d-byte %s message in %d-byte fragments" % (total, "binary" if binary else "text", fs),
                echo_case(payload, binary, frag=fs, timeout=big_timeout))
    for group, binary in (("9.5", False), ("9.6", True)):
        for i, chop in enumerate([64, 128, 256, 512, 1024, 2048], 1):
            payload = (b"\xfe" if binary else b"*") * MB
            add("%s.%d" % (group, i), "1 MiB %s message sent in %d-byte chops" % ("binary" if binary else "text", chop),
                echo_case(payload, binary, chop=chop, timeout=big_timeout))

    def round_trips(n, binary, count=1000):
        def run(c, opts):
            payload = (b"\xfe" if binary else b"*") * n
            for _ in range(count):
                c.send(OP_BINARY if binary else OP_TEXT, payload)
                expect_echo(c, payload, binary)
            finish_normally(c)
        return run

    for group, binary in (("9.7", False), ("9.8", True)):
        for i, n in enumerate([0, 16, 64, 256, 1024, 4096], 1):
            add("%s.%d" % (group, i), "1000 %s messages of %d bytes, one at a time" % ("binary" if binary else "text", n),
                round_trips(n, binary))

    if opts.full:
        def many_fragments(c, opts):
            parts = [Conn.encode(OP_TEXT, b"a", fin=False)]
            parts += [Conn.encode(OP_CONT, b"a", fin=False)] * 65535
            parts.append(Conn.encode(OP_CONT, b"a"))
            c.raw(b"".join(parts))
            expect_echo(c, b"a" * 65537, False, timeout=big_timeout)
            finish_normally(c)
        add("9.9.1", "text message in 65,537 one-byte fragments", many_fragments)

    if opts.max_message_size is not None:
        n = opts.max_message_size + 1

        def too_big(c, opts):
            # The server refuses on the declared length: send the header and a little payload only.
            wire = Conn.encode(OP_BINARY, b"\x00" * n)
            c.raw(wire[:14 + 1024])
            expect_server_close(c, [1009], clean=False)
        add("9.10.1", "message one byte over the server's limit gets 1009 from its header", too_big)

        def frags_too_big(c, opts):
            half = n // 2 + 1
            c.raw(Conn.encode(OP_TEXT, b"*" * half, fin=False) + Conn.encode(OP_CONT, b"*" * half))
            expect_server_close(c, [1009], clean=False)
        add("9.10.2", "fragments that add up to more than the server's limit get 1009", frags_too_big)


# Group 10: the server may fragment what it echoes; the client reassembles.
@case("10.1.1", "65536-byte text sent in 1300-byte fragments, echoed (perhaps fragmented)")
def _(c, opts):
    payload = b"*" * 65536
    c.send_message(payload, False, frag=1300)
    expect_echo(c, payload, False)
    finish_normally(c)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/ws/echo/")
    ap.add_argument("--full", action="store_true", help="16 MiB messages and 65,537 fragments")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each answer")
    ap.add_argument("--max-message-size", type=int, default=None,
                    help="the server's message limit: bigger messages must get close 1009")
    ap.add_argument("--case", action="append", default=[],
                    help="run only cases whose id starts with this (repeatable), e.g. 6.4 or 7.")
    ap.add_argument("--strict", action="store_true", help="count NON-STRICT outcomes as failures")
    ap.add_argument("--deadline", type=float, default=1800.0, help="stop after this many seconds")
    opts = ap.parse_args()

    register_group9(opts)
    selected = [c for c in CASES if not opts.case or any(c[0] == p or c[0].startswith(p.rstrip(".") + ".") for p in opts.case)]
    started = time.monotonic()
    passed = failed = nonstrict = 0
    failures = []
    for cid, title, fn in selected:
        if time.monotonic() - started > opts.deadline:
            print("stopping: --deadline of %.0f s reached" % opts.deadline)
            failed += 1
            failures.append(("deadline", "not all cases ran"))
            break
        t0 = time.monotonic()
        conn = None
        try:
            if not cid.startswith("0."):
                conn = Conn(opts)
                conn.closing = False
            fn(conn, opts)
            outcome, detail = "PASS", ""
        except NonStrict as e:
            outcome, detail = ("FAIL" if opts.strict else "NON-STRICT"), str(e)
        except Fail as e:
            outcome, detail = "FAIL", str(e)
        except Timeout:
            outcome, detail = "FAIL", "timed out waiting for the server"
        except Closed as e:
            outcome, detail = "FAIL", "server %s the connection unexpectedly" % ("closed" if e.clean else "reset")
        except OSError as e:
            outcome, detail = "FAIL", "socket error: %s" % e
        finally:
            if conn is not None:
                conn.close()
        ms = (time.monotonic() - t0) * 1000
        line = "%-10s %-7s %-70s %7.0f ms" % (outcome, cid, title[:70], ms)
        if detail:
            line += "  -- " + detail
        print(line, flush=True)
        if outcome == "NON-STRICT":
            nonstrict += 1
        if outcome in ("PASS", "NON-STRICT"):
            passed += 1
        else:
            failed += 1
            failures.append((cid, detail))
    print()
    if nonstrict:
        print("%d of the passed cases were NON-STRICT (see above)" % nonstrict)
    for cid, detail in failures:
        print("failed: %s %s" % (cid, detail))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
