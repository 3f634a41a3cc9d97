// tests/server/timer_heap_test.cpp
// The worker's one timer for all connection deadlines, on a real libuv loop: entries fire once,
// in deadline order, not before their time; stopping and re-arming (also from inside a
// callback, also an entry of the batch being fired) behave as separate uv timers did.

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <vector>

#include "server/timer_heap.h"
#include "server/uv_loop.h"

namespace laurel::server {
namespace {

using namespace std::chrono_literals;

struct Probe : TimerHeap::Entry {
  int id = 0;
  std::vector<int>* fired = nullptr;
  std::function<void(Probe&)> then;
};

void on_due(TimerHeap::Entry& entry) {
  auto& probe = static_cast<Probe&>(entry);
  probe.fired->push_back(probe.id);
  if (probe.then) probe.then(probe);
}

// Runs the loop until `done` or 5 s of loop iterations pass.
template <class Done>
void run_until(UvLoop& loop, Done done) {
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!done() && std::chrono::steady_clock::now() < deadline) loop.run_once(true);
}

class TimerHeapTest : public ::testing::Test {
 protected:
  Probe& probe(int id) {
    auto& p = probes_.emplace_back();
    p.id = id;
    p.fired = &fired_;
    return p;
  }
  UvLoop loop_;
  TimerHeap heap_{loop_.uv(), on_due};
  std::deque<Probe> probes_;
  std::vector<int> fired_;
};

TEST_F(TimerHeapTest, FiresOnceInDeadlineOrderAndNotEarly) {
  Probe& a = probe(1);
  Probe& b = probe(2);
  Probe& c = probe(3);
  auto start = std::chrono::steady_clock::now();
  heap_.start(a, 30ms);
  heap_.start(b, 10ms);
  heap_.start(c, 20ms);
  EXPECT_EQ(heap_.size(), 3u);
  run_until(loop_, [&] { return fired_.size() == 3; });
  EXPECT_GE(std::chrono::steady_clock::now() - start, 29ms);
  EXPECT_EQ(fired_, (std::vector<int>{2, 3, 1}));
  EXPECT_EQ(heap_.size(), 0u);
  EXPECT_FALSE(a.armed());
  // Nothing fires twice, and an empty heap lets the loop end.
  while (loop_.run_once(false)) {
  }
  EXPECT_EQ(fired_.size(), 3u);
}

TEST_F(TimerHeapTest, StoppedEntriesDoNotFireAndRestartMovesTheDeadline) {
  Probe& a = probe(1);
  Probe& b = probe(2);
  Probe& c = probe(3);
  heap_.start(a, 10ms);
  heap_.start(b, 15ms);
  heap_.start(c, 20ms);
  heap_.stop(a);
  heap_.stop(a);  // idempotent
  EXPECT_FALSE(a.armed());
  heap_.start(c, 5ms);   // earlier
  heap_.start(b, 40ms);  // later
  run_until(loop_, [&] { return fired_.size() == 2; });
  EXPECT_EQ(fired_, (std::vector<int>{3, 2}));
}

TEST_F(TimerHeapTest, ManyEntriesComeOutSorted) {
  std::vector<int> delays;
  for (int i = 0; i < 200; ++i) delays.push_back((i * 37) % 50);
  for (int i = 0; i < 200; ++i) heap_.start(probe(i), std::chrono::milliseconds(delays[i]));
  // Stop every third one.
  for (int i = 0; i < 200; i += 3) heap_.stop(probes_[i]);
  std::size_t expected = 200 - 67;
  run_until(loop_, [&] { return fired_.size() == expected; });
  ASSERT_EQ(fired_.size(), expected);
  for (std::size_t i = 1; i < fired_.size(); ++i) {
    EXPECT_LE(delays[fired_[i - 1]], delays[fired_[i]]) << "at " << i;
  }
  for (int id : fired_) EXPECT_NE(id % 3, 0);
}

TEST_F(TimerHeapTest, CallbacksMayStopOrRearmEntriesOfTheSameBatch) {
  Probe& a = probe(1);
  Probe& b = probe(2);
  Probe& c = probe(3);
  // All three are due in the same callback; a stops b and re-arms c for later.
  a.then = [&](Probe&) {
    heap_.stop(b);
    heap_.start(c, 20ms);
  };
  heap_.start(a, 5ms);
  heap_.start(b, 5ms);
  heap_.start(c, 5ms);
  run_until(loop_, [&] { return fired_.size() == 2; });
  EXPECT_EQ(fired_, (std::vector<int>{1, 3}));
  EXPECT_FALSE(b.armed());
}

TEST_F(TimerHeapTest, AnEntryMayReArmItselfFromItsCallback) {
  Probe& a = probe(1);
  Probe& b = probe(2);
  int rounds = 0;
  a.then = [&](Probe& self) {
    if (++rounds < 5) heap_.start(self, 0ms);
  };
  heap_.start(a, 0ms);
  heap_.start(b, 30ms);
  run_until(loop_, [&] { return fired_.size() == 6; });
  EXPECT_EQ(rounds, 5);
  EXPECT_EQ(fired_, (std::vector<int>{1, 1, 1, 1, 1, 2}));
  EXPECT_FALSE(a.armed());
}

TEST(TimerHeapLifetime, DestroyedWithArmedEntriesClosesItsHandle) {
  UvLoop loop;
  std::vector<int> fired;
  Probe p;
  p.fired = &fired;
  {
    TimerHeap heap(loop.uv(), on_due);
    heap.start(p, 1ms);
  }
  // The handle closes with the loop; nothing fires after the heap is gone.
  for (int i = 0; i < 5; ++i) loop.run_once(false);
  EXPECT_TRUE(fired.empty());
}

}  // namespace
}  // namespace laurel::server
