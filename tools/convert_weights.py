#!/usr/bin/env python3
"""Convert an ultralytics yolov5 or WongKinYiu yolov7 checkpoint (.pt) into a plain state dict
that qyolo (LibTorch's torch::pickle_load) can read.

A training checkpoint pickles whole nn.Module objects, so it only loads where the code that
defined them is importable: pass --repo with a checkout of yolov5 (tag v7.0) or yolov7.
The output is torch.save of one flat dict:

    "model.0.conv.weight": float32 tensor, ...      every state_dict entry, by reference name
    "qyolo_format": "state_dict-v1"                 plain metadata (never tensors)
    "source", "weights_from", "nc", "names", "yaml", "epoch"

Floating tensors become contiguous float32 copies that own their storage; integer buffers
(num_batches_tracked) stay int64. LibTorch 1.13's unpickler rejects lists/dicts with exactly one
element and subclasses of str/float, so metadata is reduced to plain int/float/str values:
class names are one newline-separated string, the model yaml is YAML text.

Example:
    python3 tools/convert_weights.py yolov5s.pt -o yolov5s.qyolo.pt --repo ~/src/yolov5
    qyolo train --config configs/yolov5s_w4a4.yaml --set model.weights=yolov5s.qyolo.pt
"""

import argparse
import os
import sys

FORMAT = "state_dict-v1"


def parse_args(argv):
    p = argparse.ArgumentParser(
        description="Convert a yolov5/yolov7 .pt checkpoint into a state dict qyolo can load.")
    p.add_argument("weights", help="checkpoint written by yolov5/yolov7 train.py (or a bare model)")
    p.add_argument("-o", "--output",
                   help="output file (default: <weights without .pt>.qyolo.pt next to the input)")
    p.add_argument("--repo",
                   help="checkout of ultralytics/yolov5 (v7.0) or WongKinYiu/yolov7 whose classes "
                        "the checkpoint pickles (default: already importable, e.g. the current "
                        "directory)")
    p.add_argument("--use", choices=("auto", "ema", "model"), default="auto",
                   help="which weights to take: the EMA ('ema'), the raw model ('model'), or the "
                        "EMA when the checkpoint has one (default)")
    p.add_argument("--force", action="store_true", help="overwrite an existing output file")
    return p.parse_args(argv)


def fail(message):
    sys.exit(f"convert_weights.py: error: {message}")


def load_checkpoint(path, repo):
    import torch

    if repo:
        if not os.path.isdir(os.path.join(repo, "models")):
            fail(f"--repo {repo} has no models/ folder; give the root of a yolov5 or yolov7 checkout")
        sys.path.insert(0, os.path.abspath(repo))
    if not os.path.isfile(path):
        fail(f"no such checkpoint: {path}")
    try:
        return torch.load(path, map_location="cpu")
    except ModuleNotFoundError as e:
        fail(f"{path} pickles classes from the module '{e.name}', which is not importable here. "
             f"Pass --repo with the yolov5 (v7.0) or yolov7 checkout that wrote it.")
    except Exception as e:  # corrupt or not a torch file: say so plainly
        fail(f"cannot read {path} with torch.load: {e}")


def pick_model(ckpt, use):
    """Returns (module or state dict, which entry it came from)."""
    import torch

    if isinstance(ckpt, torch.nn.Module):
        return ckpt, "model"
    if not isinstance(ckpt, dict):
        fail(f"expected a checkpoint dict or an nn.Module, found {type(ckpt).__name__}")
    if all(isinstance(v, torch.Tensor) for v in ckpt.values()) and ckpt:
        return ckpt, "state_dict"
    ema = ckpt.get("ema")
    model = ckpt.get("model")
    if use == "ema" and ema is None:
        fail("the checkpoint has no EMA weights ('ema' is missing or None); use --use model")
    if use == "ema" or (use == "auto" and ema is not None):
        return ema, "ema"
    if model is None:
        fail(f"the checkpoint has no 'model' entry (keys: {', '.join(map(str, ckpt))})")
    return model, "model"


