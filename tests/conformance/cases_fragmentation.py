"""Autobahn's group 5: fragmented messages, control frames between fragments, stray continuations.
"""

import time

from case_registry import add, case
from conformance_client import OP_CONT, OP_PING, OP_PONG, OP_TEXT, Conn
from expectations import (echo_then_error, expect_echo, expect_pong, expect_protocol_error,
                          finish_normally)


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
