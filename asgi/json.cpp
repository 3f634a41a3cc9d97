// asgi/json.cpp — strict JSON (RFC 8259) for Value, both ways.
//
// Parsing goes through nlohmann-json's SAX interface straight into Value, so a frame from a client
// is never first built as an nlohmann tree and then copied. Dumping appends into one string with
// no temporaries: it is on the group-broadcast path, where a message is serialised once per send.

#include "asgi/value.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <vector>

namespace laurel::asgi {

namespace {

// Deeper documents are refused: a hostile frame of a million '[' would otherwise build a tree whose
// recursive destruction overflows the stack. Python's json stops near this depth too.
constexpr std::size_t kMaxDepth = 1000;

// The byte offset at which `text` first nests deeper than kMaxDepth (strings skipped).
std::size_t depth_overflow_offset(std::string_view text) {
  std::size_t depth = 0;
  bool in_string = false;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (in_string) {
      if (c == '\\') {
        ++i;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxDepth) return i;
    } else if (c == ']' || c == '}') {
      if (depth > 0) --depth;
    }
  }
  return text.size();
}

class Builder final : public nlohmann::json_sax<nlohmann::json> {
 public:
  Value root;
  std::string error;
  std::size_t error_offset = 0;
  bool too_deep = false;

  bool null() override { return put_scalar(Value()); }
  bool boolean(bool b) override { return put_scalar(Value(b)); }
  bool number_integer(number_integer_t i) override {
    return put_scalar(Value(static_cast<std::int64_t>(i)));
  }
  bool number_unsigned(number_unsigned_t u) override {
    // Above int64's range a number becomes a float, as an out-of-range int does in msgpack.
    if (u > static_cast<number_unsigned_t>(INT64_MAX))
      return put_scalar(Value(static_cast<double>(u)));
    return put_scalar(Value(static_cast<std::int64_t>(u)));
  }
  bool number_float(number_float_t d, const string_t&) override { return put_scalar(Value(d)); }
  bool string(string_t& s) override { return put_scalar(Value(s)); }
  bool binary(binary_t&) override { return false; }  // never produced by the JSON lexer
  bool start_object(std::size_t) override { return open(Value(Dict{})); }
  bool key(string_t& k) override {
    key_ = std::move(k);
    return true;
  }
  bool end_object() override {
    // A repeated key keeps the last value, as Python's json.loads does.
    stack_.back()->as_dict().restore_order(Dict::Repeated::kKeepLast);
    stack_.pop_back();
    return true;
  }
  bool start_array(std::size_t) override { return open(Value(List{})); }
  bool end_array() override {
    stack_.pop_back();
    return true;
  }
  bool parse_error(std::size_t position, const std::string&,
                   const nlohmann::detail::exception& ex) override {
    // nlohmann counts characters read, so the offending byte is the last one it read.
    error_offset = position > 0 ? position - 1 : 0;
    std::string_view what = ex.what();
    // Drop the "[json.exception.parse_error.101] " prefix: the offset says where, we say what.
    if (auto close = what.find("] "); close != std::string_view::npos)
      what.remove_prefix(close + 2);
    error = std::string(what);
    return false;
  }

 private:
  bool put_scalar(Value v) {
    put(std::move(v));
    return true;
  }
  Value* put(Value v) {
    if (stack_.empty()) {
      root = std::move(v);
      return &root;
    }
    // Parents are never modified while a child is open, so pointers on the stack stay valid.
    Value& top = *stack_.back();
    if (top.is_list()) {
      List& l = top.as_list();
      l.push_back(std::move(v));
      return &l.back();
    }
    // Ordered once the object closes (end_object): a client's many-keyed object costs no
    // shifting per key. Only the open child is ever written, so the pointers stay valid.
    return &top.as_dict().append_unordered(key_, std::move(v));
  }
  bool open(Value container) {
    if (stack_.size() >= kMaxDepth) {
      too_deep = true;
      return false;
    }
    stack_.push_back(put(std::move(container)));
    return true;
  }

