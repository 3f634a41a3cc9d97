// tests/server/http_parser_test.cpp
#include "server/http_parser.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace laurel::server {
namespace {

struct Recorder : HttpParser::Handler {
  std::vector<RequestHead> heads;
  std::vector<std::string> bodies;  // one per request, joined
  int body_calls = 0;
  int completes = 0;
  void on_request_head(RequestHead& head) override {
    heads.push_back(head);
    bodies.emplace_back();
  }
  void on_body(std::string_view chunk) override {
    ++body_calls;
    bodies.back().append(chunk);
  }
  void on_request_complete() override { ++completes; }
};

// Feeds everything, resuming after each request as the session does once it has answered.
HttpParser::Result feed_all(HttpParser& parser, std::string_view data) {
  HttpParser::Result r;
  while (true) {
    r = parser.feed(data);
    if (r.status != HttpParser::Status::kPaused) return r;
    data.remove_prefix(r.consumed);
    parser.resume();
    if (data.empty()) return r;
  }
}

TEST(HttpParser, ParsesRequestLineAndLowerCasesHeaderNamesKeepingOrderAndDuplicates) {
  Recorder rec;
  HttpParser parser(rec, {});
  auto r = parser.feed(
      "GET /a%20b?x=1&y=2 HTTP/1.1\r\nHost: example.com\r\nX-Thing: One\r\nx-thing: Two  \r\n\r\n");
  EXPECT_EQ(r.status, HttpParser::Status::kPaused);
  ASSERT_EQ(rec.heads.size(), 1u);
  const RequestHead& h = rec.heads[0];
  EXPECT_EQ(h.method, "GET");
  EXPECT_EQ(h.target, "/a%20b?x=1&y=2");
  EXPECT_EQ(h.http_major, 1);
  EXPECT_EQ(h.http_minor, 1);
  ASSERT_EQ(h.headers.size(), 3u);
  EXPECT_EQ(h.headers[0], (std::pair<std::string, std::string>{"host", "example.com"}));
  EXPECT_EQ(h.headers[1], (std::pair<std::string, std::string>{"x-thing", "One"}));
  EXPECT_EQ(h.headers[2], (std::pair<std::string, std::string>{"x-thing", "Two"}));
  EXPECT_TRUE(h.keep_alive);
  EXPECT_FALSE(h.has_body);
  EXPECT_EQ(rec.completes, 1);
}

TEST(HttpParser, PausesAfterEachPipelinedRequestSoTheyAreAnsweredInOrder) {
  Recorder rec;
  HttpParser parser(rec, {});
  std::string two = "GET /one HTTP/1.1\r\nHost: h\r\n\r\nGET /two HTTP/1.1\r\nHost: h\r\n\r\n";
  auto r = parser.feed(two);
  ASSERT_EQ(r.status, HttpParser::Status::kPaused);
  EXPECT_EQ(rec.heads.size(), 1u);
  EXPECT_EQ(r.consumed, two.find("GET /two"));
  parser.resume();
  r = parser.feed(std::string_view(two).substr(r.consumed));
  ASSERT_EQ(r.status, HttpParser::Status::kPaused);
  ASSERT_EQ(rec.heads.size(), 2u);
  EXPECT_EQ(rec.heads[1].target, "/two");
  EXPECT_EQ(rec.completes, 2);
}

TEST(HttpParser, SurvivesByteByByteInput) {
  Recorder rec;
  HttpParser parser(rec, {});
  std::string req = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  for (char c : req) {
    auto r = parser.feed(std::string_view(&c, 1));
    ASSERT_NE(r.status, HttpParser::Status::kError);
  }
  ASSERT_EQ(rec.heads.size(), 1u);
  EXPECT_EQ(rec.heads[0].headers[1].first, "content-length");
  EXPECT_EQ(rec.bodies[0], "hello");
  EXPECT_EQ(rec.completes, 1);
}

TEST(HttpParser, RemovesChunkedFramingFromBodies) {
  Recorder rec;
  HttpParser parser(rec, {});
  auto r = feed_all(parser,
                    "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
  EXPECT_EQ(r.status, HttpParser::Status::kPaused);
  ASSERT_EQ(rec.heads.size(), 1u);
  EXPECT_TRUE(rec.heads[0].chunked);
  EXPECT_TRUE(rec.heads[0].has_body);
  EXPECT_EQ(rec.bodies[0], "hello, world");
  EXPECT_GE(rec.body_calls, 2);
  EXPECT_EQ(rec.completes, 1);
}

TEST(HttpParser, RefusesHeaderBlocksOverTheLimitWith431) {
  Recorder rec;
  HttpParser parser(rec, {.max_header_bytes = 256});
  std::string req = "GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + std::string(300, 'a') + "\r\n\r\n";
  auto r = parser.feed(req);
  EXPECT_EQ(r.status, HttpParser::Status::kError);
  EXPECT_EQ(r.error_status, 431);
  EXPECT_TRUE(rec.heads.empty());
}

TEST(HttpParser, RefusesManySmallHeadersOverTheLimitWith431) {
  Recorder rec;
  HttpParser parser(rec, {.max_header_bytes = 1024});
  std::string req = "GET / HTTP/1.1\r\n";
  for (int i = 0; i < 300; ++i) req += "a: b\r\n";
  req += "\r\n";
  EXPECT_EQ(parser.feed(req).error_status, 431);
}

TEST(HttpParser, AcceptsHeaderBlocksJustUnderTheLimit) {
  Recorder rec;
  HttpParser parser(rec, {.max_header_bytes = 1024});
  std::string req = "GET / HTTP/1.1\r\nX-Big: " + std::string(900, 'a') + "\r\n\r\n";
  EXPECT_EQ(parser.feed(req).status, HttpParser::Status::kPaused);
}

TEST(HttpParser, RefusesADeclaredBodyOverTheLimitBeforeReadingIt) {
  Recorder rec;
  HttpParser parser(rec, {.max_header_bytes = 16384, .max_body_size = 10});
  auto r = parser.feed("POST / HTTP/1.1\r\nContent-Length: 11\r\n\r\n");
  EXPECT_EQ(r.status, HttpParser::Status::kError);
  EXPECT_EQ(r.error_status, 413);
  EXPECT_TRUE(rec.heads.empty());  // the application never sees it
}

TEST(HttpParser, RefusesAChunkedBodyThatGrowsOverTheLimit) {
  Recorder rec;
  HttpParser parser(rec, {.max_header_bytes = 16384, .max_body_size = 10});
  auto r = parser.feed(
      "POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\n12345678\r\n");
  EXPECT_EQ(r.status, HttpParser::Status::kError);
  EXPECT_EQ(r.error_status, 413);
  EXPECT_EQ(rec.bodies[0], "12345678");
}

TEST(HttpParser, ReportsMalformedRequestsAs400) {
  for (std::string bad : {std::string("GARBAGE\r\n\r\n"), std::string("GET / HTTP/9.9\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nBad Header\r\n\r\n"),
                          std::string("POST / HTTP/1.1\r\nContent-Length: 1\r\n"
                                      "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
                          std::string("POST / HTTP/1.1\r\nContent-Length: abc\r\n\r\n"),
                          std::string("GET / HTTP/1.1\r\nHost: a\x01\x02\r\n\r\n")}) {
    Recorder rec;
    HttpParser parser(rec, {});
    auto r = parser.feed(bad);
    EXPECT_EQ(r.status, HttpParser::Status::kError) << bad;
    EXPECT_EQ(r.error_status, 400) << bad;
  }
}

TEST(HttpParser, StopsAtAnUpgradeAndLeavesTheFollowingBytes) {
  Recorder rec;
  HttpParser parser(rec, {});
  std::string req =
      "GET /ws HTTP/1.1\r\nHost: h\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n";
  auto r = parser.feed(req + "\x81\x80rest");
  EXPECT_EQ(r.status, HttpParser::Status::kUpgrade);
  EXPECT_EQ(r.consumed, req.size());
  ASSERT_EQ(rec.heads.size(), 1u);
  EXPECT_TRUE(rec.heads[0].upgrade);
}

TEST(HttpParser, ReportsExpectContinueAndConnectionClose) {
  Recorder rec;
  HttpParser parser(rec, {});
  feed_all(parser,
           "POST / HTTP/1.1\r\nExpect: 100-Continue\r\nConnection: close\r\n"
           "Content-Length: 2\r\n\r\nhi");
  ASSERT_EQ(rec.heads.size(), 1u);
  EXPECT_TRUE(rec.heads[0].expect_continue);
  EXPECT_FALSE(rec.heads[0].keep_alive);
}

TEST(HttpParser, TreatsHttp10WithoutKeepAliveAsClosing) {
  Recorder rec;
  HttpParser parser(rec, {});
  feed_all(parser, "GET / HTTP/1.0\r\n\r\n");
  ASSERT_EQ(rec.heads.size(), 1u);
  EXPECT_FALSE(rec.heads[0].keep_alive);
  EXPECT_EQ(rec.heads[0].http_minor, 0);
}

TEST(HttpParser, TracksWhetherARequestIsInProgress) {
  Recorder rec;
  HttpParser parser(rec, {});
  EXPECT_TRUE(parser.idle());
  parser.feed("GET / HT");
  EXPECT_FALSE(parser.idle());
  EXPECT_TRUE(parser.in_head());
  parser.feed("TP/1.1\r\n\r\n");
  EXPECT_TRUE(parser.idle());
  EXPECT_FALSE(parser.in_head());
}

}  // namespace
}  // namespace laurel::server
