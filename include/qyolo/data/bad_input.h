// Accounting of bad images and label lines found while scanning a data set: each problem is
// logged once with its location and skipped, and the scan ends with one summary line. Strict
// mode turns the first problem into a qyolo::Error instead.
#pragma once

#include <string>
#include <vector>

#include "qyolo/core/error.h"

namespace qyolo::data {

struct BadInputCounts {
  int images_skipped = 0;      // unreadable, corrupt, truncated or too small images
  int lines_dropped = 0;       // label lines with bad columns, class ids, coordinates or segments
  int duplicates_removed = 0;  // identical label rows beyond the first
  int missing_labels = 0;      // images without a label file (kept as background)
  int empty_labels = 0;        // images with an empty label file (kept as background)

  bool any_problem() const { return images_skipped > 0 || lines_dropped > 0; }
};

// One reported problem, kept so that a cached scan can report it again on later runs.
struct BadInputEvent {
  enum class Kind { kImageSkipped, kLineDropped, kDuplicatesRemoved };
  Kind kind = Kind::kImageSkipped;
  SourceLocation where;
  std::string why;  // for duplicates: the number removed
};

class BadInputLog {
 public:
  // `echo`: log each problem as it is reported (off while collecting problems to replay later).
  explicit BadInputLog(bool strict, bool echo = true) : strict_(strict), echo_(echo) {}

  // A bad image: logged as a warning and counted, or thrown under strict mode.
  void image_skipped(const SourceLocation& where, const std::string& why);
  // A bad label line: logged as a warning and counted, or thrown under strict mode.
  void line_dropped(const SourceLocation& where, const std::string& why);
  // Duplicates are harmless (ultralytics removes them with a warning), even under strict mode.
  void duplicates_removed(const SourceLocation& where, int count);
  void missing_labels() { ++counts_.missing_labels; }
  void empty_labels() { ++counts_.empty_labels; }

  // Reports `event` again, as image_skipped / line_dropped / duplicates_removed would.
  void replay(const BadInputEvent& event);

  const std::vector<BadInputEvent>& events() const { return events_; }

  const BadInputCounts& counts() const { return counts_; }
  bool strict() const { return strict_; }

  // "3 images skipped, 5 label lines dropped: see log" (empty when nothing was skipped).
  std::string summary() const;

 private:
  bool strict_;
  bool echo_;
  BadInputCounts counts_;
  std::vector<BadInputEvent> events_;
};

}  // namespace qyolo::data
