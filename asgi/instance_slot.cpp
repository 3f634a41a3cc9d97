// asgi/instance_slot.cpp
#include "asgi/instance_slot.h"

#include <utility>

namespace laurel::asgi {

InstanceSlot::~InstanceSlot() {
  instance_.reset();
  retired_.reset();
}

void InstanceSlot::reset(std::unique_ptr<Instance> instance) {
  std::unique_ptr<Instance> previous = std::exchange(instance_, std::move(instance));
  retire(std::move(previous));
}

std::unique_ptr<Instance> InstanceSlot::release() { return std::move(instance_); }

bool InstanceSlot::replace(Instance& current, std::unique_ptr<Instance>& next) {
  if (instance_.get() != &current || !next) return false;
  std::unique_ptr<Instance> previous = std::exchange(instance_, std::move(next));
  retire(std::move(previous));
  return true;
}

void InstanceSlot::end_retired() { retired_.reset(); }

void InstanceSlot::retire(std::unique_ptr<Instance> instance) {
  if (!instance) return;
  if (receiving_ > 0) {
    if (!retired_) retired_ = std::make_unique<std::vector<std::unique_ptr<Instance>>>();
    retired_->push_back(std::move(instance));
  } else {
    instance.reset();
  }
}

}  // namespace laurel::asgi
