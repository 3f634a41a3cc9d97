// asgi/instance_slot.h
#pragma once

// Where the owner of a connection keeps its application instance (a server session, a test
// communicator). Besides delivering events it carries out Peer::replace_instance: an instance
// that hands the connection over from inside its own receive() stays alive until that call has
// returned, so no object is destroyed while one of its member functions is on the stack.

#include <memory>
#include <vector>

#include "asgi/application.h"

namespace laurel::asgi {

class InstanceSlot {
 public:
  InstanceSlot() = default;
  InstanceSlot(const InstanceSlot&) = delete;
  InstanceSlot& operator=(const InstanceSlot&) = delete;
  ~InstanceSlot();

  explicit operator bool() const { return instance_ != nullptr; }
  Instance* get() const { return instance_.get(); }

  // Holds `instance` from now on; the previous one is destroyed, or kept until the current
  // receive() returns when the call is made from inside it.
  void reset(std::unique_ptr<Instance> instance = nullptr);
  // Gives the instance up to the caller (who then decides when it ends).
  std::unique_ptr<Instance> release();

  // Delivers `event` to the instance held now. Exceptions from the instance pass through.
  // Inline: every received event of every connection passes here.
  void receive(const ReceiveEvent& event) {
    Instance* target = instance_.get();
    if (target == nullptr) return;
    Receiving receiving(*this);
    target->receive(event);
  }

  // Peer::replace_instance for the peer this slot's owner implements.
  bool replace(Instance& current, std::unique_ptr<Instance>& next);

 private:
  // Counts the receive() calls under way; the outermost one, when it returns, ends the
  // instances replaced meanwhile (none of them is on the stack any more).
  struct Receiving {
    InstanceSlot& slot;
    explicit Receiving(InstanceSlot& s) : slot(s) { ++slot.receiving_; }
    ~Receiving() {
      if (--slot.receiving_ == 0 && slot.retired_) slot.end_retired();
    }
  };

  void retire(std::unique_ptr<Instance> instance);
  void end_retired();

  std::unique_ptr<Instance> instance_;
  // Instances replaced while a receive() was running; destroyed when the outermost one returns.
  // Allocated only then: the slot sits in every connection's session.
  std::unique_ptr<std::vector<std::unique_ptr<Instance>>> retired_;
  unsigned receiving_ = 0;
};

}  // namespace laurel::asgi
