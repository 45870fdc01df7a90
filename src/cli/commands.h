// Registration of the CLI subcommands. Each add_* lives in its own file (src/cli/<name>.cpp),
// declares its flags and returns the function that runs it once the command line is parsed.
#pragma once

#include <CLI/CLI.hpp>
#include <functional>
#include <vector>

namespace qyolo::cli {

struct Command {
  CLI::App* app;             // the subcommand, to see whether it was chosen
  std::function<int()> run;  // returns the process exit code
};

Command add_train(CLI::App& app);
Command add_correct(CLI::App& app);
Command add_eval(CLI::App& app);
Command add_export(CLI::App& app);
Command add_detect(CLI::App& app);
Command add_info(CLI::App& app);
Command add_data(CLI::App& app);
Command add_bench(CLI::App& app);

}  // namespace qyolo::cli
