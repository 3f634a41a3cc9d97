// asgi/dict_key.h
#pragma once

// The key of an asgi::Dict entry: immutable text in one 8-byte word. Keys of up to 7 bytes live
// in the word itself; longer keys that ASGI and Channels use everywhere ("query_string",
// "path_remaining", "__asgi_channel__", ...) point at one static copy; any other key owns an
// exact heap block. Every idle WebSocket's scope keeps a couple of dozen keys, and every message
// a few more: a dict entry is this word plus a 16-byte Value.

#include <bit>
#include <compare>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <string>
#include <string_view>
#include <utility>

namespace laurel::asgi {

class DictKey {
 public:
  DictKey() noexcept : word_(kInlineTag) {}
  DictKey(std::string_view text);                                 // NOLINT: keys convert from text
  DictKey(const char* text) : DictKey(std::string_view(text)) {}  // NOLINT
  DictKey(const std::string& text) : DictKey(std::string_view(text)) {}  // NOLINT
  DictKey(const DictKey& other);
  DictKey(DictKey&& other) noexcept : word_(std::exchange(other.word_, kInlineTag)) {}
  DictKey& operator=(const DictKey& other) {
    if (this != &other) DictKey(other).swap(*this);
    return *this;
  }
  DictKey& operator=(DictKey&& other) noexcept {
    DictKey(std::move(other)).swap(*this);
    return *this;
  }
  ~DictKey() {
    if ((word_ & kTagMask) == kOwnedTag) ::operator delete(reinterpret_cast<void*>(word_));
  }

  void swap(DictKey& other) noexcept { std::swap(word_, other.word_); }

  std::string_view view() const noexcept {
    if (word_ & kInlineTag) {
      return {reinterpret_cast<const char*>(&word_) + 1, (word_ & 0xFF) >> 1};
    }
    const char* block = reinterpret_cast<const char*>(word_ & ~kTagMask);
    std::uint32_t size;
    std::memcpy(&size, block, sizeof size);
    return {block + sizeof size, size};
  }
  operator std::string_view() const noexcept { return view(); }  // NOLINT: reads as text
  std::string str() const { return std::string(view()); }
  const char* data() const noexcept { return view().data(); }
  std::size_t size() const noexcept { return view().size(); }
  bool empty() const noexcept { return size() == 0; }

  friend bool operator==(const DictKey& a, const DictKey& b) noexcept {
    return a.word_ == b.word_ || a.view() == b.view();
  }
  friend bool operator==(const DictKey& a, std::string_view b) noexcept { return a.view() == b; }
  friend bool operator==(const DictKey& a, const char* b) noexcept { return a.view() == b; }
  friend bool operator==(const DictKey& a, const std::string& b) noexcept { return a.view() == b; }
  friend std::strong_ordering operator<=>(const DictKey& a, const DictKey& b) noexcept {
    return a.view() <=> b.view();
  }
  friend std::strong_ordering operator<=>(const DictKey& a, std::string_view b) noexcept {
    return a.view() <=> b;
  }
  friend std::ostream& operator<<(std::ostream& out, const DictKey& key) {
    return out << key.view();
  }
  friend std::string operator+(std::string a, const DictKey& b) { return a.append(b.view()); }
  friend std::string operator+(const DictKey& a, std::string_view b) {
    return a.str().append(b);
  }

 private:
  // The low bits of the word say what it holds. Inline text: bit 0 set, the length times two
  // in the low byte, the text in the seven bytes above it (the word's own bytes, in memory
  // order, on a little-endian machine). Otherwise a pointer to a block (a 32-bit length, then
  // the text): an owned one (bits 00; operator new aligns to 16) or a static one (bits 10).
  static_assert(std::endian::native == std::endian::little, "inline keys assume little-endian");
  static constexpr std::uintptr_t kInlineTag = 1;
  static constexpr std::uintptr_t kStaticTag = 2;
  static constexpr std::uintptr_t kOwnedTag = 0;
  static constexpr std::uintptr_t kTagMask = 3;
  static constexpr std::size_t kInlineCapacity = 7;

  std::uintptr_t word_;
};

static_assert(sizeof(DictKey) == 8);

}  // namespace laurel::asgi
