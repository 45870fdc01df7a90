// Reading the small CSV files the trainer writes (results.csv, oscillation.csv) for plotting.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace qyolo::eval {

struct CsvTable {
  std::filesystem::path file;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;  // trimmed cells; blank lines skipped
  std::vector<int> line_numbers;               // of each row in the file, for messages

  // Index of the column named `name`; throws qyolo::Error naming the file when it is missing.
  size_t column(const std::string& name) const;
  // Cell (`row`, `col`) as a number; throws qyolo::Error naming file, line and column otherwise.
  double number(size_t row, size_t col) const;
};

// Throws qyolo::Error when the file cannot be read or has no header.
CsvTable read_csv(const std::filesystem::path& file);

}  // namespace qyolo::eval
