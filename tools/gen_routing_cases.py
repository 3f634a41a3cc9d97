#!/usr/bin/python3
"""Generate tests/reference/routing_cases.json by running Django Channels' own URLRouter.

laurel's URLRouter promises Channels' semantics (Django path()/re_path() matching, nested routers,
url_route args/kwargs, leading slash and root_path handling). This script builds the same route
tables with the real Channels and Django, routes every test path through them, and records what
the innermost application received. tests/asgi/url_router_test.cpp replays the file against laurel.

Needs only Debian packages: python3, python3-django, python3-django-channels.
Run from anywhere:  /usr/bin/python3 tools/gen_routing_cases.py
"""

import asyncio
import inspect
import json
import os
import sys
import uuid

import django
from django.conf import settings

settings.configure(DEBUG=False, ALLOWED_HOSTS=["*"], USE_TZ=True, INSTALLED_APPS=[])
django.setup()

import channels  # noqa: E402
from channels.routing import URLRouter  # noqa: E402
from django.urls import path, re_path  # noqa: E402
from django.urls.exceptions import Resolver404  # noqa: E402

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "reference",
                   "routing_cases.json")

# Route tables, in a JSON form the C++ test can rebuild: an entry is a path()/re_path() with either
# a leaf "target" or a nested "router" (a list of entries), an optional "name" and "defaults".
TABLES = {
    "tutorial": [
        {"kind": "re_path", "pattern": r"ws/chat/(?P<room_name>\w+)/$", "name": "chat",
         "target": "ChatConsumer"},
    ],
    "unanchored": [
        {"kind": "re_path", "pattern": r"chat/(?P<room>\w+)/", "target": "Search"},
        {"kind": "re_path", "pattern": r"^echo", "target": "Echo"},
        {"kind": "re_path", "pattern": r"(\d+)-(\d+)?", "target": "Positional"},
    ],
    "converters": [
        {"kind": "path", "pattern": "int/<int:id>/", "target": "Int"},
        {"kind": "path", "pattern": "str/<name>/", "target": "Str"},
        {"kind": "path", "pattern": "slug/<slug:s>/", "target": "Slug"},
        {"kind": "path", "pattern": "uuid/<uuid:u>/", "target": "Uuid"},
        {"kind": "path", "pattern": "path/<path:p>", "target": "Path"},
        {"kind": "path", "pattern": "multi/<int:a>/<str:b>/", "target": "Multi"},
        {"kind": "path", "pattern": "a.b/<int:x>", "target": "Dotted"},
        {"kind": "path", "pattern": "café/<str:x>/", "target": "Unicode"},
        {"kind": "path", "pattern": "", "target": "Root"},
    ],
    "nested": [
        {"kind": "path", "pattern": "api/", "router": [
            {"kind": "path", "pattern": "v<int:version>/", "router": [
                {"kind": "path", "pattern": "items/<int:id>/", "name": "item", "target": "Items"},
                {"kind": "re_path", "pattern": r"^users/(?P<name>[a-z]+)/$", "target": "Users"},
            ]},
            {"kind": "path", "pattern": "health/", "target": "Health"},
        ]},
        {"kind": "re_path", "pattern": r"^(\d+)/", "router": [
            {"kind": "re_path", "pattern": r"^(\w+)/$", "target": "Positional"},
        ]},
        {"kind": "re_path", "pattern": r"^(?P<tenant>[a-z]+)/", "router": [
            {"kind": "re_path", "pattern": r"^(?P<tenant>[0-9]+)/$", "target": "Override"},
        ]},
        {"kind": "path", "pattern": "api/fallback/", "target": "Fallback"},
    ],
    "anchors": [
        {"kind": "re_path", "pattern": r"^exact/$", "target": "Exact"},
        {"kind": "re_path", "pattern": r"^prefix/", "target": "Prefix"},
        {"kind": "re_path", "pattern": r"tail$", "target": "Tail"},
        {"kind": "re_path", "pattern": r"^z\Z", "target": "EndOnly"},
        {"kind": "re_path", "pattern": r"^opt/(?P<a>\d+)?/?$", "target": "Optional"},
        {"kind": "re_path", "pattern": r"^m/(\d+)/(?P<k>\w+)/$", "target": "Mixed"},
        {"kind": "re_path", "pattern": r"^d/(?P<n>\d+)/$", "target": "Digits"},
    ],
    "defaults": [
        {"kind": "path", "pattern": "d/<str:x>/", "defaults": {"x": "forced", "extra": 1},
         "target": "Defaults"},
    ],
}

UUID = "a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d"

