// A WebSocket echo server on Node's `ws`, the peer laurel's echo benchmarks compare against.
// Text comes back as text and binary as binary, on /ws/echo/. Usage: node node_ws_echo.js PORT
'use strict';
const http = require('http');
const { WebSocketServer } = require('ws');

const port = Number(process.argv[2] || 8081);
const server = http.createServer((req, res) => { res.writeHead(404); res.end(); });
// perMessageDeflate off: the default of ws, stated so the comparison is clearly uncompressed.
const wss = new WebSocketServer({ server, path: '/ws/echo/', perMessageDeflate: false,
                                  maxPayload: 64 * 1024 * 1024 });
wss.on('connection', (ws) => {
  ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  ws.on('error', () => {});
});
server.listen(port, '127.0.0.1', () => console.log(`node ws echo on 127.0.0.1:${port}/ws/echo/`));
process.on('SIGTERM', () => process.exit(0));
