// asgi/value.h
#pragma once

// The tree that scopes, channel-layer messages and JSON payloads are made of: the C++ side of
// a Python dict / list / str / bytes / int / float / bool / None. Strings are UTF-8 text, bytes
// are raw octets; the two stay distinct exactly as they do in ASGI and in msgpack.

#include <atomic>
#include <cstdint>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "asgi/compact_vector.h"
#include "asgi/dict.h"

namespace laurel::asgi {

class Value;

// Raw octets (Python `bytes`), kept apart from text so `{"bytes": ...}` never becomes `{"text":
// ...}` on a round trip through msgpack. Only a way in: Value::as_bytes() gives a view.
struct Bytes {
  std::string data;
  friend bool operator==(const Bytes&, const Bytes&) = default;
};

// An application object carried in a scope (the user, the session): something Python keeps as
// an arbitrary object. It is shared, not copied, when the scope is copied.
class Object {
 public:
  virtual ~Object() = default;
  // A short type name for diagnostics and `routes --match` ("User", "Session").
  virtual std::string_view type_name() const = 0;
};
using ObjectPtr = std::shared_ptr<Object>;

using List = CompactVector<Value>;
using Dict = FlatDict<Value>;  // sorted by key; see dict.h for what invalidates references

// 16 bytes: text of up to 14 bytes inline, longer text in one exact heap block (or a pointer to a
// literal), lists and dicts one pointer each (compact_vector.h), an object one pointer to its
// shared_ptr, a shared value one pointer to its reference-counted block.
class Value {
 public:
  enum class Kind {
    kNull,    // None
    kBool,    // True / False
    kInt,     // int (64-bit)
    kFloat,   // float (double)
    kString,  // str (UTF-8)
    kBytes,   // bytes
    kList,    // list / tuple
    kDict,    // dict with str keys
    kObject,  // an application object (scope["user"], scope["session"])
  };

  Value() noexcept { tag_ = Tag::kNull; }
  Value(std::nullptr_t) noexcept : Value() {}
  Value(bool b) noexcept { set_scalar(Tag::kBool, b); }
  Value(int i) noexcept : Value(static_cast<std::int64_t>(i), Tag::kInt) {}
  Value(unsigned i) noexcept : Value(static_cast<std::int64_t>(i), Tag::kInt) {}
  Value(long i) noexcept : Value(static_cast<std::int64_t>(i), Tag::kInt) {}
  Value(long long i) noexcept : Value(static_cast<std::int64_t>(i), Tag::kInt) {}
  Value(unsigned long i) noexcept : Value(static_cast<std::int64_t>(i), Tag::kInt) {}
  Value(unsigned long long i) noexcept : Value(static_cast<std::int64_t>(i), Tag::kInt) {}
  Value(double d) noexcept { set_scalar(Tag::kFloat, d); }
  Value(const char* s) { set_text(Tag::kString, s); }
  Value(const std::string& s) { set_text(Tag::kString, s); }
  Value(std::string_view s) { set_text(Tag::kString, s); }
  Value(const Bytes& b) { set_text(Tag::kBytes, b.data); }
  Value(List l) noexcept;
  Value(Dict d) noexcept;
  Value(ObjectPtr o);
  // `{{"type", "chat.message"}, {"message", text}}` builds a dict, as a Python literal would.
  Value(std::initializer_list<Dict::value_type> items);

  Value(const Value& other);
  Value(Value&& other) noexcept {
    std::memcpy(static_cast<void*>(this), &other, sizeof(Value));
    other.tag_ = Tag::kNull;
  }
  Value& operator=(const Value& other) { return *this = Value(other); }
  Value& operator=(Value&& other) noexcept {
    Value taken(std::move(other));  // `other` may live inside this value's own tree
    destroy();
    std::memcpy(static_cast<void*>(this), &taken, sizeof(Value));
    taken.tag_ = Tag::kNull;
    return *this;
  }
  ~Value() { destroy(); }

  static Value list(std::initializer_list<Value> items = {}) { return Value(List(items)); }
  static Value dict() { return Value(Dict{}); }
  // A value every copy shares instead of duplicating: for the parts every scope repeats (the
  // asgi version dict, a listener's address). Reading sees through it; the first write to a
  // copy gives that copy its own duplicate, so the shared one never changes.
  static Value shared(Value v);
  // Bytes that live as long as the program (a string literal), kept by pointer instead of
  // copied: for the long header names nearly every request repeats.
  static Value literal_bytes(std::string_view immortal);

  Kind kind() const {
    return tag_ == Tag::kShared ? shared_target().kind() : static_cast<Kind>(tag_);
  }
  bool is_null() const { return kind() == Kind::kNull; }
  bool is_bool() const { return kind() == Kind::kBool; }
  bool is_int() const { return kind() == Kind::kInt; }
  bool is_float() const { return kind() == Kind::kFloat; }
  bool is_number() const { return is_int() || is_float(); }
  bool is_string() const { return kind() == Kind::kString; }
  bool is_bytes() const { return kind() == Kind::kBytes; }
  bool is_list() const { return kind() == Kind::kList; }
  bool is_dict() const { return kind() == Kind::kDict; }
  bool is_object() const { return kind() == Kind::kObject; }

