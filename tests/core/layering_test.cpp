// The layering CMakeLists.txt declares (qyolo_module(<name> DEPS ...)) holds in the sources: a
// module's files include headers of the modules it depends on, directly or through others, and of
// no other module. docs/ARCHITECTURE.md draws the same graph.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "support/test_support.h"

namespace qyolo {
namespace {

namespace fs = std::filesystem;
using Graph = std::map<std::string, std::set<std::string>>;

// module -> the qyolo modules named in its DEPS.
Graph declared_dependencies() {
  const std::string cmake = test::read_text(test::source_dir() / "CMakeLists.txt");
  const std::regex module(R"(qyolo_module\((\w+)\s+DEPS([^)]*)\))");
  const std::regex dependency(R"(qyolo_(\w+))");
  Graph graph;
  for (auto it = std::sregex_iterator(cmake.begin(), cmake.end(), module);
       it != std::sregex_iterator(); ++it) {
    auto& deps = graph[(*it)[1]];
    const std::string list = (*it)[2];
    for (auto d = std::sregex_iterator(list.begin(), list.end(), dependency);
         d != std::sregex_iterator(); ++d) {
      deps.insert((*d)[1]);
    }
  }
  return graph;
}

std::set<std::string> reachable(const Graph& graph, const std::string& from) {
  std::set<std::string> seen{from};
  std::vector<std::string> todo{from};
  while (!todo.empty()) {
    const std::string m = todo.back();
    todo.pop_back();
    const auto it = graph.find(m);
    if (it == graph.end()) continue;
    for (const auto& d : it->second) {
      if (seen.insert(d).second) todo.push_back(d);
    }
  }
  return seen;
}

TEST(Layering, EveryIncludeFollowsTheDeclaredModuleGraph) {
  const Graph graph = declared_dependencies();
  ASSERT_GE(graph.size(), 8u) << "qyolo_module(...) lines not found in CMakeLists.txt";
  ASSERT_EQ(graph.at("train").count("eval"), 1u);  // the one upward-looking edge, by design
  const std::regex include(R"(^\s*#\s*include\s+"qyolo/(\w+)/)");
  int files = 0;
  for (const auto& [module, deps] : graph) {
    const std::set<std::string> allowed = reachable(graph, module);
    for (const fs::path root :
         {test::source_dir() / "src" / module, test::source_dir() / "include" / "qyolo" / module}) {
      if (!fs::exists(root)) continue;
      for (const auto& entry : fs::recursive_directory_iterator(root)) {
        if (!entry.is_regular_file()) continue;
        ++files;
        std::ifstream in(entry.path());
        std::string line;
        for (int number = 1; std::getline(in, line); ++number) {
          std::smatch m;
          if (!std::regex_search(line, m, include) || !graph.count(m[1])) continue;
          EXPECT_TRUE(allowed.count(m[1]))
              << entry.path().string() << ":" << number << ": " << module << " includes " << m[1]
              << ", which is not among its dependencies in CMakeLists.txt";
        }
      }
    }
  }
  EXPECT_GT(files, 100);
}

}  // namespace
}  // namespace qyolo
