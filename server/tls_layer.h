// server/tls_layer.h
#pragma once

// TLS for one connection without I/O of its own: ciphertext read from the socket goes in and
// plaintext comes out for the session; the session's plaintext goes in and ciphertext comes out
// for the connection's outbound buffer. OpenSSL reads and writes through a BIO that points at
// the caller's buffers only during a call, so an idle connection holds no TLS buffers beyond
// the SSL object itself (with SSL_MODE_RELEASE_BUFFERS).

#include <cstddef>
#include <string>
#include <string_view>

typedef struct ssl_st SSL;

namespace laurel::server {

class TlsLayer {
 public:
  // What the connection's BIO reads from and writes to; set only during a call.
  struct Buffers {
    std::string_view in;          // ciphertext OpenSSL has not read yet
    std::string* wire = nullptr;  // where OpenSSL's output goes
  };

  enum class Status {
    kOk,
    kClosed,  // the peer sent close_notify: no more input will come
    kError,   // a fatal TLS error (error() says which); an alert may be in `wire`
  };

  // Takes ownership of `ssl`, already made server-side (SSL_new from a server context) or set
  // to client mode with SSL_set_connect_state (tests, tools).
  explicit TlsLayer(SSL* ssl);
  ~TlsLayer();
  TlsLayer(const TlsLayer&) = delete;
  TlsLayer& operator=(const TlsLayer&) = delete;

  // Starts a client handshake (the ClientHello goes to `wire`). Servers need not call it.
  Status start(std::string& wire);
  // Ciphertext from the peer, all of it consumed: decrypted data is appended to `plain`, and
  // what TLS must send back (handshake messages, alerts) to `wire`.
  Status receive(std::string_view cipher, std::string& plain, std::string& wire);
  // Encrypts `plain` into `wire`. Returns how much of `plain` was taken: all of it once the
  // handshake is complete, nothing before (the caller keeps the rest and tries again later).
  std::size_t send(std::string_view plain, std::string& wire, Status& status);
  // Appends a close_notify alert to `wire` (once; nothing after a fatal error).
  void close_notify(std::string& wire);

  bool handshake_done() const { return handshake_done_; }
  bool failed() const { return failed_; }
  const std::string& error() const { return error_; }
  SSL* ssl() { return ssl_; }

 private:
  Status fail_with(int ssl_error);

  SSL* ssl_;
  Buffers buffers_;
  std::string error_;
  bool handshake_done_ = false;
  bool failed_ = false;
  bool close_sent_ = false;
};

}  // namespace laurel::server
