"""Autobahn's groups 9 (limits and performance, sizes cut down unless --full; registered once the
options are known) and 10 (the server may fragment what it echoes).
"""

from case_registry import add, case, echo_case
from conformance_client import OP_BINARY, OP_CONT, OP_TEXT, Conn
from expectations import expect_echo, expect_server_close, finish_normally


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
