// tests/server/access_log_test.cpp
#include "server/access_log.h"

#include <gtest/gtest.h>

namespace laurel::server {
namespace {

TEST(AccessLog, FormatsLinesLikeDaphne) {
  std::time_t t = 1700000000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char date[64];
  std::strftime(date, sizeof date, "%d/%b/%Y:%H:%M:%S", &tm);
  EXPECT_EQ(AccessLog::format("127.0.0.1:5000", "GET /a", 200, 12, t),
            std::string("127.0.0.1:5000 - - [") + date + "] \"GET /a\" 200 12\n");
  EXPECT_EQ(AccessLog::format("1.2.3.4:1", "WSCONNECT /ws/", -1, -1, t),
            std::string("1.2.3.4:1 - - [") + date + "] \"WSCONNECT /ws/\" - -\n");
}

TEST(AccessLog, EscapesControlCharactersSoClientsCannotForgeLines) {
  std::string line = AccessLog::format("-", "GET /a\nfake \"line\"", 200, 1, 0);
  EXPECT_EQ(line.find('\n'), line.size() - 1);
  EXPECT_NE(line.find("\\x0a"), std::string::npos);
}

TEST(AccessLog, PrintsClientsAsHostColonPort) {
  EXPECT_EQ(format_client("::1", 80), "::1:80");
  EXPECT_EQ(format_client("", 0), "-");
}

}  // namespace
}  // namespace laurel::server
