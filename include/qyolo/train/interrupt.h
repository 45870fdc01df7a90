// Ctrl-C (SIGINT) and SIGTERM during training. The first signal asks the run to stop at the next
// batch boundary, so the last checkpoint written stays the valid resume point and the run says
// how to resume; a second signal ends the process at once, as the default action would. A signal
// the process inherited as ignored (a background job of a script) stays ignored.
#pragma once

#include <csignal>
#include <string>
#include <utility>

namespace qyolo::train {

class InterruptHandler {
 public:
  // Installs the handlers (one InterruptHandler at a time); the destructor restores the
  // previous ones.
  InterruptHandler();
  ~InterruptHandler();
  InterruptHandler(const InterruptHandler&) = delete;
  InterruptHandler& operator=(const InterruptHandler&) = delete;

  // The signal received since construction (SIGINT or SIGTERM), 0 when none.
  int signal_number() const;
  bool requested() const { return signal_number() != 0; }

 private:
  std::pair<int, struct sigaction> previous_[2] = {{SIGINT, {}}, {SIGTERM, {}}};
};

// "SIGINT", "SIGTERM" or "signal N".
std::string signal_name(int signal_number);

}  // namespace qyolo::train
