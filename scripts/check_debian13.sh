#!/usr/bin/env bash
# Builds qyolo from the current tree against Debian 13 "trixie" (LibTorch 2.6) and runs its test
# suite there, in a trixie root file system made with mmdebstrap from the host's Debian mirror.
#   bash scripts/check_debian13.sh              make or reuse the root, build, run every test
#   bash scripts/check_debian13.sh -LE e2e      ctest arguments are passed on
#   QYOLO_TRIXIE_ROOT=/path                     where the root lives
#                                               (default ${XDG_CACHE_HOME:-$HOME/.cache}/qyolo/trixie-root)
#   QYOLO_TRIXIE_FRESH=1                        throw the cached root away and make a new one
#   JOBS=2                                      build and test jobs (default 1), run under nice -n 10
# Needs root (chroot, mount --bind) and a Debian host whose apt sources name a Debian mirror; the
# mirror's URI is read from them. The export tests' onnxruntime-node comes from the npm registry,
# as in scripts/setup.sh. Exit code 0 when everything passed, 1 otherwise, 2 on a usage error.
# On a 2-core machine the first run takes about 50 minutes (10 of them downloading and installing
# packages) and a run on the cached root about 20, mostly the tests (docs/BENCHMARKS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD

ROOT=${QYOLO_TRIXIE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/qyolo/trixie-root}
JOBS=${JOBS:-1}
SUITE=trixie
# shellcheck source=scripts/lib/debian_root.sh
source scripts/lib/debian_root.sh
require_root "$0" "$@"
READY=$ROOT/.qyolo-root-ready
LOG_DIR=$(dirname "$ROOT")
LOG=$LOG_DIR/check_debian13.log
mkdir -p "$LOG_DIR"
# One check at a time per root: a second one would copy over the tree the first one builds.
exec 9>"$ROOT.lock"
flock -n 9 || { echo "[trixie] another check is using $ROOT" >&2; exit 1; }
trap unmount_root EXIT

if [ "${QYOLO_TRIXIE_FRESH:-0}" = 1 ] || [ ! -f "$READY" ]; then
  make_root
  touch "$READY"
  end_phase "root"
fi

# --- the tree -----------------------------------------------------------------------------------
# The current tree (tracked and new files, not ignored ones) is copied to /qyolo in the root, with
# modification times kept so that a cached run only recompiles what changed. The root's own build
# folder (build-trixie) and npm packages stay between runs.
mkdir -p "$ROOT/qyolo"
(cd "$SRC" && git ls-files -z --cached --others --exclude-standard |
  while IFS= read -r -d '' f; do if [ -e "$f" ]; then printf '%s\n' "$f"; fi; done) |
  sort >"$LOG_DIR/tree.list"
(cd "$SRC" && tar -cf - -T "$LOG_DIR/tree.list") | tar -xf - -C "$ROOT/qyolo"
(cd "$ROOT/qyolo" && find . -path ./build-trixie -prune -o -path ./tools/ort/node_modules -prune \
  -o -path ./tools/ort/package-lock.json -prune -o -type f -print | sed 's|^\./||' | sort) |
  comm -23 - "$LOG_DIR/tree.list" | (cd "$ROOT/qyolo" && xargs -r -d '\n' rm -f)
end_phase "copy"

mount_root
trust_host_local_cas
# setup.sh installs the same package list in the root as on a developer's machine; it is a no-op
# on a root that has them.
in_root bash /qyolo/scripts/setup.sh
end_phase "packages"

# shellcheck disable=SC2016  # expanded by dpkg-query and by the root's shell, not here
torch_version=$(in_root dpkg-query -W -f='${Version}' libtorch-dev)
echo "[trixie] building qyolo against libtorch-dev $torch_version"
build_status=0
in_root bash -c "cd /qyolo && JOBS=$JOBS BUILD_DIR=build-trixie nice -n 10 bash scripts/build.sh" ||
  build_status=$?
end_phase "build"

test_status=1
if [ "$build_status" -eq 0 ]; then
  set +e
  # shellcheck disable=SC2016
  in_root bash -c 'cd /qyolo/build-trixie && nice -n 10 ctest --output-on-failure --timeout 1800 -j "$0" "$@"' \
    "$JOBS" "$@" 2>&1 | tee "$LOG"
  test_status=${PIPESTATUS[0]}
  set -e
  end_phase "tests"
fi

echo
echo "== Debian 13 ($SUITE) check: libtorch-dev $torch_version =="
echo "   root: $ROOT"
echo "   time: ${timings[*]}"
if [ "$build_status" -ne 0 ]; then
  echo "   FAIL: the build failed (exit $build_status)"
  exit 1
fi
grep -E "tests passed|tests failed" "$LOG" | sed 's/^/   /' || true
if [ "$test_status" -ne 0 ]; then
  echo "   FAIL: see $LOG"
  exit 1
fi
echo "   PASS"
