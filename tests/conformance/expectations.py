"""What a conformance case expects of the server after it sent something: an echo, a pong, a close
with given codes, and the TCP connection closed by the server (RFC 6455 §7.1.1).
"""

from conformance_client import (OP_BINARY, OP_CLOSE, OP_PONG, OP_TEXT, Closed, Fail, NonStrict,
                                Timeout, close_code)


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
