#include "asgi/task.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace laurel {
namespace {

Task<int> immediately(int value) { co_return value; }

Task<void> fails() {
  throw std::runtime_error("boom");
  co_return;
}

Task<long> sum_of_immediate_tasks(int count) {
  long total = 0;
  for (int i = 0; i < count; ++i) total += co_await immediately(1);
  co_return total;
}

TEST(Task, ManyTasksThatFinishAtOnceDoNotGrowTheStack) {
  long result = 0;
  spawn([](long& out) -> Task<void> { out = co_await sum_of_immediate_tasks(500000); }(result));
  EXPECT_EQ(result, 500000);
}

TEST(Task, ExceptionsReachTheAwaiter) {
  std::string caught;
  spawn([](std::string& out) -> Task<void> {
    try {
      co_await fails();
    } catch (const std::runtime_error& e) {
      out = e.what();
    }
  }(caught));
  EXPECT_EQ(caught, "boom");
}

TEST(Task, SpawnReportsEscapingExceptionsToTheHandler) {
  int reported = 0;
  spawn(fails(), [&](std::exception_ptr) { ++reported; });
  EXPECT_EQ(reported, 1);
}

}  // namespace
}  // namespace laurel
