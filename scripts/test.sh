#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds qyolo and runs every test (unit, parity and e2e).
#   scripts/test.sh                      everything
#   scripts/test.sh -L e2e               only the end-to-end tests (any ctest arguments work)
#   scripts/test.sh -LE e2e              everything but the slow end-to-end tests
#   SANITIZE=address scripts/test.sh     the suite under AddressSanitizer + UndefinedBehaviorSanitizer
#   SANITIZE=thread scripts/test.sh -L 'data|distributed'   the concurrent parts (loader workers,
#                                        FashionDet generation, c10d) under ThreadSanitizer
# The reference fixtures are read from tests/fixtures ($QYOLO_FIXTURES overrides).
# Sanitizer reports fail the test that triggers them; tests/sanitizers/ holds the suppressions of
# reports proven to come from system libraries, each with its reason.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

bash scripts/setup.sh
bash scripts/build.sh
case "${SANITIZE:-}" in
  "") BUILD_DIR=${BUILD_DIR:-build} ;;
  address)
    BUILD_DIR=${BUILD_DIR:-build-asan}
    export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:${ASAN_OPTIONS:-}"
    export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:suppressions=$ROOT/tests/sanitizers/ubsan.supp:${UBSAN_OPTIONS:-}" ;;
  thread)
    BUILD_DIR=${BUILD_DIR:-build-tsan}
    export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:suppressions=$ROOT/tests/sanitizers/tsan.supp:${TSAN_OPTIONS:-}" ;;
esac
cd "$BUILD_DIR"
ctest --output-on-failure --timeout 1800 -j "$(nproc)" "$@"
