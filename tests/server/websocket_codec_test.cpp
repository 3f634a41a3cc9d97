// tests/server/websocket_codec_test.cpp

#include "server/websocket_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "tests/server/websocket_test_frames.h"

namespace laurel::server {
namespace {

using testing::ClientFrame;
using testing::run;
using V = std::vector<std::string>;
namespace f = testing;

std::string repeat(std::string_view s, std::size_t times) {
  std::string r;
  r.reserve(s.size() * times);
  for (std::size_t i = 0; i < times; ++i) r.append(s);
  return r;
}

// Every protocol case: the client's bytes, what the handler must see, what the codec must write.
// Each is run whole, one byte at a time, and in random pieces, and must give the same result.
struct Case {
  std::string name;
  std::string wire;
  V events;
  V frames;
  std::size_t max_message_size = 1 << 20;
};

std::string bad_length_16(std::size_t n) {
  ClientFrame c;
  c.payload = std::string(n, 'x');
  c.length_bytes = 2;
  return f::encode(c);
}
std::string bad_length_64(std::size_t n) {
  ClientFrame c;
  c.payload = std::string(n, 'x');
  c.length_bytes = 8;
  return f::encode(c);
}
std::string with_rsv(std::uint8_t rsv, std::uint8_t opcode = 0x1) {
  ClientFrame c;
  c.opcode = opcode;
  c.payload = "rsv";
  c.rsv = rsv;
  return f::encode(c);
}
std::string unmasked(std::uint8_t opcode, std::string payload) {
  ClientFrame c;
  c.opcode = opcode;
  c.payload = std::move(payload);
  c.masked = false;
  return f::encode(c);
}
std::string high_bit_length() {
  // 0x82, masked, 127, then a length with its top bit set.
  std::string w = "\x82\xff";
  w += '\x80';
  w.append(7, '\0');
  w.append("\x01\x02\x03\x04");
  return w;
}

const std::string kKosme = "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5";  // κόσμε

std::vector<Case> cases() {
  std::vector<Case> c;
  // --- framing (Autobahn 1.x) ---
  c.push_back({"EmptyText", f::text(""), {"text:"}, {}});
  c.push_back({"Text125", f::text(std::string(125, 'a')), {"text:" + std::string(125, 'a')}, {}});
  c.push_back({"Text126", f::text(std::string(126, 'b')), {"text:" + std::string(126, 'b')}, {}});
  c.push_back(
      {"Text65535", f::text(std::string(65535, 'c')), {"text:" + std::string(65535, 'c')}, {}});
  c.push_back({"Binary65536",
               f::binary(std::string(65536, '\xfe')),
               {"binary:" + std::string(65536, '\xfe')},
               {}});
  c.push_back(
      {"TwoMessagesBackToBack", f::text("one") + f::binary("two"), {"text:one", "binary:two"}, {}});
  // --- pings and pongs (2.x) ---
  c.push_back({"PingWithoutPayload", f::ping(""), {}, {"pong:"}});
  c.push_back({"PingIsAnsweredWithSamePayload", f::ping("hello"), {}, {"pong:hello"}});
  c.push_back(
      {"Ping125", f::ping(std::string(125, '\x01')), {}, {"pong:" + std::string(125, '\x01')}});
  c.push_back(
      {"Ping126IsProtocolError", f::ping(std::string(126, 'p')), {"error:1002"}, {"close:1002"}});
  c.push_back({"UnsolicitedPong", f::pong("tick"), {"pong:tick"}, {}});
  c.push_back({"TenPings", repeat(f::ping("x"), 10), {}, V(10, "pong:x")});
  // --- reserved bits (3.x) ---
  for (std::uint8_t rsv = 1; rsv <= 7; ++rsv) {
    c.push_back({"Rsv" + std::to_string(rsv) + "IsProtocolError",
                 with_rsv(rsv),
                 {"error:1002"},
                 {"close:1002"}});
  }
  c.push_back({"RsvAfterValidMessage",
               f::text("ok") + with_rsv(2) + f::ping("never"),
               {"text:ok", "error:1002"},
               {"close:1002"}});
  c.push_back({"RsvOnPing", with_rsv(5, 0x9), {"error:1002"}, {"close:1002"}});
  c.push_back({"RsvOnClose", with_rsv(6, 0x8), {"error:1002"}, {"close:1002"}});
  // --- opcodes (4.x) ---
  for (std::uint8_t op : {3, 4, 5, 6, 7, 11, 12, 13, 14, 15}) {
    c.push_back({"ReservedOpcode" + std::to_string(op),
                 f::text("before") + f::frame(op, "x") + f::ping("after"),
                 {"text:before", "error:1002"},
                 {"close:1002"}});
  }
  // --- masking (§5.1) ---
  c.push_back({"UnmaskedTextIsProtocolError", unmasked(0x1, "hi"), {"error:1002"}, {"close:1002"}});
  c.push_back({"UnmaskedPingIsProtocolError", unmasked(0x9, ""), {"error:1002"}, {"close:1002"}});
  // --- lengths (§5.2) ---
  c.push_back({"NonMinimal16BitLength", bad_length_16(5), {"error:1002"}, {"close:1002"}});
  c.push_back({"NonMinimal64BitLength", bad_length_64(200), {"error:1002"}, {"close:1002"}});
  c.push_back({"LengthWithHighBitSet", high_bit_length(), {"error:1002"}, {"close:1002"}});
  // --- fragmentation (5.x) ---
  c.push_back({"FragmentedPingIsProtocolError",
               f::frame(0x9, "frag", false) + f::cont("ment"),
               {"error:1002"},
               {"close:1002"}});
  c.push_back({"FragmentedPongIsProtocolError",
               f::frame(0xA, "frag", false) + f::cont("ment"),
               {"error:1002"},
               {"close:1002"}});
  c.push_back(
      {"TextInTwoFragments", f::text("frag", false) + f::cont("ment"), {"text:fragment"}, {}});
  c.push_back({"BinaryInThreeFragments",
               f::binary("a", false) + f::cont("b", false) + f::cont("c"),
               {"binary:abc"},
               {}});
  c.push_back({"PingBetweenFragments",
               f::text("frag", false) + f::ping("p") + f::cont("ment"),
               {"text:fragment"},
               {"pong:p"}});
  c.push_back({"PingsAndPongBetweenFragments",
               f::text("a", false) + f::cont("b", false) + f::ping("1") + f::cont("c", false) +
                   f::pong("2") + f::ping("3") + f::cont("d"),
               {"pong:2", "text:abcd"},
               {"pong:1", "pong:3"}});
  c.push_back({"ContinuationWithoutStart", f::cont("x"), {"error:1002"}, {"close:1002"}});
  c.push_back(
      {"ContinuationNotFinWithoutStart", f::cont("x", false), {"error:1002"}, {"close:1002"}});
  c.push_back({"TextInsideFragmentedMessage",
               f::text("a", false) + f::text("b"),
               {"error:1002"},
               {"close:1002"}});
  c.push_back({"BinaryInsideFragmentedText",
               f::text("a", false) + f::binary("b", false),
               {"error:1002"},
               {"close:1002"}});
  c.push_back({"MessageThenStrayContinuation",
               f::text("fra", false) + f::cont("g") + f::cont("x", false) + f::text("y"),
               {"text:frag", "error:1002"},
               {"close:1002"}});
  c.push_back(
      {"EmptyFragments", f::text("", false) + f::cont("", false) + f::cont(""), {"text:"}, {}});
  // --- UTF-8 (6.x) ---
  c.push_back({"ValidUtf8Text", f::text(kKosme), {"text:" + kKosme}, {}});
  c.push_back({"Utf8SplitAcrossFragments",
               f::text(kKosme.substr(0, 2), false) + f::cont(kKosme.substr(2, 1), false) +
                   f::cont(kKosme.substr(3)),
               {"text:" + kKosme},
               {}});
  c.push_back({"InvalidUtf8Text",
               f::text("\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64"),
               {"error:1007"},
               {"close:1007"}});
  c.push_back({"SurrogateIsInvalid", f::text("\xed\xa0\x80"), {"error:1007"}, {"close:1007"}});
  c.push_back({"OverlongIsInvalid", f::text("\xc0\xaf"), {"error:1007"}, {"close:1007"}});
  c.push_back({"TextEndingInsideCodePoint", f::text("ab\xe2\x82"), {"error:1007"}, {"close:1007"}});
  c.push_back({"FragmentedTextEndingInsideCodePoint",
               f::text("ab", false) + f::cont("\xe2\x82"),
               {"error:1007"},
               {"close:1007"}});
  c.push_back({"InvalidUtf8FailsAtItsFragment",
               f::text(kKosme, false) + f::cont("\xf4\x90\x80\x80", false) + f::cont("edited"),
               {"error:1007"},
               {"close:1007"}});
  c.push_back({"BinaryIsNotUtf8Checked", f::binary("\xff\xfe"), {"binary:\xff\xfe"}, {}});
  // --- close (7.x) ---
  c.push_back({"CloseWithoutBody", f::frame(0x8, ""), {"close:1005:"}, {"close:1000"}});
  c.push_back({"CloseWith1ByteBody", f::frame(0x8, "\x03"), {"error:1002"}, {"close:1002"}});
  c.push_back({"CloseWithReason", f::close(1000, "bye"), {"close:1000:bye"}, {"close:1000"}});
  c.push_back({"CloseWithMaxReason",
               f::close(1000, std::string(123, 'r')),
               {"close:1000:" + std::string(123, 'r')},
               {"close:1000"}});
  c.push_back({"CloseWith124ByteReasonIsTooLong",
               f::close(1000, std::string(124, 'r')),
               {"error:1002"},
               {"close:1002"}});
  c.push_back({"CloseReasonNotUtf8",
               f::close(1000, "\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80\x65\x64"),
               {"error:1007"},
               {"close:1007"}});
  c.push_back({"NothingIsReadAfterClose",
               f::close(1001) + f::text("late") + f::ping("late"),
               {"close:1001:"},
               {"close:1001"}});
  c.push_back({"CloseAfterMessage",
               f::text("Hello") + f::close(1000),
               {"text:Hello", "close:1000:"},
               {"close:1000"}});
  c.push_back({"CloseInsideFragmentedMessage",
               f::text("frag", false) + f::close(1000) + f::cont("ment"),
               {"close:1000:"},
               {"close:1000"}});
  for (int code : {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000,
                   3999, 4000, 4999}) {
    c.push_back({"ValidCloseCode" + std::to_string(code),
                 f::close(code),
                 {"close:" + std::to_string(code) + ":"},
                 {"close:" + std::to_string(code)}});
  }
  for (int code : {0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535}) {
    c.push_back({"InvalidCloseCode" + std::to_string(code),
                 f::close(code),
                 {"error:1002"},
                 {"close:1002"}});
  }
  // --- size limit ---
  c.push_back({"MessageAtTheLimit",
               f::binary(std::string(100, 'z')),
               {"binary:" + std::string(100, 'z')},
               {},
               100});
  c.push_back({"MessageOverTheLimit",
               f::binary(std::string(101, 'z')),
               {"error:1009"},
               {"close:1009"},
               100});
  c.push_back({"FragmentsOverTheLimit",
               f::text(std::string(60, 'z'), false) + f::cont(std::string(41, 'z')),
               {"error:1009"},
               {"close:1009"},
               100});
  c.push_back({"FragmentsAtTheLimit",
               f::text(std::string(60, 'z'), false) + f::cont(std::string(40, 'z')),
               {"text:" + std::string(100, 'z')},
               {},
               100});
  c.push_back({"ControlFramesDoNotCountTowardsTheLimit",
               f::text(std::string(90, 'z'), false) + f::ping(std::string(100, 'p')) +
                   f::cont(std::string(10, 'z')),
               {"text:" + std::string(100, 'z')},
               {"pong:" + std::string(100, 'p')},
               100});
  return c;
}

class CodecCase : public ::testing::TestWithParam<Case> {};

TEST_P(CodecCase, GivesTheExpectedEventsAndFrames) {
  const Case& c = GetParam();
  auto r = run(c.wire, {c.max_message_size}, 0);
  EXPECT_EQ(r.events, c.events);
  EXPECT_EQ(r.frames, c.frames);
  EXPECT_EQ(r.buffered_after, 0u);
}

TEST_P(CodecCase, GivesTheSameResultFedOneByteAtATime) {
  const Case& c = GetParam();
  auto r = run(c.wire, {c.max_message_size}, 1);
  EXPECT_EQ(r.events, c.events);
  EXPECT_EQ(r.frames, c.frames);
  EXPECT_EQ(r.buffered_after, 0u);
}

TEST_P(CodecCase, GivesTheSameResultFedInRandomPieces) {
  const Case& c = GetParam();
  for (unsigned seed = 1; seed <= 5; ++seed) {
    auto r = run(c.wire, {c.max_message_size}, -1, seed);
    EXPECT_EQ(r.events, c.events) << "seed " << seed;
    EXPECT_EQ(r.frames, c.frames) << "seed " << seed;
  }
}

INSTANTIATE_TEST_SUITE_P(Rfc6455, CodecCase, ::testing::ValuesIn(cases()),
                         [](const auto& info) { return info.param.name; });

// --- RFC 6455 §5.7 examples ---

TEST(WebsocketCodec, DecodesTheRfcMaskedHelloExample) {
  const std::string wire = "\x81\x85\x37\xfa\x21\x3d\x7f\x9f\x4d\x51\x58";
  EXPECT_EQ(f::encode({0x1, "Hello"}), wire);
  EXPECT_EQ(run(wire).events, V{"text:Hello"});
}

TEST(WebsocketCodec, EncodesTheRfcUnmaskedExamples) {
  std::string out;
  WebsocketCodec::append_message(out, "Hello", false);
  EXPECT_EQ(out, std::string("\x81\x05Hello"));
  out.clear();
  WebsocketCodec::append_ping(out, "Hello");
  EXPECT_EQ(out, std::string("\x89\x05Hello"));
  out.clear();
  WebsocketCodec::append_message(out, std::string(256, 'x'), true);
  EXPECT_EQ(out.substr(0, 4), std::string("\x82\x7e\x01\x00", 4));
  EXPECT_EQ(out.size(), 4u + 256u);
  out.clear();
  WebsocketCodec::append_message(out, std::string(65536, 'x'), true);
  EXPECT_EQ(out.substr(0, 10), std::string("\x82\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10));
  EXPECT_EQ(out.size(), 10u + 65536u);
}

TEST(WebsocketCodec, AnswersTheRfcPingExampleWithItsPong) {
  // §5.7: a pong "Hello" is 0x8a 0x05 followed by the payload.
  auto wire = f::ping("Hello");
  f::Recorder rec;
  WebsocketCodec codec(rec, {});
  std::string out;
  std::vector<char> buf(wire.begin(), wire.end());
  codec.feed(buf, out);
  EXPECT_EQ(out, std::string("\x8a\x05Hello"));
}

// --- zero copy and memory ---

TEST(WebsocketCodec, HandsAWholeMessageOverAsAViewIntoTheInput) {
  auto wire = f::text("zero copy please") + f::binary(std::string(300, 'b'));
  std::vector<char> buf(wire.begin(), wire.end());
  f::Recorder rec;
  WebsocketCodec codec(rec, {});
  std::string out;
  codec.feed(buf, out);
  ASSERT_EQ(rec.events.size(), 2u);
  EXPECT_GE(rec.last_message_ptr, buf.data());
  EXPECT_LE(rec.last_message_ptr + rec.last_message_size, buf.data() + buf.size());
  EXPECT_EQ(codec.buffered_bytes(), 0u);
}

TEST(WebsocketCodec, HoldsStateOnlyWhileAFrameIsOpen) {
  auto wire = f::text("split across reads");
  f::Recorder rec;
  WebsocketCodec codec(rec, {});
  std::string out;
  std::vector<char> first(wire.begin(), wire.begin() + 7);
  std::vector<char> rest(wire.begin() + 7, wire.end());
  codec.feed(first, out);
  EXPECT_GT(codec.buffered_bytes(), 0u);
  EXPECT_LT(codec.buffered_bytes(), 2048u);
  codec.feed(rest, out);
  EXPECT_EQ(rec.events, V{"text:split across reads"});
  EXPECT_EQ(codec.buffered_bytes(), 0u);
}

TEST(WebsocketCodec, IdleCodecIsSmall) {
  f::Recorder rec;
  WebsocketCodec codec(rec, {});
  EXPECT_LE(sizeof(WebsocketCodec), 64u);
  EXPECT_EQ(codec.buffered_bytes(), 0u);
}

TEST(WebsocketCodec, RefusesAnOversizedMessageFromItsHeaderAlone) {
  // Only the header of a 2 MiB frame arrives: the codec refuses without waiting for the payload.
  const std::string wire("\x82\xff\x00\x00\x00\x00\x00\x20\x00\x00\x01\x02\x03\x04", 14);
  auto r = run(wire, {1 << 20});
  EXPECT_EQ(r.events, V{"error:1009"});
  EXPECT_EQ(r.frames, V{"close:1009"});
}

TEST(WebsocketCodec, FailsFastOnInvalidUtf8InsideAPartlyReceivedFrame) {
  // Autobahn 6.4.3: one frame whose first part is already invalid; the rest never comes.
  auto wire = f::text(kKosme + "\xf4\x90\x80\x80" + std::string(1000, 'e'));
  wire.resize(wire.size() - 900);
  auto r = run(wire);
  EXPECT_EQ(r.events, V{"error:1007"});
}

TEST(WebsocketCodec, FailsFastAtTheBadFragmentBeforeTheMessageEnds) {
  // Autobahn 6.4.1: the third fragment never arrives, the second is already bad.
  auto wire = f::text(kKosme, false) + f::cont("\xf4\x90\x80\x80", false);
  EXPECT_EQ(run(wire).events, V{"error:1007"});
  EXPECT_EQ(run(wire, {}, 1).events, V{"error:1007"});
}

TEST(WebsocketCodec, AssemblesSixtyFiveThousandFiveHundredThirtySevenFragments) {
  std::string wire = f::text("a", false);
  for (int i = 0; i < 65535; ++i) wire += f::cont("a", false);
  wire += f::cont("a");
  auto r = run(wire);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0], "text:" + std::string(65537, 'a'));
  auto pieces = run(wire, {}, 1000);
  EXPECT_EQ(pieces.events, r.events);
  EXPECT_EQ(pieces.buffered_after, 0u);
}

TEST(WebsocketCodec, DeliversA16MiBMessageWhenTheLimitAllows) {
  std::string payload(16 << 20, '\0');
  for (std::size_t i = 0; i < payload.size(); i += 4096)
    payload[i] = static_cast<char>('a' + (i >> 12) % 26);
  const auto wire = f::binary(payload);
  for (long chunk : {0L, 65536L}) {
    f::Recorder rec;
    WebsocketCodec codec(rec, {16 << 20});
    std::string out;
    std::size_t pos = 0;
    std::vector<char> piece;
    while (pos < wire.size()) {
      const std::size_t n =
          chunk == 0 ? wire.size() : std::min<std::size_t>(chunk, wire.size() - pos);
      piece.assign(wire.begin() + static_cast<long>(pos),
                   wire.begin() + static_cast<long>(pos + n));
      codec.feed(piece, out);
      pos += n;
    }
    ASSERT_EQ(rec.events.size(), 1u) << "chunk " << chunk;
    EXPECT_EQ(rec.events[0].size(), 7u + payload.size());
    EXPECT_EQ(rec.events[0].compare(7, std::string::npos, payload), 0);
    EXPECT_EQ(codec.buffered_bytes(), 0u);
  }
}

TEST(WebsocketCodec, DeliversA16MiBMessageInFragments) {
  std::string wire;
  const std::string chunk(1 << 20, 'q');
  wire += f::text(chunk, false);
  for (int i = 1; i < 15; ++i) wire += f::cont(chunk, false);
  wire += f::cont(chunk);
  auto r = run(wire, {16 << 20}, 100000);
  ASSERT_EQ(r.events.size(), 1u);
  EXPECT_EQ(r.events[0].size(), 5u + (16u << 20));
  EXPECT_EQ(run(wire, {(16 << 20) - 1}).events, V{"error:1009"});
}

// --- closing from the server side ---

TEST(WebsocketCodec, SendsItsCloseFrameOnlyOnce) {
  f::Recorder rec;
  WebsocketCodec codec(rec, {});
  std::string out;
  codec.append_close(out, 4401, "logged out");
  EXPECT_TRUE(codec.close_sent());
  codec.append_close(out, 1000, "again");
  EXPECT_EQ(f::decode_server_frames(out), V{"close:4401"});
  EXPECT_NE(out.find("logged out"), std::string::npos);
}

TEST(WebsocketCodec, DoesNotEchoACloseAfterItsOwn) {
  f::Recorder rec;
  WebsocketCodec codec(rec, {});
  std::string out;
  codec.append_close(out, 1001, "");
  auto wire = f::ping("late") + f::close(1001);
  std::vector<char> buf(wire.begin(), wire.end());
  codec.feed(buf, out);
  EXPECT_EQ(rec.events, V{"close:1001:"});
  EXPECT_EQ(f::decode_server_frames(out), V{"close:1001"});  // no pong, no second close
}

TEST(WebsocketCodec, CutsALongCloseReasonAtACodePointBoundary) {
  f::Recorder rec;
  WebsocketCodec codec(rec, {});
  std::string out;
  std::string reason(122, 'r');
  reason += "\xe2\x82\xac";  // a 3-byte code point straddling byte 123
  codec.append_close(out, 1000, reason);
  ASSERT_GE(out.size(), 4u);
  EXPECT_EQ(static_cast<unsigned char>(out[1]), 2u + 122u);
  EXPECT_EQ(out.substr(4), std::string(122, 'r'));
}

TEST(WebsocketCodec, SendsNoStatusCodesWithoutABody) {
  f::Recorder rec;
  WebsocketCodec codec(rec, {});
  std::string out;
  codec.append_close(out, kCloseNoStatus, "never on the wire");
  EXPECT_EQ(out, std::string("\x88\x00", 2));
}

TEST(WebsocketCodec, CutsAPingPayloadTo125Bytes) {
  std::string out;
  WebsocketCodec::append_ping(out, std::string(300, 'p'));
  EXPECT_EQ(f::decode_server_frames(out), V{"ping:" + std::string(125, 'p')});
}

TEST(WebsocketCodec, IgnoresInputAfterAProtocolError) {
  f::Recorder rec;
  WebsocketCodec codec(rec, {});
  std::string out;
  auto bad = f::cont("x");
  std::vector<char> buf(bad.begin(), bad.end());
  codec.feed(buf, out);
  auto good = f::text("ignored");
  std::vector<char> buf2(good.begin(), good.end());
  codec.feed(buf2, out);
  EXPECT_EQ(rec.events, V{"error:1002"});
  EXPECT_FALSE(rec.last_error.empty());
}

}  // namespace
}  // namespace laurel::server
