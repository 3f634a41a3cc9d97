#!/usr/bin/python3
"""laurel's Redis channel layer against the real channels_redis (Debian python3-channels-redis).

Usage: channels_redis_interop.py REDIS_URL [--probe PATH] [--prefix PREFIX]

PATH is the laurel-layer-probe binary (default: $LAUREL_LAYER_PROBE). Each check prints
PASS or FAIL; the exit status is non-zero when any check fails. Checks both directions:
a Python group_send reaches laurel, laurel's group_send reaches Python's receive(), Python's
send() to a laurel process-specific channel arrives, laurel's send() reaches a Python specific
channel and a general channel. Then the same with `symmetric_encryption_keys` on both sides (a
Python layer configured with two secrets, laurel with the same two in a key file in the other
order, so each side encrypts with a key the other holds second: rotation both ways), and Redis
holds only Fernet tokens. Needs python3-channels-redis, python3-redis and python3-cryptography.
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import uuid

from channels_redis.core import RedisChannelLayer

MESSAGE = {
    "type": "interop.message",
    "text": "h\u00e9llo \u2713",
    "raw": b"\x00\x01\xff",
    "numbers": [0, 1, -33, 65536, 2**40, 1.5, None, True, False],
    "nested": {"k": ["v", {"x": 1}]},
}


def to_json(value):
    """Python message -> the probe's JSON form (bytes as {"$bytes_hex": ...})."""
    if isinstance(value, bytes):
        return {"$bytes_hex": value.hex()}
    if isinstance(value, (list, tuple)):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {k: to_json(v) for k, v in value.items()}
    return value


