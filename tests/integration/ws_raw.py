"""A deliberately naive WebSocket peer on a raw socket, for what real clients refuse to do:
unmasked frames, bad close codes, never answering pings, never reading. Everything a well-behaved
client does is tested with python3-websockets and Node's ws instead."""

import base64
import os
import socket
import struct

OP_CONT, OP_TEXT, OP_BINARY, OP_CLOSE, OP_PING, OP_PONG = 0, 1, 2, 8, 9, 10


class RawWebsocket:
    def __init__(self, sock, host="127.0.0.1", path="/ws/echo/", headers=None):
        self.sock = sock
        self.buf = b""
        key = base64.b64encode(os.urandom(16)).decode()
        extra = "".join("%s: %s\r\n" % kv for kv in (headers or {}).items())
        request = ("GET %s HTTP/1.1\r\nHost: %s\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                   "Sec-WebSocket-Key: %s\r\nSec-WebSocket-Version: 13\r\n%s\r\n"
                   % (path, host, key, extra))
        sock.sendall(request.encode())
        head = self._read_until(b"\r\n\r\n")
        self.status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        if " 101 " not in self.status_line + " ":
            raise ConnectionError("handshake refused: " + self.status_line)

    def _read_until(self, marker):
        while marker not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise ConnectionError("closed during handshake")
            self.buf += chunk
        head, self.buf = self.buf.split(marker, 1)
        return head

    def _read_exact(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed")
            self.buf += chunk
        data, self.buf = self.buf[:n], self.buf[n:]
        return data

    def send_frame(self, opcode, payload=b"", fin=True, masked=True, rsv=0):
        first = (0x80 if fin else 0) | (rsv << 4) | opcode
        n = len(payload)
        mask_bit = 0x80 if masked else 0
        if n < 126:
            header = struct.pack("!BB", first, mask_bit | n)
        elif n < 65536:
            header = struct.pack("!BBH", first, mask_bit | 126, n)
        else:
            header = struct.pack("!BBQ", first, mask_bit | 127, n)
        if masked:
            key = os.urandom(4)
            payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload)) if n < 4096 else \
                _mask_fast(payload, key)
            header += key
        self.sock.sendall(header + payload)

    def send_close(self, code, reason=b""):
        self.send_frame(OP_CLOSE, struct.pack("!H", code) + reason)

    def read_frame(self):
        """(opcode, payload) of the next frame from the server; raises EOFError on EOF."""
        b1, b2 = self._read_exact(2)
        n = b2 & 0x7F
        if n == 126:
            n = struct.unpack("!H", self._read_exact(2))[0]
        elif n == 127:
            n = struct.unpack("!Q", self._read_exact(8))[0]
        if b2 & 0x80:
            raise AssertionError("server frames must not be masked (RFC 6455 §5.1)")
        return b1 & 0x0F, self._read_exact(n)

    def read_close_code(self):
        """Reads frames until a close frame; returns its code (1005 when it has none), or None if
        the connection ended without one."""
        try:
            while True:
                op, payload = self.read_frame()
                if op == OP_CLOSE:
                    return struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
        except (EOFError, ConnectionError, OSError):
            return None

    def read_until_close(self):
        """(code, how): how is "close" (code from the close frame), "eof" (the server closed the
        TCP connection with no close frame), "reset" or "timeout" (code None for those)."""
        frames = 0
        try:
            while True:
                op, payload = self.read_frame()
                frames += 1
                if op == OP_CLOSE:
                    return (struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005,
                            "close")
        except EOFError:
            return None, "eof after %d frames" % frames
        except socket.timeout:
            return None, "timeout after %d frames" % frames
        except OSError as e:
            return None, "%s after %d frames" % (e.__class__.__name__, frames)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def _mask_fast(payload, key):
    n = len(payload)
    k = int.from_bytes((key * (n // 4 + 1))[:n], "big")
    return (int.from_bytes(payload, "big") ^ k).to_bytes(n, "big")


def open_raw(server, path="/ws/echo/", rcvbuf=None, timeout=10.0, headers=None):
    if not rcvbuf:
        return RawWebsocket(server.connect(timeout), path=path, headers=headers)
    # A small receive buffer must be set before connect to shrink the advertised window.
    sock = socket.socket(socket.AF_INET6 if ":" in server.host else socket.AF_INET)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.settimeout(timeout)
    sock.connect((server.host, server.port))
    return RawWebsocket(sock, path=path, headers=headers)