  // Typed access; each throws TypeError naming the expected and the actual kind on mismatch.
  // Text and bytes are views into this value: valid until it is changed or destroyed.
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_float() const;  // an int converts, as in Python arithmetic
  std::string_view as_string() const;
  std::string_view as_bytes() const;
  const List& as_list() const;
  List& as_list();
  const Dict& as_dict() const;
  Dict& as_dict();
  const ObjectPtr& as_object() const;
  template <class T>
  std::shared_ptr<T> as() const {  // the object as T, or null if it is not one
    return is_object() ? std::dynamic_pointer_cast<T>(as_object()) : nullptr;
  }

  // Dict access. `v["k"]` on a const Value throws KeyError when missing, like Python;
  // on a mutable Value it inserts null (turning a null Value into a dict first).
  const Value& operator[](std::string_view key) const;
  Value& operator[](std::string_view key);
  const Value* find(std::string_view key) const;  // nullptr when missing or not a dict
  bool contains(std::string_view key) const { return find(key) != nullptr; }
  // The string at `key`, or `fallback` when missing or not a string.
  std::string_view get_string(std::string_view key, std::string_view fallback = {}) const;

  // List access.
  const Value& operator[](std::size_t index) const;
  Value& operator[](std::size_t index) { return as_list().at(index); }
  void push_back(Value v) { as_list().push_back(std::move(v)); }
  std::size_t size() const;  // elements of a list or dict, bytes of a str/bytes, else 0

  friend bool operator==(const Value& a, const Value& b);

  // Strict JSON (RFC 8259): UTF-8 checked on parse and dump, numbers that round-trip. bytes and
  // objects have no JSON form: to_json throws TypeError, as json.dumps would.
  static Value from_json(std::string_view text);  // throws JsonError with the byte offset
  std::string to_json() const;
  void append_json(std::string& out) const;

  // A Python-like rendering for diagnostics ("{'type': 'chat.message', 'n': 1}").
  std::string repr() const;

 private:
  // Kind's values, then the one representation Kind does not show.
  enum class Tag : std::uint8_t {
    kNull, kBool, kInt, kFloat, kString, kBytes, kList, kDict, kObject,
    kShared,  // a Shared block; kind() is its value's
  };
  struct Shared;
  static constexpr std::size_t kInlineText = 14;
  static constexpr std::uint8_t kTextOnHeap = 0xFF;
  static constexpr std::uint8_t kTextLiteral = 0xFE;  // not owned: never freed, copied by pointer

  Value(std::int64_t i, Tag tag) noexcept { set_scalar(tag, i); }
  template <class T>
  void set_scalar(Tag tag, T v) noexcept {
    std::memcpy(raw_, &v, sizeof v);
    tag_ = tag;
  }
  template <class T>
  T scalar() const noexcept {
    T v;
    std::memcpy(&v, raw_, sizeof v);
    return v;
  }
  template <class T>
  T* payload() noexcept { return std::launder(reinterpret_cast<T*>(raw_)); }
  template <class T>
  const T* payload() const noexcept { return std::launder(reinterpret_cast<const T*>(raw_)); }

  void set_text(Tag tag, std::string_view text);
  std::string_view text() const noexcept {
    if (text_size_ <= kInlineText) return {reinterpret_cast<const char*>(raw_), text_size_};
    return {scalar<const char*>(), heap_text_size()};
  }
  std::uint32_t heap_text_size() const noexcept {
    std::uint32_t n;
    std::memcpy(&n, raw_ + sizeof(char*), sizeof n);
    return n;
  }
  const Value& shared_target() const noexcept;
  const Value& resolved() const noexcept { return tag_ == Tag::kShared ? shared_target() : *this; }
  void unshare();  // a shared value becomes this value's own copy, before any write
  void destroy() noexcept;

  alignas(8) unsigned char raw_[kInlineText];
  std::uint8_t text_size_ = 0;  // inline text: its length; else pointer and length in raw_
  Tag tag_;
};

// Every list element, dict entry and scope field is a Value.
static_assert(sizeof(Value) == 16, "a Value grew: every idle WebSocket's scope pays for it");
static_assert(std::is_nothrow_move_constructible_v<Value>, "vectors of Values must move, not copy");

struct Value::Shared {
  Value value;
  std::atomic<std::uint32_t> references{1};
};

inline const Value& Value::shared_target() const noexcept {
  return scalar<Shared*>()->value;
}

const char* kind_name(Value::Kind kind);

// Raised by typed access to the wrong kind of value (Python's TypeError).
class TypeError : public std::exception {
 public:
  explicit TypeError(std::string what) : what_(std::move(what)) {}
  const char* what() const noexcept override { return what_.c_str(); }

 private:
  std::string what_;
};

// Raised by a missing dict key (Python's KeyError).
class KeyError : public TypeError {
 public:
  using TypeError::TypeError;
};

// Raised by Value::from_json for malformed input; `offset` is the byte where parsing stopped.
class JsonError : public TypeError {
 public:
  JsonError(std::string what, std::size_t offset) : TypeError(std::move(what)), offset(offset) {}
  std::size_t offset;
};

}  // namespace laurel::asgi