  std::vector<Value*> stack_;
  std::string key_;
};

constexpr char kHex[] = "0123456789abcdef";

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629 table), or 0 if it is not one.
std::size_t utf8_sequence_length(std::string_view s, std::size_t i) {
  auto byte = [&](std::size_t k) -> unsigned {
    return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0x100u;
  };
  auto cont = [&](std::size_t k, unsigned lo = 0x80, unsigned hi = 0xBF) {
    unsigned b = byte(k);
    return b >= lo && b <= hi;
  };
  unsigned c = byte(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c == 0xE0) return cont(1, 0xA0) && cont(2) ? 3 : 0;
  if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) return cont(1) && cont(2) ? 3 : 0;
  if (c == 0xED) return cont(1, 0x80, 0x9F) && cont(2) ? 3 : 0;  // no UTF-16 surrogates
  if (c == 0xF0) return cont(1, 0x90) && cont(2) && cont(3) ? 4 : 0;
  if (c >= 0xF1 && c <= 0xF3) return cont(1) && cont(2) && cont(3) ? 4 : 0;
  if (c == 0xF4) return cont(1, 0x80, 0x8F) && cont(2) && cont(3) ? 4 : 0;
  return 0;
}

void append_string(std::string_view s, std::string& out) {
  out += '"';
  std::size_t run = 0;  // start of the pending run of bytes that need no escaping
  std::size_t i = 0;
  while (i < s.size()) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
      ++i;
      continue;
    }
    if (c >= 0x80) {
      // Non-ASCII passes through as UTF-8, but only well-formed UTF-8: JSON text must be.
      std::size_t n = utf8_sequence_length(s, i);
      if (n == 0) {
        throw TypeError("str is not valid UTF-8 at byte " + std::to_string(i) +
                        "; send binary data as bytes");
      }
      i += n;
      continue;
    }
    out.append(s.data() + run, i - run);
    out += '\\';
    switch (c) {
      case '"':
        out += '"';
        break;
      case '\\':
        out += '\\';
        break;
      case '\n':
        out += 'n';
        break;
      case '\r':
        out += 'r';
        break;
      case '\t':
        out += 't';
        break;
      case '\b':
        out += 'b';
        break;
      case '\f':
        out += 'f';
        break;
      default:
        out += "u00";
        out += kHex[c >> 4];
        out += kHex[c & 15];
    }
    run = ++i;
  }
  out.append(s.data() + run, s.size() - run);
  out += '"';
}

void append_float(double d, std::string& out) {
  if (!std::isfinite(d)) {
    // Python's json.dumps(allow_nan=False) refuses these too; NaN and Infinity are not JSON.
    throw TypeError("Out of range float values are not JSON compliant");
  }
  char buf[32];
  // Shortest representation that reads back to the same double.
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string_view text(buf, static_cast<std::size_t>(end - buf));
  out += text;
  // Keep a float a float on the way back ("1.0", not "1"), as Python does.
  if (text.find_first_of(".e") == std::string_view::npos) out += ".0";
}

void append_value(const Value& v, std::string& out) {
  switch (v.kind()) {
    case Value::Kind::kNull:
      out += "null";
      return;
    case Value::Kind::kBool:
      out += v.as_bool() ? "true" : "false";
      return;
    case Value::Kind::kInt: {
      char buf[24];
      auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out.append(buf, end);
      return;
    }
    case Value::Kind::kFloat:
      append_float(v.as_float(), out);
      return;
    case Value::Kind::kString:
      append_string(v.as_string(), out);
      return;
    case Value::Kind::kList: {
      out += '[';
      bool first = true;
      for (const Value& item : v.as_list()) {
        if (!first) out += ',';
        first = false;
        append_value(item, out);
      }
      out += ']';
      return;
    }
    case Value::Kind::kDict: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : v.as_dict()) {
        if (!first) out += ',';
        first = false;
        append_string(key, out);
        out += ':';
        append_value(item, out);
      }
      out += '}';
      return;
    }
    case Value::Kind::kBytes:
    case Value::Kind::kObject:
      throw TypeError(std::string("Object of type ") + kind_name(v.kind()) +
                      " is not JSON serializable");
  }
}

}  // namespace

Value Value::from_json(std::string_view text) {
  Builder builder;
  bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &builder);
  if (ok) return std::move(builder.root);
  if (builder.too_deep) {
    throw JsonError("invalid JSON at byte " + std::to_string(depth_overflow_offset(text)) +
                        ": nesting deeper than " + std::to_string(kMaxDepth) + " levels",
                    depth_overflow_offset(text));
  }
  throw JsonError(
      "invalid JSON at byte " + std::to_string(builder.error_offset) + ": " + builder.error,
      builder.error_offset);
}

std::string Value::to_json() const {
  std::string out;
  append_value(*this, out);
  return out;
}

void Value::append_json(std::string& out) const {
  std::size_t mark = out.size();
  try {
    append_value(*this, out);
  } catch (...) {
    out.resize(mark);  // leave the caller's buffer as it was
    throw;
  }
}

}  // namespace laurel::asgi
