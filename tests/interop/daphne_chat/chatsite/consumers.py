"""The Channels tutorial's room consumer: joins chat_<room>, relays text to the group and group
messages to the socket."""

import json

from channels.generic.websocket import AsyncWebsocketConsumer


class ChatConsumer(AsyncWebsocketConsumer):
    async def connect(self):
        self.room_group_name = "chat_" + self.scope["url_route"]["kwargs"]["room_name"]
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        message = json.loads(text_data)["message"]
        await self.channel_layer.group_send(
            self.room_group_name, {"type": "chat.message", "message": message, "user": "daphne"})

    async def chat_message(self, event):
        out = {"message": event["message"]}
        if "user" in event:
            out["user"] = event["user"]
        await self.send(text_data=json.dumps(out))
