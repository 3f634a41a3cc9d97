// tests/server/tls_memory_probe.cpp
// Measures what one idle, handshaked server-side TLS connection keeps allocated inside OpenSSL
// (the SSL object, its session, handshake leftovers), by counting OpenSSL's allocations per
// side. Not a unit test (the numbers depend on the OpenSSL build); run by hand:
//   g++ -std=c++20 -O2 -I. tests/server/tls_memory_probe.cpp server/tls_layer.cpp \
//       server/tls_context.cpp -lssl -lcrypto -o /tmp/tls_memory_probe && /tmp/tls_memory_probe

#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "server/tls_context.h"
#include "server/tls_layer.h"
#include "test_cert.h"

namespace {

// Every OpenSSL allocation carries a header saying which side made it and how big it is.
struct Header {
  std::size_t size;
  int side;
  int pad;
};
int g_side = 0;  // 0: not counted, 1: server
long long g_live[2] = {0, 0};

void* counted_malloc(std::size_t n, const char*, int) {
  auto* h = static_cast<Header*>(std::malloc(sizeof(Header) + n));
  if (!h) return nullptr;
  h->size = n;
  h->side = g_side;
  g_live[h->side] += static_cast<long long>(n);
  return h + 1;
}
void counted_free(void* p, const char*, int) {
  if (!p) return;
  Header* h = static_cast<Header*>(p) - 1;
  g_live[h->side] -= static_cast<long long>(h->size);
  std::free(h);
}
void* counted_realloc(void* p, std::size_t n, const char* f, int l) {
  if (!p) return counted_malloc(n, f, l);
  Header* h = static_cast<Header*>(p) - 1;
  int side = h->side;
  g_live[side] -= static_cast<long long>(h->size);
  auto* nh = static_cast<Header*>(std::realloc(h, sizeof(Header) + n));
  nh->size = n;
  g_live[side] += static_cast<long long>(n);
  return nh + 1;
}

}  // namespace

int main(int argc, char** argv) {
  CRYPTO_set_mem_functions(counted_malloc, counted_realloc, counted_free);
  using laurel::server::TlsLayer;
  auto cert = laurel::server::testing::make_test_cert();
  std::string error;
  SSL_CTX* sctx = laurel::server::make_server_ssl_ctx(cert.cert_file, cert.key_file, error);
  // "keep-buffers": what the figure would be without SSL_MODE_RELEASE_BUFFERS.
  if (argc > 1 && std::string(argv[1]) == "keep-buffers") {
    SSL_CTX_clear_mode(sctx, SSL_MODE_RELEASE_BUFFERS);
  }
  SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_verify(cctx, SSL_VERIFY_NONE, nullptr);
  for (int version : {TLS1_2_VERSION, TLS1_3_VERSION}) {
    SSL_CTX_set_max_proto_version(cctx, version);
    SSL_CTX_set_min_proto_version(cctx, version);
    constexpr int kConnections = 200;
    std::vector<std::unique_ptr<TlsLayer>> servers, clients;
    long long before = g_live[1];
    for (int i = 0; i < kConnections; ++i) {
      g_side = 1;
      servers.push_back(std::make_unique<TlsLayer>(SSL_new(sctx)));
      g_side = 0;
      SSL* c = SSL_new(cctx);
      SSL_set_connect_state(c);
      clients.push_back(std::make_unique<TlsLayer>(c));
      std::string to_server, to_client, plain;
      clients.back()->start(to_server);
      for (int round = 0; round < 10 && !(to_server.empty() && to_client.empty()); ++round) {
        g_side = 1;
        std::string in = std::move(to_server);
        to_server.clear();
        servers.back()->receive(in, plain, to_client);
        g_side = 0;
        in = std::move(to_client);
        to_client.clear();
        clients.back()->receive(in, plain, to_server);
      }
      if (!servers.back()->handshake_done()) {
        std::fprintf(stderr, "handshake failed: %s\n", servers.back()->error().c_str());
        return 1;
      }
      // One request and answer, so the record buffers were used once.
      TlsLayer::Status st;
      std::string wire;
      clients.back()->send("GET / HTTP/1.1\r\n\r\n", wire, st);
      g_side = 1;
      servers.back()->receive(wire, plain, to_client);
      std::string answer;
      servers.back()->send("HTTP/1.1 200 OK\r\n\r\n", answer, st);
      g_side = 0;
    }
    long long per = (g_live[1] - before) / kConnections;
    std::printf("%s: %lld bytes inside OpenSSL per idle server connection (+%zu TlsLayer)\n",
                version == TLS1_2_VERSION ? "TLS 1.2" : "TLS 1.3", per, sizeof(TlsLayer));
    g_side = 0;
    servers.clear();
    clients.clear();
  }
  SSL_CTX_free(sctx);
  SSL_CTX_free(cctx);
  laurel::server::testing::remove_test_cert(cert);
  return 0;
}
