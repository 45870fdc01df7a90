#!/usr/bin/env bash
# COCOeval, qyolo vs pycocotools, on a generated case (default 5,000 images x 80 classes x 100
# detections each, boxes): prints both sets of 12 stats, their largest difference, the time ratio
# (whole pipeline: load both files, evaluate, accumulate, summarize) with qyolo at 1 thread and at
# every core, and each side's peak resident memory.
#   scripts/bench/coco_eval.sh [/path/to/cocoapi] [images] [dets_per_image] [bbox|segm]
#   scripts/bench/coco_eval.sh /path/to/cocoapi 1000 100 segm     the instance-mask case
# pycocotools is built from the given cocoapi checkout (PythonAPI/ + common/) with Debian's
# cython3, python3-dev and python3-numpy in a temporary folder; without it only qyolo's side runs.
# BUILD_DIR (default build) is the CMake build in which the qyolo side (coco_eval_timing) is built.
set -euo pipefail
cd "$(dirname "$0")/../.."
COCOAPI=${1:-}
IMAGES=${2:-5000}
DETS=${3:-100}
IOU_TYPE=${4:-bbox}
THREADS_ALL=$(nproc)
BUILD_DIR=${BUILD_DIR:-build}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

BUILD_DIR="$BUILD_DIR" scripts/build.sh --target coco_eval_timing >/dev/null
TIMING=$BUILD_DIR/bin/coco_eval_timing

echo "generating the case: $IMAGES images, 80 classes, $DETS detections per image, $IOU_TYPE"
SEGM=()
[ "$IOU_TYPE" = segm ] && SEGM=(--segm)
$PY tools/bench/coco_eval_case.py "$WORK/case" --images "$IMAGES" --dets "$DETS" "${SEGM[@]}"

echo "== qyolo, 1 thread =="
"$TIMING" "$WORK/case/gt.json" "$WORK/case/dets.json" "$IOU_TYPE" 1 | tee "$WORK/qyolo.txt"
QY=$(tail -n 1 "$WORK/qyolo.txt")
echo "== qyolo, $THREADS_ALL threads =="
QY_ALL=$("$TIMING" "$WORK/case/gt.json" "$WORK/case/dets.json" "$IOU_TYPE" "$THREADS_ALL" | tail -n 1)
echo "$QY_ALL"

why=""
if [ -z "$COCOAPI" ]; then
  why="no cocoapi checkout given"
elif [ ! -f "$COCOAPI/PythonAPI/pycocotools/_mask.pyx" ] || [ ! -f "$COCOAPI/common/maskApi.c" ]; then
  why="$COCOAPI has no PythonAPI/pycocotools/_mask.pyx or common/maskApi.c"
else
  if [ "$(id -u)" -eq 0 ] && ! command -v cython3 >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends cython3 \
      python3-dev python3-numpy python3-matplotlib >/dev/null || true
  fi
  if ! command -v cython3 >/dev/null; then
    why="cython3 is not installed"
  elif ! $PY -c 'import numpy, matplotlib' 2>/dev/null; then
    why="python3-numpy or python3-matplotlib is missing"
  else
    cp -r "$COCOAPI/PythonAPI" "$COCOAPI/common" "$WORK/"
    (cd "$WORK/PythonAPI/pycocotools" && cython3 -3 _mask.pyx -o _mask.c 2>/dev/null &&
      gcc -shared -fPIC -O2 -Wno-cpp -Wno-unused-function -I"$($PY -c 'import sysconfig;print(sysconfig.get_paths()["include"])')" \
        -I"$($PY -c 'import numpy;print(numpy.get_include())')" -I../../common ../../common/maskApi.c _mask.c \
        -o "_mask$($PY -c 'import sysconfig;print(sysconfig.get_config_var("EXT_SUFFIX"))')") ||
      why="building pycocotools' _mask extension failed"
  fi
fi
if [ -n "$why" ]; then
  echo "pycocotools side skipped: $why"
  exit 0
fi

echo "== pycocotools =="
$PY tools/bench/pycocotools_eval.py "$WORK/PythonAPI" "$WORK/case/gt.json" "$WORK/case/dets.json" "$IOU_TYPE" |
  grep -v -e '^loading' -e '^Done' -e '^creating' -e '^index' -e '^Loading' -e '^DONE' -e '^Running' \
    -e '^Evaluate' -e '^Accumulating' | tee "$WORK/py.txt"
PYC=$(tail -n 1 "$WORK/py.txt")
$PY - "$QY" "$PYC" "$QY_ALL" <<'PYEOF'
import json, sys
q, p, q_all = json.loads(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
names = ["AP", "AP50", "AP75", "APs", "APm", "APl", "AR1", "AR10", "AR100", "ARs", "ARm", "ARl"]
print(f"{'stat':>6} {'qyolo':>12} {'pycocotools':>12}")
for n, a, b in zip(names, q["stats"], p["stats"]):
    print(f"{n:>6} {a:12.8f} {b:12.8f}")
diff = max(abs(a - b) for a, b in zip(q["stats"], p["stats"]))
print(f"max |difference| of the 12 stats: {diff:.3g}")
diff_all = max(abs(a - b) for a, b in zip(q_all["stats"], p["stats"]))
print(f"max |difference| at {q_all['threads']} threads: {diff_all:.3g}")
for run in (q, q_all):
    print(f"time: qyolo {run['threads']} thread(s) {run['seconds']:.2f} s (json loading "
          f"{run['load_seconds']:.2f} s), pycocotools {p['seconds']:.2f} s, "
          f"speed-up {p['seconds'] / run['seconds']:.1f}x")
print(f"peak resident memory: qyolo {q['peak_rss_mb']:.0f} MB ({q_all['peak_rss_mb']:.0f} MB at "
      f"{q_all['threads']} threads), pycocotools {p['peak_rss_mb']:.0f} MB")
PYEOF
