#!/usr/bin/env bash
# The WACV 2024 ablation (Table 2: LSQ / OscDamp / EMA / EMA+QC) on FashionDet with yolov5n, at
# W4A4 and W3A3, over several seeds. Writes docs/ablation_fashiondet.md
# (a table next to the paper's COCO figures) and leaves every run under runs/ablation/.
#   scripts/reproduce/fashiondet_ablation.sh                 # 2 seeds, config epochs
#   SEEDS="0 1 2" QAT_EPOCHS=10 FP_EPOCHS=30 THREADS=2 scripts/reproduce/fashiondet_ablation.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
QYOLO=${QYOLO:-build/bin/qyolo}
SEEDS=${SEEDS:-"0 1"}
FP_EPOCHS=${FP_EPOCHS:-30}
QAT_EPOCHS=${QAT_EPOCHS:-10}
THREADS=${THREADS:-2}
PROJECT=runs/ablation
OUT=${OUT:-docs/ablation_fashiondet.md}
COMMON=(--threads "$THREADS" --project "$PROJECT" --set train.exist_ok=true)

[ -x "$QYOLO" ] || bash scripts/build.sh
[ -f datasets/fashiondet/fashiondet.yaml ] || $QYOLO data fashiondet --out datasets/fashiondet

run_eval() {  # weights name -> runs/ablation_eval/<name>/metrics.json
  $QYOLO -q eval --weights "$1" --threads "$THREADS" --project "$PROJECT"_eval --name "$2" --exist-ok >/dev/null
}

# 1. The FP starting point (one per seed).
for seed in $SEEDS; do
  fp=fp_s$seed
  [ -f "$PROJECT/$fp/weights/best.qyolo" ] ||
    $QYOLO train --config fashiondet/yolov5n_fp.yaml --epochs "$FP_EPOCHS" --seed "$seed" --name "$fp" "${COMMON[@]}"
  run_eval "$PROJECT/$fp/weights/best.qyolo" "$fp"
done

# 2. QAT variants from the same FP model, same seed, epochs and data.
#    lsq: no EMA; oscdamp: no EMA + dampening + freezing; ema: EMA of weights and steps;
#    ema_qc: the EMA run followed by one QC epoch.
for bits in 4 3; do
  for seed in $SEEDS; do
    fp=$PROJECT/fp_s$seed/weights/best.qyolo
    for variant in lsq oscdamp ema; do
      name=w${bits}a${bits}_${variant}_s$seed
      sets=(--set quant.ema=false)
      [ "$variant" = oscdamp ] && sets+=(--set quant.dampen.enabled=true --set quant.freeze.enabled=true)
      [ "$variant" = ema ] && sets=(--set quant.ema=true)
      [ -f "$PROJECT/$name/weights/best.qyolo" ] ||
        $QYOLO train --config "fashiondet/yolov5n_w${bits}a${bits}.yaml" --weights "$fp" --epochs "$QAT_EPOCHS" \
          --seed "$seed" --name "$name" "${sets[@]}" "${COMMON[@]}"
      run_eval "$PROJECT/$name/weights/best.qyolo" "$name"
    done
    ema=$PROJECT/w${bits}a${bits}_ema_s$seed/weights
    [ -f "$ema/corrected.qyolo" ] || $QYOLO correct --weights "$ema/best.qyolo" --epochs 1 --threads "$THREADS"
    run_eval "$ema/corrected.qyolo" "w${bits}a${bits}_ema_qc_s$seed"
  done
done

# 3. The table, next to the paper's COCO yolov5n figures (Table 2).
/usr/bin/python3 - "$PROJECT"_eval "$OUT" "$SEEDS" <<'PY'
import json, statistics, sys, pathlib
root, out, seeds = pathlib.Path(sys.argv[1]), sys.argv[2], sys.argv[3].split()
def m(name):
    vals = []
    for s in seeds:
        f = root / f"{name}_s{s}" / "metrics.json"
        if f.exists():
            vals.append(100 * json.loads(f.read_text())["mAP50-95"])
    if not vals:
        return "–"
    sd = statistics.pstdev(vals) if len(vals) > 1 else 0.0
    return f"{statistics.mean(vals):.1f} ± {sd:.1f}"
paper = {4: ["20.6", "21.5", "22.1", "23.8"], 3: ["15.2", "16.4", "16.4", "18.2"]}
lines = ["# FashionDet ablation (yolov5n, mAP50-95 in %, mean ± spread over seeds " + ", ".join(seeds) + ")", "",
         "| bits | | LSQ | LSQ+OscDamp | EMA | EMA+QC |", "| --- | --- | --- | --- | --- | --- |"]
lines.append(f"| FP | FashionDet | {m('fp')} | | | |")
for b in (4, 3):
    row = [m(f"w{b}a{b}_{v}") for v in ("lsq", "oscdamp", "ema", "ema_qc")]
    lines.append(f"| W{b}A{b} | FashionDet (qyolo) | " + " | ".join(row) + " |")
    lines.append(f"| W{b}A{b} | COCO (paper, Table 2) | " + " | ".join(paper[b]) + " |")
pathlib.Path(out).write_text("\n".join(lines) + "\n")
print("\n".join(lines))
PY
