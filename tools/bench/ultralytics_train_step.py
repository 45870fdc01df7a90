#!/usr/bin/python3
"""Times one YOLOv5 training step (forward + ComputeLoss + backward + SGD step) with the
ultralytics yolov5 Python code, for comparison with `qyolo bench train-step`.

Run with Debian's /usr/bin/python3 (python3-torch 1.13) and a yolov5 checkout:
    tools/bench/ultralytics_train_step.py --yolov5 DIR --model yolov5n --batch 16 --img 320 --threads 1
Prints one JSON line: {"impl": "ultralytics", "step_s": median seconds, ...}.
"""
import argparse
import json
import statistics
import sys
import time


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--yolov5', required=True, help='path to an ultralytics/yolov5 checkout (v7.0)')
    ap.add_argument('--model', default='yolov5n')
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--img', type=int, default=320)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--steps', type=int, default=10)
    ap.add_argument('--warmup', type=int, default=3)
    args = ap.parse_args()

    sys.path.insert(0, args.yolov5)
    import torch
    import yaml
    from models.yolo import Model
    from utils.loss import ComputeLoss

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = Model(f'{args.yolov5}/models/{args.model}.yaml', ch=3, nc=80)
    with open(f'{args.yolov5}/data/hyps/hyp.scratch-low.yaml') as f:
        model.hyp = yaml.safe_load(f)
    model.train()
    compute_loss = ComputeLoss(model)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.937, nesterov=True)

    gen = torch.Generator().manual_seed(1)
    images = torch.rand(args.batch, 3, args.img, args.img, generator=gen)
    n = 4 * args.batch  # four objects per image, like a light COCO batch
    targets = torch.cat([
        torch.arange(args.batch).repeat_interleave(4).float()[:, None],
        torch.randint(0, 80, (n, 1), generator=gen).float(),
        0.2 + 0.6 * torch.rand(n, 2, generator=gen),
        0.05 + 0.3 * torch.rand(n, 2, generator=gen)], 1)

    times = []
    for i in range(args.warmup + args.steps):
        t0 = time.perf_counter()
        pred = model(images)
        loss, _ = compute_loss(pred, targets)
        loss.backward()
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if i >= args.warmup:
            times.append(time.perf_counter() - t0)
    print(json.dumps({'impl': 'ultralytics', 'model': args.model, 'batch': args.batch, 'img': args.img,
                      'threads': args.threads, 'step_s': statistics.median(times),
                      'torch': str(torch.__version__)}))


if __name__ == '__main__':
    main()
