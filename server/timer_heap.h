// server/timer_heap.h
#pragma once

// One libuv timer for many one-shot deadlines: every connection of a worker has at most one
// deadline (keepalive ping, pong timeout, maximum life, closing handshake, HTTP timeouts,
// linger), kept in a min-heap, and the single uv_timer_t is armed for the earliest. An entry is
// 16 bytes where a uv_timer_t per connection was 152.

#include <chrono>
#include <cstdint>
#include <vector>

#include <uv.h>

namespace laurel::server {

class TimerHeap {
 public:
  // Embedded in whatever has a deadline (a Connection derives from it).
  class Entry {
   public:
    bool armed() const { return slot_ != kIdle; }

   private:
    friend class TimerHeap;
    std::uint64_t due_ = 0;      // loop time, ms
    std::uint32_t slot_ = kIdle;  // index in the heap, or kIdle / kFiring
  };
  // Called for each entry whose deadline passed; it may start or stop any entry, itself too.
  using Callback = void (*)(Entry& entry);

  TimerHeap(uv_loop_t* loop, Callback on_due);
  // Stops the timer and closes its handle (freed by the loop once closed). Entries still armed
  // do not fire.
  ~TimerHeap();
  TimerHeap(const TimerHeap&) = delete;
  TimerHeap& operator=(const TimerHeap&) = delete;

  // Arms (or re-arms) `entry` to fire `delay` after the loop's current time, as uv_timer_start.
  void start(Entry& entry, std::chrono::milliseconds delay);
  // Disarms `entry`; it does not fire, even when it is due in the batch firing now.
  void stop(Entry& entry);
  std::size_t size() const { return heap_.size(); }

 private:
  static constexpr std::uint32_t kIdle = UINT32_MAX;
  static constexpr std::uint32_t kFiring = UINT32_MAX - 1;

  static void on_timer(uv_timer_t* handle) noexcept;
  void fire_due();
  void rearm();
  void place(std::uint32_t slot, Entry* entry);
  void sift_up(std::uint32_t slot);
  void sift_down(std::uint32_t slot);
  void remove_at(std::uint32_t slot);

  uv_timer_t* handle_;
  Callback on_due_;
  std::vector<Entry*> heap_;
  // The entries due in the current callback, taken off the heap before any of them fires:
  // callbacks change the heap (and may stop an entry of this batch).
  std::vector<Entry*> firing_;
  std::uint64_t armed_for_ = UINT64_MAX;  // what handle_ is started for; MAX when stopped
  bool dispatching_ = false;
};

}  // namespace laurel::server
