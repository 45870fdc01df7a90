#include "qyolo/core/progress.h"

#include <unistd.h>

#include <cmath>

#include "qyolo/core/logging.h"

namespace qyolo {
namespace {
constexpr int kBarWidth = 20;
constexpr double kTtyRefreshSeconds = 0.1;
constexpr double kLogIntervalSeconds = 30.0;
}  // namespace

ProgressBar::ProgressBar(int64_t total, std::string description, std::FILE* out)
    : total_(total),
      description_(std::move(description)),
      out_(out),
      tty_(isatty(fileno(out)) != 0),
      enabled_(logging::verbosity() != logging::Verbosity::kQuiet),
      start_(std::chrono::steady_clock::now()),
      last_render_(start_) {}

ProgressBar::~ProgressBar() { close(); }

double ProgressBar::elapsed_seconds() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
}

std::string ProgressBar::format_duration(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(seconds);
  char buf[32];
  if (s >= 3600) {
    std::snprintf(buf, sizeof(buf), "%ld:%02ld:%02ld", static_cast<long>(s / 3600),
                  static_cast<long>(s / 60 % 60), static_cast<long>(s % 60));
  } else {
    std::snprintf(buf, sizeof(buf), "%02ld:%02ld", static_cast<long>(s / 60),
                  static_cast<long>(s % 60));
  }
  return buf;
}

void ProgressBar::update(int64_t n) {
  count_ += n;
  const auto now = std::chrono::steady_clock::now();
  const double since = std::chrono::duration<double>(now - last_render_).count();
  if (tty_) {
    if (since >= kTtyRefreshSeconds || count_ == total_) render(false);
    return;
  }
  const int decile = total_ > 0 ? static_cast<int>(10 * count_ / total_) : -1;
  if (decile != last_decile_ || since >= kLogIntervalSeconds) {
    last_decile_ = decile;
    render(false);
  }
}

void ProgressBar::set_postfix(std::string postfix) { postfix_ = std::move(postfix); }

void ProgressBar::close() {
  if (closed_) return;
  closed_ = true;
  // A log line for the final count was already written by update().
  if (!tty_ && rendered_count_ == count_) return;
  render(true);
}

void ProgressBar::render(bool final_render) {
  last_render_ = std::chrono::steady_clock::now();
  rendered_count_ = count_;
  if (!enabled_) return;
  const double elapsed = elapsed_seconds();
  const double rate = elapsed > 0 ? count_ / elapsed : 0.0;
  std::string line = description_.empty() ? "" : description_ + ": ";
  if (total_ > 0) {
    const double frac = std::min(1.0, static_cast<double>(count_) / total_);
    char pct[8];
    std::snprintf(pct, sizeof(pct), "%3d%%", static_cast<int>(frac * 100));
    line += pct;
    line += "|";
    const int full = static_cast<int>(frac * kBarWidth);
    for (int i = 0; i < kBarWidth; ++i) line += i < full ? "\u2588" : " ";
    line += "| " + std::to_string(count_) + "/" + std::to_string(total_);
    const double remaining = rate > 0 ? (total_ - count_) / rate : NAN;
    line += " [" + format_duration(elapsed) + "<" + format_duration(remaining);
  } else {
    line += std::to_string(count_) + " [" + format_duration(elapsed);
  }
  char r[32];
  if (rate >= 1.0 || rate == 0.0) {
    std::snprintf(r, sizeof(r), ", %.2fit/s]", rate);
  } else {
    std::snprintf(r, sizeof(r), ", %.2fs/it]", 1.0 / rate);
  }
  line += r;
  if (!postfix_.empty()) line += " " + postfix_;
  if (tty_) {
    std::fprintf(out_, "\r%s\033[K%s", line.c_str(), final_render ? "\n" : "");
  } else {
    std::fprintf(out_, "%s\n", line.c_str());
  }
  std::fflush(out_);
}

}  // namespace qyolo
