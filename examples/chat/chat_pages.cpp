// examples/chat/chat_pages.cpp

#include "examples/chat/chat_pages.h"

#include <string>

namespace laurel::chat {

namespace {

// Shared by both pages. Everything the user or the server wrote is put on the page with
// textContent, never as HTML.
constexpr std::string_view kStyle = R"css(
    body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 48em; padding: 0 1em; }
    header { display: flex; gap: 1em; align-items: baseline; flex-wrap: wrap; }
    header h1 { font-size: 1.3em; margin: 0 auto 0 0; }
    label { display: block; margin: .5em 0; }
    #chat-log { border: 1px solid #999; height: 20em; overflow-y: auto; padding: .5em;
                font-family: ui-monospace, monospace; white-space: pre-wrap; }
    #chat-log .user { font-weight: bold; }
    #chat-log .note { color: #777; font-style: italic; }
    #chat-message-input, #room-name-input { width: 100%; box-sizing: border-box; margin: .5em 0; }
    #connection-state { padding: .1em .6em; border-radius: 1em; background: #ddd; }
    #connection-state[data-state="connected"] { background: #b9f0c0; }
    #connection-state[data-state="reconnecting"] { background: #ffe3a3; }
    #connection-state[data-state="stopped"] { background: #f5b5b5; }
    .error { color: #b00; }
)css";

// CSRF as Django does it: the csrftoken cookie (readable by scripts on purpose) is copied into
// the X-CSRFToken header of every POST; GET /auth/login sets the cookie when there is none.
constexpr std::string_view kCommonScript = R"js(
const laurel = {
  cookie(name) {
    for (const part of document.cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === name) {
        return decodeURIComponent(part.slice(eq + 1).trim());
      }
    }
    return '';
  },
  async csrfToken() {
    let token = laurel.cookie('csrftoken');
    if (!token) {
      const r = await fetch('/auth/login', {credentials: 'same-origin', cache: 'no-store'});
      if (!r.ok) throw new Error('GET /auth/login answered ' + r.status);
      token = laurel.cookie('csrftoken') || (await r.json()).csrftoken;
    }
    return token;
  },
  async post(path, body) {
    const headers = {'X-CSRFToken': await laurel.csrfToken()};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return fetch(path, {
      method: 'POST', credentials: 'same-origin', cache: 'no-store', headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  },
  // Whether this browser has a session: 'in', 'out' or 'unreachable' (server down). The session
  // cookie is HttpOnly, so the server is asked (POST /auth/ticket needs a logged-in user).
  async session() {
    try {
      let r = await laurel.post('/auth/ticket');
      if (r.status === 403) {
        // A stale CSRF cookie: drop it, get a fresh one, ask once more.
        document.cookie = 'csrftoken=; Max-Age=0; Path=/';
        r = await laurel.post('/auth/ticket');
      }
      if (r.status === 401 || r.status === 403) return 'out';
      if (r.status >= 500 && r.status !== 503) return 'unreachable';
      return 'in';
    } catch (e) {
      return 'unreachable';
    }
  },
  async logout() {
    try {
      await laurel.post('/auth/logout');
    } finally {
      localStorage.removeItem('laurel.username');
      location.replace('/?reason=logged-out');
    }
  },
  username() { return localStorage.getItem('laurel.username') || ''; },
};
)js";

constexpr std::string_view kLobbyBody = R"html(
<header>
  <h1>laurel chat</h1>
  <span id="whoami"></span>
  <button id="logout" type="button" hidden>Log out</button>
</header>
<p id="notice" role="status"></p>
<!-- method=post: without the script the browser would still never put the password in a URL. -->
<form id="login-form" method="post" action="/auth/login" hidden>
  <label>Username <input id="username" name="username" autocomplete="username" required></label>
  <label>Password <input id="password" name="password" type="password"
                         autocomplete="current-password" required></label>
  <button id="login-submit" type="submit">Log in</button>
  <p id="login-error" class="error" role="alert"></p>
</form>
<div id="lobby" hidden>
  What chat room would you like to enter?<br>
  <input id="room-name-input" type="text" size="100" placeholder="lobby"><br>
  <input id="room-name-submit" type="button" value="Enter">
  <p id="room-error" class="error" role="alert"></p>
