#!/usr/bin/env python3
"""Writes a deterministic COCO-style benchmark case for COCOeval timing.

N images (640x480) with 1-15 ground-truth boxes each over 80 categories (about 1% crowd), and
exactly `dets` detections per image: jittered copies of the ground truth (sometimes with the wrong
class) plus random boxes, scores in (0, 1). Standard library only.
With --segm every object is also the ellipse inscribed in its box: ground truth as a 16-vertex
polygon (as COCO's annotations are), detections as compressed RLE (as loadRes expects).

  coco_eval_case.py OUT_DIR [--images 5000] [--dets 100] [--seed 0] [--segm]
writes OUT_DIR/gt.json and OUT_DIR/dets.json.
"""
import argparse
import json
import math
import os
import random


def clip_box(x, y, w, h, width, height):
    x1, y1 = max(0.0, x), max(0.0, y)
    x2, y2 = min(float(width), x + w), min(float(height), y + h)
    return [round(x1, 2), round(y1, 2), round(max(1.0, x2 - x1), 2), round(max(1.0, y2 - y1), 2)]


def ellipse_polygon(box, vertices=16):
    x, y, w, h = box
    cx, cy = x + w / 2, y + h / 2
    points = []
    for k in range(vertices):
        t = 2 * math.pi * k / vertices
        points += [round(cx + w / 2 * math.cos(t), 2), round(cy + h / 2 * math.sin(t), 2)]
    return points


def polygon_area(points):
    xs, ys = points[0::2], points[1::2]
    n = len(xs)
    return abs(sum(xs[i] * ys[(i + 1) % n] - xs[(i + 1) % n] * ys[i] for i in range(n))) / 2


def ellipse_rle(box, width, height):
    """Compressed COCO RLE (column-major runs, maskApi.c's rleToString) of the pixels whose
    centres lie inside the ellipse inscribed in `box`."""
    x, y, w, h = box
    cx, cy, rx, ry = x + w / 2, y + h / 2, w / 2, h / 2
    counts, position = [], 0  # position: column-major index where the current zero run started

    def add_run(start, stop):
        nonlocal position
        counts.extend([start - position, stop - start])
        position = stop

    for col in range(max(0, int(x)), min(width, int(math.ceil(x + w)))):
        u = (col + 0.5 - cx) / rx
        if abs(u) >= 1:
            continue
        dy = ry * math.sqrt(1 - u * u)
        top = max(0, math.ceil(cy - dy - 0.5))
        bottom = min(height - 1, math.floor(cy + dy - 0.5))
        if top <= bottom:
            add_run(col * height + top, col * height + bottom + 1)
    counts.append(width * height - position)
    chars = []
    for i, value in enumerate(counts):
        if i > 2:
            value -= counts[i - 2]
        more = True
        while more:
            c = value & 0x1F
            value >>= 5
            more = value != -1 if c & 0x10 else value != 0
            if more:
                c |= 0x20
            chars.append(chr(c + 48))
    return {"size": [height, width], "counts": "".join(chars)}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out_dir")
    ap.add_argument("--images", type=int, default=5000)
    ap.add_argument("--dets", type=int, default=100)
    ap.add_argument("--classes", type=int, default=80)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--segm", action="store_true", help="add instance masks (polygons, RLE)")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    width, height = 640, 480
    images, anns, dets = [], [], []
    for i in range(1, a.images + 1):
        images.append({"id": i, "width": width, "height": height, "file_name": f"{i:06d}.jpg"})
        gts = []
        for _ in range(rng.randint(1, 15)):
            side = math.exp(rng.uniform(math.log(6), math.log(400)))
            aspect = math.exp(rng.uniform(-1, 1))
            w, h = side * math.sqrt(aspect), side / math.sqrt(aspect)
            box = clip_box(rng.uniform(-10, width - 10), rng.uniform(-10, height - 10), w, h,
                           width, height)
            cat = rng.randint(1, a.classes)
            ann = {"id": len(anns) + 1, "image_id": i, "category_id": cat, "bbox": box,
                   "area": round(box[2] * box[3], 2), "iscrowd": int(rng.random() < 0.01)}
            if a.segm:
                ann["segmentation"] = [ellipse_polygon(box)]
                ann["area"] = round(polygon_area(ann["segmentation"][0]), 2)
            anns.append(ann)
            gts.append((cat, box))
        n = 0
        for cat, (x, y, w, h) in gts:
            for _ in range(rng.randint(1, 3)):
                if n == a.dets:
                    break
                j = 0.15
                box = clip_box(x + rng.gauss(0, j * w), y + rng.gauss(0, j * h),
                               w * math.exp(rng.gauss(0, j)), h * math.exp(rng.gauss(0, j)),
                               width, height)
                c = cat if rng.random() > 0.1 else rng.randint(1, a.classes)
                dets.append({"image_id": i, "category_id": c, "bbox": box,
                             "score": rng.uniform(0.2, 1.0)})
                n += 1
        while n < a.dets:
            side = math.exp(rng.uniform(math.log(4), math.log(300)))
            box = clip_box(rng.uniform(0, width), rng.uniform(0, height), side,
                           side * math.exp(rng.uniform(-1, 1)), width, height)
            dets.append({"image_id": i, "category_id": rng.randint(1, a.classes), "bbox": box,
                         "score": rng.uniform(0.001, 0.6)})
            n += 1
    if a.segm:
        for det in dets:
            det["segmentation"] = ellipse_rle(det["bbox"], width, height)
    cats = [{"id": c, "name": f"class{c}", "supercategory": "thing"} for c in range(1, a.classes + 1)]
    os.makedirs(a.out_dir, exist_ok=True)
    with open(os.path.join(a.out_dir, "gt.json"), "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)
    with open(os.path.join(a.out_dir, "dets.json"), "w") as f:
        json.dump(dets, f)
    print(f"{len(images)} images, {len(anns)} annotations, {len(dets)} detections -> {a.out_dir}")


if __name__ == "__main__":
    main()
