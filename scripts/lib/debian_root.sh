# shellcheck shell=bash
# Debian root file systems made with mmdebstrap from the host's own Debian mirror, for the checks
# that build or run qyolo on another Debian release (check_debian13.sh) or on a machine with
# nothing installed (check_fresh_machine.sh). Sourced, not run. The caller sets ROOT (the root's
# folder) and SUITE (bookworm, trixie, ...) and runs as root (chroot, mount --bind).

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

# Called as require_root "$0" "$@": runs the script again under sudo when it is not root, or
# exits 2 when there is no sudo.
require_root() {
  [ "$(id -u)" -eq 0 ] && return 0
  if command -v sudo >/dev/null 2>&1; then exec sudo -E bash "$@"; fi
  echo "[$SUITE] needs root: chroot and mount --bind" >&2
  exit 2
}

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

in_root() {
  chroot "$ROOT" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM="${TERM:-dumb}" \
    NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# The root trusts the certificate authorities the host's administrator added (e.g. of a TLS proxy
# in front of the npm registry), the way Debian installs local ones.
trust_host_local_cas() {
  [ -d /usr/local/share/ca-certificates ] || return 0
  mkdir -p "$ROOT/usr/local/share/ca-certificates"
  cp -rL /usr/local/share/ca-certificates/. "$ROOT/usr/local/share/ca-certificates/"
  in_root update-ca-certificates >/dev/null
}

# Removes $ROOT and makes a new minimal $SUITE root there (apt and ca-certificates only).
make_root() {
  local mirror security sources
  mirror=$(host_debian_sources | awk '$2 == "archive" && $1 ~ /\/debian\/?$/ { print $1; exit }')
  security=$(host_debian_sources | awk '$2 == "security" { print $1; exit }')
  if [ -z "$mirror" ]; then
    echo "[$SUITE] no Debian mirror (a URI ending in /debian) in the host's apt sources" >&2
    exit 2
  fi
  if ! command -v mmdebstrap >/dev/null 2>&1; then
    echo "[$SUITE] installing mmdebstrap on the host"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap ||
      { apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends mmdebstrap; }
  fi
  unmount_root
  if [ -n "$(mounts_under_root)" ]; then
    echo "[$SUITE] $ROOT still has mounts; not removing it" >&2
    exit 1
  fi
  rm -rf --one-file-system "$ROOT"
  echo "[$SUITE] making a $SUITE root in $ROOT"
  sources=("deb $mirror $SUITE main" "deb $mirror $SUITE-updates main")
  [ -n "$security" ] && sources+=("deb $security $SUITE-security main")
  mmdebstrap --mode=root --variant=apt --include=ca-certificates "$SUITE" "$ROOT" "${sources[@]}"
  # Every installed Debian machine resolves localhost through /etc/hosts (the installer writes it);
  # a minimal Debian 12 root has none, and c10d's rendezvous on "localhost" would fail there.
  if [ ! -f "$ROOT/etc/hosts" ]; then
    printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
  fi
}

# Phase timings: end_phase NAME appends "NAME <seconds since the last phase>s" to $timings.
phase_start=$SECONDS
timings=()
end_phase() {
  timings+=("$1 $((SECONDS - phase_start))s")
  phase_start=$SECONDS
}
