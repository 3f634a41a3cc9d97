// consumers/http_consumer.h
#pragma once

// Channels' AsyncHttpConsumer: the whole request body arrives in handle(body); the response goes
// out with send_response(), or streams with send_headers() then send_body(..., more_body=true)
// chunks. disconnect() runs once, after handle() or when the client goes away first. A handle()
// that ends without responding, or raises before responding, answers 500.

#include <string>
#include <string_view>

#include "consumers/consumer.h"

namespace laurel::consumers {

class HttpConsumer : public Consumer {
 public:
  // The request body, joined from every http.request chunk; valid until handle() ends.
  virtual Task<void> handle(std::string_view body) = 0;
  // Cleanup; the response can no longer be sent from here.
  virtual Task<void> disconnect();

  void send_headers(int status = 200, asgi::Headers headers = {});
  asgi::SendStatus send_body(std::string_view body, bool more_body = false);
  void send_response(int status, std::string_view body, asgi::Headers headers = {});

  bool response_started() const { return response_started_; }

 protected:
  // `handle(type, &C::fn)` for layer messages is Consumer::handle; the name is Channels' twice.
  using Consumer::handle;

  Task<void> handle_event(asgi::ReceiveEvent event) override;
  void fail() override;

 private:
  Task<void> respond();
  Task<void> end();

  std::string body_;
  bool response_started_ = false;
  bool response_done_ = false;
  bool ended_ = false;
};

}  // namespace laurel::consumers
