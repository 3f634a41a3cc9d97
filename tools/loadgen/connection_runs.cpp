// tools/loadgen/connection_runs.cpp
// Modes about connections rather than messages. Handshake: keep --concurrency handshakes under
// way, close each socket as soon as it opens (close frame, then the server's close or EOF), and
// count completed handshakes per second. Idle: open --connections sockets, say so on stderr once
// all are open (the benchmark then reads the server's RSS), hold them for --duration, close.
#include <cstdio>

#include "run.h"

namespace laurel::loadgen {

namespace {

class HandshakeRun final : public Run {
 public:
  using Run::Run;

  void begin() override {
    clients_.assign(static_cast<size_t>(options_.concurrency), nullptr);
    start_window(options_.warmup, options_.duration);
    for (uint32_t i = 0; i < clients_.size() && launched_ < options_.messages; ++i) next(i);
  }

 private:
  void next(uint32_t slot) {
    ++launched_;
    launch(slot);
  }

  void opened(Client& c) override {
    const uint64_t now = uv_hrtime();
    if (counting(now)) {
      result_.latency.record(now - c.started_ns());
      ++result_.messages;
    }
    ++result_.connections;
    c.close(true);
  }

  void message(Client&, const Message&) override {}

  void closed(Client& c, bool was_open, bool error) override {
    if (stopping_) return;
    if (launched_ < options_.messages) return next(c.index());
    for (Client* other : clients_) {
      if (other) return;
    }
    stop();  // --messages handshakes done
  }

  uint64_t launched_ = 0;
};

class IdleRun final : public Run {
 public:
  using Run::Run;

  void begin() override {
    start_ns_ = uv_hrtime();
    open_clients(options_.connections, options_.concurrency);
  }

 private:
  void opened(Client& c) override { result_.latency.record(uv_hrtime() - c.started_ns()); }

  void message(Client&, const Message&) override {}

  void all_open() override {
    const double took = static_cast<double>(uv_hrtime() - start_ns_) / 1e9;
    result_.connections = open_count_;
    result_.messages = static_cast<uint64_t>(open_count_);
    result_.seconds = took;
    fprintf(stderr, "laurel-loadgen: idle: %d of %d connections open after %.2f s\n", open_count_,
            options_.connections, took);
    fflush(stderr);
    // The window was only the opening; holding the sockets is not measured by the generator.
    end_timer_.start(options_.duration, 0, [this] { stop_idle(); });
  }

  void stop_idle() {
    held_ = open_count_;
    result_.extra = {{"still_open_at_end", static_cast<double>(held_)}};
    stop();
  }

  uint64_t start_ns_ = 0;
  int held_ = 0;
};

}  // namespace

std::unique_ptr<Run> make_handshake_run(uv_loop_t* loop, const Options& o, const Target& t) {
  return std::make_unique<HandshakeRun>(loop, o, t);
}

std::unique_ptr<Run> make_idle_run(uv_loop_t* loop, const Options& o, const Target& t) {
  return std::make_unique<IdleRun>(loop, o, t);
}

}  // namespace laurel::loadgen
