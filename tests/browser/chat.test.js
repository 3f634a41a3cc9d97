// The chat demo in a real browser: headless Debian chromium driven by playwright-core, against
// the real laurel-chat binary (LAUREL_CHAT_BINARY, default build/asan). What a newcomer does
// with `./laurel.sh demo`: log in in two browsers, chat, log out, live through a server restart,
// and talk to a browser from the native client (examples/chat/client/chat_client.py).
//
//   LAUREL_CHAT_BINARY=build/asan/examples/chat/laurel-chat node --test tests/browser/
'use strict';

const {test, before, after} = require('node:test');
const assert = require('node:assert/strict');
const {spawn} = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const {chromium} = require('playwright-core');
const {LaurelServer} = require('./laurel_server');

const ROOT = path.resolve(__dirname, '..', '..');
const BINARY = path.resolve(ROOT, process.env.LAUREL_CHAT_BINARY ||
                                  'build/asan/examples/chat/laurel-chat');
const CHROMIUM = process.env.LAUREL_CHROMIUM || '/usr/bin/chromium';
const CLIENT = path.join(ROOT, 'examples', 'chat', 'client', 'chat_client.py');
const SCREENSHOT = path.join(ROOT, 'docs', 'images', 'chat.png');
const WAIT_MS = 45000;  // upper bound for one step (a sanitizer build on a busy machine)
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync',
];

const users = {};
for (const name of ['alice', 'bob', 'carol']) {
  users[name] = {username: name, password: 'pw-' + crypto.randomBytes(12).toString('hex')};
}
let server;
let browser;

before(async () => {
  assert.ok(fs.existsSync(BINARY), `no laurel-chat at ${BINARY}: build it first`);
  server = new LaurelServer(BINARY);
  await server.start();  // creates the database and its schema
  for (const user of Object.values(users)) server.addUser(user.username, user.password);
  // playwright launches chromium with a fresh temporary profile (user-data-dir) of its own.
  browser = await chromium.launch({executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS,
                                   timeout: WAIT_MS});
});

after(async () => {
  if (browser) await browser.close();
  if (server) {
    try {
      await server.stop();
    } finally {
      await server.kill();
    }
    // No credential the tests used may appear in what the server logged.
    const logs = server.stdout() + server.stderr();
    for (const user of Object.values(users)) {
      assert.ok(!logs.includes(user.password), `${user.username}'s password is in the server log`);
    }
  }
});

// --- page helpers -------------------------------------------------------------------------

// A fresh context (its own cookie jar: another browser, as far as the server can tell) with a
// record of the WebSockets its pages open.
async function newContext() {
  const context = await browser.newContext();
  context.setDefaultTimeout(WAIT_MS);
  return context;
}

function trackSockets(page) {
  const sockets = [];
  page.on('websocket', (ws) => {
    const entry = {url: ws.url(), closed: false, frames: 0};
    ws.on('framereceived', () => { entry.frames += 1; });
    ws.on('close', () => { entry.closed = true; });
    sockets.push(entry);
  });
  return sockets;
}

async function logIn(context, user) {
  const page = await context.newPage();
  await page.goto(server.url('/'));
  await page.waitForSelector('body[data-view="login"]');
  await page.fill('#username', user.username);
  await page.fill('#password', user.password);
  await page.click('#login-submit');
  await page.waitForSelector('body[data-view="lobby"]');
  assert.match(await page.textContent('#whoami'), new RegExp(user.username));
  assert.equal(new URL(page.url()).search, '', 'the login must not put anything in the URL');
  return page;
}

async function enterRoom(page, room) {
  await page.fill('#room-name-input', room);
  await page.click('#room-name-submit');
  await page.waitForURL(server.url(`/chat/${room}/`));
  await waitConnected(page, 1);
}

async function waitConnected(page, opens) {
  await page.waitForFunction((n) => window.chat && window.chat.state === 'connected' &&
                                    window.chat.opens >= n, opens);
  assert.equal(await page.getAttribute('#connection-state', 'data-state'), 'connected');
}

async function say(page, text) {
  await page.fill('#chat-message-input', text);
  await page.click('#chat-message-submit');
}

async function messages(page) {
  return page.$$eval('#chat-log .message', (lines) => lines.map((line) => ({
    user: line.querySelector('.user').textContent,
    text: line.querySelector('.text').textContent,
  })));
}

async function waitMessage(page, user, text) {
  await page.waitForFunction(([u, t]) => [...document.querySelectorAll('#chat-log .message')]
      .some((line) => line.querySelector('.user').textContent === u &&
                      line.querySelector('.text').textContent === t), [user, text]);
}

