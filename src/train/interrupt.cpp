#include "qyolo/train/interrupt.h"

#include <c10/util/Exception.h>

#include <atomic>

namespace qyolo::train {
namespace {

volatile std::sig_atomic_t g_interrupt_signal = 0;
std::atomic<bool> g_interrupt_handler_installed{false};

extern "C" void on_interrupt_signal(int signal_number) {
  if (g_interrupt_signal != 0) {
    // Second signal: the user insists, end the process the way the signal normally does.
    std::signal(signal_number, SIG_DFL);
    std::raise(signal_number);
    return;
  }
  g_interrupt_signal = signal_number;
}

}  // namespace

InterruptHandler::InterruptHandler() {
  TORCH_CHECK(!g_interrupt_handler_installed.exchange(true),
              "only one InterruptHandler may be installed at a time");
  g_interrupt_signal = 0;
  struct sigaction action {};
  action.sa_handler = on_interrupt_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = SA_RESTART;  // file writes and waits continue after the handler
  for (auto& [signal_number, previous] : previous_) {
    sigaction(signal_number, nullptr, &previous);
    // A signal the parent ignores stays ignored (a background job of a script is not meant to
    // stop on the terminal's Ctrl-C).
    if (previous.sa_handler != SIG_IGN) sigaction(signal_number, &action, nullptr);
  }
}

InterruptHandler::~InterruptHandler() {
  for (const auto& [signal_number, previous] : previous_)
    sigaction(signal_number, &previous, nullptr);
  g_interrupt_handler_installed = false;
}

int InterruptHandler::signal_number() const { return g_interrupt_signal; }

std::string signal_name(int signal_number) {
  switch (signal_number) {
    case SIGINT:
      return "SIGINT";
    case SIGTERM:
      return "SIGTERM";
    default:
      return "signal " + std::to_string(signal_number);
  }
}

}  // namespace qyolo::train
