// examples/chat/chat_pages.cpp

#include "examples/chat/chat_pages.h"

#include <string>

namespace laurel::chat {

namespace {

constexpr std::string_view kLobbyHtml = R"html(<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8"/>
  <title>Chat Rooms</title>
</head>
<body>
  What chat room would you like to enter?<br>
  <input id="room-name-input" type="text" size="100"><br>
  <input id="room-name-submit" type="button" value="Enter">
  <script>
    const input = document.querySelector('#room-name-input');
    input.focus();
    input.onkeyup = function(e) {
      if (e.key === 'Enter') document.querySelector('#room-name-submit').click();
    };
    document.querySelector('#room-name-submit').onclick = function(e) {
      window.location.pathname = '/chat/' + encodeURIComponent(input.value) + '/';
    };
  </script>
</body>
</html>
)html";

// The room name is read from the URL by the script, so the page itself is constant (no
// server-side templating, nothing of the path echoed into HTML).
constexpr std::string_view kRoomHtml = R"html(<!DOCTYPE html>
<html>
<head>
  <meta charset="utf-8"/>
  <title>Chat Room</title>
</head>
<body>
  <textarea id="chat-log" cols="100" rows="20" readonly></textarea><br>
  <input id="chat-message-input" type="text" size="100"><br>
  <input id="chat-message-submit" type="button" value="Send">
  <script>
    const roomName = decodeURIComponent(window.location.pathname.split('/')[2]);
    const scheme = window.location.protocol === 'https:' ? 'wss://' : 'ws://';
    const chatSocket = new WebSocket(
      scheme + window.location.host + '/ws/chat/' + encodeURIComponent(roomName) + '/');
    const log = document.querySelector('#chat-log');

    chatSocket.onmessage = function(e) {
      const data = JSON.parse(e.data);
      log.value += (data.user ? data.user + ': ' : '') + data.message + '\n';
    };
    chatSocket.onclose = function(e) {
      log.value += '[connection closed: ' + e.code + ']\n';
    };

    const input = document.querySelector('#chat-message-input');
    input.focus();
    input.onkeyup = function(e) {
      if (e.key === 'Enter') document.querySelector('#chat-message-submit').click();
    };
    document.querySelector('#chat-message-submit').onclick = function(e) {
      chatSocket.send(JSON.stringify({'message': input.value}));
      input.value = '';
    };
  </script>
</body>
</html>
)html";

const asgi::Headers& html_headers() {
  static const asgi::Headers headers{{"content-type", "text/html; charset=utf-8"}};
  return headers;
}

}  // namespace

Task<void> LobbyPage::handle(std::string_view) {
  send_response(200, kLobbyHtml, html_headers());
  co_return;
}

Task<void> RoomPage::handle(std::string_view) {
  send_response(200, kRoomHtml, html_headers());
  co_return;
}

}  // namespace laurel::chat