class Probe:
    """A laurel-layer-probe child that prints JSON lines."""

    def __init__(self, path, url, prefix, *args, extra=()):
        self.proc = subprocess.Popen(
            [path, url, "--prefix", prefix, *extra, *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    async def line(self, timeout=15):
        text = await asyncio.wait_for(
            asyncio.get_running_loop().run_in_executor(None, self.proc.stdout.readline), timeout
        )
        if not text:
            raise RuntimeError("probe exited: " + self.proc.stderr.read())
        event = json.loads(text)
        if event.get("event") == "error":
            raise RuntimeError("probe error: " + event["error"])
        return event

    def finish(self, timeout=15):
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        return self.proc.returncode


async def run_probe(path, url, prefix, *args, extra=()):
    proc = await asyncio.create_subprocess_exec(
        path, url, "--prefix", prefix, *extra, *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 20)
    events = [json.loads(line) for line in out.decode().splitlines() if line.strip()]
    if proc.returncode != 0 or not any(e.get("event") == "sent" for e in events):
        raise RuntimeError(f"probe failed ({proc.returncode}): {out.decode()} {err.decode()}")


async def python_group_send_reaches_laurel(layer, args):
    group = "interop_" + uuid.uuid4().hex[:12]
    probe = Probe(args.probe, args.url, args.prefix, "listen-group", group, "1",
                  extra=args.probe_args)
    try:
        ready = await probe.line()
        assert ready["event"] == "ready", ready
        await layer.group_send(group, MESSAGE)
        got = await probe.line()
        assert got["event"] == "message", got
        assert got["message"] == to_json(MESSAGE), got["message"]
    finally:
        probe.finish()


async def laurel_group_send_reaches_python(layer, args):
    group = "interop_" + uuid.uuid4().hex[:12]
    channel = await layer.new_channel()
    await layer.group_add(group, channel)
    await run_probe(args.probe, args.url, args.prefix, "group-send", group,
                    json.dumps(to_json(MESSAGE)), extra=args.probe_args)
    got = await asyncio.wait_for(layer.receive(channel), 10)
    assert got == MESSAGE, got
    await layer.group_discard(group, channel)


async def python_send_reaches_laurel_specific_channel(layer, args):
    probe = Probe(args.probe, args.url, args.prefix, "listen-channel", "2", extra=args.probe_args)
    try:
        ready = await probe.line()
        channel = ready["channel"]
        assert "!" in channel, channel
        await layer.send(channel, MESSAGE)
        await layer.send(channel, {"type": "second", "n": 2})
        first, second = await probe.line(), await probe.line()
        assert first["message"] == to_json(MESSAGE), first
        assert second["message"] == {"type": "second", "n": 2}, second
    finally:
        probe.finish()


async def laurel_send_reaches_python_specific_channel(layer, args):
    channel = await layer.new_channel()
    await run_probe(args.probe, args.url, args.prefix, "send", channel,
                    json.dumps(to_json(MESSAGE)), extra=args.probe_args)
    got = await asyncio.wait_for(layer.receive(channel), 10)
    assert got == MESSAGE, got


async def laurel_send_reaches_python_general_channel(layer, args):
    channel = "interop.general." + uuid.uuid4().hex[:8]
    await run_probe(args.probe, args.url, args.prefix, "send", channel,
                    json.dumps(to_json(MESSAGE)), extra=args.probe_args)
    got = await asyncio.wait_for(layer.receive(channel), 10)
    assert got == MESSAGE, got


async def encrypted_stores_only_fernet_tokens(layer, args):
    """laurel's send on an encrypted layer: the stored member is 12 bytes + a Fernet token that
    Python's MultiFernet (channels_redis's own code path) opens, then Python receives it."""
    import redis.asyncio as aioredis

    channel = "interop.sealed." + uuid.uuid4().hex[:8]
    await run_probe(args.probe, args.url, args.prefix, "send", channel,
                    json.dumps(to_json(MESSAGE)), extra=args.probe_args)
    client = aioredis.from_url(args.url)
    try:
        members = await client.zrange(args.prefix + channel, 0, -1)
    finally:
        await client.close()
    assert len(members) == 1, members
    token = members[0][12:]
    assert token.startswith(b"gAAAAA"), members[0][:40]
    assert b"interop.message" not in members[0], "message stored in clear"
    got = await asyncio.wait_for(layer.receive(channel), 10)
    assert got == MESSAGE, got


CHECKS = [
    python_group_send_reaches_laurel,
    laurel_group_send_reaches_python,
    python_send_reaches_laurel_specific_channel,
    laurel_send_reaches_python_specific_channel,
    laurel_send_reaches_python_general_channel,
]
ENCRYPTED_CHECKS = CHECKS + [encrypted_stores_only_fernet_tokens]

# Python encrypts with the first, laurel with the first line of its key file.
PYTHON_KEYS = ["laurel-interop-key-new", "laurel-interop-key-old"]
LAUREL_KEYS = ["laurel-interop-key-old", "laurel-interop-key-new"]


async def run_checks(layer, args, checks, label):
    failed = 0
    for check in checks:
        try:
            await asyncio.wait_for(check(layer, args), 30)
            print(f"PASS {label}{check.__name__}")
        except Exception as error:  # noqa: BLE001 - report every failure and go on
            failed += 1
            print(f"FAIL {label}{check.__name__}: {type(error).__name__}: {error}")
        sys.stdout.flush()
    await layer.close_pools()
    return failed


async def main(args):
    failed = await run_checks(RedisChannelLayer(hosts=[args.url], prefix=args.prefix), args,
                              CHECKS, "")
    total = len(CHECKS)
    try:
        import cryptography  # noqa: F401 - channels_redis imports it lazily for encryption
    except ImportError:
        print("FAIL encrypted: python3-cryptography is not installed (apt-get install "
              "python3-cryptography)")
        return failed + 1
    with tempfile.NamedTemporaryFile("w", suffix=".keys", delete=False) as key_file:
        key_file.write("# laurel channel layer keys, first encrypts\n")
        key_file.write("\n".join(LAUREL_KEYS) + "\n")
    try:
        encrypted_args = argparse.Namespace(**vars(args))
        encrypted_args.prefix = args.prefix + "enc"
        encrypted_args.probe_args = ["--key-file", key_file.name]
        layer = RedisChannelLayer(hosts=[args.url], prefix=encrypted_args.prefix,
                                  symmetric_encryption_keys=PYTHON_KEYS)
        failed += await run_checks(layer, encrypted_args, ENCRYPTED_CHECKS, "encrypted ")
        total += len(ENCRYPTED_CHECKS)
    finally:
        os.unlink(key_file.name)
    print(f"{total - failed} passed, {failed} failed")
    return failed


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--probe", default=os.environ.get("LAUREL_LAYER_PROBE"))
    parser.add_argument("--prefix", default="asgi")
    parsed = parser.parse_args()
    parsed.probe_args = []
    if not parsed.probe or not os.access(parsed.probe, os.X_OK):
        print("FAIL setup: pass --probe PATH to laurel-layer-probe (or set LAUREL_LAYER_PROBE)")
        sys.exit(2)
    sys.exit(1 if asyncio.run(main(parsed)) else 0)
