// tools/loadgen/echo_run.cpp
// Echo and rate modes: each message carries its send time; the echo back gives the round trip.
// Echo keeps --inflight messages outstanding on every connection (throughput); rate sends
// --rate messages/s spread over the connections, whatever the answers (latency at a load the
// server can sustain).
#include <string>

#include "run.h"

namespace laurel::loadgen {

namespace {

class EchoRun final : public Run {
 public:
  EchoRun(uv_loop_t* loop, const Options& o, const Target& t) : Run(loop, o, t) {
    std::string payload(static_cast<size_t>(o.size), 'x');
    frame_ = FrameTemplate(o.binary ? kOpBinary : kOpText, payload, 0, 0x5eed);
  }

  void begin() override { open_clients(options_.connections, options_.concurrency); }

 private:
  void all_open() override {
    result_.connections = open_count_;
    if (open_count_ == 0) return stop();
    start_ns_ = uv_hrtime();
    start_window(options_.warmup, options_.duration);
    if (options_.mode == Mode::kRate) {
      // 1 ms ticks: at 2,000 msg/s that is 2 messages a tick, each on another connection.
      tick_timer_.start(0.001, 0.001, [this] { tick(); });
      return;
    }
    for (Client* c : clients_) {
      if (!c || !c->is_open()) continue;
      for (int i = 0; i < options_.inflight && sent_ < options_.messages; ++i) send(*c, uv_hrtime());
      c->flush();
    }
  }

  void send(Client& c, uint64_t now) {
    frame_.append(c.out(), now, sent_++);
    ++c.outstanding;
  }

  void tick() {
    if (stopping_) return;
    const uint64_t now = uv_hrtime();
    const double elapsed = static_cast<double>(now - start_ns_) / 1e9;
    uint64_t due = static_cast<uint64_t>(elapsed * options_.rate);
    if (due > options_.messages) due = options_.messages;
    const size_t n = clients_.size();
    for (size_t tries = 0; sent_ < due && tries < n * 4; ++tries) {
      Client* c = clients_[next_++ % n];
      if (!c || !c->is_open()) continue;
      send(*c, now);
      c->flush();
      tries = 0;
    }
    if (sent_ >= options_.messages) tick_timer_.stop();
  }

  void message(Client& c, const Message& m) override {
    const uint64_t now = uv_hrtime();
    uint64_t sent_ns, seq;
    if (m.prefix_len < kStampChars || m.length != static_cast<uint64_t>(options_.size) ||
        !read_stamp(m.prefix, &sent_ns, &seq) || sent_ns > now) {
      ++result_.errors;
    } else if (counting(now)) {
      result_.latency.record(now - sent_ns);
      ++result_.messages;
    }
    if (c.outstanding) --c.outstanding;
    ++received_;
    if (stopping_) return;
    if (options_.mode == Mode::kEcho && sent_ < options_.messages) {
      send(c, now);  // Client flushes after the whole read is handled: one write per batch
    } else if (sent_ >= options_.messages && received_ >= sent_) {
      stop();  // the --messages cap was reached and every answer is in
    }
  }

  void measure_end() override {
    close_window();
    tick_timer_.stop();
    stop();
  }

  FrameTemplate frame_;
  uint64_t start_ns_ = 0;
  uint64_t sent_ = 0, received_ = 0;
  size_t next_ = 0;
};

}  // namespace

std::unique_ptr<Run> make_echo_run(uv_loop_t* loop, const Options& o, const Target& t) {
  return std::make_unique<EchoRun>(loop, o, t);
}

}  // namespace laurel::loadgen
