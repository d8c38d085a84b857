"""Benchmark: ``inrutils.fit`` against a bare PyTorch loop on the same model, data and steps.

Both loops run full-batch Adam on a SIREN fitted to camera; each configuration is timed
``--repeats`` times alternately (bare, inrutils, bare, ...) and the medians compared.
Goal: the library's overhead (history, NaN check, progress bar) stays <= 5 %.

    python scripts/bench_fit.py [--size 128] [--steps 50] [--repeats 3] [--device cpu]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from inrutils import config
from inrutils.coords import grid, image_to_samples
from inrutils.data import load_image
from inrutils.fit import fit
from inrutils.models import Siren


def bare_loop(model, coords, target, steps, lr):
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = torch.nn.functional.mse_loss(model(coords), target)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    return loss.item()


def timed(fn, dev):
    if dev.type == "cuda":
        torch.cuda.synchronize()
    t = time.perf_counter()
    fn()
    if dev.type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", type=int, default=128)
    ap.add_argument("--steps", type=int, default=50)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--layers", type=int, default=4)
    ap.add_argument("--device", default=None)
    args = ap.parse_args()
    dev = config.device(args.device)
    img = load_image("camera", args.size)
    coords, target = grid(args.size, args.size).to(dev), image_to_samples(img).to(dev)

    def fresh():
        config.seed_everything(0)
        return Siren(layers=args.layers).to(dev)

    # warm-up (allocator, kernels)
    bare_loop(fresh(), coords, target, 3, 1e-4)
    times = {"bare PyTorch loop": [], "inrutils.fit": []}
    for _ in range(args.repeats):
        times["bare PyTorch loop"].append(
            timed(lambda: bare_loop(fresh(), coords, target, args.steps, 1e-4), dev)
        )
        times["inrutils.fit"].append(
            timed(lambda: fit(fresh(), coords, target, args.steps, 1e-4, progress=True), dev)
        )

    print(
        f"\nfull-batch fit, SIREN {args.layers}x256, camera {args.size}x{args.size}, {args.steps} "
        f"steps, device {dev}, {torch.get_num_threads()} threads, median of {args.repeats}"
    )
    print(f"{'loop':<20}{'median s':>10}{'s/step':>10}{'runs':>28}")
    med = {k: statistics.median(v) for k, v in times.items()}
    for k, v in times.items():
        print(
            f"{k:<20}{med[k]:>10.3f}{med[k] / args.steps:>10.4f}   "
            + ", ".join(f"{t:.3f}" for t in v)
        )
    ratio = med["inrutils.fit"] / med["bare PyTorch loop"]
    print(
        f"ratio inrutils.fit / bare loop = {ratio:.3f}  (overhead {100 * (ratio - 1):+.1f} %, "
        "goal <= +5 %)"
    )


if __name__ == "__main__":
    main()
