// server/access_log.cpp
#include "server/access_log.h"

#include <ctime>
#include <stdexcept>

namespace laurel::server {
namespace {

// Control characters in a path would let a client forge log lines; print them escaped.
void append_sanitized(std::string& out, std::string_view s) {
  static const char kHex[] = "0123456789abcdef";
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f || c == '"' || c == '\\') {
      out += "\\x";
      out += kHex[u >> 4];
      out += kHex[u & 15];
    } else {
      out += c;
    }
  }
}

}  // namespace

AccessLog::AccessLog(const std::string& path, bool enabled) {
  if (!enabled || path == "none") return;
  if (path.empty() || path == "-") {
    out_ = stdout;
    return;
  }
  out_ = std::fopen(path.c_str(), "a");
  if (!out_) throw std::runtime_error("cannot open access log file " + path);
  owned_ = true;
}

AccessLog::~AccessLog() {
  if (owned_ && out_) {
    std::fclose(out_);
  } else if (out_) {
    std::fflush(out_);
  }
}

std::string AccessLog::format(std::string_view client, std::string_view request, long status,
                              long length, std::time_t now) {
  std::tm tm{};
  localtime_r(&now, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%d/%b/%Y:%H:%M:%S", &tm);
  std::string line;
  line.reserve(96 + request.size());
  line.append(client.empty() ? std::string_view("-") : client);
  line += " - - [";
  line += date;
  line += "] \"";
  append_sanitized(line, request);
  line += "\" ";
  // Daphne prints `status or "-"` and `length or "-"`: a zero length shows as "-" too.
  line += status > 0 ? std::to_string(status) : "-";
  line += ' ';
  line += length > 0 ? std::to_string(length) : "-";
  line += '\n';
  return line;
}

void AccessLog::http(std::string_view client, std::string_view method, std::string_view path,
                     int status, std::size_t length) {
  if (!out_) return;
  std::string request;
  request.reserve(method.size() + 1 + path.size());
  request.append(method).append(" ").append(path);
  write(format(client, request, status, static_cast<long>(length), std::time(nullptr)));
}

void AccessLog::websocket(std::string_view client, std::string_view action,
                          std::string_view path) {
  if (!out_) return;
  std::string request;
  request.append(action).append(" ").append(path);
  write(format(client, request, -1, -1, std::time(nullptr)));
}

void AccessLog::write(const std::string& line) {
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), out_);
  dirty_.store(true, std::memory_order_relaxed);
}

void AccessLog::flush() {
  if (!out_ || !dirty_.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(mutex_);
  dirty_.store(false, std::memory_order_relaxed);
  std::fflush(out_);
}

std::string format_client(std::string_view host, int port) {
  if (host.empty()) return "-";
  std::string s(host);
  s += ':';
  s += std::to_string(port);
  return s;
}

}  // namespace laurel::server
