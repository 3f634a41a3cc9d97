#!/usr/bin/python3
"""A throwaway Django project around one SQLite file, for the end-to-end auth interop tests
(tests/integration/test_django_interop.py). Django runs in its own process so the test runner
never holds Django's process-wide settings.

    django_project.py setup  --db D --secret-key-file K --username U --password P
        migrate, create_user(U, P), then log U in with django.test.Client().login(): prints
        {"sessionid": ..., "user_id": ...}
    django_project.py whoami --db D --secret-key-file K --sessionid S
        GET a tiny Django view through the test client with that session cookie (Django's
        SessionMiddleware + AuthenticationMiddleware): prints {"authenticated": ..,
        "username": .., "user_id": ..}

Needs Debian's python3-django.
"""
import argparse
import json
import sys

urlpatterns = []  # filled in once Django is set up (ROOT_URLCONF is this module)


def whoami_view(request):
    from django.http import JsonResponse
    user = request.user
    return JsonResponse({"authenticated": bool(user.is_authenticated),
                         "username": user.get_username() if user.is_authenticated else None,
                         "user_id": user.pk})


def configure(db, secret_key_file):
    import django
    from django.conf import settings
    with open(secret_key_file) as f:
        secret_key = f.read().strip()
    settings.configure(
        SECRET_KEY=secret_key,
        USE_TZ=True,
        DEBUG=False,
        ALLOWED_HOSTS=["testserver"],
        ROOT_URLCONF=__name__,
        INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes",
                        "django.contrib.sessions"],
        MIDDLEWARE=["django.contrib.sessions.middleware.SessionMiddleware",
                    "django.contrib.auth.middleware.AuthenticationMiddleware"],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db}},
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
    )
    django.setup()
    from django.urls import path
    urlpatterns.append(path("whoami/", whoami_view))


def setup(args):
    configure(args.db, args.secret_key_file)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.test import Client
    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_user(args.username, "", args.password)
    client = Client()
    if not client.login(username=args.username, password=args.password):
        sys.exit("Django's login() refused the user it just created")
    print(json.dumps({"sessionid": client.cookies["sessionid"].value, "user_id": user.pk}))


def whoami(args):
    configure(args.db, args.secret_key_file)
    from django.test import Client
    client = Client()
    client.cookies["sessionid"] = args.sessionid
    response = client.get("/whoami/")
    if response.status_code != 200:
        sys.exit("the Django view answered %d" % response.status_code)
    print(json.dumps(response.json()))


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("setup", "whoami"):
        p = sub.add_parser(name)
        p.add_argument("--db", required=True)
        p.add_argument("--secret-key-file", required=True)
        if name == "setup":
            p.add_argument("--username", required=True)
            p.add_argument("--password", required=True)
        else:
            p.add_argument("--sessionid", required=True)
    args = parser.parse_args()
    {"setup": setup, "whoami": whoami}[args.command](args)


if __name__ == "__main__":
    main()
