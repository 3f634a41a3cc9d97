"""Autobahn's groups 1 (framing), 2 (pings and pongs), 3 (reserved bits) and 4 (opcodes).
"""

from case_registry import add, case, echo_case
from conformance_client import OP_BINARY, OP_CLOSE, OP_PING, OP_PONG, OP_TEXT, Conn
from expectations import (echo_then_error, expect_pong, expect_protocol_error, expect_quiet,
                          finish_normally)


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