def plain_state(source):
    import torch

    sd = source.state_dict() if isinstance(source, torch.nn.Module) else source
    out = {}
    for name, value in sd.items():
        if not isinstance(value, torch.Tensor):
            fail(f"state entry {name} is a {type(value).__name__}, not a tensor")
        t = value.detach().cpu()
        t = t.float() if t.is_floating_point() else t
        out[str(name)] = t.contiguous().clone()  # own storage, no views into other tensors
    if not out:
        fail("the selected weights hold no tensors")
    if not any(k.endswith(".bn.running_var") for k in out) and any(k.endswith(".conv.weight") for k in out):
        print("warning: no BatchNorm entries; the model was fused (Conv+BN) before saving and "
              "will not match an unfused qyolo model", file=sys.stderr)
    return out


def metadata(model, ckpt, weights_path, taken_from):
    import yaml

    meta = {"qyolo_format": FORMAT, "source": os.path.basename(weights_path), "weights_from": taken_from}
    nc = getattr(model, "nc", None)
    model_yaml = getattr(model, "yaml", None)
    if isinstance(model_yaml, dict):
        nc = nc if nc is not None else model_yaml.get("nc")
        meta["yaml"] = str(yaml.safe_dump(model_yaml, sort_keys=False, default_flow_style=None))
    if nc is not None:
        meta["nc"] = int(nc)
    names = getattr(model, "names", None)
    if isinstance(names, dict):
        names = [names[k] for k in sorted(names)]
    if names:
        meta["names"] = "\n".join(str(n) for n in names)
    if isinstance(ckpt, dict) and isinstance(ckpt.get("epoch"), int):
        meta["epoch"] = int(ckpt["epoch"])
    return meta


def check_plain(obj, where="output"):
    """Asserts that LibTorch 1.13's unpickler can read `obj` (see the module docstring)."""
    import torch

    if isinstance(obj, torch.Tensor):
        return
    if type(obj) in (bool, int, float, str) or obj is None:
        return
    if type(obj) in (list, tuple):
        if len(obj) == 1:
            raise AssertionError(f"{where}: a one-element list cannot be read by LibTorch")
        for i, v in enumerate(obj):
            check_plain(v, f"{where}[{i}]")
        return
    if type(obj) is dict:
        if len(obj) == 1:
            raise AssertionError(f"{where}: a one-entry dict cannot be read by LibTorch")
        for k, v in obj.items():
            if type(k) is not str:
                raise AssertionError(f"{where}: key {k!r} is not a plain str")
            check_plain(v, f"{where}[{k!r}]")
        return
    raise AssertionError(f"{where}: {type(obj).__name__} is not a plain type")


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        import torch
        import yaml  # noqa: F401  (yolov5/yolov7 need it too)
    except ImportError as e:
        fail(f"{e.name} is not importable by {sys.executable}; run this script with the Python "
             f"that runs yolov5/yolov7 (it needs torch and PyYAML)")

    output = args.output or (os.path.splitext(args.weights)[0] + ".qyolo.pt")
    if os.path.exists(output) and not args.force:
        fail(f"{output} exists; pass --force to overwrite it")
    ckpt = load_checkpoint(args.weights, args.repo)
    model, taken_from = pick_model(ckpt, args.use)
    state = plain_state(model)
    meta = metadata(model, ckpt, args.weights, taken_from)
    clash = sorted(set(meta) & set(state))
    if clash:
        fail(f"state entries clash with metadata names: {', '.join(clash)}")
    out = {**state, **meta}
    check_plain(out)
    tmp = output + ".tmp"
    torch.save(out, tmp)
    os.replace(tmp, output)
    n_params = sum(t.numel() for t in state.values() if t.is_floating_point())
    print(f"wrote {output}: {len(state)} tensors ({n_params:,} floats) from '{taken_from}'"
          + (f", nc={meta['nc']}" if "nc" in meta else ""))


if __name__ == "__main__":
    main()
