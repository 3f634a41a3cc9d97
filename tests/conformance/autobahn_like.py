#!/usr/bin/env python3
"""RFC 6455 conformance cases for a WebSocket echo endpoint, after the Autobahn|Testsuite.

Group 0 checks the refusals of the opening handshake (RFC 6455 §4.2.1, §4.4). Then it runs
cases modelled on Autobahn's server groups 1 (framing), 2 (pings and pongs), 3 (reserved
bits), 4 (opcodes), 5 (fragmentation), 6 (UTF-8), 7 (closing), 9 (limits and performance) and
10 (auto-fragmentation) against a running echo endpoint that echoes text as text and binary as
binary. Each case opens its own connection with raw sockets (no third-party module), checks the
echoed data, the close code, and that the server then closes the TCP connection itself.

    python3 tests/conformance/autobahn_like.py --host 127.0.0.1 --port 8000 --path /ws/echo/

By default the group 9 messages stop at 1 MiB; --full sends up to 16 MiB and 65,537 fragments,
so the server must allow them, e.g. `laurel serve --max-message-size 16M --max-outbound-bytes
64M` (an echo of 8 MiB is over laurel's default 4 MiB outbound bound and is closed with 1008).
--max-message-size N tells the script the server's limit: cases whose message is bigger then
expect close 1009 instead of an echo, and two cases check exactly that.

Outcomes: PASS, FAIL, and NON-STRICT where Autobahn would say so (the server failed the
connection before echoing a valid message that came before the bad frame); NON-STRICT counts as
passed unless --strict. Stricter than Autobahn on one point: the 6.4.x cases fail unless the
server closes with 1007 as soon as the invalid UTF-8 arrives (fail fast).

Prints one line per case and a summary; exits 1 if any case failed. The client is in
conformance_client.py, what a case expects in expectations.py, the cases in cases_*.py (one module
per group or groups).
"""

import argparse
import sys
import time

# The case groups add their cases to CASES on import, so the order of these imports is the order
# the cases run in; group 9 is added in main(), once the options say its sizes.
import cases_handshake  # noqa: F401  (group 0)
import cases_framing  # noqa: F401  (groups 1 to 4)
import cases_fragmentation  # noqa: F401  (group 5)
import cases_utf8  # noqa: F401  (group 6)
import cases_closing  # noqa: F401  (group 7)
from cases_limits import register_group9  # group 10 now, group 9 in main()
from case_registry import CASES
from conformance_client import Closed, Conn, Fail, NonStrict, Timeout


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--path", default="/ws/echo/")
    ap.add_argument("--full", action="store_true", help="16 MiB messages and 65,537 fragments")
    ap.add_argument("--timeout", type=float, default=5.0, help="seconds to wait for each answer")
    ap.add_argument("--max-message-size", type=int, default=None,
                    help="the server's message limit: bigger messages must get close 1009")
    ap.add_argument("--case", action="append", default=[],
                    help="run only cases whose id starts with this (repeatable), e.g. 6.4 or 7.")
    ap.add_argument("--strict", action="store_true", help="count NON-STRICT outcomes as failures")
    ap.add_argument("--deadline", type=float, default=1800.0, help="stop after this many seconds")
    opts = ap.parse_args()

    register_group9(opts)
    selected = [c for c in CASES if not opts.case or any(c[0] == p or c[0].startswith(p.rstrip(".") + ".") for p in opts.case)]
    started = time.monotonic()
    passed = failed = nonstrict = 0
    failures = []
    for cid, title, fn in selected:
        if time.monotonic() - started > opts.deadline:
            print("stopping: --deadline of %.0f s reached" % opts.deadline)
            failed += 1
            failures.append(("deadline", "not all cases ran"))
            break
        t0 = time.monotonic()
        conn = None
        try:
            if not cid.startswith("0."):
                conn = Conn(opts)
                conn.closing = False
            fn(conn, opts)
            outcome, detail = "PASS", ""
        except NonStrict as e:
            outcome, detail = ("FAIL" if opts.strict else "NON-STRICT"), str(e)
        except Fail as e:
            outcome, detail = "FAIL", str(e)
        except Timeout:
            outcome, detail = "FAIL", "timed out waiting for the server"
        except Closed as e:
            outcome, detail = "FAIL", "server %s the connection unexpectedly" % ("closed" if e.clean else "reset")
        except OSError as e:
            outcome, detail = "FAIL", "socket error: %s" % e
        finally:
            if conn is not None:
                conn.close()
        ms = (time.monotonic() - t0) * 1000
        line = "%-10s %-7s %-70s %7.0f ms" % (outcome, cid, title[:70], ms)
        if detail:
            line += "  -- " + detail
        print(line, flush=True)
        if outcome == "NON-STRICT":
            nonstrict += 1
        if outcome in ("PASS", "NON-STRICT"):
            passed += 1
        else:
            failed += 1
            failures.append((cid, detail))
    print()
    if nonstrict:
        print("%d of the passed cases were NON-STRICT (see above)" % nonstrict)
    for cid, detail in failures:
        print("failed: %s %s" % (cid, detail))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