</div>
<script>
  const params = new URLSearchParams(location.search);
  const notices = {'logged-out': 'You are logged out.', 'login': 'Log in to join the room.',
                   'forbidden': 'The server closed the room to this session; log in again.'};
  document.querySelector('#notice').textContent = notices[params.get('reason')] || '';
  // Only a room page of this site is a place to go back to (no open redirect).
  const next = /^\/chat\/\w+\/$/.test(params.get('next') || '') ? params.get('next') : null;

  const form = document.querySelector('#login-form');
  const lobby = document.querySelector('#lobby');
  const logoutButton = document.querySelector('#logout');
  const roomInput = document.querySelector('#room-name-input');

  function showLogin() {
    lobby.hidden = true;
    logoutButton.hidden = true;
    document.querySelector('#whoami').textContent = '';
    form.hidden = false;
    document.querySelector('#username').focus();
    document.body.dataset.view = 'login';
  }
  function showLobby() {
    form.hidden = true;
    lobby.hidden = false;
    logoutButton.hidden = false;
    const name = laurel.username();
    document.querySelector('#whoami').textContent = name ? 'logged in as ' + name : 'logged in';
    roomInput.focus();
    document.body.dataset.view = 'lobby';
  }

  form.onsubmit = async function(e) {
    e.preventDefault();
    const error = document.querySelector('#login-error');
    const password = document.querySelector('#password');
    error.textContent = '';
    let r;
    try {
      r = await laurel.post('/auth/login', {
        username: document.querySelector('#username').value, password: password.value});
    } catch (err) {
      error.textContent = 'The server cannot be reached.';
      return;
    }
    if (r.ok) {
      const data = await r.json();
      password.value = '';
      localStorage.setItem('laurel.username', data.user && data.user.username || '');
      if (next) location.assign(next); else showLobby();
    } else if (r.status === 401) {
      error.textContent = 'Wrong username or password.';
    } else if (r.status === 429) {
      error.textContent = 'Too many attempts; wait a little and try again.';
    } else {
      error.textContent = 'Login failed (HTTP ' + r.status + ').';
    }
  };

  roomInput.onkeyup = function(e) {
    if (e.key === 'Enter') document.querySelector('#room-name-submit').click();
  };
  document.querySelector('#room-name-submit').onclick = function() {
    const room = roomInput.value.trim() || 'lobby';
    // The server's route is ws/chat/(\w+)/: letters, digits and underscores.
    if (!/^\w+$/.test(room)) {
      document.querySelector('#room-error').textContent =
          'A room name is letters, digits and underscores.';
      return;
    }
    location.assign('/chat/' + room + '/');
  };
  logoutButton.onclick = () => laurel.logout();

  laurel.session().then(function(state) {
    if (state === 'in') {
      if (next) location.replace(next); else showLobby();
    } else {
      if (state === 'unreachable') {
        document.querySelector('#notice').textContent = 'The server cannot be reached.';
      }
      showLogin();
    }
  });
</script>
)html";

// The room name is read from the URL by the script, so the page itself is constant (no
// server-side templating, nothing of the path echoed into HTML).
constexpr std::string_view kRoomBody = R"html(
<header>
  <h1>Room <span id="room-name"></span></h1>
  <span id="connection-state" data-state="connecting" role="status">connecting</span>
  <span id="whoami"></span>
  <a href="/">rooms</a>
  <button id="logout" type="button">Log out</button>
