// The per-epoch CSV files of a run (results.csv, oscillation.csv): a header line, then rows
// whose first cell is the epoch they describe.
#pragma once

#include <filesystem>

namespace qyolo::train {

// Keeps the header and the rows of epochs <= `last_epoch` and drops the others, rewriting the
// file atomically; returns how many rows were dropped (0 leaves the file untouched). A run
// killed after appending an epoch's row but before writing that epoch's checkpoint leaves a row
// that resuming would append again. A missing file is no error.
int keep_epoch_rows_through(const std::filesystem::path& csv, int last_epoch);

}  // namespace qyolo::train
