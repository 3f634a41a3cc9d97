"""Autobahn's group 7: the close handshake, close payloads and close codes.
"""

from case_registry import add, case
from cases_utf8 import BAD
from conformance_client import OP_CLOSE, OP_CONT, OP_PING, OP_TEXT, Fail, close_code
from expectations import expect_clean_end, expect_echo, expect_server_close, finish_normally


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
