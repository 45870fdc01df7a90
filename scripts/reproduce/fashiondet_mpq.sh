#!/usr/bin/env bash
# MPQ-YOLO on FashionDet (yolov5n, 320 px): binary backbone + 4-bit head trained with progressive
# network quantization (PNQ) against quantizing everything at once (one-shot) for the same total
# number of epochs, all from the same FP model. Runs go to $PROJECT (runs/mpq), evaluations to
# ${PROJECT}_eval/<name>/metrics.json; a run whose last.qyolo exists is not trained again.
# Runs (RUNS, any subset):
#   pnq_acts   the config's stages: binary backbone activations (FP weights) and the 4-bit head
#              -> + binary backbone weights
#   pnq        4-bit head -> + binary backbone weights -> + binary activations
#   pnq_bits   4-bit head -> + binary weights with 4-bit activations -> 2-bit -> binary activations
#   pnq_depth  4-bit head -> + binary weights -> + binary activations in layers 0-4 -> in all 0-9
#   pnq_shallow  binary weights, binary activations in layers 0-4 and the 4-bit head -> all of 0-9
#   oneshot    the final configuration from the first epoch, for as many epochs as pnq in total
#   scripts/reproduce/fashiondet_mpq.sh                       # pnq_acts (2 + 2 epochs) and oneshot (4)
#   STAGE_EPOCHS="3 3 6" STAGE4_EPOCHS="2 2 2 6" STAGE2_EPOCHS="6 6" FRACTION=0.5 RUNS="pnq_acts oneshot" \
#     scripts/reproduce/fashiondet_mpq.sh                    # the documented comparison
#   EXTRA="--set train.val=false" scripts/reproduce/fashiondet_mpq.sh   # more `qyolo train` flags
set -euo pipefail
cd "$(dirname "$0")/../.."
QYOLO=${QYOLO:-build/bin/qyolo}
STAGE_EPOCHS=(${STAGE_EPOCHS:-1 1 2})
STAGE4_EPOCHS=(${STAGE4_EPOCHS:-1 1 1 1})
STAGE2_EPOCHS=(${STAGE2_EPOCHS:-2 2})
SEED=${SEED:-0}
RUNS=${RUNS:-"pnq_acts oneshot"}
THREADS=${THREADS:-2}
FRACTION=${FRACTION:-1.0}
FP_WEIGHTS=${FP_WEIGHTS:-runs/train/fashiondet_yolov5n_fp/weights/best.qyolo}
PROJECT=${PROJECT:-runs/mpq}
[ "${#STAGE_EPOCHS[@]}" -eq 3 ] || { echo "STAGE_EPOCHS needs three numbers" >&2; exit 2; }
[ "${#STAGE4_EPOCHS[@]}" -eq 4 ] || { echo "STAGE4_EPOCHS needs four numbers" >&2; exit 2; }
[ "${#STAGE2_EPOCHS[@]}" -eq 2 ] || { echo "STAGE2_EPOCHS needs two numbers" >&2; exit 2; }
[ -f "$FP_WEIGHTS" ] || { echo "no FP model at $FP_WEIGHTS: run scripts/quickstart.sh first" >&2; exit 2; }
total=$((STAGE_EPOCHS[0] + STAGE_EPOCHS[1] + STAGE_EPOCHS[2]))
total4=$((STAGE4_EPOCHS[0] + STAGE4_EPOCHS[1] + STAGE4_EPOCHS[2] + STAGE4_EPOCHS[3]))
total2=$((STAGE2_EPOCHS[0] + STAGE2_EPOCHS[1]))
for sum in "STAGE4_EPOCHS $total4" "STAGE2_EPOCHS $total2"; do
  [ "${sum#* }" -eq "$total" ] || {
    echo "${sum% *} sum to ${sum#* } but STAGE_EPOCHS to $total: all runs need the same total" >&2
    exit 2
  }
done
COMMON=(--config fashiondet/yolov5n_mpq.yaml --weights "$FP_WEIGHTS" --epochs "$total" --seed "$SEED"
  --threads "$THREADS" --project "$PROJECT" --set train.exist_ok=true --set "train.fraction=$FRACTION"
  ${EXTRA:-})

