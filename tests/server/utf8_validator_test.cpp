// tests/server/utf8_validator_test.cpp

#include "server/utf8_validator.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace laurel::server {
namespace {

void append_utf8(std::string& s, std::uint32_t cp) {
  if (cp < 0x80) {
    s += static_cast<char>(cp);
  } else if (cp < 0x800) {
    s += static_cast<char>(0xC0 | (cp >> 6));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    s += static_cast<char>(0xE0 | (cp >> 12));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    s += static_cast<char>(0xF0 | (cp >> 18));
    s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

std::string encode_utf8(std::uint32_t cp) {
  std::string s;
  append_utf8(s, cp);
  return s;
}

// Markus Kuhn's UTF-8 decoder stress test, as used by Autobahn's 6.x cases.
const std::vector<std::pair<bool, std::string>>& vectors() {
  static const std::vector<std::pair<bool, std::string>> v = {
      {true, "hello$world"},
      {true, "hello\xC2\xA2world"},
      {true, "hello\xE2\x82\xACworld"},
      {true, "hello\xF0\xA4\xAD\xA2world"},
      {true, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5"},
      {true, std::string(1, '\0')},
      {true, "\xc2\x80"},
      {true, "\xe0\xa0\x80"},
      {true, "\xf0\x90\x80\x80"},
      {true, "\x7f"},
      {true, "\xdf\xbf"},
      {true, "\xef\xbf\xbf"},
      {true, "\xf4\x8f\xbf\xbf"},
      {true, "\xed\x9f\xbf"},
      {true, "\xee\x80\x80"},
      {true, "\xef\xbf\xbd"},
      {true, "\xef\xbf\xbe"},       // non-characters are valid UTF-8
      {false, "\xf4\x90\x80\x80"},  // above U+10FFFF
      {false, "\xf8\x88\x80\x80\x80"},
      {false, "\xfc\x84\x80\x80\x80\x80"},
      {false, "\xf7\xbf\xbf\xbf"},
      {false, "\x80"},
      {false, "\xbf"},
      {false, "\x80\xbf\x80"},
      {false, "\xc0 "},
      {false, "\xe0 "},
      {false, "\xf0 "},
      {false, "\xc0"},
      {false, "\xe0\x80"},
      {false, "\xdf"},
      {false, "\xef\xbf"},
      {false, "\xf7\xbf\xbf"},
      {false, "\xfe"},
      {false, "\xff"},
      {false, "\xfe\xfe\xff\xff"},
      // overlongs
      {false, "\xc0\xaf"},
      {false, "\xe0\x80\xaf"},
      {false, "\xf0\x80\x80\xaf"},
      {false, "\xc1\xbf"},
      {false, "\xe0\x9f\xbf"},
      {false, "\xf0\x8f\xbf\xbf"},
      {false, "\xc0\x80"},
      {false, "\xe0\x80\x80"},
      {false, "\xf0\x80\x80\x80"},
      // UTF-16 surrogates, single and paired
      {false, "\xed\xa0\x80"},
      {false, "\xed\xad\xbf"},
      {false, "\xed\xae\x80"},
      {false, "\xed\xaf\xbf"},
      {false, "\xed\xb0\x80"},
      {false, "\xed\xbe\x80"},
      {false, "\xed\xbf\xbf"},
      {false, "\xed\xa0\x80\xed\xb0\x80"},
      {false, "\xed\xaf\xbf\xed\xbf\xbf"},
  };
  return v;
}

TEST(Utf8Validator, ClassifiesKuhnsTestVectors) {
  for (const auto& [valid, text] : vectors()) {
    EXPECT_EQ(Utf8Validator::is_valid(text), valid) << ::testing::PrintToString(text);
  }
}

TEST(Utf8Validator, GivesTheSameAnswerFedOneByteAtATime) {
  for (const auto& [valid, text] : vectors()) {
    Utf8Validator v;
    for (char c : text) v.feed(std::string_view(&c, 1));
    EXPECT_EQ(v.complete(), valid) << ::testing::PrintToString(text);
  }
}

TEST(Utf8Validator, AcceptsEveryScalarValue) {
  std::string all;
  all.reserve(4 * 0x110000);
  for (std::uint32_t cp = 0; cp <= 0x10FFFF; ++cp) {
    if (cp >= 0xD800 && cp <= 0xDFFF) continue;
    append_utf8(all, cp);
  }
  EXPECT_TRUE(Utf8Validator::is_valid(all));
}

TEST(Utf8Validator, RejectsEverySurrogate) {
  for (std::uint32_t cp = 0xD800; cp <= 0xDFFF; ++cp) {
    EXPECT_FALSE(Utf8Validator::is_valid(encode_utf8(cp))) << cp;
  }
}

TEST(Utf8Validator, RejectsAboveU10FFFF) {
  EXPECT_FALSE(Utf8Validator::is_valid(encode_utf8(0x110000)));
  EXPECT_FALSE(Utf8Validator::is_valid(encode_utf8(0x1FFFFF)));
}

TEST(Utf8Validator, FailsAtTheFirstImpossibleByte) {
  Utf8Validator v;
  EXPECT_EQ(v.feed("\x65\x64\x69\x74\x65\x64"), 6u);
  // ED may only go on with 80..9F: the A0 (offset 1) is where the text becomes invalid.
  EXPECT_EQ(v.feed("\xED\xA0\x80"), 1u);
  EXPECT_FALSE(v.ok());

  v.reset();
  EXPECT_EQ(v.feed("\x65\x64\x69\x74"), 4u);
  EXPECT_EQ(v.feed("\x65\x64\xED\xA0\x80"), 3u);

  v.reset();
  EXPECT_EQ(v.feed("\xF5"), 0u);

  v.reset();
  EXPECT_EQ(v.feed("\x65\x64\x69\x74\x65\x64\xED"), 7u);
  EXPECT_TRUE(v.ok());
  EXPECT_FALSE(v.complete());
  EXPECT_EQ(v.feed("\xA0\x80"), 0u);  // fails on the first byte of the next piece
}

TEST(Utf8Validator, FindsTheBadByteAfterALongAsciiRun) {
  std::string s(1000, 'a');
  s += "\xc3\x28";  // C3 needs a continuation byte
  Utf8Validator v;
  EXPECT_EQ(v.feed(s), 1001u);
}

TEST(Utf8Validator, StaysFailedUntilReset) {
  Utf8Validator v;
  v.feed("\xff");
  EXPECT_EQ(v.feed("abc"), 0u);
  EXPECT_FALSE(v.ok());
  v.reset();
  EXPECT_EQ(v.feed("abc"), 3u);
  EXPECT_TRUE(v.complete());
}

TEST(Utf8Validator, AcceptsCodePointsSplitAcrossPieces) {
  const std::string s = "\xf0\x9f\x98\x80 \xe2\x82\xac";
  for (std::size_t cut = 0; cut <= s.size(); ++cut) {
    Utf8Validator v;
    EXPECT_EQ(v.feed(std::string_view(s).substr(0, cut)), cut);
    EXPECT_EQ(v.feed(std::string_view(s).substr(cut)), s.size() - cut);
    EXPECT_TRUE(v.complete());
  }
}

}  // namespace
}  // namespace laurel::server
