// tests/server/tls_layer_test.cpp
// The sans-I/O TLS layer against an OpenSSL client in memory: bytes are passed between the two
// by hand, so every step (handshake, records split anywhere, close_notify, bad input) is seen.

#include "server/tls_layer.h"

#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <fstream>

#include "server/tls_context.h"
#include "test_cert.h"

namespace laurel::server {
namespace {

using Status = TlsLayer::Status;

class TlsLayerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    cert_ = testing::make_test_cert();
    std::string error;
    server_ctx_ = make_server_ssl_ctx(cert_.cert_file, cert_.key_file, error);
    ASSERT_NE(server_ctx_, nullptr) << error;
    client_ctx_ = SSL_CTX_new(TLS_client_method());
    // The client trusts exactly the generated certificate and checks the host name.
    ASSERT_EQ(SSL_CTX_load_verify_locations(client_ctx_, cert_.cert_file.c_str(), nullptr), 1);
    SSL_CTX_set_verify(client_ctx_, SSL_VERIFY_PEER, nullptr);
  }
  void TearDown() override {
    server_.reset();
    client_.reset();
    SSL_CTX_free(server_ctx_);
    SSL_CTX_free(client_ctx_);
    testing::remove_test_cert(cert_);
  }

  void make_pair(bool offer_alpn = true) {
    server_ = std::make_unique<TlsLayer>(SSL_new(server_ctx_));
    SSL* c = SSL_new(client_ctx_);
    SSL_set_connect_state(c);
    SSL_set_tlsext_host_name(c, "localhost");
    SSL_set1_host(c, "localhost");
    if (offer_alpn) {
      static const unsigned char kProtos[] = "\x02h2\x08http/1.1";
      SSL_set_alpn_protos(c, kProtos, sizeof kProtos - 1);
    }
    client_ = std::make_unique<TlsLayer>(c);
  }

  // Moves bytes both ways until neither side has anything to say, `chunk` bytes at a time.
  void pump(std::size_t chunk = 1 << 20) {
    for (int round = 0; round < 1000 && (!to_server_.empty() || !to_client_.empty()); ++round) {
      std::string c2s = std::move(to_server_);
      to_server_.clear();
      for (std::size_t i = 0; i < c2s.size(); i += chunk) {
        server_status_ = server_->receive(std::string_view(c2s).substr(i, chunk), server_plain_,
                                          to_client_);
      }
      std::string s2c = std::move(to_client_);
      to_client_.clear();
      for (std::size_t i = 0; i < s2c.size(); i += chunk) {
        client_status_ = client_->receive(std::string_view(s2c).substr(i, chunk), client_plain_,
                                          to_server_);
      }
    }
  }

  void handshake(std::size_t chunk = 1 << 20) {
    ASSERT_EQ(client_->start(to_server_), Status::kOk);
    pump(chunk);
    ASSERT_TRUE(server_->handshake_done()) << server_->error();
    ASSERT_TRUE(client_->handshake_done()) << client_->error();
  }

  testing::TestCert cert_;
  SSL_CTX* server_ctx_ = nullptr;
  SSL_CTX* client_ctx_ = nullptr;
  std::unique_ptr<TlsLayer> server_, client_;
  std::string to_server_, to_client_, server_plain_, client_plain_;
  Status server_status_ = Status::kOk, client_status_ = Status::kOk;
};

TEST_F(TlsLayerTest, HandshakesWithModernDefaultsAndAlpnHttp11) {
  make_pair();
  handshake();
  EXPECT_GE(SSL_version(server_->ssl()), TLS1_2_VERSION);
  const unsigned char* alpn = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(client_->ssl(), &alpn, &len);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(alpn), len), "http/1.1");
  EXPECT_EQ(SSL_get_current_compression(server_->ssl()), nullptr);
  EXPECT_EQ(testing::peer_common_name(client_->ssl()), "localhost");
  EXPECT_EQ(SSL_get_verify_result(client_->ssl()), X509_V_OK);
}

TEST_F(TlsLayerTest, CarriesLargeDataBothWaysAcrossRecords) {
  make_pair();
  handshake();
  std::string request(100 * 1000, '\0');
  for (std::size_t i = 0; i < request.size(); ++i) request[i] = static_cast<char>(i * 7 + 3);
  Status st;
  EXPECT_EQ(client_->send(request, to_server_, st), request.size());
  EXPECT_EQ(st, Status::kOk);
  EXPECT_GT(to_server_.size(), request.size());  // framed and authenticated
  pump();
  EXPECT_EQ(server_plain_, request);
  std::string answer = "HTTP/1.1 200 OK\r\n\r\n" + std::string(70000, 'z');
  EXPECT_EQ(server_->send(answer, to_client_, st), answer.size());
  pump();
  EXPECT_EQ(client_plain_, answer);
}

TEST_F(TlsLayerTest, WorksWhenTheSocketDeliversOneByteAtATime) {
  make_pair();
  handshake(/*chunk=*/1);
  Status st;
  client_->send("GET / HTTP/1.1\r\n\r\n", to_server_, st);
  pump(1);
  EXPECT_EQ(server_plain_, "GET / HTTP/1.1\r\n\r\n");
}

TEST_F(TlsLayerTest, TakesNoPlaintextBeforeTheHandshake) {
  make_pair();
  std::string wire;
  Status st;
  EXPECT_EQ(server_->send("too early", wire, st), 0u);
  EXPECT_EQ(st, Status::kOk);
  EXPECT_TRUE(wire.empty());
}

