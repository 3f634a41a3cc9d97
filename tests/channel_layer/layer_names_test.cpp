// tests/channel_layer/layer_names_test.cpp: the name rules and capacity globs every layer shares.

#include <gtest/gtest.h>

#include <string>

#include "channel_layer/layer.h"

namespace laurel::channel_layer {
namespace {

std::string refusal(void (*check)(std::string_view), std::string_view name) {
  try {
    check(name);
  } catch (const InvalidName& e) {
    return e.what();
  }
  return {};
}

TEST(ChannelNames, AcceptsChannelsNamesWithOptionalLocalPart) {
  EXPECT_NO_THROW(require_valid_channel_name("chat_lobby"));
  EXPECT_NO_THROW(require_valid_channel_name("a-b.c_D9"));
  EXPECT_NO_THROW(require_valid_channel_name("specific.inmemory!AbCdEf"));
  EXPECT_NO_THROW(require_valid_channel_name("specific.abc!"));
  EXPECT_NO_THROW(require_valid_channel_name(std::string(99, 'x')));
}

TEST(ChannelNames, RefusesLongNamesNamingTheLengthRule) {
  std::string message = refusal(require_valid_channel_name, std::string(100, 'x'));
  EXPECT_NE(message.find("shorter than 100 characters"), std::string::npos) << message;
  EXPECT_NE(refusal(require_valid_group_name, std::string(100, 'g')).find("shorter than 100"),
            std::string::npos);
}

TEST(ChannelNames, RefusesCharactersOutsideTheAlphabetNamingTheRule) {
  std::string message = refusal(require_valid_channel_name, "has space");
  EXPECT_NE(message.find("only ASCII letters, digits, hyphens, underscores or periods"),
            std::string::npos)
      << message;
  EXPECT_NE(message.find("'has space'"), std::string::npos) << message;
  EXPECT_FALSE(refusal(require_valid_channel_name, "caf\xc3\xa9").empty());
  EXPECT_FALSE(refusal(require_valid_channel_name, "specific!a b").empty());
}

TEST(ChannelNames, RefusesEmptyNamesAndASecondBang) {
  EXPECT_NE(refusal(require_valid_channel_name, "").find("must not be empty"), std::string::npos);
  EXPECT_NE(refusal(require_valid_channel_name, "!local").find("before '!'"), std::string::npos);
  EXPECT_NE(refusal(require_valid_channel_name, "a!b!c").find("at most one '!'"),
            std::string::npos);
}

TEST(GroupNames, RefusesTheBangThatChannelsMayHave) {
  EXPECT_NO_THROW(require_valid_group_name("chat_lobby"));
  std::string message = refusal(require_valid_group_name, "chat!lobby");
  EXPECT_NE(message.find("Group name 'chat!lobby' is invalid"), std::string::npos) << message;
}

TEST(LayerConfig, CapacityForUsesTheFirstMatchingGlob) {
  LayerConfig config;
  config.capacity = 100;
  config.channel_capacity = {{"http.response!*", 10}, {"http.*", 20}, {"*.worker", 5}};
  EXPECT_EQ(config.capacity_for("http.response!abc"), 10u);
  EXPECT_EQ(config.capacity_for("http.request"), 20u);
  EXPECT_EQ(config.capacity_for("thumbnails.worker"), 5u);
  EXPECT_EQ(config.capacity_for("chat"), 100u);
}

}  // namespace
}  // namespace laurel::channel_layer
