#!/usr/bin/env bash
# One YOLOv5 training step, qyolo vs the ultralytics yolov5 Python code, same machine and threads.
#   scripts/bench/train_step_vs_ultralytics.sh /path/to/yolov5 [threads] [model] [batch] [img]
# Needs Debian's python3-torch and the packages yolov5's model code imports; installs them when
# run as root. Without a yolov5 checkout it says so and exits 0 after qyolo's own figure.
set -euo pipefail
cd "$(dirname "$0")/../.."
YOLOV5=${1:-}
THREADS=${2:-1}
MODEL=${3:-yolov5n}
BATCH=${4:-16}
IMG=${5:-320}
QYOLO=${QYOLO:-build/bin/qyolo}

qy=$($QYOLO -q bench train-step --model "configs/models/$MODEL.yaml" --batch "$BATCH" --img "$IMG" \
      --threads "$THREADS" --json)
echo "$qy"
if [ -z "$YOLOV5" ] || [ ! -f "$YOLOV5/models/yolo.py" ]; then
  echo "no yolov5 checkout given (or $YOLOV5/models/yolo.py missing): skipping the ultralytics side"
  exit 0
fi
if [ "$(id -u)" -eq 0 ]; then
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-torch \
    python3-torchvision python3-yaml python3-opencv python3-pandas python3-matplotlib \
    python3-seaborn python3-tqdm python3-psutil python3-scipy python3-requests python3-pil \
    python3-ipython >/dev/null
fi
py=$(OMP_NUM_THREADS="$THREADS" /usr/bin/python3 tools/bench/ultralytics_train_step.py --yolov5 "$YOLOV5" \
      --model "$MODEL" --batch "$BATCH" --img "$IMG" --threads "$THREADS" | tail -n 1)
echo "$py"
/usr/bin/python3 - "$qy" "$py" <<'PY'
import json, sys
q, p = json.loads(sys.argv[1]), json.loads(sys.argv[2])
print(f"step time qyolo {q['step_s']:.3f} s, ultralytics {p['step_s']:.3f} s, "
      f"ratio qyolo/python = {q['step_s'] / p['step_s']:.2f} ({q['threads']} thread(s))")
PY
