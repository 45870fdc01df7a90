#!/usr/bin/env bash
# Configures and builds qyolo (Release by default) into ./build.
#   BUILD_TYPE=Debug scripts/build.sh        another build type
#   BUILD_DIR=out scripts/build.sh           another build folder
#   JOBS=4 scripts/build.sh                  parallel jobs (default: all cores)
# Extra arguments are passed to `cmake --build` (e.g. --target qyolo_cli).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_DIR=${BUILD_DIR:-build}
BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-$(nproc)}
GENERATOR=()
command -v ninja >/dev/null 2>&1 && GENERATOR=(-G Ninja)

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE="$BUILD_TYPE"
else
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$JOBS" "$@"
echo "[build] qyolo built: $BUILD_DIR/bin/qyolo"
