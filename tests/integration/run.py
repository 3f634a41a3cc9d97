#!/usr/bin/python3
"""laurel's integration tests: the real binary (the sanitizer build) on loopback, driven by
clients nobody here wrote: python3-websockets, Node's ws, curl, and CPython's http.client. A raw
socket stands in only for what a well-behaved client refuses to send.

    /usr/bin/python3 tests/integration/run.py --binary build/asan/examples/chat/laurel-chat
    /usr/bin/python3 tests/integration/run.py --binary ... -k Slowloris   # a subset

Every scenario ends by checking that the server still serves another client; every server is
stopped with SIGTERM and must exit 0 with no sanitizer report on stderr. The scenarios are in
the test_*.py files beside this one (test_websocket.py, test_http.py, test_serving.py, ...);
server_case.py holds the server most of them share.
"""

import argparse
import importlib
import os
import sys
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import server_case  # noqa: E402

BINARY = None  # set from --binary


def main():
    global BINARY
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "asan", "examples",
                                                         "chat", "laurel-chat"))
    parser.add_argument("--summary", help="write '<passed> <failed>' here")
    parser.add_argument("-k", dest="pattern", help="only tests whose id contains this")
    parser.add_argument("-v", dest="verbose", action="store_true")
    args = parser.parse_args()
    BINARY = os.path.abspath(args.binary)
    if not os.access(BINARY, os.X_OK):
        print("integration: no binary at %s (build it first)" % BINARY, file=sys.stderr)
        if args.summary:
            with open(args.summary, "w") as f:
                f.write("0 1\n")
        print("integration: 0 passed, 1 failed")
        return 1

    # The scenarios live in tests/integration/test_*.py; each module gets the binary as BINARY,
    # and so does server_case.py, which starts the server most of them share.
    server_case.BINARY = BINARY
    suite = unittest.TestSuite()
    for name in sorted(os.listdir(HERE)):
        if name.startswith("test_") and name.endswith(".py"):
            module = importlib.import_module(name[:-3])
            module.BINARY = BINARY
            suite.addTests(unittest.defaultTestLoader.loadTestsFromModule(module))
    if args.pattern:
        def flatten(s):
            for t in s:
                if isinstance(t, unittest.TestSuite):
                    yield from flatten(t)
                else:
                    yield t
        suite = unittest.TestSuite(t for t in flatten(suite) if args.pattern in t.id())
    runner = unittest.TextTestRunner(verbosity=2)
    started = time.monotonic()
    result = runner.run(suite)
    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    passed = result.testsRun - failed - len(result.skipped)
    if args.summary:
        with open(args.summary, "w") as f:
            f.write("%d %d\n" % (passed, failed))
    print("integration tests took %.0fs; %d skipped" % (time.monotonic() - started,
                                                          len(result.skipped)))
    print("integration: %d passed, %d failed" % (passed, failed))
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
