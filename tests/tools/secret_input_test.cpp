// tests/tools/secret_input_test.cpp
// Passwords and tokens read from stdin (tools/cli/secret_input.h): one line from a pipe with no
// prompt; on a terminal (a pseudo-terminal here) asked twice with echo off, echo restored after.

#include <gtest/gtest.h>

#include <fcntl.h>
#include <pty.h>
#include <termios.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include "tests/tools/input_pipe.h"
#include "tools/cli/secret_input.h"

namespace laurel::cli {
namespace {

using test::InputPipe;

TEST(SecretInput, PipeGivesOneLineAndLeavesTheNext) {
  InputPipe in("first secret\r\nsecond\n");
  std::ostringstream prompts;
  std::string error;
  auto value = read_secret(in.fd(), prompts, "Password: ", &error);
  ASSERT_TRUE(value) << error;
  EXPECT_EQ(*value, "first secret");
  EXPECT_EQ(prompts.str(), "") << "no prompt when stdin is not a terminal";
  EXPECT_EQ(in.rest(), "second\n");
}

TEST(SecretInput, PipeRefusesEmptyInputBlankPasswordsAndOverlongLines) {
  std::ostringstream prompts;
  std::string error;
  InputPipe empty("");
  EXPECT_FALSE(read_new_password(empty.fd(), prompts, &error));
  EXPECT_NE(error.find("end of input"), std::string::npos) << error;
  InputPipe blank("\n");
  EXPECT_FALSE(read_new_password(blank.fd(), prompts, &error));
  EXPECT_NE(error.find("blank"), std::string::npos) << error;
  InputPipe huge(std::string(kMaxSecretBytes + 1, 'x') + "\n");
  EXPECT_FALSE(read_new_password(huge.fd(), prompts, &error));
  InputPipe last_line_unterminated("no-newline");
  auto value = read_new_password(last_line_unterminated.fd(), prompts, &error);
  ASSERT_TRUE(value) << error;
  EXPECT_EQ(*value, "no-newline");
}

// A stream the reading thread prompts on and the typist thread watches.
class WatchedPrompts : public std::streambuf {
 public:
  int count(const std::string& word) {
    std::lock_guard lock(mutex_);
    int n = 0;
    for (auto at = text_.find(word); at != std::string::npos; at = text_.find(word, at + 1)) ++n;
    return n;
  }
  std::string text() {
    std::lock_guard lock(mutex_);
    return text_;
  }

 protected:
  int overflow(int c) override {
    std::lock_guard lock(mutex_);
    if (c != EOF) text_.push_back(static_cast<char>(c));
    return c;
  }

 private:
  std::mutex mutex_;
  std::string text_;
};

// On a terminal the password is asked twice with echo off: what the terminal shows (the master
// side of a pseudo-terminal) holds no password, and echo is back on afterwards.
TEST(SecretInput, TerminalAsksTwiceWithEchoOff) {
  int master = -1;
  int slave = -1;
  ASSERT_EQ(openpty(&master, &slave, nullptr, nullptr, nullptr), 0);
  struct termios before {};
  ASSERT_EQ(tcgetattr(slave, &before), 0);
  ASSERT_TRUE(before.c_lflag & ECHO);

  WatchedPrompts watched;
  std::ostream prompts(&watched);
  // The "typist" answers prompt k once it is shown and echo is off (typed-ahead input is
  // flushed, as getpass flushes it). Each wait is bounded.
  std::thread typist([&] {
    const char* lines[] = {"mismatch-1\n", "mismatch-2\n", "tty-secret-1\n", "tty-secret-1\n"};
    for (int k = 0; k < 4; ++k) {
      auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
      struct termios now {};
      while (std::chrono::steady_clock::now() < deadline) {
        tcgetattr(slave, &now);
        if (watched.count("Password") > k && !(now.c_lflag & ECHO)) break;
        std::this_thread::yield();
      }
      ssize_t len = static_cast<ssize_t>(strlen(lines[k]));
      ASSERT_EQ(::write(master, lines[k], static_cast<size_t>(len)), len);
    }
  });
  std::string error;
  auto password = read_new_password(slave, prompts, &error);
  typist.join();
  ASSERT_TRUE(password) << error;
  EXPECT_EQ(*password, "tty-secret-1");
  EXPECT_NE(watched.text().find("Password (again): "), std::string::npos);
  EXPECT_NE(watched.text().find("didn't match"), std::string::npos);

  std::string shown;
  ::fcntl(master, F_SETFL, O_NONBLOCK);
  char buf[512];
  ssize_t n;
  while ((n = ::read(master, buf, sizeof buf)) > 0) shown.append(buf, static_cast<size_t>(n));
  EXPECT_EQ(shown.find("secret"), std::string::npos) << "echoed: " << shown;
  EXPECT_EQ(shown.find("mismatch"), std::string::npos) << "echoed: " << shown;
  struct termios after {};
  ASSERT_EQ(tcgetattr(slave, &after), 0);
  EXPECT_TRUE(after.c_lflag & ECHO) << "echo must be restored";
  ::close(master);
  ::close(slave);
}

}  // namespace
}  // namespace laurel::cli
