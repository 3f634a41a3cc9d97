// A Node `ws` broadcaster, the peer for laurel's room fan-out benchmark: every message a client
// sends goes to every connected client, in the chat consumer's shape
// ({"message": ..., "user": ...}). Like a chat room on one process with no channel layer, so it is
// the lower bound of the work a fan-out needs. Any path is accepted (e.g. /ws/chat/bench/).
// Usage: node node_ws_broadcast.js PORT
'use strict';
const http = require('http');
const { WebSocketServer, WebSocket } = require('ws');

const port = Number(process.argv[2] || 8082);
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
const wss = new WebSocketServer({ server, perMessageDeflate: false });
wss.on('connection', (ws) => {
  ws.on('message', (data) => {
    let text;
    try {
      text = JSON.stringify({ message: JSON.parse(data.toString()).message, user: 'bench' });
    } catch (e) {
      return;  // not chat JSON: ignore, as the chat consumers do
    }
    // Serialise once, send the same string to everyone (ws frames it per socket).
    for (const client of wss.clients) {
      if (client.readyState === WebSocket.OPEN) client.send(text);
    }
  });
  ws.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => console.log(`node ws broadcast on 127.0.0.1:${port}`));
process.on('SIGTERM', () => process.exit(0));
