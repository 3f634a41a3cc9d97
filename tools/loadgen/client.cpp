// tools/loadgen/client.cpp
#include "client.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <strings.h>

#include <cstdio>
#include <cstring>

namespace laurel::loadgen {

namespace {

// One read buffer for every client: the loop is single-threaded and libuv hands a buffer to
// exactly one read callback before asking for the next, so 10,000 idle sockets cost no buffers.
constexpr size_t kReadBuffer = 256 * 1024;
char g_read_buffer[kReadBuffer];

std::string base64(const unsigned char* p, size_t n) {
  std::string out(4 * ((n + 2) / 3) + 1, '\0');
  const int len = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), p, static_cast<int>(n));
  out.resize(static_cast<size_t>(len));
  return out;
}

// RFC 6455 §4.2.2: the accept value is base64(SHA-1(key + GUID)).
std::string accept_for(const std::string& key) {
  const std::string s = key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
  unsigned char digest[SHA_DIGEST_LENGTH];
  SHA1(reinterpret_cast<const unsigned char*>(s.data()), s.size(), digest);
  return base64(digest, sizeof digest);
}

}  // namespace

Client::Client(uv_loop_t* loop, const Target& target, Events& events, uint32_t index)
    : loop_(loop), target_(target), events_(events), index_(index) {
  tcp_.data = this;
  connect_req_.data = this;
  write_req_.data = this;
}

void Client::start() {
  started_ns_ = uv_hrtime();
  uv_tcp_init(loop_, &tcp_);
  const int r = uv_tcp_connect(&connect_req_, &tcp_, reinterpret_cast<const sockaddr*>(&target_.addr_for(index_)),
                               on_connect);
  if (r != 0) fail();
}

void Client::on_connect(uv_connect_t* req, int status) noexcept {
  auto* self = static_cast<Client*>(req->data);
  if (self->state_ != State::kConnecting) return;  // closed meanwhile
  if (status != 0) return self->fail();
  self->state_ = State::kUpgrading;
  uv_tcp_nodelay(&self->tcp_, 1);  // latency: a small frame must not wait for Nagle
  unsigned char nonce[16];
  RAND_bytes(nonce, sizeof nonce);
  const std::string key = base64(nonce, sizeof nonce);
  self->expected_accept_ = accept_for(key);
  std::string req_text;
  req_text.reserve(256);
  req_text += "GET " + self->target_.path + " HTTP/1.1\r\nHost: " + self->target_.host_for(self->index_) +
              "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
              "Sec-WebSocket-Key: " + key + "\r\n";
  for (const auto& h : self->target_.headers) req_text += h + "\r\n";
  req_text += "\r\n";
  llhttp_init(&self->parser_, HTTP_RESPONSE, &settings());
  self->parser_.data = self;
  if (uv_read_start(reinterpret_cast<uv_stream_t*>(&self->tcp_), on_alloc, on_read) != 0) {
    return self->fail();
  }
  self->out_.insert(self->out_.end(), req_text.begin(), req_text.end());
  self->flush();
}

void Client::on_alloc(uv_handle_t*, size_t, uv_buf_t* buf) noexcept {
  *buf = uv_buf_init(g_read_buffer, kReadBuffer);
}

void Client::on_read(uv_stream_t* s, ssize_t nread, const uv_buf_t* buf) noexcept {
  auto* self = static_cast<Client*>(s->data);
  if (nread > 0) {
    self->handle_bytes(buf->base, static_cast<size_t>(nread));
    self->flush();  // one write for every frame the batch of input produced
  } else if (nread < 0) {
    // EOF after our close frame is the clean end; anywhere else the server went away.
    if (!(nread == UV_EOF && self->state_ == State::kClosing)) self->error_ = true;
    self->shut();
  }
}

void Client::handle_bytes(const char* p, size_t n) {
  if (state_ == State::kUpgrading) return handle_upgrade_bytes(p, n);
  if (state_ == State::kOpen || state_ == State::kClosing) handle_frame_bytes(p, n);
}

void Client::handle_upgrade_bytes(const char* p, size_t n) {
  const llhttp_errno_t err = llhttp_execute(&parser_, p, n);
  if (err == HPE_OK) return;  // need more (a complete non-101 response fails in a callback)
  if (err != HPE_PAUSED_UPGRADE || parser_.status_code != 101 || !accept_ok_) {
    // Say once why handshakes fail (a 401 means a missing --header 'Authorization: ...').
    static bool said = false;
    if (!said) {
      said = true;
      fprintf(stderr, "laurel-loadgen: handshake refused: HTTP %d%s\n", parser_.status_code,
              parser_.status_code == 101 ? " with a wrong Sec-WebSocket-Accept" : "");
    }
    return fail();
  }
  const char* rest = llhttp_get_error_pos(&parser_);
  state_ = State::kOpen;
  was_open_ = true;
  opened_ns_ = uv_hrtime();
  std::string().swap(field_);
  std::string().swap(value_);
  std::string().swap(expected_accept_);
  events_.on_open(*this);
  if (state_ == State::kOpen && rest && rest < p + n) {
    handle_frame_bytes(rest, static_cast<size_t>(p + n - rest));
  }
}

