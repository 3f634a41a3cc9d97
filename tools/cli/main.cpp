// tools/cli/main.cpp
#include "tools/cli/main.h"

#include <cstdio>
#include <exception>
#include <iostream>

#include "channel_layer/fernet.h"
#include "tools/cli/command_line.h"
#include "tools/cli/endpoint_string.h"
#include "tools/cli/redis_layers.h"

namespace laurel {
namespace {

std::string program_name(int argc, char** argv) {
  if (argc < 1 || argv[0] == nullptr) return "laurel";
  std::string p = argv[0];
  auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

// One line a listener, printed once all are bound, so a person (or a test) knows where to go.
// The bound endpoints carry the real port when port 0 was asked for.
void print_ready(const std::string& program, const CliOptions& options, const ProgramInfo& info) {
  std::vector<server::Endpoint> endpoints = server::bound_endpoints();
  if (endpoints.empty()) endpoints = options.server.endpoints;
  for (const auto& ep : endpoints) {
    std::string line = program + ": serving " + cli::endpoint_url(ep);
    if (!info.ready_note.empty()) line += " " + info.ready_note;
    std::printf("%s\n", line.c_str());
  }
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv, AppFactory make_app, ProgramInfo info) {
  const std::string program = program_name(argc, argv);
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) args.emplace_back(argv[i]);
  cli::ParseResult parsed = cli::parse_command_line(args, program, info.description);

  if (parsed.action == cli::ParseResult::Action::kExit) {
    if (parsed.exit_code == 0) {
      std::cout << parsed.output << std::flush;
    } else {
      std::cerr << parsed.output << "\n" << std::flush;
    }
    return parsed.exit_code;
  }

  if (parsed.action == cli::ParseResult::Action::kCommand) {
    try {
      return parsed.command->run(
          cli::CommandContext{parsed.options, info, make_app, std::cout, std::cerr});
    } catch (const std::exception& e) {
      std::cerr << program << " " << parsed.options.command << ": " << e.what() << "\n";
      return 1;
    }
  }

  asgi::ApplicationPtr app;
  try {
    app = make_app(parsed.options);
  } catch (const std::exception& e) {
    std::cerr << program << ": cannot start the application: " << e.what() << "\n";
    return 1;
  }
  if (!app) {
    std::cerr << program << ": the application factory returned nothing\n";
    return 1;
  }

  if (!parsed.options.redis_urls.empty()) {
    std::vector<std::string> keys;
    if (!parsed.options.redis_key_file.empty()) {
      try {
        keys = channel_layer::read_symmetric_keys_file(parsed.options.redis_key_file);
      } catch (const std::exception& e) {
        std::cerr << program << ": error: --redis-key-file: " << e.what() << "\n";
        return 2;
      }
    }
    cli::use_redis_layers(parsed.options.server, parsed.options.redis_urls, std::move(keys));
  }
  const CliOptions& options = parsed.options;
  try {
    return server::run_server(options.server, std::move(app),
                              [&] { print_ready(program, options, info); });
  } catch (const std::exception& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 1;
  }
}

int main(int argc, char** argv, asgi::ApplicationPtr app, ProgramInfo info) {
  return laurel::main(
      argc, argv, [app](const CliOptions&) { return app; }, std::move(info));
}

}  // namespace laurel
