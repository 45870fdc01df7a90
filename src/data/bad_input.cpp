#include "qyolo/data/bad_input.h"

#include <spdlog/spdlog.h>

namespace qyolo::data {
namespace {

std::string plural(int n, const std::string& noun) {
  return std::to_string(n) + " " + noun + (n == 1 ? "" : "s");
}

}  // namespace

void BadInputLog::image_skipped(const SourceLocation& where, const std::string& why) {
  if (strict_) throw Error(where, "bad image (strict data mode): " + why);
  ++counts_.images_skipped;
  events_.push_back({BadInputEvent::Kind::kImageSkipped, where, why});
  if (echo_) spdlog::warn("{}: image skipped: {}", where.str(), why);
}

void BadInputLog::line_dropped(const SourceLocation& where, const std::string& why) {
  if (strict_) throw Error(where, "bad label line (strict data mode): " + why);
  ++counts_.lines_dropped;
  events_.push_back({BadInputEvent::Kind::kLineDropped, where, why});
  if (echo_) spdlog::warn("{}: label line dropped: {}", where.str(), why);
}

void BadInputLog::duplicates_removed(const SourceLocation& where, int count) {
  counts_.duplicates_removed += count;
  events_.push_back({BadInputEvent::Kind::kDuplicatesRemoved, where, std::to_string(count)});
  if (echo_) spdlog::warn("{}: {} removed", where.str(), plural(count, "duplicate label row"));
}

void BadInputLog::replay(const BadInputEvent& event) {
  switch (event.kind) {
    case BadInputEvent::Kind::kImageSkipped:
      image_skipped(event.where, event.why);
      break;
    case BadInputEvent::Kind::kLineDropped:
      line_dropped(event.where, event.why);
      break;
    case BadInputEvent::Kind::kDuplicatesRemoved:
      duplicates_removed(event.where, std::stoi(event.why));
      break;
  }
}

std::string BadInputLog::summary() const {
  if (!counts_.any_problem()) return {};
  return plural(counts_.images_skipped, "image") + " skipped, " +
         plural(counts_.lines_dropped, "label line") + " dropped: see log";
}

}  // namespace qyolo::data
