"""Autobahn's group 6: valid and invalid UTF-8 in text messages, whole and fragmented; invalid
UTF-8 must close with 1007 as soon as it arrives (fail fast).
"""

from case_registry import add, case
from conformance_client import OP_CLOSE, OP_CONT, OP_TEXT, Closed, Conn, Fail, Timeout, close_code
from expectations import (expect_clean_end, expect_echo, expect_protocol_error, expect_quiet,
                          finish_normally)


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
