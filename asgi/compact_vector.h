// asgi/compact_vector.h
#pragma once

// The storage under asgi::List and asgi::Dict: a vector that is one pointer wide. Its size and
// capacity live in front of the elements, in the same heap block, so an empty container costs
// nothing and a Value holding one stays 16 bytes (std::vector is three pointers).
//
// The std::vector interface the rest of laurel uses, with the same rules: an insertion that
// grows the block, or any insertion or erase before an element, invalidates references to it.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <limits>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace laurel::asgi {

template <class T>
class CompactVector {
 public:
  using value_type = T;
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using reference = T&;
  using const_reference = const T&;
  using pointer = T*;
  using const_pointer = const T*;
  using iterator = T*;
  using const_iterator = const T*;

  CompactVector() noexcept = default;
  CompactVector(std::initializer_list<T> items) : CompactVector(items.begin(), items.end()) {}
  template <class It, class = typename std::iterator_traits<It>::iterator_category>
  CompactVector(It first, It last) {
    reserve(static_cast<size_type>(std::distance(first, last)));
    for (; first != last; ++first) emplace_back(*first);
  }
  // A copy is sized exactly: copies are what long-lived scopes are made of.
  CompactVector(const CompactVector& other) : CompactVector(other.begin(), other.end()) {}
  CompactVector(CompactVector&& other) noexcept : block_(std::exchange(other.block_, nullptr)) {}
  CompactVector& operator=(const CompactVector& other) {
    if (this != &other) CompactVector(other).swap(*this);
    return *this;
  }
  CompactVector& operator=(CompactVector&& other) noexcept {
    CompactVector(std::move(other)).swap(*this);
    return *this;
  }
  ~CompactVector() { release(); }

  void swap(CompactVector& other) noexcept { std::swap(block_, other.block_); }

  iterator begin() noexcept { return data(); }
  iterator end() noexcept { return data() + size(); }
  const_iterator begin() const noexcept { return data(); }
  const_iterator end() const noexcept { return data() + size(); }
  const_iterator cbegin() const noexcept { return begin(); }
  const_iterator cend() const noexcept { return end(); }

  T* data() noexcept { return block_ ? elements(block_) : nullptr; }
  const T* data() const noexcept { return block_ ? elements(block_) : nullptr; }
  size_type size() const noexcept { return block_ ? block_->size : 0; }
  size_type capacity() const noexcept { return block_ ? block_->capacity : 0; }
  bool empty() const noexcept { return size() == 0; }
  static constexpr size_type max_size() noexcept { return std::numeric_limits<std::uint32_t>::max(); }

  T& operator[](size_type i) noexcept { return data()[i]; }
  const T& operator[](size_type i) const noexcept { return data()[i]; }
  T& at(size_type i) {
    if (i >= size()) throw std::out_of_range("asgi::CompactVector::at");
    return data()[i];
  }
  const T& at(size_type i) const {
    if (i >= size()) throw std::out_of_range("asgi::CompactVector::at");
    return data()[i];
  }
  T& front() noexcept { return data()[0]; }
  const T& front() const noexcept { return data()[0]; }
  T& back() noexcept { return data()[size() - 1]; }
  const T& back() const noexcept { return data()[size() - 1]; }

  void reserve(size_type n) {
    if (n > capacity()) reallocate(n);
  }
  void shrink_to_fit() {
    if (size() == capacity()) return;
    if (empty()) {
      release();
    } else {
      reallocate(size());
    }
  }
  void clear() noexcept {
    std::destroy(begin(), end());
    if (block_) block_->size = 0;
  }

  template <class... Args>
  T& emplace_back(Args&&... args) {
    if (size() == capacity()) {
      // Built before the move, so an argument that refers into this vector stays valid.
      T item(std::forward<Args>(args)...);
      reallocate(grown());
      ::new (static_cast<void*>(end())) T(std::move(item));
      ++block_->size;
      return back();
    }
    ::new (static_cast<void*>(end())) T(std::forward<Args>(args)...);
    ++block_->size;
    return back();
  }
  void push_back(const T& item) { emplace_back(item); }
  void push_back(T&& item) { emplace_back(std::move(item)); }
  void pop_back() noexcept {
    std::destroy_at(&back());
    --block_->size;
  }

  template <class... Args>
  iterator emplace(const_iterator pos, Args&&... args) {
    size_type index = static_cast<size_type>(pos - begin());
    emplace_back(std::forward<Args>(args)...);
    std::rotate(begin() + index, end() - 1, end());
    return begin() + index;
  }
  iterator insert(const_iterator pos, const T& item) { return emplace(pos, item); }
  iterator insert(const_iterator pos, T&& item) { return emplace(pos, std::move(item)); }
  template <class It, class = typename std::iterator_traits<It>::iterator_category>
  iterator insert(const_iterator pos, It first, It last) {
    size_type index = static_cast<size_type>(pos - begin());
    size_type old_size = size();
    reserve(old_size + static_cast<size_type>(std::distance(first, last)));
    for (; first != last; ++first) emplace_back(*first);
    std::rotate(begin() + index, begin() + old_size, end());
    return begin() + index;
  }

  iterator erase(const_iterator pos) { return erase(pos, pos + 1); }
  iterator erase(const_iterator first, const_iterator last) {
    iterator f = begin() + (first - begin());
    iterator l = begin() + (last - begin());
    if (f != l) {
      iterator new_end = std::move(l, end(), f);
      std::destroy(new_end, end());
      block_->size = static_cast<std::uint32_t>(new_end - begin());
    }
    return f;
  }

  void resize(size_type n) {
    if (n < size()) {
      erase(begin() + n, end());
      return;
    }
    reserve(n);
    while (size() < n) emplace_back();
  }

  friend bool operator==(const CompactVector& a, const CompactVector& b) {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }

 private:
  struct Header {
    std::uint32_t size;
    std::uint32_t capacity;
  };

  static T* elements(Header* h) noexcept { return reinterpret_cast<T*>(h + 1); }
  static const T* elements(const Header* h) noexcept {
    return reinterpret_cast<const T*>(h + 1);
  }

  size_type grown() const {
    size_type cap = capacity();
    return cap < 4 ? 4 : cap + cap / 2;
  }

  void reallocate(size_type n) {
    static_assert(sizeof(Header) % alignof(T) == 0, "elements sit right behind the header");
    static_assert(std::is_nothrow_move_constructible_v<T>, "elements move, never copy, on growth");
    if (n > max_size()) throw std::length_error("asgi::CompactVector: too many elements");
    auto* fresh = static_cast<Header*>(::operator new(sizeof(Header) + n * sizeof(T)));
    fresh->size = static_cast<std::uint32_t>(size());
    fresh->capacity = static_cast<std::uint32_t>(n);
    std::uninitialized_move(begin(), end(), elements(fresh));
    release();
    block_ = fresh;
  }

  void release() noexcept {
    if (!block_) return;
    std::destroy(begin(), end());
    ::operator delete(block_);
    block_ = nullptr;
  }

  Header* block_ = nullptr;
};

}  // namespace laurel::asgi