</header>
<div id="chat-log" role="log" aria-live="polite"></div>
<input id="chat-message-input" type="text" size="100" autocomplete="off"><br>
<input id="chat-message-submit" type="button" value="Send" disabled>
<script>
  const roomName = decodeURIComponent(location.pathname.split('/')[2] || '');
  const scheme = location.protocol === 'https:' ? 'wss://' : 'ws://';
  const log = document.querySelector('#chat-log');
  const stateView = document.querySelector('#connection-state');
  const input = document.querySelector('#chat-message-input');
  const submit = document.querySelector('#chat-message-submit');
  document.querySelector('#room-name').textContent = roomName;
  document.querySelector('#whoami').textContent =
      laurel.username() ? 'logged in as ' + laurel.username() : '';

  // What the page is doing, for people (the badge) and for tests (window.chat).
  window.chat = {state: 'connecting', opens: 0, closes: [], received: 0};
  let socket = null;
  let attempt = 0;     // failed attempts since the last open: the backoff exponent
  let stopped = false;
  let loggingOut = false;

  function setState(state, detail) {
    chat.state = state;
    stateView.dataset.state = state;
    stateView.textContent = detail ? state + ' (' + detail + ')' : state;
    submit.disabled = state !== 'connected';
  }
  function note(text) {
    const line = document.createElement('div');
    line.className = 'note';
    line.textContent = text;
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
  }
  function show(user, message) {
    const line = document.createElement('div');
    line.className = 'message';
    const who = document.createElement('span');
    who.className = 'user';
    who.textContent = user || '(anonymous)';
    const what = document.createElement('span');
    what.className = 'text';
    what.textContent = message;
    line.append(who, ': ', what);
    log.appendChild(line);
    log.scrollTop = log.scrollHeight;
  }
  function toLogin(reason) {
    stopped = true;
    setState('stopped', 'not logged in');
    location.replace('/?reason=' + reason + '&next=' + encodeURIComponent(location.pathname));
  }
  // Exponential backoff with jitter: the ceiling doubles per failure (0.5 s up to 8 s) and the
  // wait is drawn from its upper half, so clients dropped together do not return together.
  function reconnectLater() {
    const ceiling = Math.min(8000, 500 * 2 ** Math.min(attempt, 10));
    const delay = ceiling / 2 + Math.random() * ceiling / 2;
    attempt += 1;
    setState('reconnecting', 'in ' + (delay / 1000).toFixed(1) + ' s');
    setTimeout(connect, delay);
  }

  async function connect() {
    if (stopped || loggingOut) return;
    if (attempt > 0) setState('reconnecting', 'attempt ' + attempt);
    // A refused handshake looks like a network error to a page (close 1006), so the session is
    // checked first: no socket is opened for a browser that is not logged in.
    const session = await laurel.session();
    if (stopped || loggingOut) return;
    if (session === 'out') return toLogin('login');
    if (session === 'unreachable') return reconnectLater();
    const ws = new WebSocket(scheme + location.host + '/ws/chat/' + roomName + '/');
    socket = ws;
    ws.onopen = function() {
      attempt = 0;
      chat.opens += 1;
      setState('connected');
      if (chat.opens > 1) note('reconnected');
    };
    ws.onmessage = function(e) {
      let data;
      try { data = JSON.parse(e.data); } catch (err) { return; }
      if (typeof data.message !== 'string') return;
      chat.received += 1;
      show(data.user, data.message);
    };
    ws.onclose = function(e) {
      if (socket !== ws) return;
      socket = null;
      chat.closes.push(e.code);
      if (stopped || loggingOut) return;
      // 4401: the session ended (logout, revocation); 4403: not allowed. Retrying cannot help.
      if (e.code === 4401) return toLogin('logged-out');
      if (e.code === 4403) return toLogin('forbidden');
      if (chat.state === 'connected') note('disconnected (' + e.code + ')');
      reconnectLater();
    };
  }

  input.focus();
  input.onkeyup = function(e) {
    if (e.key === 'Enter') submit.click();
  };
  submit.onclick = function() {
    if (!socket || socket.readyState !== WebSocket.OPEN || input.value === '') return;
    socket.send(JSON.stringify({'message': input.value}));
    input.value = '';
  };
  // The server answers a logout by closing this user's sockets with 4401 (all of them, in every
  // tab). The page does not close its own socket: it waits (a few seconds at most) for the
  // server to do it, then shows the login form.
  document.querySelector('#logout').onclick = async function() {
    if (loggingOut) return;
    loggingOut = true;
    setState('stopped', 'logging out');
    const closed = socket ? new Promise(function(resolve) {
      socket.addEventListener('close', resolve);
      setTimeout(resolve, 3000);
    }) : Promise.resolve();
    try {
      await laurel.post('/auth/logout');
      await closed;
    } catch (err) {
      // The server is unreachable: the session cookie is left to expire; show the form anyway.
    }
    stopped = true;
    localStorage.removeItem('laurel.username');
    location.replace('/?reason=logged-out');
  };

  if (/^\w+$/.test(roomName)) {
    connect();
  } else {
    stopped = true;
    setState('stopped', 'a room name is letters, digits and underscores');
  }
</script>
)html";

std::string page(std::string_view title, std::string_view body) {
  std::string html;
  html += "<!DOCTYPE html>\n<html>\n<head>\n  <meta charset=\"utf-8\"/>\n";
  html += "  <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n";
  html += "  <title>";
  html += title;
  html += "</title>\n  <style>";
  html += kStyle;
  html += "  </style>\n  <script>";
  html += kCommonScript;
  html += "  </script>\n</head>\n<body>";
  html += body;
  html += "</body>\n</html>\n";
  return html;
}

const asgi::Headers& html_headers() {
  // The pages run scripts that read a cookie and post credentials: no framing by other sites,
  // no caching of a page that may be shown to the next user of the browser.
  static const asgi::Headers headers{
      {"content-type", "text/html; charset=utf-8"},
      {"cache-control", "no-store"},
      {"x-frame-options", "DENY"},
      {"x-content-type-options", "nosniff"},
      {"referrer-policy", "same-origin"},
  };
  return headers;
}

}  // namespace

std::string_view lobby_page_html() {
  static const std::string html = page("Chat Rooms", kLobbyBody);
  return html;
}

std::string_view room_page_html() {
  static const std::string html = page("Chat Room", kRoomBody);
  return html;
}

Task<void> LobbyPage::handle(std::string_view) {
  send_response(200, lobby_page_html(), html_headers());
  co_return;
}

Task<void> RoomPage::handle(std::string_view) {
  send_response(200, room_page_html(), html_headers());
  co_return;
}

}  // namespace laurel::chat
