// tests/server/test_cert.h
#pragma once

// A throw-away self-signed certificate (P-256, CN and SAN localhost / 127.0.0.1) written as PEM
// files into a fresh temporary directory, for the TLS tests.

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace laurel::server::testing {

struct TestCert {
  std::string dir;
  std::string cert_file;
  std::string key_file;
};

inline TestCert make_test_cert(const char* common_name = "localhost") {
  TestCert out;
  char tmpl[] = "/tmp/laurel-tls-XXXXXX";
  out.dir = mkdtemp(tmpl);
  out.cert_file = out.dir + "/cert.pem";
  out.key_file = out.dir + "/key.pem";
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_set_pubkey(x, key);
  X509_NAME* name = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(common_name), -1, -1, 0);
  X509_set_issuer_name(x, name);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* san =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, "DNS:localhost,IP:127.0.0.1");
  X509_add_ext(x, san, -1);
  X509_EXTENSION_free(san);
  X509_sign(x, key, EVP_sha256());
  FILE* f = std::fopen(out.cert_file.c_str(), "w");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(out.key_file.c_str(), "w");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
  return out;
}

inline void remove_test_cert(const TestCert& c) {
  std::remove(c.cert_file.c_str());
  std::remove(c.key_file.c_str());
  std::remove(c.dir.c_str());
}

// The subject CN of the certificate a TLS connection presented.
inline std::string peer_common_name(SSL* ssl) {
  X509* peer = SSL_get1_peer_certificate(ssl);
  if (!peer) return "";
  char buf[256] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(peer), NID_commonName, buf, sizeof buf);
  X509_free(peer);
  return buf;
}

}  // namespace laurel::server::testing
