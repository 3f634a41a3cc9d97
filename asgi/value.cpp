// asgi/value.cpp — typed access, dict and list access, equality and repr for Value.
// (JSON lives in json.cpp.)

#include "asgi/value.h"

#include <charconv>
#include <cmath>

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

bool Value::as_bool() const {
  if (!is_bool()) throw_kind(Kind::kBool, kind());
  return std::get<bool>(v_);
}

std::int64_t Value::as_int() const {
  if (!is_int()) throw_kind(Kind::kInt, kind());
  return std::get<std::int64_t>(v_);
}

double Value::as_float() const {
  if (is_int()) return static_cast<double>(std::get<std::int64_t>(v_));
  if (!is_float()) throw_kind(Kind::kFloat, kind());
  return std::get<double>(v_);
}

const std::string& Value::as_string() const {
  if (!is_string()) throw_kind(Kind::kString, kind());
  return std::get<std::string>(v_);
}

std::string& Value::as_string() {
  if (!is_string()) throw_kind(Kind::kString, kind());
  return std::get<std::string>(v_);
}

const Bytes& Value::as_bytes() const {
  if (!is_bytes()) throw_kind(Kind::kBytes, kind());
  return std::get<Bytes>(v_);
}

const List& Value::as_list() const {
  if (!is_list()) throw_kind(Kind::kList, kind());
  return std::get<List>(v_);
}

List& Value::as_list() {
  if (!is_list()) throw_kind(Kind::kList, kind());
  return std::get<List>(v_);
}

const Dict& Value::as_dict() const {
  if (!is_dict()) throw_kind(Kind::kDict, kind());
  return std::get<Dict>(v_);
}

Dict& Value::as_dict() {
  if (!is_dict()) throw_kind(Kind::kDict, kind());
  return std::get<Dict>(v_);
}

const ObjectPtr& Value::as_object() const {
  if (!is_object()) throw_kind(Kind::kObject, kind());
  return std::get<ObjectPtr>(v_);
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
  if (is_null()) v_ = Dict{};
  return as_dict()[key];
}

const Value* Value::find(std::string_view key) const {
  if (!is_dict()) return nullptr;
  const Dict& d = std::get<Dict>(v_);
  auto it = d.find(key);
  return it == d.end() ? nullptr : &it->second;
}

std::string_view Value::get_string(std::string_view key, std::string_view fallback) const {
  const Value* v = find(key);
  if (v == nullptr || !v->is_string()) return fallback;
  return std::get<std::string>(v->v_);
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
  switch (kind()) {
    case Kind::kString:
      return std::get<std::string>(v_).size();
    case Kind::kBytes:
      return std::get<Bytes>(v_).data.size();
    case Kind::kList:
      return std::get<List>(v_).size();
    case Kind::kDict:
      return std::get<Dict>(v_).size();
    default:
      return 0;
  }
}

bool operator==(const Value& a, const Value& b) {
  // As in Python, 1 == 1.0; bool stays apart from int (True == 1 is a Python accident that
  // ASGI code never relies on, and a scope comparing them equal would hide bugs).
  if (a.is_number() && b.is_number() && a.kind() != b.kind()) {
    return a.as_float() == b.as_float();
  }
  return a.v_ == b.v_;
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
      repr_text(v.as_bytes().data, true, out);
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
