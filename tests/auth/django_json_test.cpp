// tests/auth/django_json_test.cpp
#include "auth/django_json.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace laurel::auth {
namespace {

// Expected strings are what CPython 3.11 prints for json.dumps(x, separators=(",", ":")).
TEST(DjangoJson, KeepsInsertionOrderAndCompactSeparators) {
  Json v = Json::object();
  v["z"] = 1;
  v["a"] = Json::array({true, false, nullptr});
  v["m"] = Json::object();
  EXPECT_EQ(django_json_dumps(v), R"({"z":1,"a":[true,false,null],"m":{}})");
}

TEST(DjangoJson, EscapesLikePythonEnsureAscii) {
  EXPECT_EQ(django_json_dumps("\xc3\xa9"), R"("\u00e9")");
  EXPECT_EQ(django_json_dumps("\xe2\x98\x83"), R"("\u2603")");
  EXPECT_EQ(django_json_dumps("\xf0\x9f\x98\x80"), R"("\ud83d\ude00")");
  EXPECT_EQ(django_json_dumps("a\"b\\c\n\r\t\b\f"), R"("a\"b\\c\n\r\t\b\f")");
  EXPECT_EQ(django_json_dumps(std::string("\x01\x1f\x7f/", 4)), R"("\u0001\u001f\u007f/")");
}

TEST(DjangoJson, FloatsUsePythonRepr) {
  EXPECT_EQ(django_json_dumps(1.0), "1.0");
  EXPECT_EQ(django_json_dumps(0.1), "0.1");
  EXPECT_EQ(django_json_dumps(-2.5), "-2.5");
  EXPECT_EQ(django_json_dumps(1e16), "1e+16");
  EXPECT_EQ(django_json_dumps(123456789012345.0), "123456789012345.0");
  EXPECT_EQ(django_json_dumps(0.0001), "0.0001");
  EXPECT_EQ(django_json_dumps(0.00001), "1e-05");
  EXPECT_EQ(django_json_dumps(1.5e-7), "1.5e-07");
  EXPECT_EQ(django_json_dumps(1700000000.5), "1700000000.5");
}

TEST(DjangoJson, RefusesInvalidUtf8) {
  EXPECT_THROW(django_json_dumps("\xff"), std::invalid_argument);
  EXPECT_THROW(django_json_dumps("\xc3"), std::invalid_argument);
  EXPECT_THROW(django_json_dumps("\xed\xa0\x80"), std::invalid_argument);  // a surrogate
}

TEST(DjangoJson, LoadsReportsMalformedInputWithoutThrowing) {
  EXPECT_TRUE(django_json_loads("{").is_discarded());
  EXPECT_EQ(django_json_loads(R"({"b":1,"a":2})").begin().key(), "b");
}

}  // namespace
}  // namespace laurel::auth
