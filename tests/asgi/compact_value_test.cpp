// tests/asgi/compact_value_test.cpp — the compact representation under Value: inline and heap
// text, long dict keys, one-pointer vectors, and shared values that copy on the first write.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

#include "asgi/value.h"

namespace laurel::asgi {
namespace {

TEST(CompactValue, TextOfEveryLengthRoundTripsAndCopiesAreIndependent) {
  for (std::size_t n : {0u, 1u, 13u, 14u, 15u, 16u, 100u, 70000u}) {
    std::string text(n, 'x');
    if (n > 0) text[n - 1] = 'y';
    Value s(text);
    Value b(Bytes{text});
    ASSERT_TRUE(s.is_string());
    ASSERT_TRUE(b.is_bytes());
    EXPECT_EQ(s.as_string(), text);
    EXPECT_EQ(b.as_bytes(), text);
    EXPECT_EQ(s.size(), n);
    Value copy = s;
    s = Value(42);
    EXPECT_EQ(copy.as_string(), text) << n;
    EXPECT_NE(copy, b);  // str and bytes never compare equal
  }
}

TEST(CompactValue, LongKeysSortAndFindLikeShortOnes) {
  std::string long_key(40, 'k');
  Value v = Value::dict();
  v[long_key] = 1;
  v["a"] = 2;
  v["kkkkkkkkkkkkkkkz"] = 3;  // 16 bytes: just past the inline limit
  Dict copy = v.as_dict();
  ASSERT_EQ(copy.size(), 3u);
  EXPECT_EQ(copy.begin()->first, "a");
  EXPECT_EQ(copy.at(long_key).as_int(), 1);
  EXPECT_EQ(copy.at("kkkkkkkkkkkkkkkz").as_int(), 3);
  EXPECT_EQ(Value(copy).to_json(), R"({"a":2,")" + long_key + R"(":1,"kkkkkkkkkkkkkkkz":3})");
}

TEST(DictKey, InlineKnownAndOwnedKeysBehaveAlike) {
  // 7 bytes inline, a well-known long key (static), an unknown long key (owned), and empty.
  std::vector<DictKey> keys{"type", "query_string", "a-key-nobody-knows", "", "7_bytes", "8_bytes!"};
  std::vector<DictKey> copies = keys;
  std::vector<DictKey> moved = std::move(copies);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    EXPECT_EQ(moved[i], keys[i]);
    EXPECT_EQ(moved[i].view(), keys[i].view());
    EXPECT_EQ(moved[i].size(), keys[i].view().size());
  }
  EXPECT_EQ(keys[2], "a-key-nobody-knows");
  EXPECT_EQ(keys[5].str(), "8_bytes!");
  EXPECT_TRUE(keys[3].empty());
  std::sort(moved.begin(), moved.end());
  std::vector<std::string> order;
  for (const DictKey& k : moved) order.push_back(k.str());
  EXPECT_EQ(order, (std::vector<std::string>{"", "7_bytes", "8_bytes!", "a-key-nobody-knows",
                                             "query_string", "type"}));
  DictKey assigned = "short";
  assigned = keys[2];
  EXPECT_EQ(assigned, "a-key-nobody-knows");
  assigned = keys[1];
  EXPECT_EQ(assigned, "query_string");
}

TEST(CompactVector, InsertEraseAndGrowFromItsOwnElement) {
  List l;
  EXPECT_EQ(l.capacity(), 0u);  // an empty list holds no block
  l.push_back(Value("first, and longer than inline"));
  for (int i = 0; i < 40; ++i) l.push_back(l[0]);  // may reallocate while reading l[0]
  EXPECT_EQ(l.size(), 41u);
  EXPECT_EQ(l.back().as_string(), "first, and longer than inline");
  l.insert(l.begin() + 1, Value(7));
  EXPECT_EQ(l[1].as_int(), 7);
  l.erase(l.begin(), l.begin() + 1);
  EXPECT_EQ(l[0].as_int(), 7);
  l.resize(2);
  l.shrink_to_fit();
  EXPECT_EQ(l.capacity(), 2u);
  List more{Value(1), Value(2)};
  l.insert(l.begin(), more.begin(), more.end());
  EXPECT_EQ(Value(l).repr(), "[1, 2, 7, 'first, and longer than inline']");
}

TEST(CompactValue, MovingASubValueOverItsParentKeepsIt) {
  Value v{{"inner", Value{{"text", Value("kept after its parent is replaced")}}}};
  v = std::move(v["inner"]);
  EXPECT_EQ(v["text"].as_string(), "kept after its parent is replaced");
}

TEST(SharedValue, ReadsSeeThroughAndAWriteCopiesFirst) {
  const Value shared = Value::shared(Value{{"version", Value("3.0")}, {"spec_version", Value("2.4")}});
  Value scope{{"asgi", shared}};
  Value other = scope;
  EXPECT_TRUE(scope["asgi"].is_dict());
  EXPECT_EQ(scope["asgi"].get_string("version"), "3.0");
  EXPECT_EQ(scope["asgi"], Value({{"spec_version", Value("2.4")}, {"version", Value("3.0")}}));
  EXPECT_EQ(scope.to_json(), R"({"asgi":{"spec_version":"2.4","version":"3.0"}})");
  EXPECT_EQ(scope["asgi"].size(), 2u);

  scope["asgi"]["version"] = "9.9";  // the first write gives this scope its own copy
  EXPECT_EQ(scope["asgi"].get_string("version"), "9.9");
  EXPECT_EQ(other["asgi"].get_string("version"), "3.0");
  EXPECT_EQ(shared.get_string("version"), "3.0");
  EXPECT_EQ(Value::shared(shared), shared);
}

TEST(SharedValue, TypedAccessThroughAShareThrowsForTheSharedKind) {
  Value shared = Value::shared(Value::list({Value(1)}));
  EXPECT_TRUE(shared.is_list());
  EXPECT_EQ(shared.kind(), Value::Kind::kList);
  EXPECT_THROW((void)shared.as_dict(), TypeError);
  EXPECT_EQ(shared[std::size_t{0}].as_int(), 1);
}

}  // namespace
}  // namespace laurel::asgi
