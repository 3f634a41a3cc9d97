// channel_layer/layer.cpp: the rules every layer shares (names, capacities), so the in-memory and
// Redis layers refuse and size exactly alike, and exactly as Channels does.

#include "channel_layer/layer.h"

#include <fnmatch.h>

#include <string>

namespace laurel::channel_layer {

namespace {

// Channels' limit is `len(name) < 100`.
constexpr std::size_t kMaxNameLength = 100;

bool is_name_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '_' || c == '.';
}

[[noreturn]] void refuse(std::string_view what, std::string_view name, std::string_view rule) {
  std::string message(what);
  message += " name '";
  // Keep the message readable when the offending name is huge or binary.
  message.append(name.substr(0, 120));
  if (name.size() > 120) message += "...";
  message += "' is invalid: ";
  message += rule;
  throw InvalidName(message);
}

void require_length(std::string_view what, std::string_view name) {
  if (name.empty()) refuse(what, name, "it must not be empty");
  if (name.size() >= kMaxNameLength) {
    refuse(what, name, "it must be shorter than 100 characters");
  }
}

}  // namespace

std::size_t LayerConfig::capacity_for(std::string_view channel) const {
  if (channel_capacity.empty()) return capacity;
  std::string name(channel);  // fnmatch wants NUL-terminated strings
  for (const auto& [pattern, value] : channel_capacity) {
    // Flags 0: like Python's fnmatch, '*' also crosses '.', '!' and '/'.
    if (fnmatch(pattern.c_str(), name.c_str(), 0) == 0) return value;
  }
  return capacity;
}

void require_valid_channel_name(std::string_view name) {
  require_length("Channel", name);
  std::size_t bang = name.find('!');
  std::string_view global = name.substr(0, bang);
  if (global.empty()) {
    refuse("Channel", name, "the part before '!' must not be empty");
  }
  for (char c : global) {
    if (!is_name_char(c)) {
      refuse("Channel", name,
             "it may contain only ASCII letters, digits, hyphens, underscores or periods "
             "(and one '!' before a process-local part)");
    }
  }
  if (bang == std::string_view::npos) return;
  for (char c : name.substr(bang + 1)) {
    if (c == '!') refuse("Channel", name, "it may contain at most one '!'");
    if (!is_name_char(c)) {
      refuse("Channel", name,
             "the part after '!' may contain only ASCII letters, digits, hyphens, underscores "
             "or periods");
    }
  }
}

void require_valid_group_name(std::string_view name) {
  require_length("Group", name);
  for (char c : name) {
    if (!is_name_char(c)) {
      refuse("Group", name,
             "it may contain only ASCII letters, digits, hyphens, underscores or periods");
    }
  }
}

}  // namespace laurel::channel_layer
