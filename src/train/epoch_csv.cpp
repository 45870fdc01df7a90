#include "qyolo/train/epoch_csv.h"

#include <fstream>
#include <sstream>
#include <string>

#include "qyolo/core/checkpoint.h"

namespace qyolo::train {

int keep_epoch_rows_through(const std::filesystem::path& csv, int last_epoch) {
  std::ifstream in(csv);
  if (!in) return 0;
  std::string line, kept;
  int dropped = 0;
  if (std::getline(in, line)) kept += line + '\n';  // the header
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    std::istringstream cell(line);
    int epoch = 0;
    // A torn last line (no epoch cell) is dropped with the rows after the checkpoint.
    if (cell >> epoch && epoch <= last_epoch && cell.peek() == ',') {
      kept += line + '\n';
    } else {
      ++dropped;
    }
  }
  in.close();
  if (dropped > 0) write_file_atomic(csv, kept);
  return dropped;
}

}  // namespace qyolo::train
