// Value: typed access, dict/list access, equality and Python-like repr.

#include "asgi/value.h"

#include <gtest/gtest.h>

namespace laurel::asgi {
namespace {

struct FakeUser final : Object {
  std::string_view type_name() const override { return "User"; }
};

TEST(Value, BuildsDictsFromPythonLikeLiterals) {
  Value v{{"type", "chat.message"}, {"n", 1}, {"ok", true}};
  ASSERT_TRUE(v.is_dict());
  EXPECT_EQ(v["type"].as_string(), "chat.message");
  EXPECT_EQ(v["n"].as_int(), 1);
  EXPECT_TRUE(v["ok"].as_bool());
  EXPECT_EQ(v.size(), 3u);
}

TEST(Value, TypedAccessNamesExpectedAndActualKinds) {
  Value v = 5;
  try {
    (void)v.as_string();
    FAIL() << "as_string on an int must throw";
  } catch (const TypeError& e) {
    EXPECT_STREQ(e.what(), "expected str, got int");
  }
  EXPECT_THROW((void)Value("x").as_bytes(), TypeError);
  EXPECT_THROW((void)Value().as_dict(), TypeError);
  EXPECT_THROW((void)Value(1.5).as_int(), TypeError);
  EXPECT_THROW((void)Value(true).as_int(), TypeError);
}

TEST(Value, IntConvertsToFloatAsInPythonArithmetic) {
  EXPECT_DOUBLE_EQ(Value(3).as_float(), 3.0);
  EXPECT_DOUBLE_EQ(Value(2.5).as_float(), 2.5);
  EXPECT_THROW((void)Value("3").as_float(), TypeError);
}

TEST(Value, ConstSubscriptThrowsKeyErrorNamingTheKey) {
  const Value v{{"a", 1}};
  try {
    (void)v["room_name"];
    FAIL() << "missing key must throw";
  } catch (const KeyError& e) {
    EXPECT_NE(std::string(e.what()).find("'room_name'"), std::string::npos) << e.what();
  }
  EXPECT_EQ(v["a"].as_int(), 1);
}

TEST(Value, ConstSubscriptOnNonDictIsATypeError) {
  const Value v = Value::list({1});
  EXPECT_THROW((void)v["a"], TypeError);
}

TEST(Value, MutableSubscriptInsertsAndTurnsNullIntoDict) {
  Value v;
  v["url_route"]["kwargs"]["id"] = 7;
  ASSERT_TRUE(v.is_dict());
  EXPECT_EQ(v["url_route"]["kwargs"]["id"].as_int(), 7);
  Value existing{{"a", 1}};
  existing["b"];
  EXPECT_TRUE(existing.contains("b"));
  EXPECT_TRUE(existing["b"].is_null());
  Value s = "text";
  EXPECT_THROW(s["k"], TypeError);
}

TEST(Value, FindAndGetString) {
  Value v{{"path", "/ws/"}, {"n", 1}};
  ASSERT_NE(v.find("path"), nullptr);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_EQ(Value(1).find("x"), nullptr);
  EXPECT_EQ(v.get_string("path"), "/ws/");
  EXPECT_EQ(v.get_string("n", "fallback"), "fallback");
  EXPECT_EQ(v.get_string("missing", "fb"), "fb");
}

TEST(Value, ListAccess) {
  Value l = Value::list({1, "two"});
  l.push_back(3.0);
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l[std::size_t{1}].as_string(), "two");
  const Value& cl = l;
  EXPECT_THROW((void)cl[std::size_t{5}], std::exception);
  EXPECT_THROW(Value(1).push_back(2), TypeError);
}

TEST(Value, SizeCountsBytesOfTextAndElementsOfContainers) {
  EXPECT_EQ(Value("héllo").size(), 6u);
  EXPECT_EQ(Value(Bytes{"abc"}).size(), 3u);
  EXPECT_EQ(Value(42).size(), 0u);
  EXPECT_EQ(Value().size(), 0u);
}

TEST(Value, EqualityIsStructuralAndKeepsStrAndBytesApart) {
  EXPECT_EQ(Value({{"a", Value::list({1, 2})}}), Value({{"a", Value::list({1, 2})}}));
  EXPECT_NE(Value("abc"), Value(Bytes{"abc"}));
  EXPECT_EQ(Value(1), Value(1.0));  // as in Python
  EXPECT_NE(Value(true), Value(1));
  EXPECT_NE(Value(), Value(0));
  EXPECT_NE(Value({{"a", 1}}), Value({{"a", 2}}));
  auto user = std::make_shared<FakeUser>();
  EXPECT_EQ(Value(ObjectPtr(user)), Value(ObjectPtr(user)));
  EXPECT_NE(Value(ObjectPtr(user)), Value(ObjectPtr(std::make_shared<FakeUser>())));
}

TEST(Value, ObjectsAreSharedAndCastable) {
  auto user = std::make_shared<FakeUser>();
  Value scope{{"user", ObjectPtr(user)}};
  Value copy = scope;
  EXPECT_EQ(copy["user"].as<FakeUser>().get(), user.get());
  EXPECT_EQ(Value(1).as<FakeUser>(), nullptr);
}

TEST(Value, ReprReadsLikePython) {
  Value v{{"type", "chat.message"}, {"n", 1}};
  EXPECT_EQ(v.repr(), "{'n': 1, 'type': 'chat.message'}");
  EXPECT_EQ(Value().repr(), "None");
  EXPECT_EQ(Value(true).repr(), "True");
  EXPECT_EQ(Value(1.0).repr(), "1.0");
  EXPECT_EQ(Value(0.1).repr(), "0.1");
  EXPECT_EQ(Value::list({1, "a", Value()}).repr(), "[1, 'a', None]");
  EXPECT_EQ(Value(Bytes{"a\x01\xff"}).repr(), "b'a\\x01\\xff'");
  EXPECT_EQ(Value("it's").repr(), "\"it's\"");
  EXPECT_EQ(Value("a\nb\\").repr(), "'a\\nb\\\\'");
  EXPECT_EQ(Value("é").repr(), "'é'");
  EXPECT_EQ(Value(ObjectPtr(std::make_shared<FakeUser>())).repr(), "<User object>");
}

TEST(Value, KindNamesArePythons) {
  EXPECT_STREQ(kind_name(Value::Kind::kNull), "None");
  EXPECT_STREQ(kind_name(Value::Kind::kString), "str");
  EXPECT_STREQ(kind_name(Value::Kind::kDict), "dict");
}

}  // namespace
}  // namespace laurel::asgi