# Every group the schedules use; in a stage, a later group overrides an earlier one on shared layers.
groups="[{name: head, layers: 10-23, weight_kind: lsq, weight_bits: 4, act_kind: lsq_plus, act_bits: 4},"
groups+=" {name: backbone_weights, layers: 0-9, weight_kind: binary, weight_bits: 1, act_kind: fp, act_bits: 32},"
groups+=" {name: backbone_a4, layers: 0-9, weight_kind: binary, weight_bits: 1, act_kind: lsq_plus, act_bits: 4},"
groups+=" {name: backbone_a2, layers: 0-9, weight_kind: binary, weight_bits: 1, act_kind: lsq_plus, act_bits: 2},"
groups+=" {name: backbone_activations, layers: 0-9, weight_kind: fp, weight_bits: 32, act_kind: binary, act_bits: 1},"
groups+=" {name: backbone_shallow, layers: 0-4, weight_kind: binary, weight_bits: 1, act_kind: binary, act_bits: 1},"
groups+=" {name: backbone, layers: 0-9, weight_kind: binary, weight_bits: 1, act_kind: binary, act_bits: 1}]"
stage() { echo "{name: $1, groups: [$2], epochs: $3}"; }
declare -A SCHEDULE
SCHEDULE[pnq]="[$(stage head_4bit head "${STAGE_EPOCHS[0]}"),
  $(stage backbone_binary_weights "head, backbone_weights" "${STAGE_EPOCHS[1]}"),
  $(stage backbone_binary "head, backbone" "${STAGE_EPOCHS[2]}")]"
SCHEDULE[pnq_bits]="[$(stage head_4bit head "${STAGE4_EPOCHS[0]}"),
  $(stage backbone_w1a4 "head, backbone_a4" "${STAGE4_EPOCHS[1]}"),
  $(stage backbone_w1a2 "head, backbone_a2" "${STAGE4_EPOCHS[2]}"),
  $(stage backbone_binary "head, backbone" "${STAGE4_EPOCHS[3]}")]"
SCHEDULE[pnq_depth]="[$(stage head_4bit head "${STAGE4_EPOCHS[0]}"),
  $(stage backbone_binary_weights "head, backbone_weights" "${STAGE4_EPOCHS[1]}"),
  $(stage backbone_binary_0_4 "head, backbone_weights, backbone_shallow" "${STAGE4_EPOCHS[2]}"),
  $(stage backbone_binary "head, backbone" "${STAGE4_EPOCHS[3]}")]"
SCHEDULE[pnq_shallow]="[$(stage backbone_binary_0_4 "head, backbone_weights, backbone_shallow" "${STAGE2_EPOCHS[0]}"),
  $(stage backbone_binary "head, backbone" "${STAGE2_EPOCHS[1]}")]"
SCHEDULE[pnq_acts]="[$(stage backbone_binary_activations "head, backbone_activations" "${STAGE2_EPOCHS[0]}"),
  $(stage backbone_binary "head, backbone" "${STAGE2_EPOCHS[1]}")]"
SCHEDULE[oneshot]="[$(stage all_at_once "head, backbone" "$total")]"

for run in $RUNS; do
  [ -n "${SCHEDULE[$run]:-}" ] || { echo "unknown run '$run'; known: ${!SCHEDULE[*]}" >&2; exit 2; }
  [ -f "$PROJECT/${run}_s$SEED/weights/last.qyolo" ] ||
    $QYOLO train "${COMMON[@]}" --name "${run}_s$SEED" --set "quant.groups=$groups" \
      --set "quant.stages=${SCHEDULE[$run]//$'\n'/}"
done

for run in $RUNS; do
  $QYOLO -q eval --weights "$PROJECT/${run}_s$SEED/weights/last.qyolo" --threads "$THREADS" \
    --project "${PROJECT}_eval" --name "${run}_s$SEED" --exist-ok >/dev/null
  /usr/bin/python3 -c "import json,sys; m=json.load(open(sys.argv[1])); print(sys.argv[2], 'mAP50 %.4f mAP50-95 %.4f' % (m['mAP50'], m['mAP50-95']))" \
    "${PROJECT}_eval/${run}_s$SEED/metrics.json" "$run"
done
$QYOLO info --config configs/fashiondet/yolov5n_mpq.yaml --img 320 | tail -3
