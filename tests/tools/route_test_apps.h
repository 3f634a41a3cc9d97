// tests/tools/route_test_apps.h
#pragma once

// A named application that never starts: enough to build route tables for the `routes` tests.

#include <memory>
#include <string>

#include "asgi/application.h"

namespace laurel::cli::test {

class Leaf final : public asgi::Application {
 public:
  explicit Leaf(std::string name) : name_(std::move(name)) {}
  std::unique_ptr<asgi::Instance> start(asgi::Scope, asgi::Peer&) override { return nullptr; }
  std::string name() const override { return name_; }

 private:
  std::string name_;
};

}  // namespace laurel::cli::test
