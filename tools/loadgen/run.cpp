// tools/loadgen/run.cpp
#include "run.h"

#include <algorithm>
#include <cstdio>

namespace laurel::loadgen {

void Timer::init(uv_loop_t* loop) {
  uv_timer_init(loop, &timer_);
  timer_.data = this;
  closed_ = false;
}

void Timer::start(double seconds, double repeat_seconds, std::function<void()> cb) {
  if (closed_) return;
  cb_ = std::move(cb);
  uv_timer_start(&timer_, on_timer, static_cast<uint64_t>(seconds * 1000),
                 static_cast<uint64_t>(repeat_seconds * 1000));
}

void Timer::stop() {
  if (!closed_) uv_timer_stop(&timer_);
}

void Timer::close() {
  if (closed_) return;
  closed_ = true;
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
}

void Timer::on_timer(uv_timer_t* t) noexcept {
  auto* self = static_cast<Timer*>(t->data);
  if (self->cb_) self->cb_();
}

Run::Run(uv_loop_t* loop, const Options& options, const Target& target)
    : loop_(loop), options_(options), target_(target) {
  for (Timer* t : {&end_timer_, &tick_timer_, &open_timer_, &drain_timer_}) t->init(loop);
}

Client* Run::launch(uint32_t index) {
  auto* c = new Client(loop_, target_, *this, index);  // freed by its own close callback
  clients_[index] = c;
  c->start();
  return c;
}

void Run::open_clients(int n, int concurrency) {
  clients_.assign(static_cast<size_t>(n), nullptr);
  to_open_ = n;
  opening_ = true;
  for (; launched_ < std::min(n, concurrency); ++launched_) launch(static_cast<uint32_t>(launched_));
  open_timer_.start(options_.open_timeout, 0, [this] {
    fprintf(stderr, "laurel-loadgen: only %d of %d connections opened in %.0f s\n", open_count_,
            to_open_, options_.open_timeout);
    result_.errors += static_cast<uint64_t>(to_open_ - open_count_);
    opening_ = false;
    all_open();
  });
}

void Run::on_open(Client& c) {
  ++open_count_;
  opened(c);
  if (!opening_) return;
  ++settled_;
  if (launched_ < to_open_) launch(static_cast<uint32_t>(launched_++));
  check_all_open();
}

void Run::on_closed(Client& c, bool was_open, bool error) {
  if (c.index() < clients_.size() && clients_[c.index()] == &c) clients_[c.index()] = nullptr;
  if (was_open) --open_count_;
  if (error && !stopping_) ++result_.errors;
  closed(c, was_open, error);
  if (!opening_ || was_open) return;
  ++settled_;  // a connection that never opened
  if (launched_ < to_open_) launch(static_cast<uint32_t>(launched_++));
  check_all_open();
}

void Run::check_all_open() {
  if (settled_ < to_open_) return;
  opening_ = false;
  open_timer_.stop();
  all_open();
}

void Run::start_window(double warmup, double duration) {
  window_start_ns_ = uv_hrtime() + static_cast<uint64_t>(warmup * 1e9);
  end_timer_.start(warmup + duration, 0, [this] { measure_end(); });
}

void Run::close_window() {
  if (window_closed_) return;
  window_closed_ = true;
  if (window_start_ns_ == UINT64_MAX) return;  // this mode keeps its own figures
  const uint64_t now = uv_hrtime();
  result_.seconds = now > window_start_ns_ ? static_cast<double>(now - window_start_ns_) / 1e9 : 0;
}

void Run::stop() {
  close_window();
  stopping_ = true;
  opening_ = false;
  for (Timer* t : {&end_timer_, &tick_timer_, &open_timer_, &drain_timer_}) t->close();
  for (Client* c : clients_) {  // close callbacks run later, so the vector is stable here
    if (c) c->close(false);
  }
}

}  // namespace laurel::loadgen
