"""The raw WebSocket client of the conformance cases (tests/conformance/autobahn_like.py): the
opening handshake, a frame writer that can break every rule on purpose, and a frame reader with
deadlines. Sockets only, no third-party module.
"""

import base64
import hashlib
import os
import socket
import struct
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
