// tools/loadgen/broadcast_run.cpp
// Broadcast mode: --connections receivers and one sender join the same room. The sender
// publishes stamped messages, at --rate or, with --rate 0, keeping --inflight messages that
// have not yet reached every receiver; each receiver records publish-to-delivery latency.
// The sender is a member too (servers deliver to everyone); its own copies are not counted.
#include <string>
#include <string_view>

#include "run.h"

namespace laurel::loadgen {

namespace {

class BroadcastRun final : public Run {
 public:
  BroadcastRun(uv_loop_t* loop, const Options& o, const Target& t)
      : Run(loop, o, t), counts_(kRing, 0) {
    if (o.format == Format::kChatJson) {
      // {"message": "<stamp><padding>"}: the chat consumers' input; they answer with "user" added.
      const std::string head = "{\"message\": \"";
      const size_t pad = o.size > 48 ? static_cast<size_t>(o.size) - 48 : 0;
      const std::string payload = head + std::string(kStampChars + pad, 'x') + "\"}";
      frame_ = FrameTemplate(kOpText, payload, head.size(), 0xb0a7);
    } else {
      frame_ = FrameTemplate(o.binary ? kOpBinary : kOpText, std::string(static_cast<size_t>(o.size), 'x'),
                             0, 0xb0a7);
    }
  }

  void begin() override { open_clients(options_.connections + 1, options_.concurrency); }

 private:
  static constexpr size_t kRing = 1 << 20;  // per-message delivery counters, indexed by seq

  void all_open() override {
    sender_ = clients_.back();
    result_.connections = open_count_;
    if (!sender_ || !sender_->is_open()) {
      fprintf(stderr, "laurel-loadgen: the sender connection did not open\n");
      return stop();
    }
    live_receivers_ = static_cast<uint32_t>(open_count_ - 1);
    if (live_receivers_ == 0) return stop();
    start_ns_ = uv_hrtime();
    start_window(options_.warmup, options_.duration);
    if (options_.rate > 0) {
      tick_timer_.start(0.001, 0.001, [this] { tick(); });
    } else {
      while (can_send() && sent_ - completed_ < static_cast<uint64_t>(options_.inflight)) publish();
      sender_->flush();
    }
  }

  bool can_send() const { return !stopping_ && sender_ && sent_ < options_.messages; }

  void publish() {
    counts_[sent_ & (kRing - 1)] = 0;
    frame_.append(sender_->out(), uv_hrtime(), sent_++);
  }

  void tick() {
    if (!can_send()) return;
    const double elapsed = static_cast<double>(uv_hrtime() - start_ns_) / 1e9;
    const auto due = static_cast<uint64_t>(elapsed * options_.rate);
    // Bounded: a server that falls behind does not make the sender queue without limit.
    while (can_send() && sent_ < due && sent_ - completed_ < kRing / 2) publish();
    sender_->flush();
  }

  const char* find_stamp(const Message& m) const {
    if (options_.format == Format::kRaw) return m.prefix_len >= kStampChars ? m.prefix : nullptr;
    const std::string_view s(m.prefix, m.prefix_len);
    size_t at = s.find("\"message\"");
    if (at == std::string_view::npos) return nullptr;
    at = s.find(':', at + 9);
    if (at == std::string_view::npos) return nullptr;
    at = s.find('"', at + 1);
    if (at == std::string_view::npos || at + 1 + kStampChars > s.size()) return nullptr;
    return m.prefix + at + 1;
  }

  void message(Client& c, const Message& m) override {
    if (&c == sender_) return;
    const uint64_t now = uv_hrtime();
    uint64_t sent_ns, seq;
    const char* stamp = find_stamp(m);
    if (!stamp || !read_stamp(stamp, &sent_ns, &seq) || seq >= sent_ || sent_ns > now) {
      ++result_.errors;
      return;
    }
    ++deliveries_;
    if (counting(now)) {
      result_.latency.record(now - sent_ns);
      ++result_.messages;
    }
    if (sent_ - seq > kRing) return;  // too old to track: still a delivery, not a completion
    if (++counts_[seq & (kRing - 1)] == live_receivers_) message_complete();
  }

  void message_complete() {
    ++completed_;
    if (draining_) {
      if (completed_ >= sent_) finish();
      return;
    }
    if (sent_ >= options_.messages && completed_ >= sent_) return measure_end();  // cap reached
    if (options_.rate > 0 || !can_send()) return;
    publish();
    sender_->flush();
  }

  void closed(Client& c, bool was_open, bool error) override {
    if (&c == sender_) sender_ = nullptr;
    else if (was_open && !stopping_ && live_receivers_ > 0) --live_receivers_;
  }

  void measure_end() override {
    if (draining_) return;
    close_window();
    tick_timer_.stop();
    // Stop publishing and give deliveries under way up to 2 s to arrive, then count the missing.
    draining_ = true;
    sent_at_end_ = sent_;
    publish_seconds_ = static_cast<double>(uv_hrtime() - start_ns_) / 1e9;
    if (completed_ >= sent_) return finish();
    drain_timer_.start(2.0, 0, [this] { finish(); });
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    // Not errors: a slow server may still be delivering. Reported so a reader can tell.
    const uint64_t expected = sent_ * live_receivers_;
    const uint64_t undelivered = deliveries_ < expected ? expected - deliveries_ : 0;
    result_.extra = {{"published", static_cast<double>(sent_)},
                     {"undelivered_after_drain", static_cast<double>(undelivered)},
                     {"publish_per_sec", publish_seconds_ > 0 ? sent_at_end_ / publish_seconds_ : 0},
                     {"receivers", static_cast<double>(live_receivers_)}};
    stop();
  }

  FrameTemplate frame_;
  uint32_t live_receivers_ = 0;
  std::vector<uint32_t> counts_;
  Client* sender_ = nullptr;
  uint64_t start_ns_ = 0;
  uint64_t sent_ = 0, completed_ = 0, deliveries_ = 0, sent_at_end_ = 0;
  double publish_seconds_ = 0;
  bool draining_ = false;
  bool finished_ = false;
};

}  // namespace

std::unique_ptr<Run> make_broadcast_run(uv_loop_t* loop, const Options& o, const Target& t) {
  return std::make_unique<BroadcastRun>(loop, o, t);
}

}  // namespace laurel::loadgen
