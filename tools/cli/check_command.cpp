// tools/cli/check_command.cpp
#include "tools/cli/check_command.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/stat.h>

#include <CLI/CLI.hpp>

#include <ctime>
#include <memory>
#include <ostream>
#include <set>

#include "channel_layer/redis_address.h"
#include "tools/cli/app_files.h"
#include "tools/cli/redis_ping.h"

namespace laurel::cli {
namespace {

constexpr std::size_t kMinKeyLength = 50;      // Django's SECRET_KEY_MIN_LENGTH
constexpr std::size_t kMinKeyUniqueChars = 5;  // Django's SECRET_KEY_MIN_UNIQUE_CHARACTERS
constexpr const char* kInsecurePrefix = "django-insecure-";
constexpr int kCertExpiryWarningDays = 14;

std::string openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return text;
}

CheckLine check_secret_key(const CommandContext& ctx, const std::string& database) {
  SecretKeyLookup found = find_secret_key(ctx.options, ctx.info, database);
  if (!found.key) return {CheckLevel::kFail, "secret key", found.error};
  std::string weakness = secret_key_weakness(*found.key);
  if (!weakness.empty()) {
    return {CheckLevel::kFail, "secret key", weakness + " (" + found.source + ")"};
  }
  std::string reason = std::to_string(found.key->size()) + " characters (" + found.source + ")";
  if (!found.file.empty()) {
    struct stat st {};
    if (stat(found.file.c_str(), &st) == 0 && (st.st_mode & 077) != 0) {
      return {CheckLevel::kWarn, "secret key",
              reason + ", but the file is readable by other users: chmod 600 " + found.file};
    }
  }
  return {CheckLevel::kOk, "secret key", reason};
}

CheckLine check_allowed_hosts(const CliOptions& options) {
  const auto& hosts = options.allowed_hosts;
  if (hosts.empty()) {
    return {CheckLevel::kWarn, "allowed hosts",
            "not set: only localhost names are accepted, as Django's DEBUG default "
            "(--allowed-hosts example.com)"};
  }
  std::string list;
  for (const auto& h : hosts) list += (list.empty() ? "" : ",") + h;
  for (const auto& h : hosts) {
    if (h == "*") return {CheckLevel::kWarn, "allowed hosts", "'*' accepts any Host and Origin"};
  }
  return {CheckLevel::kOk, "allowed hosts", list};
}

// The certificate/key pairs to look at: --tls-cert/--tls-key here, and any listener the
// configuration (or a future serve-time flag) put in options.server.endpoints.
std::vector<std::pair<std::string, std::string>> tls_pairs(const CliOptions& options,
                                                          const std::string& cert,
                                                          const std::string& key) {
  std::vector<std::pair<std::string, std::string>> pairs;
  if (!cert.empty() || !key.empty()) pairs.emplace_back(cert, key);
  for (const auto& ep : options.server.endpoints) {
    if (ep.tls_cert_file.empty() && ep.tls_key_file.empty()) continue;
    std::pair<std::string, std::string> p{ep.tls_cert_file, ep.tls_key_file};
    bool seen = false;
    for (const auto& q : pairs) seen = seen || q == p;
    if (!seen) pairs.push_back(p);
  }
  return pairs;
}

CheckLine check_tls_pair(const std::string& cert, const std::string& key) {
  std::string what = "tls " + (cert.empty() ? key : cert);
  if (cert.empty() || key.empty()) {
    return {CheckLevel::kFail, what, "--tls-cert and --tls-key go together"};
  }
  for (const auto& file : {cert, key}) {
    if (FILE* f = std::fopen(file.c_str(), "r")) {
      std::fclose(f);
    } else {
      return {CheckLevel::kFail, what, "cannot read " + file};
    }
  }
  ERR_clear_error();
  std::unique_ptr<SSL_CTX, decltype(&SSL_CTX_free)> ctx(SSL_CTX_new(TLS_server_method()),
                                                        &SSL_CTX_free);
  if (!ctx) return {CheckLevel::kFail, what, openssl_error()};
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert.c_str()) != 1) {
    return {CheckLevel::kFail, what, "not a PEM certificate: " + openssl_error()};
  }
  if (SSL_CTX_use_PrivateKey_file(ctx.get(), key.c_str(), SSL_FILETYPE_PEM) != 1) {
    // OpenSSL compares the key with the certificate already loaded while reading it.
    if (ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH) {
      ERR_clear_error();
      return {CheckLevel::kFail, what, "the key does not belong to the certificate"};
    }
    return {CheckLevel::kFail, what, "not a PEM private key: " + openssl_error()};
  }
  if (SSL_CTX_check_private_key(ctx.get()) != 1) {
    return {CheckLevel::kFail, what, "the key does not belong to the certificate"};
  }
  X509* x509 = SSL_CTX_get0_certificate(ctx.get());
  if (x509 != nullptr) {
    if (X509_cmp_current_time(X509_get0_notAfter(x509)) < 0) {
      return {CheckLevel::kFail, what, "the certificate has expired"};
    }
    if (X509_cmp_current_time(X509_get0_notBefore(x509)) > 0) {
      return {CheckLevel::kFail, what, "the certificate is not valid yet"};
    }
    std::time_t soon = std::time(nullptr) + kCertExpiryWarningDays * 86400;
    if (X509_cmp_time(X509_get0_notAfter(x509), &soon) < 0) {
      return {CheckLevel::kWarn, what,
              "the certificate expires within " + std::to_string(kCertExpiryWarningDays) +
                  " days"};
    }
  }
  return {CheckLevel::kOk, what, "certificate and key readable and matching (key " + key + ")"};
}

