#!/usr/bin/env bash
# Sets up a fresh Debian machine, builds qyolo and runs every test (unit, parity and e2e).
#   scripts/test.sh                 everything
#   scripts/test.sh -L e2e          only the end-to-end tests (any ctest arguments work)
#   scripts/test.sh -LE e2e         everything but the slow end-to-end tests
# The reference fixtures are read from tests/fixtures ($QYOLO_FIXTURES overrides).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure --timeout 1800 -j "$(nproc)" "$@"
