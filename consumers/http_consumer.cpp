// consumers/http_consumer.cpp

#include "consumers/http_consumer.h"

namespace laurel::consumers {

Task<void> HttpConsumer::disconnect() { co_return; }

void HttpConsumer::send_headers(int status, asgi::Headers headers) {
  if (response_started_) return;
  response_started_ = true;
  send_event(asgi::HttpResponseStart{status, std::move(headers)});
}

asgi::SendStatus HttpConsumer::send_body(std::string_view body, bool more_body) {
  if (response_done_) return asgi::SendStatus::kDropped;
  if (!response_started_) send_headers();
  if (!more_body) response_done_ = true;
  return send_event(asgi::HttpResponseBody{body, more_body});
}

void HttpConsumer::send_response(int status, std::string_view body, asgi::Headers headers) {
  send_headers(status, std::move(headers));
  send_body(body);
}

Task<void> HttpConsumer::handle_event(asgi::ReceiveEvent event) {
  if (auto* chunk = std::get_if<asgi::HttpRequest>(&event)) {
    body_.append(chunk->body);
    if (!chunk->more_body) return respond();
  } else if (std::holds_alternative<asgi::HttpDisconnect>(event)) {
    return end();
  }
  return Consumer::handle_event(std::move(event));
}

Task<void> HttpConsumer::respond() {
  std::exception_ptr error;
  try {
    co_await handle(body_);
  } catch (...) {
    error = std::current_exception();
  }
  if (error) {
    on_error(error);  // logs, then fail() answers 500 or ends the stream
  } else if (!response_started_) {
    send_response(500, "Internal Server Error: the consumer sent no response\n",
                  {{"content-type", "text/plain; charset=utf-8"}});
  }
  co_await end();
}

Task<void> HttpConsumer::end() {
  if (ended_) co_return;
  ended_ = true;
  finish();
  co_await disconnect();
}

void HttpConsumer::fail() {
  if (!response_started_) {
    send_response(500, "Internal Server Error\n", {{"content-type", "text/plain; charset=utf-8"}});
  } else if (!response_done_) {
    send_body({}, false);  // end what was streamed so far rather than hang the client
  }
}

}  // namespace laurel::consumers
