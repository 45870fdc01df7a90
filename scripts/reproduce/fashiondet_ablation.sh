#!/usr/bin/env bash
# The WACV 2024 ablation (Table 2: LSQ / OscDamp / EMA / EMA+QC) on FashionDet with yolov5n, at
# W4A4 and W3A3, over several seeds, all from one FP model. Every run stays under runs/ablation/,
# every evaluation under runs/ablation_eval/<name>/metrics.json; the table goes to $OUT.
#   scripts/reproduce/fashiondet_ablation.sh                       # 2 seeds, 3 QAT epochs
#   SEEDS="0 1 2" QAT_EPOCHS=10 BITS="4" THREADS=2 scripts/reproduce/fashiondet_ablation.sh
#   TABLE_ONLY=1 scripts/reproduce/fashiondet_ablation.sh          # just rebuild the table
#   EXTRA="--set train.val_latent=true" ...   # more `qyolo train` flags for the QAT runs
#
# LSQ and EMA come from the same run: the EMA is a shadow that never feeds back into training,
# so a run with quant.ema=false follows exactly the latent weights of the EMA run; `qyolo eval
# --latent` scores those. EMA+QC is `qyolo correct --epochs 1` on that run's EMA model.
# Every variant is scored at its last epoch (as the paper reports final models).
set -euo pipefail
cd "$(dirname "$0")/../.."
QYOLO=${QYOLO:-build/bin/qyolo}
SEEDS=${SEEDS:-"0 1"}
OSCDAMP_SEEDS=${OSCDAMP_SEEDS:-$SEEDS}
BITS=${BITS:-"4 3"}
QAT_EPOCHS=${QAT_EPOCHS:-3}
FP_EPOCHS=${FP_EPOCHS:-30}
THREADS=${THREADS:-2}
FP_WEIGHTS=${FP_WEIGHTS:-runs/train/fashiondet_yolov5n_fp/weights/best.qyolo}
PROJECT=runs/ablation
OUT=${OUT:-docs/ablation_fashiondet.md}
COMMON=(--threads "$THREADS" --project "$PROJECT" --set train.exist_ok=true ${EXTRA:-})

run_eval() {  # weights name [flags] -> runs/ablation_eval/<name>/metrics.json
  local weights=$1 name=$2
  shift 2
  [ -f "${PROJECT}_eval/$name/metrics.json" ] ||
    $QYOLO -q eval --weights "$weights" --threads "$THREADS" --project "${PROJECT}_eval" \
      --name "$name" --exist-ok "$@" >/dev/null
}

if [ -z "${TABLE_ONLY:-}" ]; then
  [ -x "$QYOLO" ] || bash scripts/build.sh
  [ -f datasets/fashiondet/fashiondet.yaml ] || $QYOLO data fashiondet --out datasets/fashiondet

  # 1. The FP starting point.
  [ -f "$FP_WEIGHTS" ] || $QYOLO train --config fashiondet/yolov5n_fp.yaml --epochs "$FP_EPOCHS" \
    --threads "$THREADS"
  run_eval "$FP_WEIGHTS" fp

  # 2. QAT from the FP model, same data and epochs per seed.
  for bits in $BITS; do
    for seed in $SEEDS; do
      name=w${bits}a${bits}_ema_s$seed
      [ -f "$PROJECT/$name/weights/last.qyolo" ] ||
        $QYOLO train --config "fashiondet/yolov5n_w${bits}a${bits}.yaml" --weights "$FP_WEIGHTS" \
          --epochs "$QAT_EPOCHS" --seed "$seed" --name "$name" --set quant.ema=true "${COMMON[@]}"
      last=$PROJECT/$name/weights/last.qyolo
      run_eval "$last" "w${bits}a${bits}_lsq_s$seed" --latent
      run_eval "$last" "$name"
      [ -f "$PROJECT/$name/weights/corrected.qyolo" ] ||
        $QYOLO correct --weights "$last" --epochs 1 --threads "$THREADS" --no-val \
          -o "$PROJECT/$name/weights/corrected.qyolo" 2>&1 | tee "$PROJECT/$name/correct.log" |
          grep -E "quantization correction:|written"
      run_eval "$PROJECT/$name/weights/corrected.qyolo" "w${bits}a${bits}_ema_qc_s$seed"
    done
    for seed in $OSCDAMP_SEEDS; do
      name=w${bits}a${bits}_oscdamp_s$seed
      [ -f "$PROJECT/$name/weights/last.qyolo" ] ||
        $QYOLO train --config "fashiondet/yolov5n_w${bits}a${bits}.yaml" --weights "$FP_WEIGHTS" \
          --epochs "$QAT_EPOCHS" --seed "$seed" --name "$name" --set quant.ema=false \
          --set quant.dampen.enabled=true --set quant.freeze.enabled=true "${COMMON[@]}"
      run_eval "$PROJECT/$name/weights/last.qyolo" "$name"
    done
  done
fi

# 3. The table, next to the paper's COCO yolov5n figures (Table 2).
/usr/bin/python3 - "${PROJECT}_eval" "$OUT" "$SEEDS" <<'PY'
import json, pathlib, statistics, sys
root, out, seeds = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3].split()
def values(name):
    found = {}
    for s in seeds:
        f = root / f"{name}_s{s}" / "metrics.json"
        if f.exists():
            found[s] = 100 * json.loads(f.read_text())["mAP50-95"]
    return found
def cell(name):
    v = list(values(name).values())
    if not v:
        return "–"
    text = f"{statistics.mean(v):.2f}"
    if len(v) > 1:
        text += f" ± {(max(v) - min(v)) / 2:.2f} (n={len(v)})"
    return text
fp = root / "fp" / "metrics.json"
fp_map = f"{100 * json.loads(fp.read_text())['mAP50-95']:.2f}" if fp.exists() else "–"
paper = {4: ["20.6", "21.5", "22.1", "23.8"], 3: ["15.2", "16.4", "16.4", "18.2"]}
lines = [f"FashionDet yolov5n, mAP50-95 in % on FashionDet val (500 images), mean ± half-range over "
         f"seeds {', '.join(seeds)}; FP model: {fp_map}.", "",
         "| bits | | LSQ | LSQ+OscDamp | EMA | EMA+QC |", "| --- | --- | --- | --- | --- | --- |"]
per_seed = []
for b in (4, 3):
    names = [f"w{b}a{b}_{v}" for v in ("lsq", "oscdamp", "ema", "ema_qc")]
    lines.append(f"| W{b}A{b} | FashionDet (qyolo) | " + " | ".join(cell(n) for n in names) + " |")
    lines.append(f"| W{b}A{b} | COCO (paper, Table 2) | " + " | ".join(paper[b]) + " |")
    for s in seeds:
        v = [values(n).get(s) for n in names]
        per_seed.append(f"| W{b}A{b} | {s} | " + " | ".join("–" if x is None else f"{x:.2f}" for x in v) + " |")
lines += ["", "Per seed:", "", "| bits | seed | LSQ | LSQ+OscDamp | EMA | EMA+QC |",
          "| --- | --- | --- | --- | --- | --- |"] + per_seed
pathlib.Path(out).write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
