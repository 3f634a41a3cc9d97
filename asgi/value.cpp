// asgi/value.cpp — typed access, dict and list access, equality and repr for Value.
// (JSON lives in json.cpp.)

#include "asgi/value.h"

#include <charconv>
#include <cmath>
#include <stdexcept>

namespace laurel::asgi {

const char* kind_name(Value::Kind kind) {
  // Python's names, so messages read like the TypeError a Channels developer knows.
  switch (kind) {
    case Value::Kind::kNull:
      return "None";
    case Value::Kind::kBool:
      return "bool";
    case Value::Kind::kInt:
      return "int";
    case Value::Kind::kFloat:
      return "float";
    case Value::Kind::kString:
      return "str";
    case Value::Kind::kBytes:
      return "bytes";
    case Value::Kind::kList:
      return "list";
    case Value::Kind::kDict:
      return "dict";
    case Value::Kind::kObject:
      return "object";
  }
  return "?";
}

namespace {

[[noreturn]] void throw_kind(Value::Kind expected, Value::Kind actual) {
  throw TypeError(std::string("expected ") + kind_name(expected) + ", got " + kind_name(actual));
}

}  // namespace

Value::Value(List l) noexcept {
  ::new (static_cast<void*>(raw_)) List(std::move(l));
  tag_ = Tag::kList;
}

Value::Value(Dict d) noexcept {
  ::new (static_cast<void*>(raw_)) Dict(std::move(d));
  tag_ = Tag::kDict;
}

Value::Value(std::initializer_list<Dict::value_type> items) : Value(Dict(items)) {}

Value::Value(ObjectPtr o) {
  // Boxed: a shared_ptr is two pointers, one more than a Value has room for beside its tag.
  set_scalar(Tag::kObject, new ObjectPtr(std::move(o)));
}

Value::Value(const Value& other) {
  switch (other.tag_) {
    case Tag::kString:
    case Tag::kBytes:
      if (other.text_size_ != kTextLiteral) {
        set_text(other.tag_, other.text());
        return;
      }
      text_size_ = kTextLiteral;
      std::memcpy(raw_, other.raw_, sizeof raw_);
      break;
    case Tag::kList:
      ::new (static_cast<void*>(raw_)) List(*other.payload<List>());
      break;
    case Tag::kDict:
      ::new (static_cast<void*>(raw_)) Dict(*other.payload<Dict>());
      break;
    case Tag::kObject:
      set_scalar(Tag::kObject, new ObjectPtr(*other.scalar<ObjectPtr*>()));
      return;
    case Tag::kShared:
      other.scalar<Shared*>()->references.fetch_add(1, std::memory_order_relaxed);
      std::memcpy(raw_, other.raw_, sizeof raw_);
      break;
    default:  // null, bool, int, float: plain bytes
      std::memcpy(raw_, other.raw_, sizeof raw_);
      break;
  }
  tag_ = other.tag_;
}

void Value::set_text(Tag tag, std::string_view text) {
  tag_ = tag;
  if (text.size() <= kInlineText) {
    if (!text.empty()) std::memcpy(raw_, text.data(), text.size());
    text_size_ = static_cast<std::uint8_t>(text.size());
    return;
  }
  if (text.size() > UINT32_MAX) throw std::length_error("asgi::Value: text over 4 GiB");
  tag_ = Tag::kNull;  // until the block exists, so a failed allocation leaves a valid value
  char* block = new char[text.size()];
  std::memcpy(block, text.data(), text.size());
  auto n = static_cast<std::uint32_t>(text.size());
  std::memcpy(raw_, &block, sizeof block);
  std::memcpy(raw_ + sizeof block, &n, sizeof n);
  text_size_ = kTextOnHeap;
  tag_ = tag;
}

void Value::destroy() noexcept {
  switch (tag_) {
    case Tag::kString:
    case Tag::kBytes:
      if (text_size_ == kTextOnHeap) delete[] scalar<char*>();
      break;
    case Tag::kList:
      std::destroy_at(payload<List>());
      break;
    case Tag::kDict:
      std::destroy_at(payload<Dict>());
      break;
    case Tag::kObject:
      delete scalar<ObjectPtr*>();
      break;
    case Tag::kShared: {
      Shared* shared = scalar<Shared*>();
      if (shared->references.fetch_sub(1, std::memory_order_acq_rel) == 1) delete shared;
      break;
    }
    default:
      break;
  }
  tag_ = Tag::kNull;
}

Value Value::shared(Value v) {
  if (v.tag_ == Tag::kShared) return v;
  auto* block = new Shared{std::move(v)};
  Value out;
  out.set_scalar(Tag::kShared, block);
  return out;
}

Value Value::literal_bytes(std::string_view immortal) {
  Value out;
  if (immortal.size() <= kInlineText) {
    out.set_text(Tag::kBytes, immortal);  // inline anyway
    return out;
  }
  const char* p = immortal.data();
  auto n = static_cast<std::uint32_t>(immortal.size());
  std::memcpy(out.raw_, &p, sizeof p);
  std::memcpy(out.raw_ + sizeof p, &n, sizeof n);
  out.text_size_ = kTextLiteral;
  out.tag_ = Tag::kBytes;
  return out;
}

void Value::unshare() {
  if (tag_ == Tag::kShared) *this = Value(shared_target());
}

bool Value::as_bool() const {
  const Value& v = resolved();
  if (v.tag_ != Tag::kBool) throw_kind(Kind::kBool, kind());
  return v.scalar<bool>();
}

std::int64_t Value::as_int() const {
  const Value& v = resolved();
  if (v.tag_ != Tag::kInt) throw_kind(Kind::kInt, kind());
  return v.scalar<std::int64_t>();
}

double Value::as_float() const {
  const Value& v = resolved();
  if (v.tag_ == Tag::kInt) return static_cast<double>(v.scalar<std::int64_t>());
  if (v.tag_ != Tag::kFloat) throw_kind(Kind::kFloat, kind());
  return v.scalar<double>();
}

std::string_view Value::as_string() const {
  const Value& v = resolved();
  if (v.tag_ != Tag::kString) throw_kind(Kind::kString, kind());
  return v.text();
}

std::string_view Value::as_bytes() const {
  const Value& v = resolved();
  if (v.tag_ != Tag::kBytes) throw_kind(Kind::kBytes, kind());
  return v.text();
}

const List& Value::as_list() const {
  const Value& v = resolved();
  if (v.tag_ != Tag::kList) throw_kind(Kind::kList, kind());
  return *v.payload<List>();
}

List& Value::as_list() {
  unshare();
  if (tag_ != Tag::kList) throw_kind(Kind::kList, kind());
  return *payload<List>();
}

const Dict& Value::as_dict() const {
  const Value& v = resolved();
  if (v.tag_ != Tag::kDict) throw_kind(Kind::kDict, kind());
  return *v.payload<Dict>();
}

Dict& Value::as_dict() {
  unshare();
  if (tag_ != Tag::kDict) throw_kind(Kind::kDict, kind());
  return *payload<Dict>();
}

const ObjectPtr& Value::as_object() const {
  const Value& v = resolved();
  if (v.tag_ != Tag::kObject) throw_kind(Kind::kObject, kind());
  return *v.scalar<ObjectPtr*>();
}

const Value& Value::operator[](std::string_view key) const {
  const Dict& d = as_dict();
  auto it = d.find(key);
  if (it == d.end()) {
    throw KeyError("KeyError: " + Value(key).repr());
  }
  return it->second;
}

Value& Value::operator[](std::string_view key) {
  if (is_null()) *this = Dict{};
  return as_dict()[key];
}

const Value* Value::find(std::string_view key) const {
  const Value& v = resolved();
  if (v.tag_ != Tag::kDict) return nullptr;
  const Dict& d = *v.payload<Dict>();
  auto it = d.find(key);
  return it == d.end() ? nullptr : &it->second;
}

std::string_view Value::get_string(std::string_view key, std::string_view fallback) const {
  const Value* v = find(key);
  if (v == nullptr || !v->is_string()) return fallback;
  return v->as_string();
}

const Value& Value::operator[](std::size_t index) const {
  const List& l = as_list();
  if (index >= l.size()) {
    throw KeyError("IndexError: list index " + std::to_string(index) + " out of range (size " +
                   std::to_string(l.size()) + ")");
  }
  return l[index];
}

std::size_t Value::size() const {
  const Value& v = resolved();
  switch (v.tag_) {
    case Tag::kString:
    case Tag::kBytes:
      return v.text().size();
    case Tag::kList:
      return v.payload<List>()->size();
    case Tag::kDict:
      return v.payload<Dict>()->size();
    default:
      return 0;
  }
}

bool operator==(const Value& x, const Value& y) {
  // As in Python, 1 == 1.0; bool stays apart from int (True == 1 is a Python accident that
  // ASGI code never relies on, and a scope comparing them equal would hide bugs).
  const Value& a = x.resolved();
  const Value& b = y.resolved();
  if (a.is_number() && b.is_number() && a.tag_ != b.tag_) {
    return a.as_float() == b.as_float();
  }
  if (a.tag_ != b.tag_) return false;
  switch (a.tag_) {
    case Value::Tag::kNull:
      return true;
    case Value::Tag::kBool:
      return a.scalar<bool>() == b.scalar<bool>();
    case Value::Tag::kInt:
      return a.scalar<std::int64_t>() == b.scalar<std::int64_t>();
    case Value::Tag::kFloat:
      return a.scalar<double>() == b.scalar<double>();
    case Value::Tag::kString:
    case Value::Tag::kBytes:
      return a.text() == b.text();
    case Value::Tag::kList:
      return *a.payload<List>() == *b.payload<List>();
    case Value::Tag::kDict:
      return *a.payload<Dict>() == *b.payload<Dict>();
    case Value::Tag::kObject:
      return *a.scalar<ObjectPtr*>() == *b.scalar<ObjectPtr*>();
    case Value::Tag::kShared:
      break;  // resolved above
  }
  return false;
}

namespace {

void repr_float(double d, std::string& out) {
  if (std::isnan(d)) {
    out += "nan";
    return;
  }
  if (std::isinf(d)) {
    out += d < 0 ? "-inf" : "inf";
    return;
  }
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view s(buf, static_cast<std::size_t>(end - buf));
  out += s;
  if (s.find_first_of(".e") == std::string_view::npos) out += ".0";
}

// Python's str/bytes repr: single quotes unless the text holds a ' and no ".
void repr_text(std::string_view s, bool bytes, std::string& out) {
  bool has_single = s.find('\'') != std::string_view::npos;
  bool has_double = s.find('"') != std::string_view::npos;
  char quote = (has_single && !has_double) ? '"' : '\'';
  if (bytes) out += 'b';
  out += quote;
  static const char* kHex = "0123456789abcdef";
  for (unsigned char c : s) {
    if (c == static_cast<unsigned char>(quote) || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20 || c == 0x7f || (bytes && c >= 0x80)) {
      out += "\\x";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += static_cast<char>(c);  // UTF-8 text stays readable, as Python 3 prints it
    }
  }
  out += quote;
}

void repr_into(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      out += "None";
      break;
    case Value::Kind::kBool:
      out += v.as_bool() ? "True" : "False";
      break;
    case Value::Kind::kInt:
      out += std::to_string(v.as_int());
      break;
    case Value::Kind::kFloat:
      repr_float(v.as_float(), out);
      break;
    case Value::Kind::kString:
      repr_text(v.as_string(), false, out);
      break;
    case Value::Kind::kBytes:
      repr_text(v.as_bytes(), true, out);
      break;
    case Value::Kind::kList: {
      out += '[';
      bool first = true;
      for (const Value& item : v.as_list()) {
        if (!first) out += ", ";
        first = false;
        repr_into(item, out);
      }
      out += ']';
      break;
    }
    case Value::Kind::kDict: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.as_dict()) {
        if (!first) out += ", ";
        first = false;
        repr_text(key, false, out);
        out += ": ";
        repr_into(item, out);
      }
      out += '}';
      break;
    }
    case Value::Kind::kObject: {
      const ObjectPtr& o = v.as_object();
      out += '<';
      out += o ? std::string(o->type_name()) : std::string("None");
      out += " object>";
      break;
    }
  }
}

}  // namespace

std::string Value::repr() const {
  std::string out;
  repr_into(*this, out);
  return out;
}

}  // namespace laurel::asgi
