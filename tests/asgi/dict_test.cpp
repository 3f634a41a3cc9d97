// Dict: the flat, key-sorted dict inside a Value; map semantics, order, exact sizing, parsers'
// bulk building.

#include "asgi/dict.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "asgi/value.h"

namespace laurel::asgi {
namespace {

std::vector<std::string> keys_of(const Dict& d) {
  std::vector<std::string> out;
  for (const auto& [key, value] : d) out.push_back(key.str());
  return out;
}

TEST(Dict, IteratesInKeyOrderWhateverTheInsertionOrder) {
  Dict d;
  d["type"] = "x";
  d.emplace("asgi", 1);
  d.insert_or_assign("path", Value("/"));
  d.try_emplace("client");
  d.insert({"headers", Value::list()});
  EXPECT_EQ(keys_of(d), (std::vector<std::string>{"asgi", "client", "headers", "path", "type"}));
  EXPECT_EQ(Value(d).to_json(), R"({"asgi":1,"client":null,"headers":[],"path":"/","type":"x"})");
}

TEST(Dict, KeepsStdMapSemanticsForInsertion) {
  Dict d{{"b", 2}, {"a", 1}, {"b", 3}};  // a literal's repeated key keeps the first value
  EXPECT_EQ(d.size(), 2u);
  EXPECT_EQ(d.at("b").as_int(), 2);
  auto [it, inserted] = d.emplace("a", 9);  // emplace leaves an existing value alone
  EXPECT_FALSE(inserted);
  EXPECT_EQ(it->second.as_int(), 1);
  auto [it2, inserted2] = d.insert_or_assign("a", 9);
  EXPECT_FALSE(inserted2);
  EXPECT_EQ(it2->second.as_int(), 9);
  EXPECT_TRUE(d["new"].is_null());  // operator[] inserts null
  EXPECT_EQ(d.size(), 3u);
  EXPECT_THROW((void)d.at("missing"), std::out_of_range);
}

TEST(Dict, LooksUpByStringViewWithoutCopyingTheKey) {
  Dict d{{"alpha", 1}, {"beta", 2}, {"gamma", 3}};
  std::string_view key = "beta";
  EXPECT_TRUE(d.contains(key));
  EXPECT_EQ(d.count("gamma"), 1u);
  EXPECT_EQ(d.count("gamm"), 0u);
  EXPECT_EQ(d.find("delta"), d.end());
  const Dict& c = d;
  EXPECT_EQ(c.find("alpha")->second.as_int(), 1);
}

TEST(Dict, ErasesByKeyAndByIterator) {
  Dict d{{"a", 1}, {"b", 2}, {"c", 3}};
  EXPECT_EQ(d.erase("b"), 1u);
  EXPECT_EQ(d.erase("b"), 0u);
  d.erase(d.find("a"));
  EXPECT_EQ(keys_of(d), std::vector<std::string>{"c"});
}

TEST(Dict, ComparesByContent) {
  Dict a{{"x", 1}, {"y", "z"}};
  Dict b;
  b["y"] = "z";
  b["x"] = 1.0;  // 1 == 1.0, as in Python
  EXPECT_TRUE(a == b);
  b["x"] = 2;
  EXPECT_FALSE(a == b);
}

TEST(Dict, LiteralsAndReserveAreSizedExactly) {
  Dict literal{{"args", Value::list()}, {"kwargs", Value::dict()}};
  EXPECT_EQ(literal.capacity(), 2u);
  Dict built;
  built.reserve(3);
  built.emplace("c", 1);
  built.emplace("a", 1);
  built.emplace("b", 1);
  EXPECT_EQ(built.capacity(), 3u);
  built.emplace("d", 1);
  built.shrink_to_fit();
  EXPECT_EQ(built.capacity(), 4u);
}

TEST(Dict, BulkBuildingKeepsTheLastOfRepeatedKeys) {
  Dict d;
  d.append_unordered("b", 1);
  d.append_unordered("a", 2);
  d.append_unordered("b", 3);
  d.append_unordered("c", 4);
  d.append_unordered("a", 5);
  d.restore_order(Dict::Repeated::kKeepLast);
  EXPECT_EQ(Value(d).repr(), "{'a': 5, 'b': 3, 'c': 4}");

  Dict first;
  first.append_unordered("b", 1);
  first.append_unordered("b", 2);
  first.restore_order(Dict::Repeated::kKeepFirst);
  EXPECT_EQ(Value(first).repr(), "{'b': 1}");
}

TEST(Dict, BulkBuildingSortsLargeDictsStably) {
  Dict d;
  for (int i = 999; i >= 0; --i) d.append_unordered("k" + std::to_string(i % 500), i);
  d.restore_order(Dict::Repeated::kKeepLast);
  ASSERT_EQ(d.size(), 500u);
  // Appended 999 down to 0: the last "k7" appended is i = 7, not 507.
  EXPECT_EQ(d.at("k7").as_int(), 7);
  EXPECT_TRUE(std::is_sorted(d.begin(), d.end(),
                             [](const auto& a, const auto& b) { return a.first < b.first; }));
}

TEST(Dict, ManyKeyedJsonObjectParsesInReasonableTime) {
  // Keys in reverse order: inserting one by one into a sorted vector would shift every key.
  std::string json = "{";
  const int n = 100000;
  for (int i = n; i > 0; --i) {
    json += "\"" + std::to_string(i) + "\":" + std::to_string(i) + (i > 1 ? "," : "}");
  }
  auto started = std::chrono::steady_clock::now();
  Value v = Value::from_json(json);
  auto elapsed = std::chrono::steady_clock::now() - started;
  EXPECT_EQ(v.size(), static_cast<std::size_t>(n));
  EXPECT_EQ(v["12345"].as_int(), 12345);
  EXPECT_LT(elapsed, std::chrono::seconds(20));  // quadratic takes minutes under ASan
}

TEST(Value, StaysSixteenBytesWithOnePointerContainers) {
  EXPECT_EQ(sizeof(Value), 16u);
  EXPECT_EQ(sizeof(DictKey), 8u);
  EXPECT_EQ(sizeof(Dict), sizeof(void*));
  EXPECT_EQ(sizeof(List), sizeof(void*));
}

}  // namespace
}  // namespace laurel::asgi
