#!/usr/bin/env bash
# MPQ-YOLO on FashionDet (yolov5n, 320 px): binary backbone + 4-bit head trained with progressive
# network quantization (PNQ: head, then binary backbone weights, then binary activations) against
# quantizing everything at once for the same number of epochs, both from the same FP model.
# Runs go to runs/mpq/, evaluations to runs/mpq_eval/<name>/metrics.json.
#   scripts/reproduce/fashiondet_mpq.sh                        # stages of 1, 1 and 2 epochs
#   STAGE_EPOCHS="3 3 6" SEED=1 scripts/reproduce/fashiondet_mpq.sh   # the config's schedule
#   RUNS=pnq scripts/reproduce/fashiondet_mpq.sh               # one of the two (e.g. in parallel)
#   EXTRA="--set train.val=false" scripts/reproduce/fashiondet_mpq.sh   # more `qyolo train` flags
set -euo pipefail
cd "$(dirname "$0")/../.."
QYOLO=${QYOLO:-build/bin/qyolo}
STAGE_EPOCHS=(${STAGE_EPOCHS:-1 1 2})
SEED=${SEED:-0}
RUNS=${RUNS:-"pnq oneshot"}
THREADS=${THREADS:-2}
FP_WEIGHTS=${FP_WEIGHTS:-runs/train/fashiondet_yolov5n_fp/weights/best.qyolo}
PROJECT=runs/mpq
[ "${#STAGE_EPOCHS[@]}" -eq 3 ] || { echo "STAGE_EPOCHS needs three numbers" >&2; exit 2; }
[ -f "$FP_WEIGHTS" ] || { echo "no FP model at $FP_WEIGHTS: run scripts/quickstart.sh first" >&2; exit 2; }
total=$((STAGE_EPOCHS[0] + STAGE_EPOCHS[1] + STAGE_EPOCHS[2]))
COMMON=(--config fashiondet/yolov5n_mpq.yaml --weights "$FP_WEIGHTS" --epochs "$total" --seed "$SEED"
  --threads "$THREADS" --project "$PROJECT" --set train.exist_ok=true ${EXTRA:-})

stages="[{name: head_4bit, groups: [head], epochs: ${STAGE_EPOCHS[0]}},"
stages+=" {name: backbone_binary_weights, groups: [head, backbone_weights], epochs: ${STAGE_EPOCHS[1]}},"
stages+=" {name: backbone_binary, groups: [head, backbone], epochs: ${STAGE_EPOCHS[2]}}]"
[[ " $RUNS " != *" pnq "* ]] || [ -f "$PROJECT/pnq_s$SEED/weights/last.qyolo" ] ||
  $QYOLO train "${COMMON[@]}" --name "pnq_s$SEED" --set "quant.stages=$stages"
# One shot: the final stage's groups from the first epoch on.
[[ " $RUNS " != *" oneshot "* ]] || [ -f "$PROJECT/oneshot_s$SEED/weights/last.qyolo" ] ||
  $QYOLO train "${COMMON[@]}" --name "oneshot_s$SEED" \
    --set "quant.stages=[{name: all_at_once, groups: [head, backbone], epochs: $total}]"

for run in $RUNS; do
  $QYOLO -q eval --weights "$PROJECT/${run}_s$SEED/weights/last.qyolo" --threads "$THREADS" \
    --project "${PROJECT}_eval" --name "${run}_s$SEED" --exist-ok >/dev/null
  /usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(sys.argv[2], 'mAP50 %.4f mAP50-95 %.4f' % (m['mAP50'], m['mAP50-95']))" \
    "${PROJECT}_eval/${run}_s$SEED/metrics.json" "$run"
done
$QYOLO info --config configs/fashiondet/yolov5n_mpq.yaml --img 320 | tail -3
