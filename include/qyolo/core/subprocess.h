// Running another program without a shell: each argument reaches it as it is, so paths holding
// quotes, spaces or other characters a shell would interpret need no quoting.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace qyolo {

struct ProcessOutput {
  int exit_code = 0;  // 128 + the signal number when a signal ended the process
  std::string out;    // what it wrote to its standard output
};

// Runs the program at path argv[0] (not looked up in PATH) with arguments argv[1...] and waits
// for it. Its standard error is this process's. Throws qyolo::Error when it cannot be started.
ProcessOutput run_process(const std::vector<std::string>& argv);

// argv joined by spaces, for messages.
std::string describe_command(const std::vector<std::string>& argv);

// The file this process was started from (/proc/self/exe, links resolved).
std::filesystem::path current_executable();

}  // namespace qyolo
