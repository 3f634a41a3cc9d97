// asgi/dict_key.cpp — the static copies of well-known long keys, and making the owned ones.

#include "asgi/dict_key.h"

#include <cstddef>
#include <new>
#include <stdexcept>

namespace laurel::asgi {
namespace {

struct alignas(8) StaticKey {
  std::uint32_t size;
  char text[28];
};

constexpr StaticKey known(std::string_view text) {
  StaticKey key{static_cast<std::uint32_t>(text.size()), {}};
  for (std::size_t i = 0; i < text.size(); ++i) key.text[i] = text[i];
  return key;
}

// Keys longer than 7 bytes that scopes, events, channel-layer messages and Django's session data
// repeat on every connection or message: one static copy each instead of a heap block per use.
constexpr StaticKey kKnownKeys[] = {
    // ASGI scopes and events
    known("http_version"), known("raw_path"), known("query_string"), known("root_path"),
    known("subprotocols"), known("extensions"), known("path_remaining"), known("url_route"),
    known("spec_version"), known("websocket.http.response"), known("more_body"),
    known("trailers"), known("subprotocol"),
    // channels_redis routing, Django's cookies, auth payloads, the demo's room
    known("__asgi_channel__"), known("__asgi_group__"), known("sessionid"), known("csrftoken"),
    known("username"), known("password"), known("expires_in"), known("token_type"),
    known("room_name"),
    // Django session data
    known("_auth_user_id"), known("_auth_user_backend"), known("_auth_user_hash"),
    known("_session_expiry"),
};
static_assert(sizeof(StaticKey) == 32 && offsetof(StaticKey, text) == sizeof(std::uint32_t),
              "a static key is laid out as an owned block is");

}  // namespace

DictKey::DictKey(std::string_view text) {
  if (text.size() <= kInlineCapacity) {
    word_ = (text.size() << 1) | kInlineTag;
    if (!text.empty()) std::memcpy(reinterpret_cast<char*>(&word_) + 1, text.data(), text.size());
    return;
  }
  for (const StaticKey& key : kKnownKeys) {
    if (key.size == text.size() && std::memcmp(key.text, text.data(), text.size()) == 0) {
      word_ = reinterpret_cast<std::uintptr_t>(&key) | kStaticTag;
      return;
    }
  }
  if (text.size() > UINT32_MAX) throw std::length_error("asgi::DictKey: key over 4 GiB");
  auto size = static_cast<std::uint32_t>(text.size());
  char* block = static_cast<char*>(::operator new(sizeof size + text.size()));
  std::memcpy(block, &size, sizeof size);
  std::memcpy(block + sizeof size, text.data(), text.size());
  word_ = reinterpret_cast<std::uintptr_t>(block);
}

DictKey::DictKey(const DictKey& other) : word_(other.word_) {
  if ((word_ & kTagMask) == kOwnedTag) {
    word_ = kInlineTag;  // until the copy exists, so a failed allocation leaves a valid key
    *this = DictKey(other.view());
  }
}

}  // namespace laurel::asgi
