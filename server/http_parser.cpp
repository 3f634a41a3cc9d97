// server/http_parser.cpp
#include "server/http_parser.h"

#include <llhttp.h>

#include <algorithm>

namespace laurel::server {
namespace {

HttpParser* self(llhttp_t* p) { return static_cast<HttpParser*>(p->data); }

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Per header line, llhttp does not report the ": " and CRLF; count them against the limit too.
constexpr std::size_t kHeaderLineOverhead = 4;

}  // namespace

// Trampolines with access to the parser's private state.
struct HttpParser::Callbacks {
  static int fail(llhttp_t* p, int status, const char* reason) {
    HttpParser* s = self(p);
    s->error_status_ = status;
    s->error_reason_ = reason;
    return HPE_USER;
  }
  static int count_head(llhttp_t* p, std::size_t n) {
    HttpParser* s = self(p);
    s->head_bytes_ += n;
    if (s->head_bytes_ > s->limits_.max_header_bytes) {
      return fail(p, 431, "request header fields too large");
    }
    return 0;
  }
  static int on_message_begin(llhttp_t* p) {
    HttpParser* s = self(p);
    s->head_ = RequestHead{};
    s->head_bytes_ = 0;
    s->body_bytes_ = 0;
    s->value_done_ = true;
    s->in_head_ = true;
    s->in_message_ = true;
    return 0;
  }
  static int on_url(llhttp_t* p, const char* at, std::size_t n) {
    if (int rc = count_head(p, n)) return rc;
    self(p)->head_.target.append(at, n);
    return 0;
  }
  static int on_header_field(llhttp_t* p, const char* at, std::size_t n) {
    if (int rc = count_head(p, n)) return rc;
    HttpParser* s = self(p);
    if (s->value_done_) {
      s->head_.headers.emplace_back();
      s->value_done_ = false;
      if (int rc = count_head(p, kHeaderLineOverhead)) return rc;
    }
    std::string& name = s->head_.headers.back().first;
    std::size_t old = name.size();
    name.append(at, n);
    std::transform(name.begin() + static_cast<std::ptrdiff_t>(old), name.end(), name.begin() +
                   static_cast<std::ptrdiff_t>(old), lower);
    return 0;
  }
  static int on_header_value(llhttp_t* p, const char* at, std::size_t n) {
    if (int rc = count_head(p, n)) return rc;
    HttpParser* s = self(p);
    if (s->head_.headers.empty()) return 0;
    s->head_.headers.back().second.append(at, n);
    return 0;
  }
  static int on_header_value_complete(llhttp_t* p) {
    HttpParser* s = self(p);
    s->value_done_ = true;
    if (s->head_.headers.empty()) return 0;
    std::string& v = s->head_.headers.back().second;
    while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.pop_back();
    return 0;
  }
  static int on_headers_complete(llhttp_t* p) {
    HttpParser* s = self(p);
    RequestHead& h = s->head_;
    s->in_head_ = false;
    h.method = llhttp_method_name(static_cast<llhttp_method_t>(p->method));
    h.http_major = p->http_major;
    h.http_minor = p->http_minor;
    h.keep_alive = llhttp_should_keep_alive(p) != 0;
    h.upgrade = p->upgrade != 0;
    h.chunked = (p->flags & F_CHUNKED) != 0;
    h.has_body = h.chunked || ((p->flags & F_CONTENT_LENGTH) && p->content_length > 0);
    if (h.target.empty()) return fail(p, 400, "missing request target");
    for (const auto& [name, value] : h.headers) {
      if (name == "expect" && iequals(value, "100-continue")) h.expect_continue = true;
    }
    if (s->limits_.max_body_size && !h.chunked && (p->flags & F_CONTENT_LENGTH) &&
        p->content_length > s->limits_.max_body_size) {
      return fail(p, 413, "request body too large");
    }
    s->handler_.on_request_head(h);
    return 0;
  }
  static int on_body(llhttp_t* p, const char* at, std::size_t n) {
    HttpParser* s = self(p);
    s->body_bytes_ += n;
    if (s->limits_.max_body_size && s->body_bytes_ > s->limits_.max_body_size) {
      return fail(p, 413, "request body too large");
    }
    s->handler_.on_body(std::string_view(at, n));
    return 0;
  }
  static int on_message_complete(llhttp_t* p) {
    HttpParser* s = self(p);
    s->in_message_ = false;
    s->handler_.on_request_complete();
    // Pause so the next pipelined request waits until this one is answered. An upgrade request
    // makes llhttp stop by itself (HPE_PAUSED_UPGRADE).
    return p->upgrade ? 0 : HPE_PAUSED;
  }

  static const llhttp_settings_t& settings() {
    static const llhttp_settings_t s = [] {
      llhttp_settings_t st;
      llhttp_settings_init(&st);
      st.on_message_begin = on_message_begin;
      st.on_url = on_url;
      st.on_header_field = on_header_field;
      st.on_header_value = on_header_value;
      st.on_header_value_complete = on_header_value_complete;
      st.on_headers_complete = on_headers_complete;
      st.on_body = on_body;
      st.on_message_complete = on_message_complete;
      return st;
    }();
    return s;
  }
};

HttpParser::HttpParser(Handler& handler, HttpParserLimits limits)
    : handler_(handler), limits_(limits), parser_(std::make_unique<llhttp_t>()) {
  llhttp_init(parser_.get(), HTTP_REQUEST, &Callbacks::settings());
  parser_->data = this;
}

HttpParser::~HttpParser() = default;

HttpParser::Result HttpParser::make_result(int err, const char* data, std::size_t len) {
  Result r;
  if (error_status_ != 0) {
    // One of our limits stopped the parser (llhttp reports a callback error).
    r.status = Status::kError;
    r.error_status = error_status_;
    r.reason = error_reason_;
    return r;
  }
  switch (err) {
    case HPE_OK:
      r.status = Status::kNeedMore;
      r.consumed = len;
      return r;
    case HPE_PAUSED:
      r.status = Status::kPaused;
      break;
    case HPE_PAUSED_UPGRADE:
      r.status = Status::kUpgrade;
      break;
    case HPE_USER:
      r.status = Status::kError;
      r.error_status = error_status_;
      r.reason = error_reason_;
      return r;
    default:
      r.status = Status::kError;
      r.error_status = 400;
      r.reason = llhttp_get_error_reason(parser_.get());
      if (!r.reason) r.reason = "malformed request";
      return r;
  }
  const char* pos = llhttp_get_error_pos(parser_.get());
  r.consumed = (data && pos && pos >= data) ? static_cast<std::size_t>(pos - data) : len;
  return r;
}

HttpParser::Result HttpParser::feed(std::string_view data) {
  if (data.empty()) return Result{Status::kNeedMore, 0};
  auto err = llhttp_execute(parser_.get(), data.data(), data.size());
  return make_result(err, data.data(), data.size());
}

HttpParser::Result HttpParser::finish() {
  auto err = llhttp_finish(parser_.get());
  return make_result(err, nullptr, 0);
}

void HttpParser::resume() {
  if (llhttp_get_errno(parser_.get()) == HPE_PAUSED) llhttp_resume(parser_.get());
}

}  // namespace laurel::server
