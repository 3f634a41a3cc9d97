// tools/cli/secret_input.h
#pragma once

// Reading a password or a token for a command without it ever being an argument (argv shows in
// `ps` and shell history): from a terminal with echo off, as Django's getpass prompts, or one
// line from a pipe when stdin is not a terminal, so scripts can feed it.

#include <iosfwd>
#include <optional>
#include <string>

namespace laurel::cli {

// Longest secret accepted (Django refused longer passwords for years; nobody types more).
inline constexpr std::size_t kMaxSecretBytes = 4096;

// One secret from `fd`. On a terminal: `prompt` goes to `prompts` and echo is off while the line
// is typed (restored afterwards, also on SIGINT/SIGTERM/SIGHUP). Otherwise: one line, its "\n"
// or "\r\n" dropped. nullopt with `*error` set on EOF before anything, a read error, or a line
// longer than kMaxSecretBytes.
std::optional<std::string> read_secret(int fd, std::ostream& prompts, const std::string& prompt,
                                       std::string* error);

// A new password: on a terminal asked twice (up to three tries when the two differ or it is
// blank, as Django's createsuperuser/changepassword ask), from a pipe one line. Blank passwords
// are refused either way. nullopt with `*error` set otherwise.
std::optional<std::string> read_new_password(int fd, std::ostream& prompts, std::string* error);

}  // namespace laurel::cli
