// A tqdm-like progress bar: percentage, bar, count, elapsed<remaining, it/s and a postfix.
// On a terminal it redraws one line; otherwise (CI logs, files) it prints a line at every
// 10% and at least every 30 s, so logs stay readable.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <string>

namespace qyolo {

class ProgressBar {
 public:
  // total <= 0 means unknown length (no percentage or ETA).
  ProgressBar(int64_t total, std::string description, std::FILE* out = stderr);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  void update(int64_t n = 1);
  // Text shown after the rate, e.g. running losses "box 0.051 obj 0.032".
  void set_postfix(std::string postfix);
  // Final render and newline; called by the destructor if not called before.
  void close();

  int64_t count() const { return count_; }
  double elapsed_seconds() const;

  // Formats seconds as tqdm does: MM:SS, or H:MM:SS past an hour.
  static std::string format_duration(double seconds);

 private:
  void render(bool final_render);

  int64_t total_;
  int64_t count_ = 0;
  int64_t rendered_count_ = -1;
  std::string description_;
  std::string postfix_;
  std::FILE* out_;
  bool tty_;
  bool enabled_;
  bool closed_ = false;
  int last_decile_ = -1;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_render_;
};

}  // namespace qyolo
