// tests/server/server_loop_http_test.cpp
// HTTP through the whole server (server_loop_support.h): keep-alive, pipelining, chunked bodies,
// 100-continue, the size limits and timeouts, and a client that leaves early.

#include <gtest/gtest.h>

#include "tests/server/server_loop_support.h"

namespace laurel::server::server_loop_test {
namespace {

TEST_F(ServerLoop, AnswersHttpRequestsOnOneKeptAliveConnection) {
  start();
  Client c(port_);
  ASSERT_TRUE(c.connected());
  c.send_all("GET /hello?x=1 HTTP/1.1\r\nHost: h\r\n\r\n");
  auto r = c.read_response();
  ASSERT_TRUE(r.ok);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /hello x=1 ");
  EXPECT_NE(r.head.find("Server: laurel"), std::string::npos);
  c.send_all("POST /echo HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello");
  r = c.read_response();
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "POST /echo  hello");
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.instances_alive == 0; }));
  EXPECT_EQ(counters_.http_requests, 2);
  EXPECT_EQ(counters_.instances_started, 2);
  EXPECT_EQ(counters_.http_disconnects, 0);  // completed responses end without a disconnect
}

TEST_F(ServerLoop, AnswersPipelinedRequestsInOrder) {
  start();
  Client c(port_);
  c.send_all(
      "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
      "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"
      "GET /3 HTTP/1.1\r\nHost: h\r\n\r\n");
  EXPECT_EQ(c.read_response().body, "GET /1  ");
  EXPECT_EQ(c.read_response().body, "POST /2  abc");
  EXPECT_EQ(c.read_response().body, "GET /3  ");
  EXPECT_EQ(counters_.http_requests, 3);
}

TEST_F(ServerLoop, ReadsChunkedRequestsAndChunksResponsesWithoutALength) {
  start();
  Client c(port_);
  c.send_all(
      "POST /up HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
      "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.body, "POST /up  abcde");
  c.send_all("GET /stream HTTP/1.1\r\nHost: h\r\n\r\n");
  r = c.read_response();
  ASSERT_TRUE(r.ok);
  EXPECT_NE(r.head.find("Transfer-Encoding: chunked"), std::string::npos);
  EXPECT_EQ(r.body, "abcd");
}

TEST_F(ServerLoop, SendsNoBodyForHead) {
  start();
  Client c(port_);
  c.send_all("HEAD /h HTTP/1.1\r\nHost: h\r\n\r\nGET /after HTTP/1.1\r\nHost: h\r\n\r\n");
  auto r = c.read_response(/*head_request=*/true);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.head.find("Content-Length: 9"), std::string::npos);  // "HEAD /h  "
  r = c.read_response();
  EXPECT_EQ(r.body, "GET /after  ");  // the HEAD response carried no body bytes
}

TEST_F(ServerLoop, Sends100ContinueBeforeTheBody) {
  start();
  Client c(port_);
  c.send_all("POST /e HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 100);
  c.send_all("ok");
  r = c.read_response();
  EXPECT_EQ(r.body, "POST /e  ok");
}

TEST_F(ServerLoop, RefusesOversizedHeadersWith431AndCloses) {
  ServerConfig config;
  config.max_header_bytes = 1024;
  start(config);
  Client c(port_);
  c.send_all("GET / HTTP/1.1\r\nX-Big: " + std::string(2000, 'x') + "\r\n\r\n");
  auto r = c.read_response();
  EXPECT_EQ(r.status, 431);
  EXPECT_TRUE(c.closed_by_server());
  EXPECT_EQ(counters_.instances_started, 0);
}

TEST_F(ServerLoop, RefusesOversizedBodiesWith413) {
  ServerConfig config;
  config.max_body_size = 10;
  start(config);
  Client c(port_);
  c.send_all("POST / HTTP/1.1\r\nContent-Length: 100\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 413);
}

TEST_F(ServerLoop, AnswersMalformedRequestsWith400AndKeepsServing) {
  start();
  {
    Client bad(port_);
    bad.send_all("THIS IS NOT HTTP\r\n\r\n");
    EXPECT_EQ(bad.read_response().status, 400);
    EXPECT_TRUE(bad.closed_by_server());
  }
  Client good(port_);
  good.send_all("GET /fine HTTP/1.1\r\n\r\n");
  EXPECT_EQ(good.read_response().status, 200);
}

TEST_F(ServerLoop, Answers504WhenTheApplicationStaysSilent) {
  ServerConfig config;
  config.http_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all("GET /slow HTTP/1.1\r\n\r\n");
  EXPECT_EQ(c.read_response().status, 504);
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.http_disconnects == 1; }));
}

TEST_F(ServerLoop, Answers408WhenHeadersArriveTooSlowly) {
  ServerConfig config;
  config.header_timeout = 100ms;
  start(config);
  Client c(port_);
  c.send_all("GET / HTTP/1.1\r\nHost: h\r\n");  // never finished
  EXPECT_EQ(c.read_response().status, 408);
  EXPECT_TRUE(c.closed_by_server());
}

TEST_F(ServerLoop, DeliversHttpDisconnectWhenTheClientLeavesEarly) {
  start();
  {
    Client c(port_);
    c.send_all("GET /slow HTTP/1.1\r\n\r\n");
    ASSERT_TRUE(counters_.wait_for([](Counters& c) { return c.http_requests == 1; }));
  }
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.http_disconnects == 1; }));
  EXPECT_TRUE(counters_.wait_for([](Counters& c) { return c.instances_alive == 0; }));
}

}  // namespace
}  // namespace laurel::server::server_loop_test
