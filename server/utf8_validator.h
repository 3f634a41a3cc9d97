// server/utf8_validator.h
#pragma once

// Incremental UTF-8 validation (RFC 3629) for WebSocket text: bytes arrive in pieces (fragments,
// partial TCP reads) and the validator says at the first byte that can no longer be part of
// valid UTF-8, so a bad text message fails as soon as the offending byte arrives (RFC 6455 §8.1),
// not when the message ends. Rejects overlongs, surrogates and code points above U+10FFFF.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace laurel::server {

class Utf8Validator {
 public:
  // Validates the next bytes of the text. Returns the offset in `bytes` of the first byte that
  // makes the text invalid, or bytes.size() when every byte fits. Once invalid, it stays invalid
  // (later calls return 0) until reset().
  std::size_t feed(std::string_view bytes);

  // No invalid byte seen so far (the text may still end inside a code point).
  bool ok() const { return state_ != kReject; }
  // The bytes so far are complete, valid UTF-8: true at the end of a valid message.
  bool complete() const { return state_ == kAccept; }

  void reset() { state_ = kAccept; }

  // The whole of `text` is valid UTF-8.
  static bool is_valid(std::string_view text);

  // DFA states; public so the transition table in the .cpp can name them.
  enum State : std::uint8_t {
    kAccept = 0,   // between code points
    kReject = 1,   // an invalid byte was seen
    kNeed1 = 2,    // one continuation byte (80..BF) missing
    kNeed2 = 3,    // two continuation bytes missing
    kNeed3 = 4,    // three continuation bytes missing
    kAfterE0 = 5,  // E0 must go on with A0..BF (shorter forms are overlong)
    kAfterED = 6,  // ED must go on with 80..9F (A0..BF would encode a UTF-16 surrogate)
    kAfterF0 = 7,  // F0 must go on with 90..BF (shorter forms are overlong)
    kAfterF4 = 8,  // F4 must go on with 80..8F (beyond is above U+10FFFF)
  };

 private:
  State state_ = kAccept;
};

}  // namespace laurel::server
