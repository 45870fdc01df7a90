#!/usr/bin/env bash
# A new user's first run, on a machine with nothing installed: makes a new Debian root (Debian 12
# "bookworm" by default) with mmdebstrap from the host's Debian mirror, clones the committed tree
# (HEAD) into it as a user would, and runs the README's two commands there, each from its own
# fresh clone: `bash scripts/quickstart.sh`, then `bash scripts/test.sh`. A missing install step
# that a developer's machine hides fails here. Prints each command's exit code and wall time.
#   bash scripts/check_fresh_machine.sh                          Debian 12, both commands
#   COMMANDS=quickstart bash scripts/check_fresh_machine.sh      only one of them
#   SUITE=trixie bash scripts/check_fresh_machine.sh             Debian 13
#   QYOLO_FRESH_ROOT=/path                                       where the root is made
#                    (default ${XDG_CACHE_HOME:-$HOME/.cache}/qyolo/fresh-<suite>-root; remade on
#                    every run, so it never holds what an earlier run installed)
# Environment variables of the quickstart (FP_EPOCHS, TRAIN_IMAGES, ...) are passed on.
# Needs root (chroot, mount --bind). Logs: <root>.<command>.log. Exit code 0 when every command
# exited 0, 1 otherwise, 2 on a usage error.
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
SUITE=${SUITE:-bookworm}
COMMANDS=${COMMANDS:-"quickstart test"}
ROOT=${QYOLO_FRESH_ROOT:-${XDG_CACHE_HOME:-$HOME/.cache}/qyolo/fresh-$SUITE-root}
# shellcheck source=scripts/lib/debian_root.sh
source scripts/lib/debian_root.sh
require_root "$0" "$@"
for command in $COMMANDS; do
  case $command in
    quickstart | test) ;;
    *) echo "[$SUITE] COMMANDS takes quickstart and test (got '$command')" >&2; exit 2 ;;
  esac
done
mkdir -p "$(dirname "$ROOT")"
exec 9>"$ROOT.lock"
flock -n 9 || { echo "[$SUITE] another check is using $ROOT" >&2; exit 1; }
trap unmount_root EXIT

make_root
end_phase "root"
mount_root
trust_host_local_cas

passed_on=()
for name in FP_EPOCHS QAT_EPOCHS TRAIN_IMAGES VAL_IMAGES; do
  [ -n "${!name:-}" ] && passed_on+=("$name=${!name}")
done
status=0
results=()
for command in $COMMANDS; do
  clone=$ROOT/home/user/qyolo-$command
  git clone -q "$SRC" "$clone"
  echo "[$SUITE] bash scripts/$command.sh in a fresh clone of $(git -C "$SRC" rev-parse --short HEAD)"
  start=$SECONDS
  code=0
  in_root env "${passed_on[@]}" bash -c "cd /home/user/qyolo-$command && bash scripts/$command.sh" \
    >"$ROOT.$command.log" 2>&1 || code=$?
  results+=("scripts/$command.sh: exit $code in $(((SECONDS - start) / 60)) min $(((SECONDS - start) % 60)) s")
  [ "$code" -eq 0 ] || status=1
  end_phase "$command"
done

echo
echo "== fresh Debian ($SUITE) machine: the README's commands =="
echo "   root: $ROOT (logs: $ROOT.<command>.log)"
for r in "${results[@]}"; do echo "   $r"; done
echo "   time: ${timings[*]}"
[ "$status" -eq 0 ] && echo "   PASS" || echo "   FAIL"
exit "$status"
