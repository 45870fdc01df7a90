#!/usr/bin/env bash
# From a fresh Debian machine to a trained, evaluated YOLO on the embedded FashionDet data:
# installs dependencies, builds, generates FashionDet, trains yolov5n (FP, 320 px) and evaluates.
#   EPOCHS=30 scripts/quickstart.sh     train longer (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
bash scripts/build.sh
QYOLO=build/bin/qyolo
EPOCHS=${EPOCHS:-10}

$QYOLO info --model configs/models/yolov5n.yaml --nc 10 --img 320
if [ ! -f datasets/fashiondet/fashiondet.yaml ]; then
  $QYOLO data fashiondet --out datasets/fashiondet
fi
$QYOLO train --config configs/fashiondet/yolov5n_fp.yaml --set train.epochs="$EPOCHS" \
  --set train.name=quickstart --set train.exist_ok=true
RUN=runs/train/quickstart
$QYOLO eval --weights "$RUN/weights/best.qyolo" --data configs/data/fashiondet.yaml --img 320
echo
echo "Results, plots and checkpoints are in $RUN:"
ls "$RUN"
