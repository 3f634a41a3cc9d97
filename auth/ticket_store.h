// auth/ticket_store.h
#pragma once

// One-time WebSocket tickets for browsers: POST /auth/ticket gives an authenticated client a
// random ticket that opens one socket (`wss://host/ws/...?ticket=...`) within a few seconds.
// A ticket is bound to its user, dies on first use and is never logged. Kept in this process's
// memory (shared by its worker threads): with several processes behind a balancer, a ticket
// only works on the process that issued it, which is what a Redis-backed store (next to the
// Redis channel layer) is for.

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace laurel::auth {

class TicketStore {
 public:
  // At most this many live tickets; issuing more first drops expired ones, then refuses.
  static constexpr std::size_t kMaxLiveTickets = 100000;

  // A new ticket for `user_id`, valid until `now + lifetime_seconds` (wall-clock seconds).
  // Empty when the store is full (the endpoint answers 503).
  std::string issue(std::int64_t user_id, double now, double lifetime_seconds);
  // The ticket's user if it is live; the ticket is consumed either way (single use).
  std::optional<std::int64_t> redeem(std::string_view ticket, double now);

  std::size_t size() const;

 private:
  struct Entry {
    std::int64_t user_id;
    double expires_at;
  };
  void purge_locked(double now);

  mutable std::mutex mutex_;
  // Keyed by SHA-256 of the ticket: a memory dump does not hand out usable tickets, and lookups
  // are not a comparison of the secret itself.
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace laurel::auth
