// asgi/dict_key.h
#pragma once

// The key of an asgi::Dict entry: immutable text in 16 bytes. Keys of up to 15 bytes (every
// scope and message key laurel writes) live inline; longer ones take one exact heap block.
// Half a std::string, because every idle WebSocket's scope keeps a couple of dozen of them.

#include <compare>
#include <cstdint>
#include <cstring>
#include <ostream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace laurel::asgi {

class DictKey {
 public:
  DictKey() noexcept { raw_[kInlineCapacity] = 0; }
  DictKey(std::string_view text) { assign(text); }  // NOLINT: keys convert from text
  DictKey(const char* text) : DictKey(std::string_view(text)) {}  // NOLINT
  DictKey(const std::string& text) : DictKey(std::string_view(text)) {}  // NOLINT
  DictKey(const DictKey& other) { assign(other.view()); }
  DictKey(DictKey&& other) noexcept {
    std::memcpy(raw_, other.raw_, sizeof raw_);
    other.raw_[kInlineCapacity] = 0;
  }
  DictKey& operator=(const DictKey& other) {
    if (this != &other) DictKey(other).swap(*this);
    return *this;
  }
  DictKey& operator=(DictKey&& other) noexcept {
    DictKey(std::move(other)).swap(*this);
    return *this;
  }
  ~DictKey() {
    if (on_heap()) delete[] heap_pointer();
  }

  void swap(DictKey& other) noexcept {
    char tmp[sizeof raw_];
    std::memcpy(tmp, raw_, sizeof raw_);
    std::memcpy(raw_, other.raw_, sizeof raw_);
    std::memcpy(other.raw_, tmp, sizeof raw_);
  }

  std::string_view view() const noexcept {
    if (on_heap()) return {heap_pointer(), heap_size()};
    return {raw_, static_cast<unsigned char>(raw_[kInlineCapacity])};
  }
  operator std::string_view() const noexcept { return view(); }  // NOLINT: reads as text
  std::string str() const { return std::string(view()); }
  const char* data() const noexcept { return view().data(); }
  std::size_t size() const noexcept { return view().size(); }
  bool empty() const noexcept { return size() == 0; }

  friend bool operator==(const DictKey& a, const DictKey& b) noexcept { return a.view() == b.view(); }
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
  static constexpr std::size_t kInlineCapacity = 15;
  static constexpr char kOnHeap = static_cast<char>(0xFF);

  bool on_heap() const noexcept { return raw_[kInlineCapacity] == kOnHeap; }
  const char* heap_pointer() const noexcept {
    const char* p;
    std::memcpy(&p, raw_, sizeof p);
    return p;
  }
  std::uint32_t heap_size() const noexcept {
    std::uint32_t n;
    std::memcpy(&n, raw_ + sizeof(char*), sizeof n);
    return n;
  }
  void assign(std::string_view text) {
    if (text.size() <= kInlineCapacity) {
      if (!text.empty()) std::memcpy(raw_, text.data(), text.size());
      raw_[kInlineCapacity] = static_cast<char>(text.size());
      return;
    }
    if (text.size() > UINT32_MAX) throw std::length_error("asgi::DictKey: key too long");
    char* p = new char[text.size()];
    std::memcpy(p, text.data(), text.size());
    auto n = static_cast<std::uint32_t>(text.size());
    std::memcpy(raw_, &p, sizeof p);
    std::memcpy(raw_ + sizeof p, &n, sizeof n);
    raw_[kInlineCapacity] = kOnHeap;
  }

  // Inline: the text, its length in the last byte. On the heap: pointer, 32-bit length, 0xFF last.
  alignas(8) char raw_[16];
};

static_assert(sizeof(DictKey) == 16);

}  // namespace laurel::asgi
