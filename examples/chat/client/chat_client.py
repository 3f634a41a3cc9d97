#!/usr/bin/python3
"""A terminal client for the laurel chat demo, written the way a native app talks to laurel.

It logs in with POST /auth/token (the password comes from $LAUREL_CHAT_PASSWORD, one line of stdin
with --password-stdin, or a prompt: never the command line), opens /ws/chat/<room>/ with
`Authorization: Bearer <access>` and no Origin header, prints every message of the room as
`user: message`, and sends each line typed. When the connection drops it reconnects with
exponential backoff and jitter; when the server says the access token expired (close 4408, or a
401 whose WWW-Authenticate says error="invalid_token" ... expired) it refreshes the token pair with
POST /auth/refresh and reconnects; when the session is revoked (close 4401, e.g. the user logged
out elsewhere) or forbidden (4403) it stops.

    /usr/bin/python3 examples/chat/client/chat_client.py --username demo --room lobby

Needs Debian's python3-websockets (10.x). For scripted use: --send TEXT (repeatable) sends once
connected, --expect N exits 0 after N messages were received, --once does not reconnect,
--timeout S gives up after S seconds, --no-input ignores stdin.

Exit status: 0 done, 1 error or timeout, 2 usage, 3 session ended (log in again), 4 forbidden.
"""

import argparse
import asyncio
import getpass
import json
import os
import random
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

import websockets
import websockets.exceptions

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_SESSION_ENDED, EXIT_FORBIDDEN = 0, 1, 2, 3, 4
CLOSE_UNAUTHORIZED, CLOSE_FORBIDDEN, CLOSE_TOKEN_EXPIRED = 4401, 4403, 4408
# Refresh an access token this close to expiry before using it: 30 s, or a quarter of the
# token's lifetime when the server issues short-lived ones.
REFRESH_MARGIN = 30.0
BACKOFF_FIRST, BACKOFF_CAP = 0.5, 8.0


