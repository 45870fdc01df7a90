#include "csv_table.h"

#include <fstream>
#include <sstream>

#include "qyolo/core/error.h"

namespace qyolo::eval {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r"), e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  for (std::string cell; std::getline(ss, cell, ',');) cells.push_back(trim(cell));
  return cells;
}

}  // namespace

size_t CsvTable::column(const std::string& name) const {
  for (size_t c = 0; c < header.size(); ++c)
    if (header[c] == name) return c;
  throw Error(SourceLocation{file.string()}, "has no column '" + name + "'");
}

double CsvTable::number(size_t row, size_t col) const {
  const std::string cell = col < rows[row].size() ? rows[row][col] : "";
  try {
    size_t used = 0;
    const double value = std::stod(cell, &used);
    if (used == cell.size()) return value;
  } catch (const std::exception&) {
  }
  throw Error(SourceLocation{file.string(), line_numbers[row]},
              "column '" + header[col] + "' holds '" + cell + "', expected a number");
}

CsvTable read_csv(const std::filesystem::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(SourceLocation{file.string()}, "cannot open the CSV file");
  CsvTable table;
  table.file = file;
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (trim(line).empty()) continue;
    if (table.header.empty()) {
      table.header = split(line);
    } else {
      table.rows.push_back(split(line));
      table.line_numbers.push_back(line_no);
    }
  }
  if (table.header.empty()) throw Error(SourceLocation{file.string()}, "has no header line");
  return table;
}

}  // namespace qyolo::eval
