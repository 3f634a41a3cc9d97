// tools/cli/routes_command.h
#pragma once

// `laurel routes`: prints the application's route table (protocol, pattern, name, consumer and the
// middleware a connection passes, outermost first).

#include "tools/cli/subcommand.h"

namespace laurel::cli {

class RoutesCommand final : public Subcommand {
 public:
  std::string name() const override { return "routes"; }
  std::string summary() const override { return "Print the application's route table"; }
  void add_options(CLI::App& cmd) override;
  int run(const CommandContext& ctx) override;
};

}  // namespace laurel::cli