TEST_F(TlsLayerTest, NoAlpnAnswerWhenTheClientOffersNone) {
  make_pair(/*offer_alpn=*/false);
  handshake();
  const unsigned char* alpn = nullptr;
  unsigned int len = 0;
  SSL_get0_alpn_selected(client_->ssl(), &alpn, &len);
  EXPECT_EQ(len, 0u);
}

TEST_F(TlsLayerTest, RefusesClientsLimitedToTls11) {
  SSL_CTX_set_security_level(client_ctx_, 0);
  SSL_CTX_set_min_proto_version(client_ctx_, TLS1_VERSION);
  SSL_CTX_set_max_proto_version(client_ctx_, TLS1_1_VERSION);
  make_pair();
  Status start = client_->start(to_server_);
  if (start == Status::kOk) pump();
  EXPECT_FALSE(server_->handshake_done());
  EXPECT_FALSE(client_->handshake_done());
  EXPECT_TRUE(server_->failed() || client_->failed());
}

TEST_F(TlsLayerTest, ReportsTheClientsCloseNotifyAsClosed) {
  make_pair();
  handshake();
  client_->close_notify(to_server_);
  ASSERT_FALSE(to_server_.empty());
  std::string wire;
  EXPECT_EQ(server_->receive(to_server_, server_plain_, wire), Status::kClosed);
}

TEST_F(TlsLayerTest, SendsItsOwnCloseNotifyOnce) {
  make_pair();
  handshake();
  std::string wire;
  server_->close_notify(wire);
  EXPECT_FALSE(wire.empty());
  std::size_t size = wire.size();
  server_->close_notify(wire);
  EXPECT_EQ(wire.size(), size);
  std::string plain, back;
  EXPECT_EQ(client_->receive(wire, plain, back), Status::kClosed);
}

TEST_F(TlsLayerTest, GarbageIsAFatalErrorWithAnAlert) {
  make_pair();
  std::string garbage = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";  // plain HTTP to a TLS port
  std::string wire;
  EXPECT_EQ(server_->receive(garbage, server_plain_, wire), Status::kError);
  EXPECT_TRUE(server_->failed());
  EXPECT_FALSE(server_->error().empty());
  EXPECT_TRUE(server_plain_.empty());
  Status st;
  EXPECT_EQ(server_->send("x", wire, st), 0u);
  EXPECT_EQ(st, Status::kError);
}

TEST_F(TlsLayerTest, TamperedRecordsAreRejected) {
  make_pair();
  handshake();
  Status st;
  client_->send("secret", to_server_, st);
  to_server_[to_server_.size() - 3] ^= 0x40;
  std::string wire;
  EXPECT_EQ(server_->receive(to_server_, server_plain_, wire), Status::kError);
  EXPECT_TRUE(server_plain_.empty());
}

// --- the per-endpoint context -------------------------------------------------------------

TEST(TlsContextTest, NamesTheFileThatCannotBeUsed) {
  std::string error;
  EXPECT_EQ(make_server_ssl_ctx("/nonexistent/cert.pem", "/nonexistent/key.pem", error), nullptr);
  EXPECT_NE(error.find("/nonexistent/cert.pem"), std::string::npos) << error;
}

TEST(TlsContextTest, RejectsAKeyThatDoesNotMatchTheCertificate) {
  auto a = testing::make_test_cert();
  auto b = testing::make_test_cert();
  std::string error;
  EXPECT_EQ(make_server_ssl_ctx(a.cert_file, b.key_file, error), nullptr);
  EXPECT_FALSE(error.empty());
  testing::remove_test_cert(a);
  testing::remove_test_cert(b);
}

TEST(TlsContextTest, ReloadSwapsTheCertificateAndKeepsTheOldOneOnFailure) {
  auto first = testing::make_test_cert("first");
  TlsContext ctx(first.cert_file, first.key_file);
  std::string error;
  ASSERT_TRUE(ctx.reload(error)) << error;
  SSL* before = ctx.new_ssl();
  ASSERT_NE(before, nullptr);

  // New files in place: the next connection presents the new certificate.
  auto second = testing::make_test_cert("second");
  std::rename(second.cert_file.c_str(), first.cert_file.c_str());
  std::rename(second.key_file.c_str(), first.key_file.c_str());
  ASSERT_TRUE(ctx.reload(error)) << error;
  SSL* after = ctx.new_ssl();
  ASSERT_NE(after, nullptr);
  auto cn = [](SSL* ssl) {
    char buf[64] = {0};
    X509_NAME_get_text_by_NID(X509_get_subject_name(SSL_get_certificate(ssl)), NID_commonName,
                              buf, sizeof buf);
    return std::string(buf);
  };
  EXPECT_EQ(cn(before), "first");  // an open connection keeps its context
  EXPECT_EQ(cn(after), "second");

  // A broken file: reload fails, the current certificate stays.
  { std::ofstream(first.cert_file) << "not a certificate"; }
  EXPECT_FALSE(ctx.reload(error));
  EXPECT_FALSE(error.empty());
  SSL* still = ctx.new_ssl();
  ASSERT_NE(still, nullptr);
  EXPECT_EQ(cn(still), "second");
  SSL_free(before);
  SSL_free(after);
  SSL_free(still);
  testing::remove_test_cert(first);
  std::remove(second.dir.c_str());
}

}  // namespace
}  // namespace laurel::server
