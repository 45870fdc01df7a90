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

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then exec sudo -E bash "$0" "$@"; fi
  echo "[trixie] needs root: chroot and mount --bind" >&2
  exit 2
fi

ROOT=${QYOLO_TRIXIE_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/qyolo/trixie-root}
JOBS=${JOBS:-1}
SUITE=trixie
READY=$ROOT/.qyolo-root-ready
LOG_DIR=$(dirname "$ROOT")
LOG=$LOG_DIR/check_debian13.log
mkdir -p "$LOG_DIR"
# One check at a time per root: a second one would copy over the tree the first one builds.
exec 9>"$ROOT.lock"
flock -n 9 || { echo "[trixie] another check is using $ROOT" >&2; exit 1; }

phase_start=$SECONDS
timings=()
end_phase() { # name
  timings+=("$1 $((SECONDS - phase_start))s")
  phase_start=$SECONDS
}

# --- the host's Debian mirror -------------------------------------------------------------------
# Prints "<uri> <kind>" for each Debian source of the host, kind being "archive" or "security".
host_debian_sources() {
  local f
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk 'BEGIN { RS = ""; FS = "\n" }
         {
           uris = ""; suites = ""; types = ""
           for (i = 1; i <= NF; i++) {
             if ($i ~ /^URIs:/)   { uris = $i;   sub(/^URIs:[ \t]*/, "", uris) }
             if ($i ~ /^Suites:/) { suites = $i; sub(/^Suites:[ \t]*/, "", suites) }
             if ($i ~ /^Types:/)  { types = $i }
           }
           if (types !~ /(^|[ \t])deb([ \t]|$)/ || uris == "") next
           split(uris, u, /[ \t]+/)
           print u[1], (suites ~ /-security/ ? "security" : "archive")
         }' "$f"
  done
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -e 's/#.*//' -e 's/\[[^]]*\]//' "$f" |
      awk '$1 == "deb" && NF >= 3 { print $2, ($3 ~ /-security/ ? "security" : "archive") }'
  done
}

MIRROR=$(host_debian_sources | awk '$2 == "archive" && $1 ~ /\/debian\/?$/ { print $1; exit }')
SECURITY=$(host_debian_sources | awk '$2 == "security" { print $1; exit }')
if [ -z "$MIRROR" ]; then
  echo "[trixie] no Debian mirror (a URI ending in /debian) in the host's apt sources" >&2
  exit 2
fi

# --- mounts -------------------------------------------------------------------------------------
mounts_under_root() { awk -v r="$ROOT/" 'index($2, r) == 1 { print $2 }' /proc/mounts | sort -r; }
unmount_root() {
  local m
  for m in $(mounts_under_root); do umount -l "$m" 2>/dev/null || true; done
}
mount_root() {
  mount -t proc proc "$ROOT/proc"
  mount --bind /sys "$ROOT/sys"
  mount --bind /dev "$ROOT/dev"
  mount -t devpts -o newinstance,ptmxmode=0666 devpts "$ROOT/dev/pts" 2>/dev/null || true
  cp -L /etc/resolv.conf "$ROOT/etc/resolv.conf"
}

# The root trusts the certificate authorities the host's administrator added (e.g. of a TLS proxy
# in front of the npm registry), the way Debian installs local ones.
trust_host_local_cas() {
  [ -d /usr/local/share/ca-certificates ] || return 0
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp -rL /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
  in_root update-ca-certificates >/dev/null
}
trap unmount_root EXIT

in_root() {
  chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# --- the root file system -----------------------------------------------------------------------
if ! command -v mmdebstrap >/dev/null 2>&1; then
  echo "[trixie] installing mmdebstrap on the host"
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap ||
    { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap; }
fi

if [ "${QYOLO_TRIXIE_FRESH:-0}" = 1 ] || [ ! -f "$READY" ]; then
  unmount_root
  if [ -n "$(mounts_under_root)" ]; then
    echo "[trixie] $ROOT still has mounts; not removing it" >&2
    exit 1
  fi
  rm -rf --one-file-system "$ROOT"
  echo "[trixie] making a $SUITE root in $ROOT"
  sources=("deb $MIRROR $SUITE main" "deb $MIRROR $SUITE-updates main")
  [ -n "$SECURITY" ] && sources+=("deb $SECURITY $SUITE-security main")
  mmdebstrap --mode=root --variant=apt --include=ca-certificates "$SUITE" "$ROOT" "${sources[@]}"
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