class Stop(Exception):
    """Ends the client with an exit status and a last line for the user."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


class Unreachable(Exception):
    """The server did not answer (down, restarting): try again later."""


def say(line):
    print(line, flush=True)


def note(line):
    print("* " + line, flush=True)


class Session:
    """The token pair of one login, and the HTTP calls that obtain and rotate it."""

    def __init__(self, base_url):
        self.base_url = base_url.rstrip("/")
        self.access = None
        self.refresh_token = None
        self.expires_at = 0.0
        self.refresh_margin = REFRESH_MARGIN
        self.username = None

    def _post(self, path, fields):
        request = urllib.request.Request(
            self.base_url + path, data=json.dumps(fields).encode(), method="POST",
            headers={"Content-Type": "application/json", "Accept": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as e:
            try:
                body = json.loads(e.read() or b"{}")
            except ValueError:
                body = {}
            return e.code, body
        except (urllib.error.URLError, OSError) as e:
            raise Unreachable(str(getattr(e, "reason", e))) from None

    def _take(self, body):
        self.access = body["access"]
        self.refresh_token = body.get("refresh")
        lifetime = float(body.get("expires_in", 300))
        self.expires_at = time.monotonic() + lifetime
        self.refresh_margin = min(REFRESH_MARGIN, lifetime / 4)

    def login(self, username, password):
        status, body = self._post("/auth/token", {"username": username, "password": password})
        if status == 200:
            self.username = username
            self._take(body)
            return
        if status == 401:
            raise Stop(EXIT_SESSION_ENDED, "wrong username or password")
        if status == 429:
            raise Unreachable("too many login attempts")
        raise Stop(EXIT_ERROR, "login failed: HTTP %d %s" % (status, body.get("error", "")))

    def refresh(self):
        if not self.refresh_token:
            raise Stop(EXIT_SESSION_ENDED, "the access token expired and there is no refresh token")
        status, body = self._post("/auth/refresh", {"refresh": self.refresh_token})
        if status == 200:
            self._take(body)
            note("token refreshed")
            return
        if status in (400, 401):
            raise Stop(EXIT_SESSION_ENDED, "the session ended (%s): log in again"
                       % body.get("error", status))
        raise Unreachable("refresh answered HTTP %d" % status)

    def fresh_access(self):
        if time.monotonic() > self.expires_at - self.refresh_margin:
            self.refresh()
        return self.access


class Backoff:
    """Exponential backoff with jitter: the ceiling doubles per failure up to BACKOFF_CAP, the
    wait is drawn from its upper half so that clients dropped together spread out."""

    def __init__(self):
        self.failures = 0

    def reset(self):
        self.failures = 0

    def next_delay(self):
        ceiling = min(BACKOFF_CAP, BACKOFF_FIRST * (2 ** min(self.failures, 10)))
        self.failures += 1
        return ceiling / 2 + random.random() * ceiling / 2


def ws_url(base_url, room):
    parts = urllib.parse.urlsplit(base_url)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return "%s://%s/ws/chat/%s/" % (scheme, parts.netloc, urllib.parse.quote(room))


def expired_token_refusal(error):
    """A handshake refused because the access token expired (RFC 6750 error="invalid_token")."""
    if error.status_code != 401:
        return False
    challenge = error.headers.get("WWW-Authenticate", "") if error.headers else ""
    return 'error="invalid_token"' in challenge and "expired" in challenge.lower()


class ChatClient:
    def __init__(self, args, session, lines):
        self.args = args
        self.session = session
        self.lines = lines            # asyncio.Queue of typed lines (None at end of input)
        self.pending = list(args.send)  # --send messages not yet handed to a socket
        self.received = 0
        self.url = ws_url(args.url, args.room)
        self.backoff = Backoff()
        self.input_closed = False

    def done(self):
        if self.args.expect is not None:
            return self.received >= self.args.expect
        return self.input_closed and not self.pending

    async def run(self):
        refresh_first = False
        while True:
            try:
                if refresh_first:
                    refresh_first = False
                    self.session.refresh()
                await self.connect_once()
            except TokenExpired:
                refresh_first = True
                continue  # refresh, then reconnect at once
            except websockets.exceptions.InvalidStatusCode as e:
                if expired_token_refusal(e):
                    refresh_first = True
                    continue
                if e.status_code == 401:
                    raise Stop(EXIT_SESSION_ENDED, "the server refused the token (401): log in again")
                if e.status_code == 403:
                    raise Stop(EXIT_FORBIDDEN, "the server refused the connection (403)")
                reason = "handshake answered HTTP %d" % e.status_code
            except (Unreachable, Dropped) as e:
                reason = str(e)
            except (OSError, asyncio.TimeoutError, websockets.exceptions.WebSocketException) as e:
                reason = str(e) or type(e).__name__
            else:
                return  # finished (input ended or --expect reached)
            if self.args.once:
                raise Stop(EXIT_ERROR, "connection lost (%s); --once: not reconnecting" % reason)
            delay = self.backoff.next_delay()
            note("disconnected (%s): reconnecting in %.1f s" % (reason, delay))
            await asyncio.sleep(delay)

    async def connect_once(self):
        access = self.session.fresh_access()
        async with websockets.connect(
                self.url, extra_headers={"Authorization": "Bearer " + access},
                origin=None, open_timeout=10, close_timeout=5) as ws:
            self.backoff.reset()
            note("connected to room %s as %s" % (self.args.room, self.session.username))
            sender = asyncio.ensure_future(self.send_loop(ws))
            try:
                async for frame in ws:
                    self.show(frame)
                    if self.done():
                        await ws.close()
                        return
            except websockets.exceptions.ConnectionClosed:
                pass  # the close code below says what to do
            finally:
                sender.cancel()
            code = ws.close_code
            if self.done():
                return
            if code == CLOSE_UNAUTHORIZED:
                raise Stop(EXIT_SESSION_ENDED, "the session was revoked (4401): log in again")
            if code == CLOSE_FORBIDDEN:
                raise Stop(EXIT_FORBIDDEN, "the server closed the room to this user (4403)")
            if code == CLOSE_TOKEN_EXPIRED:
                raise TokenExpired()
            raise Dropped("closed with code %s" % code)

    def show(self, frame):
        try:
            data = json.loads(frame)
        except (TypeError, ValueError):
            return
        if not isinstance(data, dict) or not isinstance(data.get("message"), str):
            return
        self.received += 1
        say("%s: %s" % (data.get("user") or "(anonymous)", data["message"]))

    async def send_loop(self, ws):
        while self.pending:
            await ws.send(json.dumps({"message": self.pending[0]}))
            self.pending.pop(0)
        if self.done():
            await ws.close()
            return
        while not self.input_closed:
            line = await self.lines.get()
            if line is None:
                self.input_closed = True
                if self.done():
                    await ws.close()
                return
            self.pending.append(line)
            while self.pending:
                await ws.send(json.dumps({"message": self.pending[0]}))
                self.pending.pop(0)


class TokenExpired(Exception):
    """The server closed the socket with 4408: refresh the token pair, then reconnect."""


class Dropped(Exception):
    """The connection ended for a reason that reconnecting may cure."""


def start_reading_input(loop, queue, enabled):
    """Typed lines go to `queue`; None marks the end of input. A thread reads them, since stdin
    may be a file or /dev/null, which an event loop cannot watch."""
    if not enabled:
        return

    def read_lines():
        for line in sys.stdin:
            line = line.rstrip("\r\n")
            if line:
                loop.call_soon_threadsafe(queue.put_nowait, line)
        loop.call_soon_threadsafe(queue.put_nowait, None)

    threading.Thread(target=read_lines, name="stdin", daemon=True).start()


def read_password(args):
    env = os.environ.get("LAUREL_CHAT_PASSWORD")
    if env:
        return env
    if args.password_stdin:
        line = sys.stdin.readline()
        if not line:
            raise Stop(EXIT_USAGE, "--password-stdin: no password on stdin")
        return line.rstrip("\r\n")
    return getpass.getpass("password for %s: " % args.username)


async def login_with_retries(session, username, password, deadline_note):
    backoff = Backoff()
    while True:
        try:
            session.login(username, password)
            return
        except Unreachable as e:
            delay = backoff.next_delay()
            note("cannot log in (%s): retrying in %.1f s%s" % (e, delay, deadline_note))
            await asyncio.sleep(delay)


async def main_async(args):
    password = read_password(args)
    session = Session(args.url)
    await login_with_retries(session, args.username, password, "")
    del password  # the token pair is all the client keeps
    queue = asyncio.Queue()
    start_reading_input(asyncio.get_running_loop(), queue, not args.no_input)
    client = ChatClient(args, session, queue)
    if args.no_input:
        client.input_closed = True
    await client.run()


def parse_args(argv):
    parser = argparse.ArgumentParser(
        description="Chat in a laurel demo room from the terminal (token login, Bearer socket).")
    parser.add_argument("--url", default=os.environ.get("LAUREL_CHAT_URL", "http://127.0.0.1:8000"),
                        help="the server's base URL (default %(default)s)")
    parser.add_argument("--room", default="lobby", help="the room to join (default %(default)s)")
    parser.add_argument("--username", default=os.environ.get("LAUREL_CHAT_USER", "demo"),
                        help="default $LAUREL_CHAT_USER or demo")
    parser.add_argument("--password-stdin", action="store_true",
                        help="read the password from the first line of stdin "
                             "(else $LAUREL_CHAT_PASSWORD, else a prompt)")
    parser.add_argument("--send", action="append", default=[], metavar="TEXT",
                        help="send TEXT once connected (repeatable)")
    parser.add_argument("--expect", type=int, metavar="N",
                        help="exit 0 once N messages were received")
    parser.add_argument("--once", action="store_true", help="do not reconnect")
    parser.add_argument("--no-input", action="store_true", help="do not read messages from stdin")
    parser.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds")
    args = parser.parse_args(argv)
    if not all(c.isalnum() or c == "_" for c in args.room) or not args.room:
        parser.error("a room name is letters, digits and underscores")
    if args.expect is not None and args.expect < 0:
        parser.error("--expect needs N >= 0")
    return args


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.timeout:
            asyncio.run(asyncio.wait_for(main_async(args), args.timeout))
        else:
            asyncio.run(main_async(args))
    except Stop as e:
        note(str(e))
        return e.status
    except asyncio.TimeoutError:
        note("timed out after %.0f s" % args.timeout)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
