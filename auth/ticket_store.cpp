// auth/ticket_store.cpp
#include "auth/ticket_store.h"

#include <openssl/sha.h>

#include "auth/encoding.h"

namespace laurel::auth {
namespace {

std::string digest(std::string_view ticket) {
  unsigned char out[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(ticket.data()), ticket.size(), out);
  return std::string(reinterpret_cast<const char*>(out), sizeof out);
}

}  // namespace

std::string TicketStore::issue(std::int64_t user_id, double now, double lifetime_seconds) {
  std::string ticket = base64url_encode(random_bytes(32));  // 256 bits: unguessable
  std::lock_guard lock(mutex_);
  if (entries_.size() >= kMaxLiveTickets) purge_locked(now);
  if (entries_.size() >= kMaxLiveTickets) return {};
  entries_[digest(ticket)] = Entry{user_id, now + lifetime_seconds};
  return ticket;
}

std::optional<std::int64_t> TicketStore::redeem(std::string_view ticket, double now) {
  if (ticket.empty() || ticket.size() > 128) return std::nullopt;
  std::lock_guard lock(mutex_);
  auto it = entries_.find(digest(ticket));
  if (it == entries_.end()) return std::nullopt;
  Entry entry = it->second;
  entries_.erase(it);  // single use, even when it turns out to be expired
  if (now >= entry.expires_at) return std::nullopt;
  return entry.user_id;
}

std::size_t TicketStore::size() const {
  std::lock_guard lock(mutex_);
  return entries_.size();
}

void TicketStore::purge_locked(double now) {
  for (auto it = entries_.begin(); it != entries_.end();) {
    it = now >= it->second.expires_at ? entries_.erase(it) : std::next(it);
  }
}

}  // namespace laurel::auth
