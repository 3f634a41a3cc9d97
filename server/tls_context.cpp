// server/tls_context.cpp
#include "server/tls_context.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <cstring>

namespace laurel::server {
namespace {

// Mozilla's "intermediate" profile (TLS 1.2 suites; TLS 1.3 suites are OpenSSL's defaults).
constexpr const char* kCiphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

std::string openssl_errors() {
  std::string out;
  while (unsigned long e = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out.empty() ? "unknown OpenSSL error" : out;
}

// laurel speaks HTTP/1.1 only: pick it when offered; a client offering only h2 gets no ALPN
// answer (and will usually fall back) rather than a failed handshake.
int select_alpn(SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in,
                unsigned int inlen, void*) {
  static const unsigned char kHttp11[] = {'h', 't', 't', 'p', '/', '1', '.', '1'};
  for (unsigned int i = 0; i < inlen;) {
    unsigned int len = in[i];
    if (i + 1 + len > inlen) break;
    if (len == sizeof kHttp11 && std::memcmp(in + i + 1, kHttp11, len) == 0) {
      *out = in + i + 1;
      *outlen = static_cast<unsigned char>(len);
      return SSL_TLSEXT_ERR_OK;
    }
    i += 1 + len;
  }
  return SSL_TLSEXT_ERR_NOACK;
}

}  // namespace

SSL_CTX* make_server_ssl_ctx(const std::string& cert_file, const std::string& key_file,
                             std::string& error) {
  ERR_clear_error();
  SSL_CTX* ctx = SSL_CTX_new(TLS_server_method());
  if (!ctx) {
    error = openssl_errors();
    return nullptr;
  }
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  // OpenSSL 3 refuses client-initiated renegotiation by default; NO_RENEGOTIATION covers TLS 1.2
  // renegotiation in both directions.
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_TICKET);
  // Release the record buffers of idle connections (34 KiB each way otherwise); partial writes
  // and moving buffers because the outbound std::string may reallocate between calls.
  SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS | SSL_MODE_ENABLE_PARTIAL_WRITE |
                            SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
  SSL_CTX_set_dh_auto(ctx, 1);
  SSL_CTX_set_alpn_select_cb(ctx, select_alpn, nullptr);
  // A bounded server-side session cache (resumption without tickets).
  static const unsigned char kSessionContext[] = "laurel";
  SSL_CTX_set_session_id_context(ctx, kSessionContext, sizeof kSessionContext - 1);
  SSL_CTX_sess_set_cache_size(ctx, 1024);
  if (SSL_CTX_set_cipher_list(ctx, kCiphers) != 1) {
    error = "cipher list: " + openssl_errors();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1) {
    error = "certificate " + cert_file + ": " + openssl_errors();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    error = "private key " + key_file + ": " + openssl_errors();
    SSL_CTX_free(ctx);
    return nullptr;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    error = "private key " + key_file + " does not match certificate " + cert_file;
    SSL_CTX_free(ctx);
    return nullptr;
  }
  return ctx;
}

TlsContext::TlsContext(std::string cert_file, std::string key_file)
    : cert_file_(std::move(cert_file)), key_file_(std::move(key_file)) {}

TlsContext::~TlsContext() {
  if (ctx_) SSL_CTX_free(ctx_);
}

bool TlsContext::reload(std::string& error) {
  SSL_CTX* fresh = make_server_ssl_ctx(cert_file_, key_file_, error);
  if (!fresh) return false;
  SSL_CTX* old = nullptr;
  {
    std::lock_guard lock(mutex_);
    old = ctx_;
    ctx_ = fresh;
  }
  // Connections made from the old context hold their own reference to it.
  if (old) SSL_CTX_free(old);
  return true;
}

SSL* TlsContext::new_ssl() {
  std::lock_guard lock(mutex_);
  return ctx_ ? SSL_new(ctx_) : nullptr;
}

}  // namespace laurel::server