CheckLine check_database(const std::string& path) {
  DatabaseProbe probe = probe_database(path);
  const std::string what = "database " + path;
  if (!probe.exists) {
    return {CheckLevel::kFail, what,
            "does not exist (start the server once, or run Django's migrate)"};
  }
  if (!probe.error.empty()) return {CheckLevel::kFail, what, probe.error};
  std::string missing;
  for (const char* table : {"auth_user", "django_session"}) {
    if (!probe.has_table(table)) missing += (missing.empty() ? "" : ", ") + std::string(table);
  }
  if (!missing.empty()) {
    return {CheckLevel::kFail, what, "no table " + missing + " (run Django's migrate)"};
  }
  return {CheckLevel::kOk, what, "auth_user and django_session present"};
}

}  // namespace

std::string format_check_line(const CheckLine& line) {
  const char* level = line.level == CheckLevel::kOk     ? "OK  "
                      : line.level == CheckLevel::kWarn ? "WARN"
                                                        : "FAIL";
  return std::string(level) + " " + line.what + ": " + line.reason;
}

std::string secret_key_weakness(const std::string& key) {
  if (key.rfind(kInsecurePrefix, 0) == 0) {
    return "starts with '" + std::string(kInsecurePrefix) + "' (a generated development key)";
  }
  if (key.size() < kMinKeyLength) {
    return "only " + std::to_string(key.size()) + " characters; Django asks for at least " +
           std::to_string(kMinKeyLength);
  }
  std::set<char> distinct(key.begin(), key.end());
  if (distinct.size() < kMinKeyUniqueChars) {
    return "only " + std::to_string(distinct.size()) + " distinct characters; Django asks for " +
           "at least " + std::to_string(kMinKeyUniqueChars);
  }
  return "";
}

void CheckCommand::add_options(CLI::App& cmd) {
  // In the "Application" group so the config file's and the environment's tls-cert/tls-key
  // (the ones serve reads) reach check too (tools/cli/config_layers.cpp, describe()).
  cmd.add_option("--tls-cert", tls_cert_, "Certificate (PEM) the server will use")
      ->group("Application");
  cmd.add_option("--tls-key", tls_key_, "Private key (PEM) the server will use")
      ->group("Application");
}

std::vector<CheckLine> CheckCommand::run_checks(const CommandContext& ctx) const {
  std::vector<CheckLine> lines;
  std::string database;
  try {
    database = database_path(ctx.options, ctx.info);
  } catch (const CommandError& e) {
    lines.push_back({CheckLevel::kFail, "database", e.what()});
  }
  lines.push_back(check_secret_key(ctx, database));
  lines.push_back(check_allowed_hosts(ctx.options));

  auto pairs = tls_pairs(ctx.options, tls_cert_, tls_key_);
  if (pairs.empty()) {
    lines.push_back({CheckLevel::kWarn, "tls",
                     "not configured: plain HTTP/ws (fine behind a TLS-terminating proxy)"});
  }
  for (const auto& [cert, key] : pairs) lines.push_back(check_tls_pair(cert, key));

  if (ctx.options.redis_urls.empty()) {
    lines.push_back({CheckLevel::kOk, "channel layer",
                     "in-memory (one process; pass --redis to share groups between processes)"});
  }
  for (const auto& url : ctx.options.redis_urls) {
    std::string shown = url;
    try {
      shown = channel_layer::RedisAddress::parse(url).display();  // no password in the output
    } catch (const std::exception&) {
    }
    std::string why = redis_ping(url);
    lines.push_back(why.empty() ? CheckLine{CheckLevel::kOk, "redis " + shown, "PING answered"}
                                : CheckLine{CheckLevel::kFail, "redis " + shown, why});
  }
  if (!database.empty()) lines.push_back(check_database(database));
  return lines;
}

int CheckCommand::run(const CommandContext& ctx) {
  int failed = 0;
  int warned = 0;
  for (const auto& line : run_checks(ctx)) {
    ctx.out << format_check_line(line) << "\n";
    failed += line.level == CheckLevel::kFail;
    warned += line.level == CheckLevel::kWarn;
  }
  ctx.out << (failed ? "check: " + std::to_string(failed) + " failed, "
                     : std::string("check: ready, ")) +
                 std::to_string(warned) + " warning" + (warned == 1 ? "" : "s")
          << "\n";
  return failed ? 1 : 0;
}

}  // namespace laurel::cli
