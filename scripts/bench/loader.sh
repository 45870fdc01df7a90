#!/usr/bin/env bash
# Loader throughput on a generated FashionDet (decode-only vs mosaic 640 / 320 images/s).
#   scripts/bench/loader.sh [out_dir] [train_images] [workers]
# QYOLO (default build/bin/qyolo) is the binary used; the data set is generated once into out_dir.
set -euo pipefail
cd "$(dirname "$0")/../.."
OUT=${1:-/tmp/fd}
TRAIN=${2:-200}
WORKERS=${3:-2}
QYOLO=${QYOLO:-build/bin/qyolo}

if [ ! -f "$OUT/fashiondet.yaml" ]; then
  $QYOLO -q data fashiondet --out "$OUT" --train "$TRAIN" --val 50
fi
$QYOLO -q bench loader --data "$OUT/fashiondet.yaml" --workers "$WORKERS"
