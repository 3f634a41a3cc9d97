// tests/asgi/instance_slot_test.cpp
#include "asgi/instance_slot.h"

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace laurel::asgi {
namespace {

using Log = std::vector<std::string>;

// Logs what it receives and when it dies; `on_receive` runs inside receive(), after the entry.
class LoggingInstance final : public Instance {
 public:
  LoggingInstance(std::string name, Log& log) : name_(std::move(name)), log_(log) {}
  ~LoggingInstance() override { log_.push_back(name_ + " destroyed"); }
  void receive(const ReceiveEvent&) override {
    log_.push_back(name_ + " receives");
    if (on_receive) on_receive(*this);
    // Touches this object after the hand-over: ASan reports it if the slot destroyed us.
    log_.push_back(name_ + " returns");
  }
  std::function<void(LoggingInstance&)> on_receive;

 private:
  std::string name_;
  Log& log_;
};

TEST(InstanceSlot, ReplacingFromInsideReceiveKeepsTheOldInstanceUntilTheCallReturns) {
  Log log;
  InstanceSlot slot;
  auto first = std::make_unique<LoggingInstance>("first", log);
  Instance* next_raw = nullptr;
  first->on_receive = [&](LoggingInstance& self) {
    std::unique_ptr<Instance> next = std::make_unique<LoggingInstance>("next", log);
    next_raw = next.get();
    EXPECT_TRUE(slot.replace(self, next));
    EXPECT_EQ(next, nullptr);  // taken
  };
  slot.reset(std::move(first));
  slot.receive(WebsocketConnect{});
  EXPECT_EQ(slot.get(), next_raw);
  EXPECT_EQ(log, (Log{"first receives", "first returns", "first destroyed"}));

  slot.receive(WebsocketConnect{});
  EXPECT_EQ(log.back(), "next returns");
}

TEST(InstanceSlot, ReplacingOutsideReceiveDestroysTheOldInstanceAtOnce) {
  Log log;
  InstanceSlot slot;
  auto first = std::make_unique<LoggingInstance>("first", log);
  Instance& current = *first;
  slot.reset(std::move(first));
  std::unique_ptr<Instance> next = std::make_unique<LoggingInstance>("next", log);
  EXPECT_TRUE(slot.replace(current, next));
  EXPECT_EQ(log, (Log{"first destroyed"}));
}

TEST(InstanceSlot, RefusesToReplaceAnInstanceItDoesNotHold) {
  Log log;
  InstanceSlot slot;
  slot.reset(std::make_unique<LoggingInstance>("held", log));
  LoggingInstance wrapped("wrapped", log);  // owned by some outer instance, not by the slot
  std::unique_ptr<Instance> next = std::make_unique<LoggingInstance>("next", log);
  EXPECT_FALSE(slot.replace(wrapped, next));
  EXPECT_NE(next, nullptr);  // still the caller's
  EXPECT_NE(slot.get(), next.get());
}

TEST(InstanceSlot, ResetFromInsideReceiveWaitsForTheCallToReturn) {
  Log log;
  InstanceSlot slot;
  auto first = std::make_unique<LoggingInstance>("first", log);
  first->on_receive = [&](LoggingInstance&) { slot.reset(); };
  slot.reset(std::move(first));
  slot.receive(WebsocketConnect{});
  EXPECT_FALSE(slot);
  EXPECT_EQ(log, (Log{"first receives", "first returns", "first destroyed"}));
}

TEST(InstanceSlot, AnExceptionFromReceiveStillEndsTheReplacedInstance) {
  Log log;
  InstanceSlot slot;
  auto first = std::make_unique<LoggingInstance>("first", log);
  first->on_receive = [&](LoggingInstance& self) {
    std::unique_ptr<Instance> next = std::make_unique<LoggingInstance>("next", log);
    slot.replace(self, next);
    throw std::runtime_error("consumer failed");
  };
  slot.reset(std::move(first));
  EXPECT_THROW(slot.receive(WebsocketConnect{}), std::runtime_error);
  EXPECT_EQ(log, (Log{"first receives", "first destroyed"}));
}

}  // namespace
}  // namespace laurel::asgi
