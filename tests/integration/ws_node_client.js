// tests/integration/ws_node_client.js
// Drives laurel with the Node `ws` client (a WebSocket stack nobody here wrote) and prints one
// JSON line with what it saw. The Python runner decides what is right.
//   node ws_node_client.js echo  <url>          text and binary round trips, then close 1000
//   node ws_node_client.js close <url> <code>   close with <code>, report the code echoed back
//   node ws_node_client.js big   <url> <bytes>  send one message of <bytes>, report the close
'use strict';
const WebSocket = require('ws');

const [mode, url, arg] = process.argv.slice(2);
const deadline = setTimeout(() => {
  console.log(JSON.stringify({ error: 'timeout' }));
  process.exit(3);
}, 15000);

function finish(result) {
  clearTimeout(deadline);
  console.log(JSON.stringify(result));
  process.exit(0);
}

const ws = new WebSocket(url, { perMessageDeflate: false });
const received = [];
ws.on('error', (err) => finish({ error: String(err && err.message) }));
ws.on('message', (data, isBinary) => {
  received.push({ binary: isBinary, data: isBinary ? data.toString('hex') : data.toString('utf8') });
  if (mode === 'echo' && received.length === 2) ws.close(1000, 'done');
});
ws.on('close', (code, reason) => finish({ received, code, reason: reason.toString('utf8') }));
ws.on('open', () => {
  if (mode === 'echo') {
    ws.send('héllo from node');
    ws.send(Buffer.from([0, 1, 2, 255]), { binary: true });
  } else if (mode === 'close') {
    ws.close(Number(arg), 'bye');
  } else if (mode === 'big') {
    ws.send(Buffer.alloc(Number(arg), 0x61), { binary: false });
  } else {
    finish({ error: 'unknown mode ' + mode });
  }
});
