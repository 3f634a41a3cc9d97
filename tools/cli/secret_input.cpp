// tools/cli/secret_input.cpp
#include "tools/cli/secret_input.h"

#include <errno.h>
#include <signal.h>
#include <termios.h>
#include <unistd.h>

#include <csignal>
#include <ostream>

namespace laurel::cli {
namespace {

// The terminal state to put back if a signal ends the process while echo is off. Only one
// prompt is ever open at a time in a command-line process.
struct termios g_saved;
volatile sig_atomic_t g_saved_fd = -1;

extern "C" void restore_and_reraise(int sig) {
  if (g_saved_fd >= 0) tcsetattr(g_saved_fd, TCSAFLUSH, &g_saved);
  signal(sig, SIG_DFL);
  raise(sig);
}

// Echo off for the lifetime of the object (newline still echoed so the next prompt starts on
// its own line); the previous state and signal handlers come back in the destructor.
class EchoOff {
 public:
  explicit EchoOff(int fd) : fd_(fd) {
    if (tcgetattr(fd, &saved_) != 0) return;
    struct termios quiet = saved_;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    quiet.c_lflag |= ECHONL;
    g_saved = saved_;
    g_saved_fd = fd;
    struct sigaction action {};
    action.sa_handler = restore_and_reraise;
    sigemptyset(&action.sa_mask);
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &action, &old_[i]);
    active_ = tcsetattr(fd, TCSAFLUSH, &quiet) == 0;
  }
  ~EchoOff() {
    if (g_saved_fd < 0) return;
    tcsetattr(fd_, TCSAFLUSH, &saved_);
    g_saved_fd = -1;
    for (int i = 0; i < 3; ++i) sigaction(kSignals[i], &old_[i], nullptr);
  }
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  bool active() const { return active_; }

 private:
  static constexpr int kSignals[3] = {SIGINT, SIGTERM, SIGHUP};
  int fd_;
  struct termios saved_ {};
  struct sigaction old_[3] {};
  bool active_ = false;
};

// Reads byte by byte so nothing after the line is consumed (a second line stays for the next
// read). Returns false on EOF before any byte or on an error.
bool read_line(int fd, std::string* line, std::string* error) {
  line->clear();
  bool any = false;
  for (;;) {
    char c = 0;
    ssize_t n = ::read(fd, &c, 1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "cannot read stdin";
      return false;
    }
    if (n == 0) {
      if (!any) {
        *error = "nothing on stdin (end of input)";
        return false;
      }
      break;
    }
    any = true;
    if (c == '\n') break;
    if (line->size() >= kMaxSecretBytes) {
      *error = "the line on stdin is longer than " + std::to_string(kMaxSecretBytes) + " bytes";
      return false;
    }
    line->push_back(c);
  }
  if (!line->empty() && line->back() == '\r') line->pop_back();
  return true;
}

}  // namespace

std::optional<std::string> read_secret(int fd, std::ostream& prompts, const std::string& prompt,
                                       std::string* error) {
  std::string line;
  if (isatty(fd)) {
    prompts << prompt << std::flush;
    EchoOff quiet(fd);
    if (!read_line(fd, &line, error)) return std::nullopt;
    return line;
  }
  if (!read_line(fd, &line, error)) return std::nullopt;
  return line;
}

std::optional<std::string> read_new_password(int fd, std::ostream& prompts, std::string* error) {
  if (!isatty(fd)) {
    auto password = read_secret(fd, prompts, "", error);
    if (password && password->empty()) {
      *error = "blank passwords aren't allowed";
      return std::nullopt;
    }
    return password;
  }
  for (int attempt = 0; attempt < 3; ++attempt) {
    auto first = read_secret(fd, prompts, "Password: ", error);
    if (!first) return std::nullopt;
    if (first->empty()) {
      prompts << "Error: Blank passwords aren't allowed.\n";
      continue;
    }
    auto second = read_secret(fd, prompts, "Password (again): ", error);
    if (!second) return std::nullopt;
    if (*first != *second) {
      prompts << "Error: Your passwords didn't match.\n";
      continue;
    }
    return first;
  }
  *error = "too many attempts";
  return std::nullopt;
}

}  // namespace laurel::cli
