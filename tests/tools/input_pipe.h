// tests/tools/input_pipe.h
#pragma once

// A pipe whose write end already holds the given text and is closed: what
// `echo text | laurel ...` gives a command that reads a password or a token from stdin.

#include <gtest/gtest.h>
#include <unistd.h>

#include <string>

namespace laurel::cli::test {

class InputPipe {
 public:
  explicit InputPipe(const std::string& text) {
    int fds[2];
    EXPECT_EQ(::pipe(fds), 0);
    read_fd_ = fds[0];
    EXPECT_EQ(::write(fds[1], text.data(), text.size()), static_cast<ssize_t>(text.size()));
    ::close(fds[1]);
  }
  ~InputPipe() { ::close(read_fd_); }
  int fd() const { return read_fd_; }
  // What nobody read.
  std::string rest() {
    std::string out;
    char buf[256];
    ssize_t n;
    while ((n = ::read(read_fd_, buf, sizeof buf)) > 0) out.append(buf, static_cast<size_t>(n));
    return out;
  }

 private:
  int read_fd_ = -1;
};

}  // namespace laurel::cli::test
