// asgi/instance_slot.cpp
#include "asgi/instance_slot.h"

#include <utility>

namespace laurel::asgi {

InstanceSlot::~InstanceSlot() {
  instance_.reset();
  retired_.clear();
}

void InstanceSlot::reset(std::unique_ptr<Instance> instance) {
  std::unique_ptr<Instance> previous = std::exchange(instance_, std::move(instance));
  retire(std::move(previous));
}

std::unique_ptr<Instance> InstanceSlot::release() { return std::move(instance_); }

void InstanceSlot::receive(const ReceiveEvent& event) {
  Instance* target = instance_.get();
  if (target == nullptr) return;
  struct Depth {
    InstanceSlot& slot;
    explicit Depth(InstanceSlot& s) : slot(s) { ++slot.receiving_; }
    ~Depth() {
      // Only the outermost call knows that no replaced instance is still on the stack.
      if (--slot.receiving_ == 0) slot.retired_.clear();
    }
  } depth(*this);
  target->receive(event);
}

bool InstanceSlot::replace(Instance& current, std::unique_ptr<Instance>& next) {
  if (instance_.get() != &current || !next) return false;
  std::unique_ptr<Instance> previous = std::exchange(instance_, std::move(next));
  retire(std::move(previous));
  return true;
}

void InstanceSlot::retire(std::unique_ptr<Instance> instance) {
  if (!instance) return;
  if (receiving_ > 0) {
    retired_.push_back(std::move(instance));
  } else {
    instance.reset();
  }
}

}  // namespace laurel::asgi
