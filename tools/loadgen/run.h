// tools/loadgen/run.h
#pragma once

// A Run is one benchmark mode driving a set of Clients on one loop. The base class opens
// connections with a bounded number of handshakes under way, owns the timers, keeps the
// measurement window (warm-up excluded) and ends the run; each mode adds its traffic pattern.

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "client.h"
#include "histogram.h"
#include "options.h"

namespace laurel::loadgen {

struct Result {
  uint64_t messages = 0;  // counted in the measurement window
  double seconds = 0;     // length of the measurement window
  uint64_t errors = 0;
  int connections = 0;    // connections that opened
  LatencyHistogram latency;
  std::vector<std::pair<std::string, double>> extra;  // mode-specific figures for the JSON line
};

// A libuv timer whose memory lives as long as its owner (a Run, which outlives the loop run).
class Timer {
 public:
  void init(uv_loop_t* loop);
  void start(double seconds, double repeat_seconds, std::function<void()> cb);
  void stop();
  void close();

 private:
  static void on_timer(uv_timer_t* t) noexcept;
  uv_timer_t timer_{};
  std::function<void()> cb_;
  bool closed_ = true;
};

class Run : public Client::Events {
 public:
  Run(uv_loop_t* loop, const Options& options, const Target& target);
  ~Run() override = default;
  virtual void begin() = 0;
  Result& result() { return result_; }

 protected:
  // Opens n clients, at most `concurrency` handshakes at a time; all_open() follows once every
  // one has opened or failed, or when --open-timeout passes.
  void open_clients(int n, int concurrency);
  virtual void all_open() {}
  // Mode hooks, called from the Client events below.
  virtual void opened(Client& c) {}
  virtual void message(Client& c, const Message& m) = 0;
  virtual void closed(Client& c, bool was_open, bool error) {}

  Client* launch(uint32_t index);
  // Starts counting `warmup` seconds from now and calls measure_end() `duration` later.
  void start_window(double warmup, double duration);
  virtual void measure_end() { stop(); }
  bool counting(uint64_t now_ns) const { return now_ns >= window_start_ns_ && !window_closed_; }
  void close_window();  // freezes messages/seconds; later traffic is not counted
  void stop();          // closes every client and timer: the loop then runs out of work

  uv_loop_t* loop_;
  const Options& options_;
  const Target& target_;
  Result result_;
  std::vector<Client*> clients_;  // by index; nullptr once closed
  int open_count_ = 0;
  bool stopping_ = false;
  Timer end_timer_, tick_timer_, open_timer_, drain_timer_;

 private:
  void on_open(Client& c) final;
  void on_message(Client& c, const Message& m) final { message(c, m); }
  void on_closed(Client& c, bool was_open, bool error) final;
  void check_all_open();

  bool opening_ = false;
  int to_open_ = 0, launched_ = 0, settled_ = 0;
  uint64_t window_start_ns_ = UINT64_MAX;
  bool window_closed_ = false;
};

std::unique_ptr<Run> make_echo_run(uv_loop_t* loop, const Options& o, const Target& t);
std::unique_ptr<Run> make_broadcast_run(uv_loop_t* loop, const Options& o, const Target& t);
std::unique_ptr<Run> make_handshake_run(uv_loop_t* loop, const Options& o, const Target& t);
std::unique_ptr<Run> make_idle_run(uv_loop_t* loop, const Options& o, const Target& t);

}  // namespace laurel::loadgen
