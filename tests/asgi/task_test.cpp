#include "asgi/task.h"

#include <gtest/gtest.h>

#include <coroutine>
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

// Suspends its awaiter until the test resumes it by hand.
struct Gate {
  std::coroutine_handle<> waiting;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) noexcept { waiting = h; }
  void await_resume() const noexcept {}
};

TEST(Task, SpawnedTasksAreCountedUntilTheyEnd) {
  // A worker's shutdown waits while this count is above zero (a consumer leaving its groups).
  Gate gate;
  int before = spawned_tasks_in_flight();
  spawn([](Gate& g) -> Task<void> { co_await g; }(gate));
  EXPECT_EQ(spawned_tasks_in_flight(), before + 1);
  spawn(fails(), [](std::exception_ptr) {});  // ends at once, by an exception: not counted
  EXPECT_EQ(spawned_tasks_in_flight(), before + 1);
  ASSERT_TRUE(gate.waiting);
  gate.waiting.resume();
  EXPECT_EQ(spawned_tasks_in_flight(), before);
}

}  // namespace
}  // namespace laurel