// Polls a condition of the test's own bookkeeping (bounded by WAIT_MS).
async function until(condition, message) {
  const deadline = Date.now() + WAIT_MS;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(message);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function roomName(label) {
  return label + '_' + crypto.randomBytes(4).toString('hex');
}

// --- the native client --------------------------------------------------------------------

// chat_client.py as a child process; its stdout lines are collected and can be waited for.
function startClient(user, room, extraArgs) {
  const child = spawn('/usr/bin/python3', [CLIENT, '--url', server.url(''), '--room', room,
                                           '--username', user.username, ...extraArgs],
                      {env: {...process.env, LAUREL_CHAT_PASSWORD: user.password},
                       stdio: ['pipe', 'pipe', 'pipe']});
  const client = {child, lines: [], stderr: '', waiters: []};
  let partial = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk) => {
    partial += chunk;
    let nl;
    while ((nl = partial.indexOf('\n')) >= 0) {
      client.lines.push(partial.slice(0, nl));
      partial = partial.slice(nl + 1);
    }
    for (const w of client.waiters.slice()) w();
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk) => { client.stderr += chunk; });
  client.exit = new Promise((resolve) => child.once('exit', (code) => {
    for (const w of client.waiters.slice()) w();
    resolve(code);
  }));
  // Resolves when `count` lines satisfy `match`; fails at the deadline or if the client exits.
  client.waitLines = (match, count = 1) => new Promise((resolve, reject) => {
    const check = () => {
      const found = client.lines.filter(match);
      if (found.length >= count) { done(); resolve(found); return; }
      if (child.exitCode !== null) {
        done();
        reject(new Error(`client exited (${child.exitCode}) before the line; output:\n` +
                         client.lines.join('\n') + '\n' + client.stderr));
      }
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error('client line not seen; output:\n' + client.lines.join('\n') + '\n' +
                       client.stderr));
    }, WAIT_MS);
    const done = () => {
      clearTimeout(timer);
      client.waiters = client.waiters.filter((w) => w !== check);
    };
    client.waiters.push(check);
    check();
  });
  return client;
}

// --- the tests ----------------------------------------------------------------------------

test('two users in two browsers chat in one room and see who said what', async () => {
  const room = 'lobby';  // the first test: the room is empty, and its name reads well in the README
  const aliceContext = await newContext();
  const bobContext = await newContext();
  try {
    const alice = await logIn(aliceContext, users.alice);
    const bob = await logIn(bobContext, users.bob);
    const aliceSockets = trackSockets(alice);
    await enterRoom(alice, room);
    await enterRoom(bob, room);
    assert.equal(aliceSockets.length, 1);
    assert.equal(new URL(aliceSockets[0].url).pathname, `/ws/chat/${room}/`);

    await say(alice, 'Hello Bob, this is laurel.');
    await waitMessage(bob, 'alice', 'Hello Bob, this is laurel.');
    await say(bob, 'Hi Alice! Same room, two browsers.');
    for (const page of [alice, bob]) {
      await waitMessage(page, 'bob', 'Hi Alice! Same room, two browsers.');
      assert.deepEqual(await messages(page), [
        {user: 'alice', text: 'Hello Bob, this is laurel.'},
        {user: 'bob', text: 'Hi Alice! Same room, two browsers.'},
      ]);
    }
    // Text is shown as text, never as markup.
    await say(bob, '<b>not bold</b>');
    await waitMessage(alice, 'bob', '<b>not bold</b>');
    assert.equal(await alice.$$eval('#chat-log b', (nodes) => nodes.length), 0);

    fs.mkdirSync(path.dirname(SCREENSHOT), {recursive: true});
    await alice.setViewportSize({width: 900, height: 560});
    await alice.screenshot({path: SCREENSHOT});
    assert.ok(fs.statSync(SCREENSHOT).size > 1000, 'the screenshot is empty');
  } finally {
    await aliceContext.close();
    await bobContext.close();
  }
});

test('a browser that did not log in gets no chat socket and is shown the login form', async () => {
  const context = await newContext();
  try {
    const page = await context.newPage();
    const sockets = trackSockets(page);
    await page.goto(server.url('/chat/lobby/'));
    await page.waitForSelector('body[data-view="login"]');
    const url = new URL(page.url());
    assert.equal(url.pathname, '/');
    assert.equal(url.searchParams.get('next'), '/chat/lobby/');
    assert.equal(sockets.length, 0, 'the room page opened a socket without a session');

    // And the server itself refuses such a socket at the handshake.
    const attempt = await page.evaluate((u) => new Promise((resolve) => {
      const ws = new WebSocket(u);
      let opened = false;
      ws.onopen = () => { opened = true; };
      ws.onclose = (e) => resolve({opened, code: e.code});
    }), server.url('/ws/chat/lobby/').replace('http:', 'ws:'));
    assert.deepEqual(attempt, {opened: false, code: 1006});

    // Wrong passwords are refused too, without leaving the login form.
    await page.fill('#username', 'alice');
    await page.fill('#password', 'not-the-password');
    await page.click('#login-submit');
    await page.waitForFunction(() => document.querySelector('#login-error').textContent !== '');
    assert.equal(await page.getAttribute('body', 'data-view'), 'login');
  } finally {
    await context.close();
  }
});

