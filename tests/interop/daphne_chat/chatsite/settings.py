"""Settings for the test chat site: only what Channels and channels_redis need."""

import os

SECRET_KEY = "test-only-not-secret"  # no sessions or signing are used here
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = ["channels"]
ROOT_URLCONF = "chatsite.urls"
ASGI_APPLICATION = "chatsite.asgi.application"
DATABASES = {}
USE_TZ = True

# One or more Redis URLs (comma-separated) shared with the laurel processes under test.
CHANNEL_LAYERS = {
    "default": {
        "BACKEND": "channels_redis.core.RedisChannelLayer",
        "CONFIG": {
            "hosts": [u for u in os.environ.get("LAUREL_TEST_REDIS", "redis://127.0.0.1:6379/0")
                      .split(",") if u],
        },
    },
}
