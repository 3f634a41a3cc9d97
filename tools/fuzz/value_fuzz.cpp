// tools/fuzz/value_fuzz.cpp — libFuzzer target for asgi::Value, the parsers of untrusted input
// that build it and the wire format that carries it: any JSON text must survive
// parse -> dump -> parse unchanged, the same value must survive a msgpack round trip, arbitrary
// bytes must not crash the msgpack reader, and a write to a copy of a shared value must never
// reach the shared one. Built and run by tools/fuzz/run.sh (clang, ASan + UBSan).

#include <cstdint>
#include <string>

#include "asgi/value.h"
#include "channel_layer/redis_wire.h"

using laurel::asgi::Value;
namespace wire = laurel::channel_layer::redis_wire;
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  Value v;
  try {
    (void)wire::unpack(text);  // arbitrary bytes: a clean error or a value, never a crash
  } catch (...) {
  }
  try {
    v = Value::from_json(text);
  } catch (const laurel::asgi::JsonError&) {
    return 0;
  }
  std::string once = v.to_json();
  Value again = Value::from_json(once);
  if (!(again == v)) __builtin_trap();
  if (again.to_json() != once) __builtin_trap();
  Value shared = Value::shared(v);
  Value copy = shared;
  if (copy.is_dict()) {
    copy["__x"] = Value(std::string(20, 'y'));
    if (shared.contains("__x") && !v.contains("__x")) __builtin_trap();
  }
  if (copy.is_list()) {
    copy.push_back(Value(1));
    if (shared.size() != v.size()) __builtin_trap();
  }
  if (!(wire::unpack(wire::pack(v)) == v)) __builtin_trap();
  if (v.is_dict()) {
    Value packed = v;
    Value outer{{"type", "x.y"}, {"payload", packed}};
    (void)outer.repr();
  }
  return 0;
}