test('logging out closes that user\'s sockets (4401) and only theirs', async () => {
  const room = roomName('logout');
  const aliceContext = await newContext();
  const bobContext = await newContext();
  try {
    const alice = await logIn(aliceContext, users.alice);
    const aliceSockets = trackSockets(alice);
    await enterRoom(alice, room);
    const bobLobby = await logIn(bobContext, users.bob);
    const bobRoom = await bobContext.newPage();
    const bobSockets = trackSockets(bobRoom);
    await bobRoom.goto(server.url(`/chat/${room}/`));
    await waitConnected(bobRoom, 1);
    assert.equal(bobSockets.length, 1);

    // Bob logs out in his other tab: the server closes the room tab's socket, and the page goes
    // to the login form saying why (it does that only on close code 4401).
    await bobLobby.click('#logout');
    await bobLobby.waitForSelector('body[data-view="login"]');
    await bobRoom.waitForURL((u) => u.pathname === '/' &&
                                    u.searchParams.get('reason') === 'logged-out');
    await bobRoom.waitForSelector('body[data-view="login"]');
    await until(() => bobSockets[0].closed, 'bob\'s socket was not closed');

    // Alice is still connected and still chatting.
    assert.equal(await alice.evaluate(() => window.chat.state), 'connected');
    await say(alice, 'still here');
    await waitMessage(alice, 'alice', 'still here');

    // The logout button of the room page itself: socket closed, back to the login form.
    assert.equal(aliceSockets.length, 1);
    assert.equal(aliceSockets[0].closed, false);
    await alice.click('#logout');
    await alice.waitForSelector('body[data-view="login"]');
    await until(() => aliceSockets[0].closed, 'alice\'s socket was not closed');
    const again = await aliceContext.newPage();
    const againSockets = trackSockets(again);
    await again.goto(server.url(`/chat/${room}/`));
    await again.waitForSelector('body[data-view="login"]');
    assert.equal(againSockets.length, 0, 'a logged-out browser opened a chat socket');
  } finally {
    await aliceContext.close();
    await bobContext.close();
  }
});

test('the page reconnects by itself after the server restarts', async () => {
  const room = roomName('restart');
  const context = await newContext();
  try {
    const page = await logIn(context, users.alice);
    await enterRoom(page, room);
    const pid = server.proc.pid;
    await server.stop();
    await page.waitForFunction(() => window.chat.state === 'reconnecting');
    assert.match(await page.textContent('#connection-state'), /^reconnecting/);
    await server.start();  // same port, same database and secret key
    assert.notEqual(server.proc.pid, pid);
    await waitConnected(page, 2);
    await say(page, 'back after the restart');
    await waitMessage(page, 'alice', 'back after the restart');
  } finally {
    await context.close();
  }
});

test('the native client chats with a browser and lives through a server restart', async () => {
  const room = roomName('native');
  const context = await newContext();
  let client;
  try {
    const page = await logIn(context, users.alice);
    await enterRoom(page, room);
    client = startClient(users.carol, room, ['--expect', '4', '--timeout', '150']);
    await client.waitLines((l) => l.startsWith('* connected to room ' + room));

    client.child.stdin.write('hello from the terminal\n');
    await waitMessage(page, 'carol', 'hello from the terminal');
    await say(page, 'hello from the browser');
    await client.waitLines((l) => l === 'alice: hello from the browser');

    await server.stop();
    await client.waitLines((l) => l.startsWith('* disconnected'));
    await server.start();
    await client.waitLines((l) => l.startsWith('* connected to room'), 2);
    await waitConnected(page, 2);

    await say(page, 'after the restart');
    await client.waitLines((l) => l === 'alice: after the restart');
    client.child.stdin.write('the terminal is back too\n');
    await waitMessage(page, 'carol', 'the terminal is back too');
    assert.equal(await client.exit, 0, client.stderr);  // --expect 4 reached
    assert.deepEqual(client.lines.filter((l) => !l.startsWith('* ')), [
      'carol: hello from the terminal',
      'alice: hello from the browser',
      'alice: after the restart',
      'carol: the terminal is back too',
    ]);
  } finally {
    if (client && client.child.exitCode === null) client.child.kill('SIGTERM');
    await context.close();
  }
});
