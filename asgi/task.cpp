// asgi/task.cpp — the last resort for an exception that escaped a spawned task.

#include "asgi/task.h"

#include <cstdio>
#include <exception>

namespace laurel::detail {

void report_unhandled(std::exception_ptr error) noexcept {
  // Nobody awaits a spawned task, so this is the only place the failure can still be seen.
  try {
    if (error) std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "laurel: unhandled exception in a spawned task: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "laurel: unhandled non-standard exception in a spawned task\n");
  }
}

}  // namespace laurel::detail
