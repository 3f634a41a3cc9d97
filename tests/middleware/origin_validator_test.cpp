#include "middleware/origin_validator.h"

#include <gtest/gtest.h>

#include <fstream>
#include <nlohmann/json.hpp>

namespace laurel::middleware {
namespace {

class NullApp final : public asgi::Application {
 public:
  std::unique_ptr<asgi::Instance> start(asgi::Scope, asgi::Peer&) override { return nullptr; }
};

OriginValidator validator(std::vector<std::string> allowed) {
  return OriginValidator(std::make_shared<NullApp>(), std::move(allowed));
}

TEST(OriginValidator, AgreesWithChannelsOnEveryReferenceCase) {
  std::ifstream in(std::string(LAUREL_REFERENCE_DIR) + "/origin_cases.json");
  ASSERT_TRUE(in) << "tests/reference/origin_cases.json is missing";
  auto cases = nlohmann::json::parse(in);
  ASSERT_GT(cases.size(), 100u);
  int checked = 0;
  for (const auto& c : cases) {
    std::optional<std::string> origin;
    if (!c["origin"].is_null()) origin = c["origin"].get<std::string>();
    auto v = validator(c["allowed"].get<std::vector<std::string>>());
    EXPECT_EQ(v.allows(origin), c["allowed_by_channels"].get<bool>())
        << "allowed=" << c["allowed"].dump() << " origin=" << c["origin"].dump();
    ++checked;
  }
  EXPECT_EQ(checked, static_cast<int>(cases.size()));
}

TEST(OriginValidator, RefusesMissingOriginUnlessStar) {
  EXPECT_FALSE(validator({"example.com"}).allows(std::nullopt));
  EXPECT_TRUE(validator({"*"}).allows(std::nullopt));
}

TEST(OriginValidator, LeadingDotMatchesDomainAndSubdomainsOnly) {
  auto v = validator({".example.com"});
  EXPECT_TRUE(v.allows("https://example.com"));
  EXPECT_TRUE(v.allows("https://chat.example.com"));
  EXPECT_FALSE(v.allows("https://notexample.com"));
  EXPECT_FALSE(v.allows("https://example.com.attacker.net"));
}

TEST(ParseOrigin, ReadsSchemeHostAndPort) {
  auto o = parse_origin("HTTPS://Chat.Example.com:8443");
  EXPECT_EQ(o.scheme, "https");
  EXPECT_EQ(o.hostname, "chat.example.com");
  ASSERT_TRUE(o.port);
  EXPECT_EQ(*o.port, 8443);
  auto v6 = parse_origin("http://[::1]:8000");
  EXPECT_EQ(v6.hostname, "::1");
  EXPECT_EQ(parse_origin("null").hostname, "");
}

}  // namespace
}  // namespace laurel::middleware
