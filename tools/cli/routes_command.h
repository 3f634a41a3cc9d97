// tools/cli/routes_command.h
#pragma once

// `laurel routes`: prints the application's route table (protocol, pattern, name, consumer and the
// middleware a connection passes, outermost first), then the warnings found in it (shadowed
// routes, unanchored re_path()s, duplicate names). `--match PROTOCOL [METHOD] PATH` says where one
// request would go, or why it goes nowhere (exit status 1). `--json` prints either as JSON.

#include <string>
#include <vector>

#include "tools/cli/subcommand.h"

namespace laurel::cli {

class RoutesCommand final : public Subcommand {
 public:
  std::string name() const override { return "routes"; }
  std::string summary() const override {
    return "Print the route table and its warnings, or where a request would go (--match)";
  }
  void add_options(CLI::App& cmd) override;
  int run(const CommandContext& ctx) override;

 private:
  bool json_ = false;
  std::vector<std::string> match_words_;  // --match ws PATH | http [METHOD] PATH | channel NAME
};

}  // namespace laurel::cli
