// tools/cli/check_command.h
#pragma once

// `laurel check`: is this deployment ready, before it serves. One line per check, "OK", "WARN"
// or "FAIL" and the reason: the signing key (present, and strong by Django's security.W009
// rule), allowed hosts, the TLS certificate and key, each --redis server (connect + PING within
// 2 s), and Django's tables in the user database. Exits 1 if anything FAILs, else 0.

#include <string>
#include <vector>

#include "tools/cli/subcommand.h"

namespace laurel::cli {

enum class CheckLevel { kOk, kWarn, kFail };

struct CheckLine {
  CheckLevel level = CheckLevel::kOk;
  std::string what;    // "secret key", "redis redis://127.0.0.1:6379/0", ...
  std::string reason;  // why it is OK, worrying or failed; never a secret
};
std::string format_check_line(const CheckLine& line);  // "FAIL database: no table django_session"

// Django's check for SECRET_KEY (security.W009): "" if strong, else what is wrong.
std::string secret_key_weakness(const std::string& key);

class CheckCommand final : public Subcommand {
 public:
  std::string name() const override { return "check"; }
  std::string summary() const override {
    return "Check the key, hosts, TLS files, Redis and database before serving";
  }
  void add_options(CLI::App& cmd) override;
  int run(const CommandContext& ctx) override;

  // Every check, in the order printed. Public for tests.
  std::vector<CheckLine> run_checks(const CommandContext& ctx) const;

 private:
  std::string tls_cert_;
  std::string tls_key_;
};

}  // namespace laurel::cli