void Client::handle_frame_bytes(const char* p, size_t n) {
  const bool ok = reader_.feed(p, n, [this](const Message& m) {
    if (state_ == State::kClosed) return;
    switch (m.opcode) {
      case kOpText:
      case kOpBinary:
        if (state_ == State::kOpen) events_.on_message(*this, m);
        break;
      case kOpPing:
        append_frame(out_, kOpPong, m.prefix, m.prefix_len);
        break;
      case kOpClose:
        if (state_ == State::kOpen) {
          // The server closed first: answer with a close frame (RFC 6455 §5.5.1), then close.
          error_ = true;  // a benchmark server never closes on its own
          append_frame(out_, kOpClose, m.prefix, m.prefix_len >= 2 ? 2 : 0);
          state_ = State::kClosing;
          flush();
        }
        shut();
        break;
      default:
        break;
    }
  });
  if (!ok) fail();
}

void Client::flush() {
  if (writing_ || out_.empty() || state_ == State::kClosed || state_ == State::kConnecting) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&tcp_);
  uv_buf_t b = uv_buf_init(out_.data(), static_cast<unsigned>(out_.size()));
  int r = uv_try_write(stream, &b, 1);
  if (r == UV_EAGAIN || r == UV_ENOSYS) r = 0;
  if (r < 0) return fail();
  if (static_cast<size_t>(r) == out_.size()) {
    out_.clear();
    return;
  }
  // The socket buffer is full: hand the rest to uv_write; new frames gather in out_ meanwhile.
  writing_buf_.assign(out_.begin() + r, out_.end());
  out_.clear();
  writing_ = true;
  b = uv_buf_init(writing_buf_.data(), static_cast<unsigned>(writing_buf_.size()));
  if (uv_write(&write_req_, stream, &b, 1, on_write) != 0) {
    writing_ = false;
    fail();
  }
}

void Client::on_write(uv_write_t* req, int status) noexcept {
  auto* self = static_cast<Client*>(req->data);
  self->writing_ = false;
  self->writing_buf_.clear();
  if (status == UV_ECANCELED || self->state_ == State::kClosed) return;
  if (status < 0) return self->fail();
  self->flush();
}

void Client::close(bool graceful) {
  if (state_ == State::kOpen) {
    const char code[2] = {0x03, static_cast<char>(0xE8)};  // 1000, normal closure
    append_frame(out_, kOpClose, code, 2);
    state_ = State::kClosing;
    flush();
    if (graceful) return;
  }
  if (state_ == State::kClosing && graceful) return;
  shut();
}

void Client::fail() {
  error_ = true;
  shut();
}

void Client::shut() {
  if (state_ == State::kClosed) return;
  state_ = State::kClosed;
  uv_close(reinterpret_cast<uv_handle_t*>(&tcp_), on_handle_closed);
}

void Client::on_handle_closed(uv_handle_t* h) noexcept {
  auto* self = static_cast<Client*>(h->data);
  self->events_.on_closed(*self, self->was_open_, self->error_);
  delete self;
}

int Client::on_header_field(llhttp_t* p, const char* at, size_t n) noexcept {
  static_cast<Client*>(p->data)->field_.append(at, n);
  return 0;
}

int Client::on_header_value(llhttp_t* p, const char* at, size_t n) noexcept {
  static_cast<Client*>(p->data)->value_.append(at, n);
  return 0;
}

int Client::on_header_value_complete(llhttp_t* p) noexcept {
  auto* self = static_cast<Client*>(p->data);
  if (strcasecmp(self->field_.c_str(), "sec-websocket-accept") == 0) {
    self->accept_ok_ = self->value_ == self->expected_accept_;
  }
  self->field_.clear();
  self->value_.clear();
  return 0;
}

int Client::on_headers_complete(llhttp_t* p) noexcept {
  // 2 tells llhttp "no body, the connection is upgraded": it then pauses with
  // HPE_PAUSED_UPGRADE right after the head. Anything but 101 is a refused handshake.
  return p->status_code == 101 ? 2 : -1;
}

const llhttp_settings_t& Client::settings() {
  static const llhttp_settings_t s = [] {
    llhttp_settings_t r;
    llhttp_settings_init(&r);
    r.on_header_field = on_header_field;
    r.on_header_value = on_header_value;
    r.on_header_value_complete = on_header_value_complete;
    r.on_headers_complete = on_headers_complete;
    return r;
  }();
  return s;
}

}  // namespace laurel::loadgen
