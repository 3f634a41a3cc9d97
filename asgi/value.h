// asgi/value.h
#pragma once

// The tree that scopes, channel-layer messages and JSON payloads are made of: the C++ side of
// a Python dict / list / str / bytes / int / float / bool / None. Strings are UTF-8 text, bytes
// are raw octets; the two stay distinct exactly as they do in ASGI and in msgpack.

#include <cstdint>
#include <initializer_list>
#include <memory>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

#include "asgi/dict.h"

namespace laurel::asgi {

class Value;

// Raw octets (Python `bytes`), kept apart from text so `{"bytes": ...}` never becomes `{"text":
// ...}` on a round trip through msgpack.
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

using List = std::vector<Value>;
using Dict = FlatDict<Value>;  // sorted by key; see dict.h for what invalidates references

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

  Value() = default;
  Value(std::nullptr_t) {}
  Value(bool b) : v_(b) {}
  Value(int i) : v_(static_cast<std::int64_t>(i)) {}
  Value(unsigned i) : v_(static_cast<std::int64_t>(i)) {}
  Value(long i) : v_(static_cast<std::int64_t>(i)) {}
  Value(long long i) : v_(static_cast<std::int64_t>(i)) {}
  Value(unsigned long i) : v_(static_cast<std::int64_t>(i)) {}
  Value(unsigned long long i) : v_(static_cast<std::int64_t>(i)) {}
  Value(double d) : v_(d) {}
  Value(const char* s) : v_(std::string(s)) {}
  Value(std::string s) : v_(std::move(s)) {}
  Value(std::string_view s) : v_(std::string(s)) {}
  Value(Bytes b) : v_(std::move(b)) {}
  Value(List l) : v_(std::move(l)) {}
  Value(Dict d) : v_(std::move(d)) {}
  Value(ObjectPtr o) : v_(std::move(o)) {}
  // `{{"type", "chat.message"}, {"message", text}}` builds a dict, as a Python literal would.
  Value(std::initializer_list<Dict::value_type> items) : v_(Dict(items)) {}

  static Value list(std::initializer_list<Value> items = {}) { return Value(List(items)); }
  static Value dict() { return Value(Dict{}); }

  Kind kind() const { return static_cast<Kind>(v_.index()); }
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
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_float() const;  // an int converts, as in Python arithmetic
  const std::string& as_string() const;
  std::string& as_string();
  const Bytes& as_bytes() const;
  const List& as_list() const;
  List& as_list();
  const Dict& as_dict() const;
  Dict& as_dict();
  const ObjectPtr& as_object() const;
  template <class T>
  std::shared_ptr<T> as() const {  // the object as T, or null if it is not one
    return is_object() ? std::dynamic_pointer_cast<T>(std::get<ObjectPtr>(v_)) : nullptr;
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
  std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Bytes, List, Dict,
               ObjectPtr>
      v_;
};

// Every list element, dict entry and scope field is a Value: kept to a std::string plus the tag.
static_assert(sizeof(Value) <= 40, "a Value grew: every idle WebSocket's scope pays for it");
static_assert(std::is_nothrow_move_constructible_v<Value>, "vectors of Values must move, not copy");

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
