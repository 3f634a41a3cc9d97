// server/timer_heap.cpp
#include "server/timer_heap.h"

#include <algorithm>

namespace laurel::server {

TimerHeap::TimerHeap(uv_loop_t* loop, Callback on_due) : handle_(new uv_timer_t), on_due_(on_due) {
  uv_timer_init(loop, handle_);
  handle_->data = this;
}

TimerHeap::~TimerHeap() {
  // Entries are not touched: their owners may be gone already (a worker's connections are).
  uv_timer_stop(handle_);
  handle_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
}

void TimerHeap::start(Entry& entry, std::chrono::milliseconds delay) {
  std::uint64_t due = uv_now(handle_->loop) + static_cast<std::uint64_t>(std::max<std::int64_t>(
                                                   0, delay.count()));
  if (entry.slot_ < kFiring) {
    std::uint64_t before = entry.due_;
    entry.due_ = due;
    if (due < before) {
      sift_up(entry.slot_);
    } else {
      sift_down(entry.slot_);
    }
  } else {
    entry.due_ = due;
    heap_.push_back(&entry);
    entry.slot_ = static_cast<std::uint32_t>(heap_.size() - 1);
    sift_up(entry.slot_);
  }
  rearm();
}

void TimerHeap::stop(Entry& entry) {
  if (entry.slot_ == kFiring) {
    entry.slot_ = kIdle;  // skipped by the batch that is firing
    return;
  }
  if (entry.slot_ == kIdle) return;
  remove_at(entry.slot_);
  rearm();
}

void TimerHeap::on_timer(uv_timer_t* handle) noexcept {
  auto* self = static_cast<TimerHeap*>(handle->data);
  if (self) self->fire_due();
}

void TimerHeap::fire_due() {
  armed_for_ = UINT64_MAX;  // a one-shot timer that fired is stopped
  std::uint64_t now = uv_now(handle_->loop);
  while (!heap_.empty() && heap_.front()->due_ <= now) {
    Entry* e = heap_.front();
    remove_at(0);
    e->slot_ = kFiring;
    firing_.push_back(e);
  }
  dispatching_ = true;
  // Index, not iterator: a callback never adds to firing_, but stays safe if it ever did.
  for (std::size_t i = 0; i < firing_.size(); ++i) {
    Entry* e = firing_[i];
    if (e->slot_ != kFiring) continue;  // stopped or re-armed by an earlier callback
    e->slot_ = kIdle;
    on_due_(*e);
  }
  firing_.clear();
  dispatching_ = false;
  rearm();
}

void TimerHeap::rearm() {
  if (dispatching_) return;  // fire_due() arms once, after the batch
  if (heap_.empty()) {
    if (armed_for_ != UINT64_MAX) uv_timer_stop(handle_);
    armed_for_ = UINT64_MAX;
    return;
  }
  std::uint64_t due = heap_.front()->due_;
  if (due == armed_for_) return;
  std::uint64_t now = uv_now(handle_->loop);
  uv_timer_start(handle_, on_timer, due > now ? due - now : 0, 0);
  armed_for_ = due;
}

void TimerHeap::place(std::uint32_t slot, Entry* entry) {
  heap_[slot] = entry;
  entry->slot_ = slot;
}

void TimerHeap::sift_up(std::uint32_t slot) {
  Entry* e = heap_[slot];
  while (slot > 0) {
    std::uint32_t parent = (slot - 1) / 2;
    if (heap_[parent]->due_ <= e->due_) break;
    place(slot, heap_[parent]);
    slot = parent;
  }
  place(slot, e);
}

void TimerHeap::sift_down(std::uint32_t slot) {
  Entry* e = heap_[slot];
  auto n = static_cast<std::uint32_t>(heap_.size());
  for (;;) {
    std::uint32_t child = 2 * slot + 1;
    if (child >= n) break;
    if (child + 1 < n && heap_[child + 1]->due_ < heap_[child]->due_) ++child;
    if (e->due_ <= heap_[child]->due_) break;
    place(slot, heap_[child]);
    slot = child;
  }
  place(slot, e);
}

void TimerHeap::remove_at(std::uint32_t slot) {
  Entry* removed = heap_[slot];
  Entry* last = heap_.back();
  heap_.pop_back();
  removed->slot_ = kIdle;
  if (last == removed) return;
  place(slot, last);
  sift_up(slot);
  sift_down(last->slot_);
}

}  // namespace laurel::server
