"""Minimal Django settings for the benchmark's Daphne peer: Channels and the in-memory layer."""

SECRET_KEY = "benchmark-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
INSTALLED_APPS = ["channels", "chat"]
DATABASES = {}
ROOT_URLCONF = "benchsite.urls"
ASGI_APPLICATION = "benchsite.asgi.application"
USE_TZ = True
# The tutorial's layer, with its default capacity (100 messages per channel).
CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
