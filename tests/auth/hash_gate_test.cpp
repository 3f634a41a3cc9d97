// tests/auth/hash_gate_test.cpp
// HashGate keeps password hashes from taking every pool thread: at most `limit` hold a slot,
// the rest wait in order, and a released slot passes to the oldest waiter on its own loop.

#include "auth/hash_gate.h"

#include <gtest/gtest.h>

#include <vector>

#include "asgi/task.h"
#include "testing/run_loop.h"

namespace laurel::auth {
namespace {

// Holds a slot until `release_after` says so, recording the order slots were granted in.
Task<void> hold_slot(HashGate& gate, asgi::EventLoop& loop, int id, std::vector<int>& granted,
                     const bool& release_all) {
  HashGate::Entry entry = gate.enter(loop);
  HashGate::Slot slot = co_await entry;
  granted.push_back(id);
  while (!release_all) co_await sleep_for(loop, std::chrono::milliseconds(1));
}

TEST(HashGate, AtMostLimitHoldSlotsAndWaitersGetThemInOrder) {
  auto& loop = laurel::testing::default_loop();
  HashGate gate(2);
  std::vector<int> granted;
  bool release_all = false;
  for (int id = 0; id < 5; ++id) spawn(hold_slot(gate, loop, id, granted, release_all));

  laurel::testing::run_until(loop, [&] { return granted.size() == 2; }, std::chrono::seconds(10));
  EXPECT_EQ(gate.in_use(), 2u);
  EXPECT_EQ(gate.waiting(), 3u);
  EXPECT_EQ(granted, (std::vector<int>{0, 1}));

  release_all = true;
  laurel::testing::run_until(
      loop, [&] { return granted.size() == 5 && gate.in_use() == 0; }, std::chrono::seconds(10));
  EXPECT_EQ(granted, (std::vector<int>{0, 1, 2, 3, 4}));
  EXPECT_EQ(gate.waiting(), 0u);
}

TEST(HashGate, ProcessGateLeavesAPoolThreadFree) {
  // libuv's pool has 4 threads unless UV_THREADPOOL_SIZE says otherwise.
  EXPECT_GE(HashGate::process().limit(), 1u);
  EXPECT_LE(HashGate::process().limit(), 3u);
}

}  // namespace
}  // namespace laurel::auth
