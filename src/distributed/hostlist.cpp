#include "qyolo/distributed/hostlist.h"

#include <cstdint>
#include <string>
#include <vector>

#include "qyolo/core/error.h"

namespace qyolo::distributed {
namespace {

[[noreturn]] void fail(const std::string& hostlist, const std::string& why) {
  throw UsageError("cannot read the SLURM host list \"" + hostlist + "\": " + why +
                   " (expected names like node01,node[02-04,07],rack[1-2]-n[1-8])");
}

// The numbers of one bracket group "01-04,07" as strings with the padding of their bounds.
std::vector<std::string> expand_group(const std::string& group, const std::string& hostlist) {
  std::vector<std::string> values;
  size_t start = 0;
  while (start <= group.size()) {
    size_t end = group.find(',', start);
    if (end == std::string::npos) end = group.size();
    const std::string item = group.substr(start, end - start);
    const size_t dash = item.find('-');
    const std::string low = item.substr(0, dash);
    const std::string high = dash == std::string::npos ? low : item.substr(dash + 1);
    const auto is_number = [](const std::string& s) {
      return !s.empty() && s.size() <= 18 && s.find_first_not_of("0123456789") == std::string::npos;
    };
    if (!is_number(low) || !is_number(high))
      fail(hostlist, "\"" + item + "\" is not a number or range");
    const int64_t first = std::stoll(low);
    const int64_t last = std::stoll(high);
    if (last < first) fail(hostlist, "range \"" + item + "\" runs backwards");
    if (last - first > 100000) fail(hostlist, "range \"" + item + "\" is implausibly large");
    const size_t width = low.size();
    for (int64_t v = first; v <= last; ++v) {
      std::string digits = std::to_string(v);
      if (digits.size() < width) digits.insert(0, width - digits.size(), '0');
      values.push_back(digits);
    }
    start = end + 1;
  }
  return values;
}

// All names of one entry such as "rack[1-2]-n[1-3]" (cartesian product, leftmost group slowest).
std::vector<std::string> expand_entry(const std::string& entry, const std::string& hostlist) {
  std::vector<std::string> names{""};
  size_t pos = 0;
  while (pos < entry.size()) {
    const size_t open = entry.find('[', pos);
    const std::string literal =
        entry.substr(pos, open == std::string::npos ? std::string::npos : open - pos);
    if (literal.find(']') != std::string::npos) fail(hostlist, "unmatched ']'");
    for (auto& name : names) name += literal;
    if (open == std::string::npos) break;
    const size_t close = entry.find(']', open);
    if (close == std::string::npos) fail(hostlist, "unmatched '['");
    const auto values = expand_group(entry.substr(open + 1, close - open - 1), hostlist);
    std::vector<std::string> next;
    next.reserve(names.size() * values.size());
    for (const auto& name : names) {
      for (const auto& value : values) next.push_back(name + value);
    }
    names = std::move(next);
    pos = close + 1;
  }
  return names;
}

}  // namespace

std::vector<std::string> expand_hostlist(const std::string& hostlist) {
  std::vector<std::string> hosts;
  size_t start = 0;
  int depth = 0;
  for (size_t i = 0; i <= hostlist.size(); ++i) {
    const char c = i < hostlist.size() ? hostlist[i] : ',';
    if (c == '[') ++depth;
    if (c == ']') --depth;
    if (depth < 0 || depth > 1) fail(hostlist, "brackets are unbalanced or nested");
    if (c == ',' && depth == 0) {
      const std::string entry = hostlist.substr(start, i - start);
      if (entry.empty()) fail(hostlist, "empty host name");
      for (auto& host : expand_entry(entry, hostlist)) hosts.push_back(std::move(host));
      start = i + 1;
    }
  }
  if (depth != 0) fail(hostlist, "unmatched '['");
  return hosts;
}

}  // namespace qyolo::distributed
