// tools/cli/subcommand.h
#pragma once

// A command of the laurel command line other than `serve` (routes, createuser, token, check...).
// Each lives in its own file and registers its own flags; subcommands.cpp lists them, so adding a
// command touches one line there and nothing in the parser.

#include <iosfwd>
#include <memory>
#include <string>
#include <vector>

#include "tools/cli/main.h"

namespace CLI {
class App;
}

namespace laurel::cli {

// What a command gets once the command line is parsed.
struct CommandContext {
  const CliOptions& options;  // the application flags (--database, --secret-key-file, ...)
  const ProgramInfo& info;
  const AppFactory& make_app;  // builds the application, for commands that inspect it
  std::ostream& out;
  std::ostream& err;
};

class Subcommand {
 public:
  virtual ~Subcommand() = default;
  virtual std::string name() const = 0;
  virtual std::string summary() const = 0;
  // Registers the command's own flags and positionals. The application flags (add_app_options in
  // serve_options.h) are on `cmd` already; values are kept in the Subcommand object itself.
  virtual void add_options(CLI::App& cmd) = 0;
  // Returns the process exit status: 0 done, 1 failed, 2 wrong usage (one line on ctx.err).
  virtual int run(const CommandContext& ctx) = 0;
};

// Every command but `serve`, in the order `--help` lists them.
std::vector<std::shared_ptr<Subcommand>> all_subcommands();

}  // namespace laurel::cli
