"""ASGI entry point: the chat WebSocket route, nothing else."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

import django  # noqa: E402

django.setup()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.urls import re_path  # noqa: E402

from chatsite.consumers import ChatConsumer  # noqa: E402

application = ProtocolTypeRouter({
    "websocket": URLRouter([
        re_path(r"ws/chat/(?P<room_name>\w+)/$", ChatConsumer.as_asgi()),
    ]),
})
