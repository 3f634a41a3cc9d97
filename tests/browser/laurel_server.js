// Starting and stopping the real laurel-chat binary for the browser tests, the way
// tests/integration/laurel_server.py does it: a free loopback port picked here, a readiness poll
// on the port, SIGTERM by pid and a required clean exit (status 0, no sanitizer report). The
// database and secret key live in a temporary directory, so a restart on the same port keeps
// users, sessions and refresh tokens, as a redeploy would.
'use strict';

const {spawn, spawnSync} = require('node:child_process');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

const SANITIZER_PATTERNS = new RegExp(
    'ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error:|' +
    'UndefinedBehaviorSanitizer|SUMMARY: (Address|Undefined|Leak)Sanitizer');
const READY_DEADLINE_MS = 30000;  // a sanitizer build under load is slow to start
const STOP_DEADLINE_MS = 20000;
const BIND_RETRIES = 10;
const PYTHON = '/usr/bin/python3';  // Debian's: sqlite3 and hashlib are all the user helper needs

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address();
      server.close(() => resolve(port));
    });
  });
}

function canConnect(port) {
  return new Promise((resolve) => {
    const socket = net.connect({host: '127.0.0.1', port});
    socket.setTimeout(1000);
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('timeout', () => { socket.destroy(); resolve(false); });
    socket.once('error', () => resolve(false));
  });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// Inserts a user the way Django stores one (pbkdf2_sha256), so the server checks a real hash.
const ADD_USER = `
import base64, hashlib, secrets, sqlite3, sys
database, username = sys.argv[1], sys.argv[2]
password = sys.stdin.readline().rstrip("\\n")
salt = secrets.token_hex(11)
iterations = 100000
digest = hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), iterations)
encoded = "pbkdf2_sha256$%d$%s$%s" % (iterations, salt, base64.b64encode(digest).decode())
db = sqlite3.connect(database, timeout=10)
with db:
    db.execute("INSERT INTO auth_user (password, last_login, is_superuser, username, last_name, "
               "email, is_staff, is_active, date_joined, first_name) "
               "VALUES (?, NULL, 0, ?, '', '', 0, 1, '2026-01-01 00:00:00', '')",
               (encoded, username))
db.close()
`;

class LaurelServer {
  constructor(binary) {
    this.binary = binary;
    this.workdir = fs.mkdtempSync(path.join(os.tmpdir(), 'laurel-browser-'));
    this.database = path.join(this.workdir, 'users.sqlite3');
    this.stdoutPath = path.join(this.workdir, 'stdout.log');
    this.stderrPath = path.join(this.workdir, 'stderr.log');
    this.port = null;
    this.proc = null;
    this.exit = null;  // a promise of {code, signal}
  }

  url(p = '/') { return `http://127.0.0.1:${this.port}${p}`; }

  // Starts the server; on the first start a free port is picked, later starts reuse it (the
  // pages' origin must not change across a restart).
  async start() {
    const samePort = this.port !== null;
    let lastError = '';
    for (let tries = 0; tries < BIND_RETRIES; tries++) {
      if (!samePort) this.port = await freePort();
      const out = fs.openSync(this.stdoutPath, 'a');
      const err = fs.openSync(this.stderrPath, 'a');
      const env = {...process.env};
      if (!(env.ASAN_OPTIONS || '').includes('quarantine_size_mb')) {
        env.ASAN_OPTIONS = (env.ASAN_OPTIONS || 'halt_on_error=1') + ':quarantine_size_mb=16';
      }
      this.proc = spawn(this.binary, [
        '-b', '127.0.0.1', '-p', String(this.port),
        '--database', this.database,
        '--secret-key-file', path.join(this.workdir, 'secret.key'),
        '--shutdown-timeout', '3',
      ], {cwd: this.workdir, env, stdio: ['ignore', out, err]});
      fs.closeSync(out);
      fs.closeSync(err);
      const proc = this.proc;
      this.exit = new Promise((resolve) => proc.once('exit', (code, signal) => resolve({code, signal})));
      let exited = null;
      this.exit.then((e) => { exited = e; });
      const deadline = Date.now() + READY_DEADLINE_MS;
      while (Date.now() < deadline && exited === null) {
        if (await canConnect(this.port)) return this;
        await pause(50);  // polling interval, not a timing assertion
      }
      if (exited === null) {
        proc.kill('SIGKILL');
        await this.exit;
        throw new Error(`laurel-chat did not listen within ${READY_DEADLINE_MS} ms\n` +
                        this.stderr().slice(-4000));
      }
      lastError = `exited with ${exited.code}: ${this.stderr().slice(-2000)}`;
      if (!/in use/i.test(this.stderr().slice(-2000))) break;
      await pause(200);  // the port is busy (a lingering socket): try again
    }
    throw new Error('laurel-chat did not start: ' + lastError);
  }

  // SIGTERM by pid; the server must exit 0 within the deadline with no sanitizer report.
  async stop() {
    if (!this.proc) return;
    const proc = this.proc;
    this.proc = null;
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`laurel-chat had already exited (${proc.exitCode ?? proc.signalCode})\n` +
                      this.stderr().slice(-4000));
    }
    process.kill(proc.pid, 'SIGTERM');
    let timer;
    const timeout = new Promise((resolve) => { timer = setTimeout(() => resolve(null), STOP_DEADLINE_MS); });
    const result = await Promise.race([this.exit, timeout]);
    clearTimeout(timer);
    if (result === null) {
      proc.kill('SIGKILL');
      await this.exit;
      throw new Error(`laurel-chat did not exit within ${STOP_DEADLINE_MS} ms of SIGTERM`);
    }
    this.checkStderr();
    if (result.code !== 0) {
      throw new Error(`laurel-chat exited with ${result.code ?? result.signal} after SIGTERM\n` +
                      this.stderr().slice(-4000));
    }
  }

  // For a test's cleanup after a failure: no checks, just make sure nothing is left running.
  async kill() {
    if (this.proc && this.proc.exitCode === null && this.proc.signalCode === null) {
      this.proc.kill('SIGKILL');
      await this.exit;
    }
    this.proc = null;
  }

  checkStderr() {
    const text = this.stderr();
    const m = SANITIZER_PATTERNS.exec(text);
    if (m) throw new Error('sanitizer report in laurel-chat stderr:\n' + text.slice(Math.max(0, m.index - 200), m.index + 6000));
  }

  addUser(username, password) {
    const r = spawnSync(PYTHON, ['-c', ADD_USER, this.database, username],
                        {input: password + '\n', encoding: 'utf8', timeout: 30000});
    if (r.status !== 0) throw new Error(`adding user ${username} failed: ${r.stderr}`);
  }

  stdout() { return readText(this.stdoutPath); }
  stderr() { return readText(this.stderrPath); }
}

function readText(p) {
  try { return fs.readFileSync(p, 'utf8'); } catch (e) { return ''; }
}

module.exports = {LaurelServer, freePort};
