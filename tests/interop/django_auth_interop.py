#!/usr/bin/python3
"""Django <-> laurel auth interop: users, password hashes and sessions cross both ways.

Needs Debian's python3-django and a built `auth_tests` binary. Usage:

    tests/interop/django_auth_interop.py [path/to/auth_tests]

(or LAUREL_AUTH_TESTS=path). Without one, the newest build/*/auth_tests is used.

1. Django's migrate makes a db.sqlite3 in a temp dir; Django creates a user (create_user) and a
   logged-in session (SessionStore with the keys login() writes).
2. laurel (auth_tests --gtest_filter=DjangoInterop.*) verifies that password and decodes that
   session, then creates its own user (pbkdf2_sha256) and session in the same file.
3. Django loads laurel's session (SessionStore(key).load()), resolves it to the user with
   django.contrib.auth.get_user, and authenticates laurel's user with its password.
Prints PASS/FAIL per check and exits non-zero on any failure.
"""
import glob
import json
import os
import subprocess
import sys
import tempfile

SECRET_KEY = "laurel-interop-secret-key-not-for-production"
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

failures = 0


def check(name, ok, detail=""):
    global failures
    print(("PASS" if ok else "FAIL") + ": " + name + (("  (" + str(detail) + ")") if detail and not ok else ""))
    if not ok:
        failures += 1


def find_binary():
    if len(sys.argv) > 1:
        return sys.argv[1]
    if os.environ.get("LAUREL_AUTH_TESTS"):
        return os.environ["LAUREL_AUTH_TESTS"]
    found = glob.glob(os.path.join(REPO, "build", "*", "tests", "auth_tests"))
    found += glob.glob(os.path.join(REPO, "build", "tests", "auth_tests"))
    if not found:
        sys.exit("FAIL: no auth_tests binary; build it (ninja auth_tests) or pass its path")
    return max(found, key=os.path.getmtime)


def main():
    binary = find_binary()
    tmp = tempfile.mkdtemp(prefix="laurel-interop-")
    db = os.path.join(tmp, "db.sqlite3")
    fresh_db = os.path.join(tmp, "laurel-made.sqlite3")

    import django
    from django.conf import settings

    settings.configure(
        SECRET_KEY=SECRET_KEY,
        USE_TZ=True,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                        "django.contrib.sessions"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db},
                   "laurel": {"ENGINE": "django.db.backends.sqlite3", "NAME": fresh_db}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()
    from django.contrib.auth import hashers
    from django.contrib.auth import (BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY,
                                     authenticate, get_user, get_user_model)
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.http import HttpRequest

    call_command("migrate", verbosity=0, interactive=False)
    User = get_user_model()

    # 1. Django-made user and session.
    password = "django-made p\u00e4ssword"
    alice = User.objects.create_user("django_alice", "alice@example.com", password)
    session = SessionStore()
    session[SESSION_KEY] = str(alice.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = alice.get_session_auth_hash()
    session["laurel_probe"] = "set by django"
    session.create()

    # 2. laurel checks Django's, and makes its own.
    out_path = os.path.join(tmp, "laurel-out.json")
    env = dict(os.environ,
               LAUREL_INTEROP_DB=db, LAUREL_INTEROP_SECRET=SECRET_KEY,
               LAUREL_INTEROP_USERNAME=alice.username, LAUREL_INTEROP_PASSWORD=password,
               LAUREL_INTEROP_SESSION_KEY=session.session_key, LAUREL_INTEROP_OUT=out_path,
               LAUREL_INTEROP_FRESH_DB=fresh_db)
    run = subprocess.run([binary, "--gtest_filter=DjangoInterop.*", "--gtest_brief=1"], env=env,
                         capture_output=True, text=True, timeout=600)
    ran_both = "[  PASSED  ] 3 tests" in run.stdout and "SKIPPED" not in run.stdout
    check("laurel accepts Django's password hash and session (auth_tests DjangoInterop.*)",
          run.returncode == 0 and ran_both, run.stdout[-3000:] + run.stderr[-2000:])
    check("laurel wrote its user and session for Django", os.path.exists(out_path))
    if failures:
        return
    made = json.load(open(out_path))

    # 3. Django checks laurel's.
    from django.db import connection
    connection.close()  # re-read the file laurel wrote
    bob = User.objects.get(username=made["username"])
    check("Django reads laurel's auth_user row", bob.pk == made["user_id"] and bob.is_active
          and not bob.is_staff and bob.email == "bob@laurel.example" and bob.last_login is not None,
          (bob.pk, bob.email, bob.last_login))
    # hashers.check_password, not User.check_password: the latter would already rehash.
    check("Django verifies laurel's pbkdf2_sha256 hash",
          hashers.check_password(made["password"], bob.password), bob.password)
    check("Django refuses a wrong password for laurel's hash",
          not hashers.check_password("nope", bob.password))
    loaded = SessionStore(made["session_key"]).load()
    check("Django SessionStore.load() decodes laurel's session",
          loaded.get(SESSION_KEY) == str(bob.pk) and loaded.get("laurel_probe") == "set by laurel \u2603",
          loaded)
    request = HttpRequest()
    request.session = SessionStore(made["session_key"])
    resolved = get_user(request)
    check("Django get_user() resolves laurel's session to laurel's user",
          resolved.is_authenticated and resolved.pk == bob.pk, resolved)

    # Last, because Django 3.2 rehashes a hash whose iteration count differs from its own
    # (laurel writes Django 5.2's) on a successful authenticate(), which changes the session
    # auth hash exactly as a password change does.
    check("Django authenticate() accepts laurel's user",
          authenticate(username=made["username"], password=made["password"]) == bob)

    bob.refresh_from_db()
    check("Django 3.2 rewrote the hash with its own iteration count on login",
          bob.password.startswith("pbkdf2_sha256$260000$"), bob.password)

    # A password change (made by Django) invalidates laurel's session, as the auth hash says.
    bob.set_password("changed")
    bob.save()
    request = HttpRequest()
    request.session = SessionStore(made["session_key"])
    check("a password change logs laurel's session out in Django", not get_user(request).is_authenticated)

    # 4. A database laurel created from nothing (create_schema), read through Django's ORM.
    from django.contrib.sessions.models import Session
    from django.utils import timezone
    carol = User.objects.using("laurel").get(username="laurel_carol")
    check("Django's ORM reads a user from a laurel-created database",
          carol.is_staff and not carol.is_superuser and carol.date_joined is not None
          and hashers.check_password("carol's password", carol.password), carol.password)
    row = Session.objects.using("laurel").get(session_key="freshdbsession000000000000000001",
                                              expire_date__gt=timezone.now())
    decoded = row.get_decoded()
    check("Django decodes a session from a laurel-created database",
          decoded.get(SESSION_KEY) == str(carol.pk)
          and decoded.get(HASH_SESSION_KEY) == carol.get_session_auth_hash(), decoded)
    import sqlite3
    con = sqlite3.connect(fresh_db)
    token_row = con.execute("SELECT key, user_id, created FROM authtoken_token").fetchone()
    con.close()
    check("laurel's DRF token row has DRF's shape",
          token_row is not None and token_row[0] == open(fresh_db + ".token").read()
          and len(token_row[0]) == 40 and token_row[1] == carol.pk, token_row)

    connection.close()
    from django.db import connections
    connections.close_all()
    for name in os.listdir(tmp):
        os.unlink(os.path.join(tmp, name))
    os.rmdir(tmp)


if __name__ == "__main__":
    main()
    print("PASS" if failures == 0 else "FAIL: %d check(s) failed" % failures)
    sys.exit(1 if failures else 0)
