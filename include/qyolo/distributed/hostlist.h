// SLURM's compressed host lists ("node[01-04,07],gpu-a[1-2]") expanded to host names.
#pragma once

#include <string>
#include <vector>

namespace qyolo::distributed {

// Expands a SLURM host list in order: comma-separated entries, each with any number of bracket
// groups of single numbers and ranges; zero padding of a range's bounds is kept
// ("n[08-10]" -> n08 n09 n10). Throws qyolo::UsageError on malformed input.
std::vector<std::string> expand_hostlist(const std::string& hostlist);

}  // namespace qyolo::distributed
