// asgi/dict.h
#pragma once

// asgi::Dict, the dict inside a Value (a scope, a message, a JSON object): one compact vector of
// (key, value) pairs kept sorted by key. Flat, not a tree, because every idle WebSocket keeps its
// scope: a tree pays a heap node per key, the vector one block per dict. Scopes are small, built
// once and read often, so a binary search over contiguous pairs is also the faster lookup.
// Sorted, so iteration, JSON dumps and repr list the keys in order.
//
// Unlike std::map, an insertion or an erase moves the pairs behind it: it invalidates every
// reference, pointer and iterator into that dict. Take what you need from one lookup before
// inserting into the same dict.
//
// A class template only because its Value is still incomplete where Value declares it; the one
// instance is asgi::Dict (value.h).

#include <algorithm>
#include <cstddef>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "asgi/compact_vector.h"
#include "asgi/dict_key.h"

namespace laurel::asgi {

template <class V>
class FlatDict {
 public:
  using key_type = DictKey;
  using mapped_type = V;
  using value_type = std::pair<DictKey, V>;
  using iterator = typename CompactVector<value_type>::iterator;
  using const_iterator = typename CompactVector<value_type>::const_iterator;
  using size_type = std::size_t;

  FlatDict() = default;
  // Built exactly to size. A repeated key keeps its first value, as std::map's literal did.
  FlatDict(std::initializer_list<value_type> items) : entries_(items) {
    restore_order(Repeated::kKeepFirst);
  }

  iterator begin() { return entries_.begin(); }
  iterator end() { return entries_.end(); }
  const_iterator begin() const { return entries_.begin(); }
  const_iterator end() const { return entries_.end(); }
  const_iterator cbegin() const { return entries_.begin(); }
  const_iterator cend() const { return entries_.end(); }

  size_type size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  size_type capacity() const { return entries_.capacity(); }
  // Building a dict of known size: reserve it exactly, so no slack lives on with the dict.
  void reserve(size_type n) { entries_.reserve(n); }
  void shrink_to_fit() { entries_.shrink_to_fit(); }
  void clear() { entries_.clear(); }

  iterator find(std::string_view key) {
    auto it = lower_bound(key);
    return it != end() && it->first == key ? it : end();
  }
  const_iterator find(std::string_view key) const {
    auto it = lower_bound(key);
    return it != end() && it->first == key ? it : end();
  }
  bool contains(std::string_view key) const { return find(key) != end(); }
  size_type count(std::string_view key) const { return contains(key) ? 1 : 0; }

  // Throws std::out_of_range when missing, as std::map::at does.
  V& at(std::string_view key) {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("asgi::Dict::at: no such key");
    return it->second;
  }
  const V& at(std::string_view key) const {
    auto it = find(key);
    if (it == end()) throw std::out_of_range("asgi::Dict::at: no such key");
    return it->second;
  }

  // Inserts a null value when missing.
  V& operator[](std::string_view key) { return try_emplace(key).first->second; }

  // Inserts when missing; an existing value stays (std::map::try_emplace / emplace).
  template <class... Args>
  std::pair<iterator, bool> try_emplace(std::string_view key, Args&&... args) {
    auto it = lower_bound(key);
    if (it != end() && it->first == key) return {it, false};
    it = entries_.emplace(it, std::piecewise_construct, std::forward_as_tuple(key),
                          std::forward_as_tuple(std::forward<Args>(args)...));
    return {it, true};
  }
  template <class K, class... Args>
  std::pair<iterator, bool> emplace(K&& key, Args&&... args) {
    return emplace_key(DictKey(std::forward<K>(key)), std::forward<Args>(args)...);
  }
  std::pair<iterator, bool> insert(value_type item) {
    return emplace_key(std::move(item.first), std::move(item.second));
  }

  // Inserts, or replaces the value of an existing key.
  template <class M>
  std::pair<iterator, bool> insert_or_assign(DictKey key, M&& value) {
    auto it = lower_bound(key);
    if (it != end() && it->first == key) {
      it->second = std::forward<M>(value);
      return {it, false};
    }
    // Keys that arrive in order (our own dumps, most senders) append without moving anything.
    it = entries_.emplace(it, std::move(key), std::forward<M>(value));
    return {it, true};
  }

  iterator erase(const_iterator pos) { return entries_.erase(pos); }
  size_type erase(std::string_view key) {
    auto it = find(key);
    if (it == end()) return 0;
    entries_.erase(it);
    return 1;
  }

  // For parsers of untrusted input: append in arrival order, then restore_order() once before
  // the dict is used. Sorting once keeps a many-keyed object linear-logarithmic where inserting
  // key by key would shift the vector for every key (quadratic).
  V& append_unordered(DictKey key, V value) {
    return entries_.emplace_back(std::move(key), std::move(value)).second;
  }
  enum class Repeated { kKeepFirst, kKeepLast };
  void restore_order(Repeated repeated = Repeated::kKeepLast) {
    auto before = [](const value_type& a, const value_type& b) { return a.first < b.first; };
    if (std::adjacent_find(entries_.begin(), entries_.end(), [](const auto& a, const auto& b) {
          return !(a.first < b.first);
        }) == entries_.end()) {
      return;  // already strictly ordered: the usual case
    }
    if (entries_.size() <= kSortInPlaceUpTo) {
      // Small dicts (almost all of them) sort in place: stable_sort would allocate a buffer.
      for (auto it = entries_.begin() + 1; it != entries_.end(); ++it) {
        std::rotate(std::upper_bound(entries_.begin(), it, *it, before), it, it + 1);
      }
    } else {
      std::stable_sort(entries_.begin(), entries_.end(), before);
    }
    std::size_t kept = 0;
    for (std::size_t i = 0; i < entries_.size(); ++i) {
      if (kept > 0 && entries_[kept - 1].first == entries_[i].first) {
        if (repeated == Repeated::kKeepLast) entries_[kept - 1].second = std::move(entries_[i].second);
        continue;
      }
      if (kept != i) entries_[kept] = std::move(entries_[i]);
      ++kept;
    }
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(kept), entries_.end());
  }

  friend bool operator==(const FlatDict& a, const FlatDict& b) { return a.entries_ == b.entries_; }

 private:
  iterator lower_bound(std::string_view key) {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const value_type& e, std::string_view k) { return e.first < k; });
  }
  const_iterator lower_bound(std::string_view key) const {
    return std::lower_bound(entries_.begin(), entries_.end(), key,
                            [](const value_type& e, std::string_view k) { return e.first < k; });
  }
  template <class... Args>
  std::pair<iterator, bool> emplace_key(DictKey key, Args&&... args) {
    auto it = lower_bound(key);
    if (it != end() && it->first == key) return {it, false};
    it = entries_.emplace(it, std::piecewise_construct, std::forward_as_tuple(std::move(key)),
                          std::forward_as_tuple(std::forward<Args>(args)...));
    return {it, true};
  }

  static constexpr std::size_t kSortInPlaceUpTo = 32;

  CompactVector<value_type> entries_;
};

}  // namespace laurel::asgi
