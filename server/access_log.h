// server/access_log.h
#pragma once

// The access log, line for line in Daphne's NCSA-like format so existing log tooling keeps
// working: `host:port - - [04/Dec/2026:21:46:11] "GET /path" 200 1234` for HTTP and
// WSCONNECTING / WSCONNECT / WSREJECT / WSDISCONNECT lines for WebSockets. Only paths are
// logged: query strings (tickets), Authorization and Cookie values never reach a log line.

#include <atomic>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <string_view>

namespace laurel::server {

class AccessLog {
 public:
  // `path`: "" or "-" for stdout, "none" to disable; otherwise a file opened for appending.
  // Throws std::runtime_error naming the file when it cannot be opened.
  AccessLog(const std::string& path, bool enabled);
  ~AccessLog();
  AccessLog(const AccessLog&) = delete;
  AccessLog& operator=(const AccessLog&) = delete;

  bool enabled() const { return out_ != nullptr; }

  // `client` is "host:port" (or "-" for a unix socket peer); `path` the decoded path.
  void http(std::string_view client, std::string_view method, std::string_view path, int status,
            std::size_t length);
  // action: "WSCONNECTING", "WSCONNECT", "WSREJECT", "WSDISCONNECT".
  void websocket(std::string_view client, std::string_view action, std::string_view path);

  // Writes buffered lines out. Workers call it once per loop iteration, so a busy server makes
  // one write per iteration rather than one per line.
  void flush();

  // One log line; exposed for tests. `status` and `length` < 0 print "-".
  static std::string format(std::string_view client, std::string_view request, long status,
                            long length, std::time_t now);

 private:
  void write(const std::string& line);

  std::FILE* out_ = nullptr;
  bool owned_ = false;
  std::mutex mutex_;  // workers share one log; one fwrite per line under the lock
  std::atomic<bool> dirty_{false};
};

// "host:port" as Daphne prints a client; "-" when there is no address (unix socket).
std::string format_client(std::string_view host, int port);

}  // namespace laurel::server
