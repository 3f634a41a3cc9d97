// server/tls_layer.cpp
#include "server/tls_layer.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <cstring>

namespace laurel::server {
namespace {

// Application data is decrypted in pieces of at most one TLS record.
constexpr std::size_t kPlainChunk = 16 * 1024;

using BioBuffers = TlsLayer::Buffers;

int bio_write(BIO* bio, const char* data, std::size_t len, std::size_t* written) {
  auto* b = static_cast<BioBuffers*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (!b->wire) return 0;
  b->wire->append(data, len);
  *written = len;
  return 1;
}

int bio_read(BIO* bio, char* data, std::size_t len, std::size_t* read) {
  auto* b = static_cast<BioBuffers*>(BIO_get_data(bio));
  BIO_clear_retry_flags(bio);
  if (b->in.empty()) {
    BIO_set_retry_read(bio);  // "would block": more arrives with the next socket read
    return 0;
  }
  std::size_t n = std::min(len, b->in.size());
  std::memcpy(data, b->in.data(), n);
  b->in.remove_prefix(n);
  *read = n;
  return 1;
}

long bio_ctrl(BIO*, int cmd, long, void*) {
  // FLUSH must succeed (the output is already in the caller's buffer); nothing else applies.
  return cmd == BIO_CTRL_FLUSH ? 1 : 0;
}

int bio_create(BIO* bio) {
  BIO_set_init(bio, 1);
  return 1;
}

BIO_METHOD* make_method() {
  BIO_METHOD* m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "laurel buffers");
  BIO_meth_set_write_ex(m, bio_write);
  BIO_meth_set_read_ex(m, bio_read);
  BIO_meth_set_ctrl(m, bio_ctrl);
  BIO_meth_set_create(m, bio_create);
  return m;
}

BIO_METHOD* bio_method() {
  static BIO_METHOD* method = make_method();  // process-wide, never freed
  return method;
}

// Sets the BIO's views for the duration of one call and clears them after.
class Bind {
 public:
  Bind(void* buffers, std::string_view in, std::string& wire)
      : b_(static_cast<BioBuffers*>(buffers)) {
    b_->in = in;
    b_->wire = &wire;
  }
  ~Bind() {
    b_->in = {};
    b_->wire = nullptr;
  }
  BioBuffers* b_;
};

}  // namespace

TlsLayer::TlsLayer(SSL* ssl) : ssl_(ssl) {
  BIO* bio = BIO_new(bio_method());
  BIO_set_data(bio, &buffers_);
  SSL_set_bio(ssl_, bio, bio);  // one BIO both ways: the SSL takes its single reference
  // OpenSSL reads nothing before it knows its role; a server SSL waits for the ClientHello.
  if (SSL_is_server(ssl_)) SSL_set_accept_state(ssl_);
}

TlsLayer::~TlsLayer() { SSL_free(ssl_); }

TlsLayer::Status TlsLayer::fail_with(int ssl_error) {
  failed_ = true;
  error_ = ssl_error == SSL_ERROR_SSL ? [] {
    unsigned long e = ERR_peek_last_error();
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    return std::string(buf);
  }()
                                      : "TLS error " + std::to_string(ssl_error);
  ERR_clear_error();
  return Status::kError;
}

TlsLayer::Status TlsLayer::start(std::string& wire) {
  if (failed_) return Status::kError;
  Bind bind(&buffers_, {}, wire);
  int r = SSL_do_handshake(ssl_);
  if (r == 1) {
    handshake_done_ = true;
    return Status::kOk;
  }
  int e = SSL_get_error(ssl_, r);
  if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) return Status::kOk;
  return fail_with(e);
}

TlsLayer::Status TlsLayer::receive(std::string_view cipher, std::string& plain,
                                   std::string& wire) {
  if (failed_) return Status::kError;
  Bind bind(&buffers_, cipher, wire);
  for (;;) {
    std::size_t unread = buffers_.in.size();
    std::size_t old = plain.size();
    plain.resize(old + kPlainChunk);
    std::size_t n = 0;
    int r = SSL_read_ex(ssl_, plain.data() + old, kPlainChunk, &n);
    plain.resize(old + (r == 1 ? n : 0));
    if (!handshake_done_ && SSL_is_init_finished(ssl_)) handshake_done_ = true;
    if (r == 1) continue;
    int e = SSL_get_error(ssl_, r);
    if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
      // All input taken; or a non-data record (key update) was consumed and more may follow.
      if (buffers_.in.empty() || buffers_.in.size() == unread) return Status::kOk;
      continue;
    }
    if (e == SSL_ERROR_ZERO_RETURN) return Status::kClosed;
    return fail_with(e);
  }
}

std::size_t TlsLayer::send(std::string_view plain, std::string& wire, Status& status) {
  status = failed_ ? Status::kError : Status::kOk;
  if (failed_ || !handshake_done_) return 0;
  Bind bind(&buffers_, {}, wire);
  std::size_t taken = 0;
  while (taken < plain.size()) {
    std::size_t n = 0;
    int r = SSL_write_ex(ssl_, plain.data() + taken, plain.size() - taken, &n);
    if (r != 1) {
      int e = SSL_get_error(ssl_, r);
      if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) break;
      status = fail_with(e);
      break;
    }
    taken += n;
  }
  return taken;
}

void TlsLayer::close_notify(std::string& wire) {
  if (close_sent_ || failed_ || !handshake_done_) return;
  close_sent_ = true;
  Bind bind(&buffers_, {}, wire);
  SSL_shutdown(ssl_);  // 0: sent, waiting for the peer's (we do not wait)
  ERR_clear_error();
}

}  // namespace laurel::server
