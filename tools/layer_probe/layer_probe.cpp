// laurel-layer-probe: drives laurel's Redis channel layer from the command line so a script can
// check interop with channels_redis in both directions. Output is JSON lines on stdout:
//   {"event":"ready","channel":"specific.<cp>!<id>"}   once listening
//   {"event":"message","message":{...}}                 per message (bytes as {"$bytes_hex":..})
//   {"event":"sent"}                                    after a send / group_send
//   {"event":"error","error":"..."}                     then exit status 1
//
// Usage: laurel-layer-probe REDIS_URL [--prefix P] [--key-file F] COMMAND ...
//   --key-file F: symmetric_encryption_keys, one secret per line (the first encrypts)
//   listen-group GROUP [COUNT] [TIMEOUT_S]   group_add a fresh channel, print COUNT messages
//   listen-channel [COUNT] [TIMEOUT_S]       print COUNT messages sent to a fresh channel
//   group-send GROUP JSON                    group_send the JSON message
//   send CHANNEL JSON                        send the JSON message

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>
#include <string>
#include <vector>

#include "channel_layer/fernet.h"
#include "channel_layer/redis_layer.h"
#include "server/uv_loop.h"

namespace {

using laurel::Task;
using laurel::asgi::Value;
using laurel::channel_layer::RedisChannelLayer;

// JSON for a message; bytes (no JSON form) become {"$bytes_hex": "..."}.
Value jsonable(const Value& v) {
  if (v.is_bytes()) {
    static constexpr char kHex[] = "0123456789abcdef";
    std::string hex;
    for (unsigned char c : v.as_bytes()) {
      hex += kHex[c >> 4];
      hex += kHex[c & 15];
    }
    return Value{{"$bytes_hex", hex}};
  }
  if (v.is_list()) {
    Value out = Value::list();
    for (const auto& item : v.as_list()) out.push_back(jsonable(item));
    return out;
  }
  if (v.is_dict()) {
    Value out = Value::dict();
    for (const auto& [k, item] : v.as_dict()) out[k] = jsonable(item);
    return out;
  }
  return v;
}

// The inverse, so a command-line message can carry bytes too.
Value from_jsonable(const Value& v) {
  if (v.is_dict() && v.size() == 1 && v.contains("$bytes_hex")) {
    std::string_view hex = v["$bytes_hex"].as_string();
    std::string bytes;
    for (std::size_t i = 0; i + 1 < hex.size(); i += 2) {
      bytes += static_cast<char>(std::stoi(std::string(hex.substr(i, 2)), nullptr, 16));
    }
    return laurel::asgi::Bytes{bytes};
  }
  if (v.is_list()) {
    Value out = Value::list();
    for (const auto& item : v.as_list()) out.push_back(from_jsonable(item));
    return out;
  }
  if (v.is_dict()) {
    Value out = Value::dict();
    for (const auto& [k, item] : v.as_dict()) out[k] = from_jsonable(item);
    return out;
  }
  return v;
}

void emit(const Value& line) {
  std::cout << line.to_json() << "\n" << std::flush;
}

int failures = 0;

void fail(const std::string& what) {
  emit(Value{{"event", "error"}, {"error", what}});
  ++failures;
}

Task<void> join_group(RedisChannelLayer& layer, std::string group, std::string channel) {
  co_await layer.group_add(group, channel);
  emit(Value{{"event", "ready"}, {"channel", channel}, {"group", group}});
}

Task<void> send_one(RedisChannelLayer& layer, bool group, std::string target, Value message,
                    bool* done) {
  if (group) {
    co_await layer.group_send(target, std::move(message));
  } else {
    co_await layer.send(target, std::move(message));
  }
  emit(Value{{"event", "sent"}});
  *done = true;
}

int usage() {
  std::cerr << "usage: laurel-layer-probe REDIS_URL [--prefix P] [--key-file F] listen-group GROUP [COUNT] "
               "[TIMEOUT_S] | listen-channel [COUNT] [TIMEOUT_S] | group-send GROUP JSON | send "
               "CHANNEL JSON\n";
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.size() < 2) return usage();
  std::string url = args[0];
  laurel::channel_layer::RedisLayerOptions options;
  std::string key_file;
  std::size_t i = 1;
  while (i + 2 < args.size() && (args[i] == "--prefix" || args[i] == "--key-file")) {
    (args[i] == "--prefix" ? options.prefix : key_file) = args[i + 1];
    i += 2;
  }
  std::string command = args[i++];
  auto arg = [&](std::size_t k, const std::string& fallback) {
    return i + k < args.size() ? args[i + k] : fallback;
  };

  laurel::server::UvLoop loop;
  try {
    if (!key_file.empty()) {
      options.symmetric_encryption_keys = laurel::channel_layer::read_symmetric_keys_file(key_file);
    }
    RedisChannelLayer layer({}, {url}, options, &loop);
    auto on_error = [&](std::exception_ptr e) {
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        fail(ex.what());
      }
      loop.stop();
    };

    if (command == "listen-group" || command == "listen-channel") {
      bool grouped = command == "listen-group";
      if (grouped && i >= args.size()) return usage();
      std::string group = grouped ? args[i++] : "";
      long count = std::stol(arg(0, "1"));
      long timeout_s = std::stol(arg(1, "20"));
      std::string channel = layer.new_channel();
      long received = 0;
      auto registration = layer.listen(channel, [&](const Value& m) {
        emit(Value{{"event", "message"}, {"channel", channel}, {"message", jsonable(m)}});
        if (++received >= count) loop.stop();
      });
      if (grouped) {
        laurel::spawn(join_group(layer, group, channel), on_error);
      } else {
        emit(Value{{"event", "ready"}, {"channel", channel}});
      }
      auto timer = loop.call_later(std::chrono::seconds(timeout_s), [&] {
        fail("timed out after " + std::to_string(received) + " of " + std::to_string(count) +
             " messages");
        loop.stop();
      });
      loop.run();
      registration.reset();
    } else if (command == "group-send" || command == "send") {
      if (i + 1 >= args.size()) return usage();
      Value message = from_jsonable(Value::from_json(args[i + 1]));
      bool done = false;
      laurel::spawn(send_one(layer, command == "group-send", args[i], std::move(message), &done),
                    [&](std::exception_ptr e) {
                      on_error(e);
                      done = true;
                    });
      bool expired = false;
      auto timer = loop.call_later(std::chrono::seconds(10), [&] { expired = true; });
      while (!done && !expired) loop.run_once(true);
      if (!done) fail("timed out");
    } else {
      return usage();
    }
  } catch (const std::exception& e) {
    fail(e.what());
  }
  return failures == 0 ? 0 : 1;
}
