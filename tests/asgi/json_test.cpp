// Strict JSON: escaping, UTF-8 strictness, number round trips and error offsets.

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "asgi/value.h"

namespace laurel::asgi {
namespace {

std::size_t error_offset(std::string_view text) {
  try {
    (void)Value::from_json(text);
  } catch (const JsonError& e) {
    return e.offset;
  }
  ADD_FAILURE() << "expected a JsonError for: " << text;
  return static_cast<std::size_t>(-1);
}

TEST(Json, ParsesEveryKind) {
  Value v = Value::from_json(R"({"s":"x","i":-3,"f":1.5,"t":true,"n":null,"l":[1,[2]],"d":{}})");
  EXPECT_EQ(v["s"], Value("x"));
  EXPECT_TRUE(v["i"].is_int());
  EXPECT_EQ(v["i"].as_int(), -3);
  EXPECT_TRUE(v["f"].is_float());
  EXPECT_TRUE(v["t"].as_bool());
  EXPECT_TRUE(v["n"].is_null());
  EXPECT_EQ(v["l"], Value::list({1, Value::list({2})}));
  EXPECT_TRUE(v["d"].is_dict());
}

TEST(Json, IntegersThatFitInt64StayInts) {
  EXPECT_EQ(Value::from_json("9223372036854775807").as_int(), INT64_MAX);
  EXPECT_EQ(Value::from_json("-9223372036854775808").as_int(), INT64_MIN);
  Value too_big = Value::from_json("9223372036854775808");
  EXPECT_TRUE(too_big.is_float());
  EXPECT_DOUBLE_EQ(too_big.as_float(), 9223372036854775808.0);
  EXPECT_TRUE(Value::from_json("-9223372036854775809").is_float());
  EXPECT_TRUE(Value::from_json("123456789012345678901234567890").is_float());
  EXPECT_TRUE(Value::from_json("1.0").is_float());
  EXPECT_TRUE(Value::from_json("1e2").is_float());
}

TEST(Json, FloatsRoundTripExactly) {
  const double cases[] = {0.1,
                          1.0 / 3,
                          1e300,
                          5e-324,
                          -0.0,
                          1.0,
                          123456789.125,
                          2.5e-8,
                          std::numeric_limits<double>::max(),
                          9007199254740993.0};
  for (double d : cases) {
    std::string text = Value(d).to_json();
    Value back = Value::from_json(text);
    ASSERT_TRUE(back.is_float()) << text;
    double read = back.as_float();
    EXPECT_EQ(std::memcmp(&d, &read, sizeof d), 0) << text;
  }
  EXPECT_EQ(Value(0.1).to_json(), "0.1");  // shortest form, not 0.1000000000000000055...
  EXPECT_EQ(Value(1.0).to_json(), "1.0");  // stays a float when read back
  EXPECT_EQ(Value(-0.0).to_json(), "-0.0");
}

TEST(Json, IntsDumpExactly) {
  EXPECT_EQ(Value(INT64_MIN).to_json(), "-9223372036854775808");
  EXPECT_EQ(Value(0).to_json(), "0");
}

TEST(Json, RefusesNanAndInfinity) {
  EXPECT_THROW((void)Value(std::nan("")).to_json(), TypeError);
  EXPECT_THROW((void)Value(HUGE_VAL).to_json(), TypeError);
  EXPECT_THROW((void)Value(-HUGE_VAL).to_json(), TypeError);
  EXPECT_THROW((void)Value::from_json("NaN"), JsonError);
  EXPECT_THROW((void)Value::from_json("Infinity"), JsonError);
}

TEST(Json, BytesAndObjectsHaveNoJsonForm) {
  struct Thing final : Object {
    std::string_view type_name() const override { return "Thing"; }
  };
  EXPECT_THROW((void)Value(Bytes{"x"}).to_json(), TypeError);
  EXPECT_THROW((void)Value(ObjectPtr(std::make_shared<Thing>())).to_json(), TypeError);
  EXPECT_THROW((void)Value({{"nested", Value::list({Bytes{"x"}})}}).to_json(), TypeError);
}

TEST(Json, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(Value("a\"b\\c").to_json(), R"("a\"b\\c")");
  EXPECT_EQ(Value("\n\r\t\b\f").to_json(), R"("\n\r\t\b\f")");
  EXPECT_EQ(Value(std::string("\x01\x1f\0", 3)).to_json(), R"("\u0001\u001f\u0000")");
  EXPECT_EQ(Value("/ \x7f").to_json(), "\"/ \x7f\"");  // DEL and '/' need no escape
}

TEST(Json, PassesNonAsciiThroughAsUtf8) {
  EXPECT_EQ(Value("héllo ✓ 😀").to_json(), "\"héllo ✓ 😀\"");
  EXPECT_EQ(Value({{"clé", "valeur"}}).to_json(), "{\"clé\":\"valeur\"}");
}

TEST(Json, RefusesToDumpInvalidUtf8) {
  const char* bad[] = {"\xff",     "a\xc3", "\xc0\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80",
                       "\xe2\x82", "\x80"};
  for (const char* s : bad) {
    EXPECT_THROW((void)Value(s).to_json(), TypeError) << Value(Bytes{s}).repr();
    EXPECT_THROW((void)Value({{s, 1}}).to_json(), TypeError) << "as a key";
  }
}

TEST(Json, AppendJsonAppendsAndLeavesTheBufferAloneOnError) {
  std::string out = "prefix:";
  Value({{"a", 1}}).append_json(out);
  EXPECT_EQ(out, "prefix:{\"a\":1}");
  EXPECT_THROW(Value::list({1, 2, Bytes{"x"}}).append_json(out), TypeError);
  EXPECT_EQ(out, "prefix:{\"a\":1}");
}

TEST(Json, DumpsCompactlyWithKeysInOrder) {
  Value v{{"b", Value::list({1, true, Value()})}, {"a", "x"}};
  EXPECT_EQ(v.to_json(), R"({"a":"x","b":[1,true,null]})");
  EXPECT_EQ(Value::dict().to_json(), "{}");
  EXPECT_EQ(Value::list().to_json(), "[]");
}

TEST(Json, RoundTripsADocument) {
  Value v{{"message", "héllo \"quoted\"\n"},
          {"n", -12},
          {"f", 0.25},
          {"l", Value::list({Value(), false})}};
  EXPECT_EQ(Value::from_json(v.to_json()), v);
}

TEST(Json, DecodesEscapesIncludingSurrogatePairs) {
  EXPECT_EQ(Value::from_json(R"("\u00e9\ud83d\ude00\n\/")").as_string(), "é😀\n/");
}

TEST(Json, RejectsInvalidUtf8WithTheOffendingOffset) {
  EXPECT_EQ(error_offset("\"ab\xff\""), 3u);
  EXPECT_EQ(error_offset("[\"\xc0\x80\"]"), 2u);
  EXPECT_EQ(error_offset("\"\xed\xa0\x80\""), 2u);  // an encoded surrogate
}

TEST(Json, RejectsLoneSurrogateEscapes) {
  EXPECT_THROW((void)Value::from_json(R"("\ud800")"), JsonError);
  EXPECT_THROW((void)Value::from_json(R"("\udc00x")"), JsonError);
}

TEST(Json, ReportsTheByteWhereParsingStopped) {
  EXPECT_EQ(error_offset("{\"a\": tru}"), 9u);
  EXPECT_EQ(error_offset("[1, 2,]"), 6u);
  EXPECT_EQ(error_offset("1 2"), 2u);
  EXPECT_EQ(error_offset("{\"a\" 1}"), 5u);
  EXPECT_EQ(error_offset("\"ctl\x01\""), 4u);  // raw control characters are not allowed
  try {
    (void)Value::from_json("[1,");
    FAIL();
  } catch (const JsonError& e) {
    EXPECT_EQ(e.offset, 3u);
    EXPECT_NE(std::string(e.what()).find("byte 3"), std::string::npos) << e.what();
  }
}

TEST(Json, RejectsWhatPythonsStrictParserRejects) {
  const char* bad[] = {"", "   ", "{'a': 1}", "[1] x", "01", "+1", ".5", "{\"a\":1,}", "/* c */ 1"};
  for (const char* s : bad) EXPECT_THROW((void)Value::from_json(s), JsonError) << s;
}

TEST(Json, RepeatedKeysKeepTheLastValue) {
  EXPECT_EQ(Value::from_json(R"({"a":1,"a":2})")["a"].as_int(), 2);
}

TEST(Json, RefusesNestingDeeperThanTheLimit) {
  std::string deep(1001, '[');
  deep += std::string(1001, ']');
  try {
    (void)Value::from_json(deep);
    FAIL();
  } catch (const JsonError& e) {
    EXPECT_EQ(e.offset, 1000u);
  }
  std::string ok(1000, '[');
  ok += std::string(1000, ']');
  EXPECT_NO_THROW((void)Value::from_json(ok));
  // A hostile frame of a million brackets is refused without exhausting the stack.
  EXPECT_THROW((void)Value::from_json(std::string(1000000, '[')), JsonError);
}

}  // namespace
}  // namespace laurel::asgi
