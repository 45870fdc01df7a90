#!/usr/bin/env bash
# From a fresh Debian machine to a 4-bit YOLO, on the embedded FashionDet data:
# installs dependencies, builds the qyolo binary, generates a small FashionDet, trains yolov5n in FP,
# trains it at W4A4 (LSQ + EMA) from the FP model, runs the one-epoch quantization correction (QC),
# evaluates all three, exports the corrected model to ONNX and prints one table.
#   FP_EPOCHS=30 QAT_EPOCHS=10 scripts/quickstart.sh    train longer (defaults 10 and 4)
#   TRAIN_IMAGES=4000 scripts/quickstart.sh             a larger data set (default 2000, val 300)
# Everything lands in runs/train/quickstart_*, runs/val/quickstart_* and datasets/fashiondet-quickstart.
set -euo pipefail
cd "$(dirname "$0")/.."

FP_EPOCHS=${FP_EPOCHS:-10}
QAT_EPOCHS=${QAT_EPOCHS:-4}
TRAIN_IMAGES=${TRAIN_IMAGES:-2000}
VAL_IMAGES=${VAL_IMAGES:-300}
DATA_DIR=datasets/fashiondet-quickstart
QYOLO=build/bin/qyolo
START=$SECONDS

stage() { printf '\n[quickstart %3d:%02d] %s\n' $(((SECONDS - START) / 60)) $(((SECONDS - START) % 60)) "$*"; }

stage "setting up and building the qyolo binary (scripts/test.sh builds the tests)"
bash scripts/setup.sh
bash scripts/build.sh --target qyolo_cli

stage "generating FashionDet: $TRAIN_IMAGES training and $VAL_IMAGES validation images"
if [ ! -f "$DATA_DIR/fashiondet.yaml" ]; then
  $QYOLO data fashiondet --out "$DATA_DIR" --train "$TRAIN_IMAGES" --val "$VAL_IMAGES"
fi
DATA=$DATA_DIR/fashiondet.yaml

stage "training yolov5n in FP32 for $FP_EPOCHS epochs"
$QYOLO train --config configs/fashiondet/yolov5n_fp.yaml --set data="$DATA" \
  --set train.epochs="$FP_EPOCHS" --set train.name=quickstart_fp --set train.exist_ok=true
FP=runs/train/quickstart_fp/weights/best.qyolo

stage "training it at W4A4 (LSQ weights, LSQ+ activations, EMA) for $QAT_EPOCHS epochs"
$QYOLO train --config configs/fashiondet/yolov5n_w4a4.yaml --set data="$DATA" \
  --set train.weights="$FP" --set train.epochs="$QAT_EPOCHS" \
  --set train.name=quickstart_w4a4 --set train.exist_ok=true
QAT=runs/train/quickstart_w4a4/weights/best.qyolo

stage "quantization correction: one epoch"
CORRECTED=runs/train/quickstart_w4a4/weights/corrected.qyolo
$QYOLO correct --weights "$QAT" --epochs 1 --no-val -o "$CORRECTED"

stage "evaluating the three models"
for pair in fp:"$FP" w4a4_ema:"$QAT" w4a4_ema_qc:"$CORRECTED"; do
  $QYOLO eval --weights "${pair#*:}" --data "$DATA" --name "quickstart_${pair%%:*}" --exist-ok
done

stage "exporting the corrected model to ONNX (Q/DQ nodes)"
ONNX=runs/train/quickstart_w4a4/weights/corrected.onnx
$QYOLO export --weights "$CORRECTED" --format onnx -o "$ONNX"

# The first number that follows "key": in JSON text on stdin (empty when there is none).
json_number() { { grep -m1 -o "\"$1\": *[-0-9.eE+]*" || true; } | sed 's/.*: *//'; }

stage "done in $(((SECONDS - START) / 60)) min $(((SECONDS - START) % 60)) s"
echo
echo "yolov5n on FashionDet val ($VAL_IMAGES images, 320 px); size = weights at their bit widths"
printf '%-24s %8s %10s %10s\n' model mAP50 mAP50-95 size
sizes=()
for row in "FP32:fp:$FP" "W4A4 EMA:w4a4_ema:$QAT" "W4A4 EMA+QC:w4a4_ema_qc:$CORRECTED"; do
  label=${row%%:*}
  rest=${row#*:}
  metrics=runs/val/quickstart_${rest%%:*}/metrics.json
  info=$($QYOLO info --weights "${rest#*:}" --json)
  # Quantized checkpoints report their size in bits; an FP32 model is 32 bits a parameter.
  bits=$(json_number size_bits <<<"$info")
  [ -n "$bits" ] || bits=$(($(json_number params <<<"$info") * 32))
  printf '%-24s %8.3f %10.3f %8.2f MB\n' "$label" "$(json_number mAP50 <"$metrics")" \
    "$(json_number mAP50-95 <"$metrics")" "$(awk -v b="$bits" 'BEGIN { print b / 8e6 }')"
  sizes+=("$bits")
done
cat <<EOF

mAP50-95 is COCO's main number (AP averaged over IoU thresholds 0.50 to 0.95); mAP50 counts a box
as found from IoU 0.5. This is a short run: the FP model is not converged and QAT had $QAT_EPOCHS
epochs, so the gap between FP32 and W4A4 is larger than after a full recipe (docs/RESULTS.md).
QC repairs part of the damage that weight oscillation leaves in the EMA model. W4A4 keeps its
weights at 4 bits (the first conv and the Detect outputs at 8): $(awk -v a="${sizes[0]}" -v b="${sizes[2]}" 'BEGIN { printf "%.1f", a / b }')x smaller than FP32.

Runs:  runs/train/quickstart_fp  runs/train/quickstart_w4a4  (results.csv, results.png, weights/)
Evals: runs/val/quickstart_fp  runs/val/quickstart_w4a4_ema  runs/val/quickstart_w4a4_ema_qc
ONNX:  $ONNX
EOF
