#!/usr/bin/env bash
# Configures and builds qyolo (Release by default) into ./build.
#   BUILD_TYPE=Debug scripts/build.sh        another build type
#   BUILD_DIR=out scripts/build.sh           another build folder
#   JOBS=4 scripts/build.sh                  parallel jobs (default: all cores)
#   SANITIZE=address scripts/build.sh        AddressSanitizer + UndefinedBehaviorSanitizer, in build-asan
#   SANITIZE=thread scripts/build.sh         ThreadSanitizer, in build-tsan
#   CMAKE_ARGS="-DCMAKE_PREFIX_PATH=/opt/libtorch" scripts/build.sh   extra configure arguments
# Extra arguments are passed to `cmake --build` (e.g. --target qyolo_cli).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD_TYPE=${BUILD_TYPE:-Release}
JOBS=${JOBS:-$(nproc)}
SANITIZE=${SANITIZE:-}
# shellcheck disable=SC2206
EXTRA=(${CMAKE_ARGS:-})
case "$SANITIZE" in
  "") BUILD_DIR=${BUILD_DIR:-build} ;;
  address)
    BUILD_DIR=${BUILD_DIR:-build-asan}
    BUILD_TYPE=RelWithDebInfo
    EXTRA+=(-DQYOLO_SANITIZE=address) ;;
  thread)
    BUILD_DIR=${BUILD_DIR:-build-tsan}
    BUILD_TYPE=RelWithDebInfo
    EXTRA+=(-DQYOLO_SANITIZE=thread) ;;
  *) echo "[build] SANITIZE must be address or thread (got '$SANITIZE')" >&2; exit 2 ;;
esac
GENERATOR=()
command -v ninja >/dev/null 2>&1 && GENERATOR=(-G Ninja)

if [ ! -f "$BUILD_DIR/CMakeCache.txt" ]; then
  cmake -S . -B "$BUILD_DIR" "${GENERATOR[@]}" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${EXTRA[@]}"
else
  cmake -S . -B "$BUILD_DIR" -DCMAKE_BUILD_TYPE="$BUILD_TYPE" "${EXTRA[@]}" >/dev/null
fi
cmake --build "$BUILD_DIR" -j "$JOBS" "$@"
echo "[build] qyolo built in $BUILD_DIR"
