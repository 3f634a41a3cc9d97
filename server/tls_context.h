// server/tls_context.h
#pragma once

// One endpoint's OpenSSL server configuration (SSL_CTX): TLS 1.2+, Mozilla "intermediate"
// ciphers, no compression, no renegotiation, no session tickets, ALPN http/1.1. All workers
// share it; reload() builds a fresh SSL_CTX from the files (SIGHUP) and swaps it in for new
// connections, while connections already open keep the context they started with.

#include <mutex>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace laurel::server {

// A server SSL_CTX with laurel's defaults and the given certificate chain and key (PEM).
// Returns nullptr and sets `error` when the files cannot be used.
SSL_CTX* make_server_ssl_ctx(const std::string& cert_file, const std::string& key_file,
                             std::string& error);

class TlsContext {
 public:
  TlsContext(std::string cert_file, std::string key_file);
  ~TlsContext();
  TlsContext(const TlsContext&) = delete;
  TlsContext& operator=(const TlsContext&) = delete;

  // Reads the files again. On failure the old context stays in use; returns false with `error`.
  bool reload(std::string& error);
  // A new server-side SSL for one connection, from the current context (any thread).
  SSL* new_ssl();
  const std::string& cert_file() const { return cert_file_; }

 private:
  std::string cert_file_;
  std::string key_file_;
  std::mutex mutex_;
  SSL_CTX* ctx_ = nullptr;
};

}  // namespace laurel::server
