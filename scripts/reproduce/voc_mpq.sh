#!/usr/bin/env bash
# MPQ-YOLO's Pascal VOC experiment: VOC07+12 trainval -> test2007, yolov5s at 640 px, FP first,
# then the binary-backbone / 4-bit-head model trained by progressive quantization (three PNQ
# stages), then mAP50 (the paper reports 74.7 %) and the compression report (14.2x size, 16.3x OPs
# in the paper; see docs/RESULTS.md for how qyolo counts them).
#   scripts/reproduce/voc_mpq.sh /path/holding/VOCdevkit [extra qyolo train flags]
# Meant for a GPU machine (--device cuda); it runs on a CPU too, very slowly.
set -euo pipefail
cd "$(dirname "$0")/../.."
VOC_ROOT=${1:?usage: voc_mpq.sh /path/holding/VOCdevkit [qyolo train flags]}
shift
QYOLO=${QYOLO:-build/bin/qyolo}
DEVICE=${DEVICE:-cuda}
[ -x "$QYOLO" ] || bash scripts/build.sh
[ -f datasets/VOC/voc.yaml ] || $QYOLO data voc --root "$VOC_ROOT" --out datasets/VOC

FP=runs/train/voc_yolov5s_fp
[ -f "$FP/weights/best.qyolo" ] ||
  $QYOLO train --config configs/fashiondet/yolov5n_fp.yaml --set model=models/yolov5s.yaml \
    --set data=datasets/VOC/voc.yaml --set hyp=hyps/hyp.scratch-low.yaml --img 640 --batch 64 \
    --epochs 300 --name voc_yolov5s_fp --device "$DEVICE" "$@"
$QYOLO train --config configs/mpq/yolov5s_mpq_voc.yaml --set data=datasets/VOC/voc.yaml \
  --weights "$FP/weights/best.qyolo" --name voc_yolov5s_mpq --device "$DEVICE" "$@"
$QYOLO eval --weights runs/train/voc_yolov5s_mpq/weights/best.qyolo --data datasets/VOC/voc.yaml \
  --img 640 --device "$DEVICE"
$QYOLO info --weights runs/train/voc_yolov5s_mpq/weights/best.qyolo --img 640
