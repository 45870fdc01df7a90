#!/usr/bin/env python3
"""Times pycocotools on a COCO case: COCO(gt) -> loadRes -> COCOeval evaluate/accumulate/summarize.

  pycocotools_eval.py PYTHONAPI_DIR GT_JSON RESULTS_JSON [bbox|segm]
PYTHONAPI_DIR holds a built pycocotools package. Prints the summary, then one JSON line
{"stats": [...12], "seconds": total, "peak_rss_mb": peak resident memory}.
"""
import json
import resource
import sys
import time

import numpy as np

# numpy >= 1.24 removed the np.float alias that COCOeval.accumulate uses; it was the builtin float.
if not hasattr(np, "float"):
    np.float = float

sys.path.insert(0, sys.argv[1])
from pycocotools.coco import COCO  # noqa: E402
from pycocotools.cocoeval import COCOeval  # noqa: E402

gt_path, dt_path = sys.argv[2], sys.argv[3]
iou_type = sys.argv[4] if len(sys.argv) > 4 else "bbox"
t0 = time.perf_counter()
gt = COCO(gt_path)
dt = gt.loadRes(dt_path)
ev = COCOeval(gt, dt, iou_type)
ev.evaluate()
ev.accumulate()
ev.summarize()
seconds = time.perf_counter() - t0
# ru_maxrss is in KiB on Linux.
peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"stats": [float(s) for s in ev.stats], "seconds": seconds, "peak_rss_mb": peak_mb}))
