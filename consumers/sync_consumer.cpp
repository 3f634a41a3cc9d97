// consumers/sync_consumer.cpp

#include "consumers/sync_consumer.h"

namespace laurel::consumers {

Task<void> SyncConsumer::run_in_pool(Consumer* self, std::function<void(const asgi::Value&)> fn,
                                     asgi::Value message) {
  co_await run_blocking(self->loop(), [&fn, &message] { fn(message); });
}

}  // namespace laurel::consumers
