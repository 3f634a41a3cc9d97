"""The list of conformance cases, in the order they run, and the echo case most groups are made of.
The cases_*.py modules add theirs when imported.
"""

from expectations import expect_echo, expect_server_close, finish_normally


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
