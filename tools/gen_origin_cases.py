#!/usr/bin/python3
"""Regenerates tests/reference/origin_cases.json from Django Channels' own OriginValidator.

Each case is (allowed patterns, Origin header or None) with Channels' verdict, so laurel's
OriginValidator can be checked against the real thing. Run with Debian's python3 and
python3-django-channels installed: /usr/bin/python3 tools/gen_origin_cases.py
"""
import json
import os
import sys
from urllib.parse import urlparse

import django
from django.conf import settings

settings.configure(ALLOWED_HOSTS=[], DEBUG=False)
django.setup()

from channels.security.websocket import OriginValidator  # noqa: E402

PATTERNS = [
    ["*"],
    ["example.com"],
    [".example.com"],
    ["http://example.com"],
    ["https://example.com"],
    ["http://example.com:8000"],
    ["https://.example.com:8443"],
    ["localhost", "127.0.0.1", "[::1]"],
    ["http://localhost:8000", "http://127.0.0.1:8000"],
    ["EXAMPLE.com"],
    [],
]
ORIGINS = [
    None,
    "http://example.com",
    "https://example.com",
    "http://example.com:80",
    "http://example.com:8000",
    "https://example.com:443",
    "https://example.com:8443",
    "http://sub.example.com",
    "https://a.b.example.com:8443",
    "http://evil-example.com",
    "http://example.com.evil.com",
    "http://EXAMPLE.COM",
    "http://localhost:8000",
    "http://127.0.0.1:8000",
    "http://[::1]:8000",
    "null",
    "",
    "example.com",
    "file://",
    "http://user@example.com",
    "ws://example.com",
    "http://example.com:99999",
]


def verdict(patterns, origin):
    validator = OriginValidator(None, patterns)
    parsed = None if origin is None else urlparse(origin)
    try:
        return validator.valid_origin(parsed)
    except ValueError:  # Python raises on an out-of-range port: a refusal
        return False


cases = [
    {"allowed": p, "origin": o, "allowed_by_channels": verdict(p, o)}
    for p in PATTERNS
    for o in ORIGINS
]
out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference",
                   "origin_cases.json")
with open(out, "w") as f:
    json.dump(cases, f, indent=1)
    f.write("\n")
print(f"wrote {len(cases)} cases to {os.path.normpath(out)}", file=sys.stderr)