# (table, path, root_path or None)
CASES = [
    ("tutorial", "/ws/chat/lobby/", None),
    ("tutorial", "ws/chat/lobby/", None),
    ("tutorial", "//ws/chat/lobby/", None),
    ("tutorial", "/ws/chat/lobby", None),
    ("tutorial", "/ws/chat/lobby/extra", None),
    ("tutorial", "/x/ws/chat/lobby/", None),
    ("tutorial", "/ws/chat/café/", None),
    ("tutorial", "/ws/chat/caf%C3%A9/", None),
    ("tutorial", "/ws/chat/a b/", None),
    ("tutorial", "/ws/chat//", None),
    ("tutorial", "/ws/chat/lobby/\n", None),
    ("tutorial", "/ws/chat/lobby/", "/prefix"),
    ("tutorial", "/prefix/ws/chat/lobby/", "/prefix"),
    ("tutorial", "/prefixws/chat/lobby/", "/prefix"),
    ("tutorial", "/prefix/ws/chat/lobby/", "/prefix/"),
    ("tutorial", "/ws/chat/lobby/", ""),
    ("unanchored", "/prefix/chat/x/tail", None),
    ("unanchored", "/echo/anything", None),
    ("unanchored", "/echoes", None),
    ("unanchored", "/x/echo", None),
    ("unanchored", "/12-", None),
    ("unanchored", "/a12-34b", None),
    ("unanchored", "/ab", None),
    ("converters", "/int/42/", None),
    ("converters", "/int/042/", None),
    ("converters", "/int/-1/", None),
    ("converters", "/int/4x/", None),
    ("converters", "/int/42", None),
    ("converters", "/int/٣/", None),
    ("converters", "/str/hello/", None),
    ("converters", "/str/hé llo/", None),
    ("converters", "/str/a/b/", None),
    ("converters", "/str/%2F/", None),
    ("converters", "/slug/a-b_c/", None),
    ("converters", "/slug/a.b/", None),
    ("converters", "/uuid/" + UUID + "/", None),
    ("converters", "/uuid/" + UUID.upper() + "/", None),
    ("converters", "/uuid/1234/", None),
    ("converters", "/path/a/b/c", None),
    ("converters", "/path/", None),
    ("converters", "/multi/1/x/", None),
    ("converters", "/a.b/1", None),
    ("converters", "/aXb/1", None),
    ("converters", "/café/crème/", None),
    ("converters", "/", None),
    ("converters", "", None),
    ("nested", "/api/v1/items/5/", None),
    ("nested", "/api/v2/users/bob/", None),
    ("nested", "/api/health/", None),
    ("nested", "/api/fallback/", None),
    ("nested", "/api/v1/items/x/", None),
    ("nested", "/api/v1/items/5/extra", None),
    ("nested", "/12/abc/", None),
    ("nested", "/12/abc/def/", None),
    ("nested", "/acme/42/", None),
    ("nested", "/prefix/api/health/", "/prefix"),
    ("anchors", "/exact/", None),
    ("anchors", "/exact/more", None),
    ("anchors", "/prefix/anything", None),
    ("anchors", "/xx/tail", None),
    ("anchors", "/tail\n", None),
    ("anchors", "/z", None),
    ("anchors", "/z\n", None),
    ("anchors", "/opt/", None),
    ("anchors", "/opt/7/", None),
    ("anchors", "/m/3/k/", None),
    ("anchors", "/d/٣٤/", None),
    ("anchors", "/d/x/", None),
    ("defaults", "/d/given/", None),
]


class Leaf:
    """An ASGI application that reports the scope it was called with."""

    def __init__(self, name):
        self.name = name

    async def __call__(self, scope, receive, send):
        raise Reached(self.name, scope)


class Reached(Exception):
    def __init__(self, name, scope):
        super().__init__(name)
        self.name = name
        self.scope = scope


def build(entries):
    routes = []
    for e in entries:
        app = URLRouter(build(e["router"])) if "router" in e else Leaf(e["target"])
        make = path if e["kind"] == "path" else re_path
        routes.append(make(e["pattern"], app, kwargs=e.get("defaults"), name=e.get("name")))
    return routes


def plain(value):
    """url_route values as JSON: tuples as lists, UUIDs as their canonical text."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    return value


def handles_root_path():
    return "root_path" in inspect.getsource(URLRouter.__call__)


def route(table, path_, root_path):
    router = URLRouter(build(TABLES[table]))
    scope = {"type": "websocket", "path": path_}
    if root_path is not None:
        scope["root_path"] = root_path
        if not handles_root_path():
            # Channels before 4.1 ignored root_path. laurel follows Channels >= 4.1 (django/channels
            # PR #1954): the outermost router routes only paths under root_path, with it removed.
            if root_path and not path_.startswith(root_path):
                return None
            scope = dict(scope, path=path_[len(root_path):])
    try:
        asyncio.run(router(scope, None, None))
    except Reached as reached:
        url_route = reached.scope["url_route"]
        return {
            "target": reached.name,
            "args": plain(url_route["args"]),
            "kwargs": plain(url_route["kwargs"]),
            "path_remaining": reached.scope["path_remaining"],
        }
    except (ValueError, Resolver404):
        return None
    raise AssertionError("router returned without reaching an application")


def main():
    cases = []
    for table, path_, root_path in CASES:
        case = {"table": table, "type": "websocket", "path": path_}
        if root_path is not None:
            case["root_path"] = root_path
        case["match"] = route(table, path_, root_path)
        cases.append(case)
    doc = {
        "generated_by": "tools/gen_routing_cases.py (runs Django Channels' URLRouter)",
        "channels_version": channels.__version__,
        "django_version": django.get_version(),
        "root_path": ("handled by the installed Channels" if handles_root_path() else
                      "installed Channels predates root_path handling; the script applies "
                      "Channels >= 4.1's rule (strip root_path, refuse paths outside it)"),
        "tables": TABLES,
        "cases": cases,
    }
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(doc, f, ensure_ascii=False, indent=1, sort_keys=False)
        f.write("\n")
    matched = sum(1 for c in cases if c["match"])
    print(f"wrote {os.path.normpath(OUT)}: {len(cases)} cases, {matched} matched", file=sys.stderr)


if __name__ == "__main__":
    main()
