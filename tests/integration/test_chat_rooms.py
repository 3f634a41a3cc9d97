"""The chat consumer over real sockets: two python3-websockets clients in one room see each
other's messages with their usernames; a client in another room sees nothing of them.

    /usr/bin/python3 tests/integration/run.py --binary build/asan/examples/chat/laurel-chat -k ChatRooms
"""

import asyncio
import json
import os
import unittest

import websockets

from laurel_server import LaurelServer
from test_redis_deployment import access_token, bearer, demo_password

BINARY = None  # set by run.py


async def recv_json(ws, timeout=15):
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


class ChatRooms(unittest.TestCase):
    def setUp(self):
        if not BINARY or not os.access(BINARY, os.X_OK):
            self.skipTest("laurel binary not there")
        self.server = LaurelServer(BINARY, ["--shutdown-timeout", "5"]).start()

    def tearDown(self):
        self.server.stop()  # exit 0 and no sanitizer report, or the test fails

    def test_members_of_a_room_see_each_other_and_other_rooms_see_nothing(self):
        token = access_token(demo_password(self.server), port=self.server.port)
        room = self.server.ws_url("/ws/chat/lobby/")
        other = self.server.ws_url("/ws/chat/kitchen/")

        async def go():
            async with websockets.connect(room, ping_interval=None,
                                          extra_headers=bearer(token)) as a, \
                    websockets.connect(room, ping_interval=None,
                                       extra_headers=bearer(token)) as b, \
                    websockets.connect(other, ping_interval=None,
                                       extra_headers=bearer(token)) as c:
                await a.send(json.dumps({"message": "hello from a"}))
                got_a = [await recv_json(a)]
                got_b = [await recv_json(b)]
                await b.send(json.dumps({"message": "hello from b"}))
                got_a.append(await recv_json(a))
                got_b.append(await recv_json(b))
                # The other room's member got nothing; its own message comes back to it alone.
                await c.send(json.dumps({"message": "kitchen only"}))
                got_c = await recv_json(c)
                with self.assertRaises(asyncio.TimeoutError):
                    await asyncio.wait_for(a.recv(), 1.0)
                return got_a, got_b, got_c

        got_a, got_b, got_c = asyncio.run(asyncio.wait_for(go(), 60))
        expected = [{"message": "hello from a", "user": "demo"},
                    {"message": "hello from b", "user": "demo"}]
        self.assertEqual(got_a, expected)
        self.assertEqual(got_b, expected)
        self.assertEqual(got_c, {"message": "kitchen only", "user": "demo"})


if __name__ == "__main__":
    unittest.main()
