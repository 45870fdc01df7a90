#!/usr/bin/env bash
# Runs N local qyolo processes as one data-parallel job (what `torchrun --standalone` does):
#
#   scripts/launch_local.sh 2 train --config configs/yolov5n_w4a4.yaml --threads 1
#
# Every process gets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR=127.0.0.1 and MASTER_PORT (a free
# port unless MASTER_PORT is set). QYOLO_BIN selects the executable (default: build/bin/qyolo of
# this checkout, else qyolo on PATH). Ctrl-C and SIGTERM stop every rank (as SIGTERM). As soon as
# one rank fails, the others are stopped (they would otherwise wait for the collective timeout)
# and the script exits with the failed rank's exit code (128 + signal when it was killed).
set -uo pipefail

# `wait -n -p` (which rank finished) needs bash 5.1.
if ((BASH_VERSINFO[0] < 5 || (BASH_VERSINFO[0] == 5 && BASH_VERSINFO[1] < 1))); then
  echo "$0: needs bash >= 5.1 (this is $BASH_VERSION)" >&2
  exit 2
fi

usage() {
  echo "usage: $0 N <qyolo arguments...>   (N = number of processes, >= 1)" >&2
  exit 2
}
[ $# -ge 1 ] || usage
NPROC=$1
shift
[[ "$NPROC" =~ ^[1-9][0-9]*$ ]] || usage

ROOT=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${QYOLO_BIN:-}" ]; then
  if [ -x "$ROOT/build/bin/qyolo" ]; then
    QYOLO_BIN=$ROOT/build/bin/qyolo
  else
    QYOLO_BIN=$(command -v qyolo) || { echo "$0: no qyolo executable; build it or set QYOLO_BIN" >&2; exit 2; }
  fi
fi

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [ -z "${MASTER_PORT:-}" ]; then
  MASTER_PORT=$((20000 + RANDOM % 40000))
  while port_in_use "$MASTER_PORT"; do MASTER_PORT=$((20000 + RANDOM % 40000)); done
fi

declare -A RANK_OF=()
PIDS=()
for ((rank = 0; rank < NPROC; rank++)); do
  RANK=$rank LOCAL_RANK=$rank WORLD_SIZE=$NPROC LOCAL_WORLD_SIZE=$NPROC \
    MASTER_ADDR=127.0.0.1 MASTER_PORT=$MASTER_PORT "$QYOLO_BIN" "$@" &
  RANK_OF[$!]=$rank
  PIDS+=("$!")
done

stop_all() {
  local signal=$1
  for pid in "${PIDS[@]}"; do kill "-$signal" "$pid" 2>/dev/null; done
}

INTERRUPTED=0
# Ranks started with & in a script ignore SIGINT (bash sets it to SIG_IGN for them, and qyolo keeps
# an ignored signal ignored), so both signals reach them as SIGTERM, which each rank handles by
# stopping at a safe point and printing how to resume.
forward() {
  INTERRUPTED=$1
  echo "[launch_local] got SIG$1; stopping all ranks" >&2
  stop_all TERM
}
trap 'forward INT' INT
trap 'forward TERM' TERM

STATUS=0
KILLER=""
while [ "${#RANK_OF[@]}" -gt 0 ]; do
  finished=""
  wait -n -p finished
  code=$?
  # wait also returns when a trapped signal arrives or the killer below ends; skip those.
  finished=${finished:-}
  [ -n "$finished" ] && [ -n "${RANK_OF[$finished]:-}" ] || continue
  rank=${RANK_OF[$finished]}
  unset "RANK_OF[$finished]"
  if [ "$code" -ne 0 ] && [ "$STATUS" -eq 0 ]; then
    STATUS=$code
    [ "$INTERRUPTED" != 0 ] ||
      echo "[launch_local] rank $rank exited with code $code; stopping the other ranks" >&2
    stop_all TERM
    # The others get a few seconds to leave cleanly, then are killed.
    (sleep 10; stop_all KILL) </dev/null >/dev/null 2>&1 &
    KILLER=$!
  fi
done
[ -z "$KILLER" ] || kill "$KILLER" 2>/dev/null

if [ "$INTERRUPTED" != 0 ] && [ "$STATUS" -eq 0 ]; then STATUS=130; fi
exit "$STATUS"
