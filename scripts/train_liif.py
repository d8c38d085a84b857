"""Train LIIF (Chen et al., CVPR 2021) on the course's bundled training images; one device or DDP.

    python scripts/train_liif.py --preset cpu --out data/liif_cpu.pt   # the shipped checkpoint
    python scripts/train_liif.py --preset cpu --iters 1500 --no-ensemble \\
        --out data/liif_cpu-no-ensemble.pt
    torchrun --nproc_per_node=2 scripts/train_liif.py --preset cpu \\
        --out /tmp/liif.pt   # DistributedDataParallel
    python scripts/train_liif.py --preset paper \\
        --out liif_paper.pt   # the paper's model and recipe, RGB (GPU)

Recipe (the paper's): random HR crops at a scale s ~ U(1, 4), their bicubic downsampling to a
fixed LR patch, random HR query pixels with coordinates and cells, L1 loss, Adam, step decay.
Presets differ in size and colour only:

- ``paper``: the paper's model, RGB: EDSR-baseline encoder (16 blocks x 64), decoder 5 x 256,
  16 patches of 48^2 LR pixels, 48^2 queries each, lr 1e-4 halved every 200k of 1M iterations
  (the official schedule: 1,000 epochs of 1,000 iterations, halved every 200 epochs). The data
  are not the paper's (DIV2K's 800 training images cannot be shipped): the bundled training
  images, colour ones as they are and grey ones repeated to three channels.
- ``cpu``: single-channel (colour images are processed one channel at a time), encoder 8 x 32,
  decoder 5 x 128, 8 patches of 32^2, 24^2 queries each (the decoder dominates the cost on a
  CPU), lr 4e-4 halved at 50 %, 75 % and 90 % of 7,000 iterations.

Training data: ``inrutils.liif.TRAIN_IMAGES`` (bundled natural images). The demo images
``inrutils.liif.HELD_OUT`` are never used for training; the end of the run reports PSNR on native
crops of them against bicubic (``inrutils.liif.evaluate``: grey, shave = scale for a single-channel
model; RGB, shave = scale + 6 as in the paper's DIV2K columns for an RGB one). Under torchrun each
process draws its own crops (seed + rank), the global batch is split across processes, gradients
are averaged by DDP and rank 0 saves. Every rank checks that the loss is finite and the ranks
agree (an all-reduce of the flag) before any of them stops, so one diverging rank cannot leave
the others waiting in the next gradient all-reduce.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
import time

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from inrutils import liif

PRESETS = {
    "paper": dict(
        channels=3,
        n_resblocks=16,
        n_feats=64,
        hidden=256,
        layers=5,
        batch=16,
        patch=48,
        queries=48 * 48,
        iters=1_000_000,
        lr=1e-4,
        milestones=(0.2, 0.4, 0.6, 0.8),
    ),
    "cpu": dict(
        channels=1,
        n_resblocks=8,
        n_feats=32,
        hidden=128,
        layers=5,
        batch=8,
        patch=32,
        queries=24 * 24,
        iters=7000,
        lr=4e-4,
        milestones=(0.5, 0.75, 0.9),
    ),
    "smoke": dict(
        channels=1,
        n_resblocks=1,
        n_feats=8,
        hidden=16,
        layers=2,
        batch=2,
        patch=12,
        queries=32,
        iters=3,
        lr=1e-3,
        milestones=(0.5,),
    ),
}
PRESETS["smoke-rgb"] = dict(PRESETS["smoke"], channels=3)  # the RGB code path, in seconds


def evaluate(model: liif.LIIF, scales=(2, 3, 4)) -> dict[str, float]:
    """Mean PSNR over native crops of the held-out images (grey and shave = scale for a
    single-channel model, RGB and shave = scale + 6 for an RGB one): LIIF and bicubic."""
    rgb = model.channels == 3
    rows = liif.evaluate(model, scales, gray=not rgb, shave="scale+6" if rgb else "scale")
    out = {}
    for s in scales:
        sel = [r for r in rows if r["scale"] == s]
        out[f"x{s}"] = sum(r["liif"] for r in sel) / len(sel)
        out[f"x{s}_bicubic"] = sum(r["bicubic"] for r in sel) / len(sel)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument(
        "--iters",
        type=int,
        default=None,
        help="override the preset's iterations (the schedule scales)",
    )
    ap.add_argument("--out", required=True, help="checkpoint path (written by rank 0)")
    ap.add_argument("--no-ensemble", action="store_true", help="ablation -e: nearest code only")
    ap.add_argument(
        "--no-unfold", action="store_true", help="ablation -u: no 3x3 feature unfolding"
    )
    ap.add_argument("--no-cell", action="store_true", help="ablation -c: no cell decoding")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--threads", type=int, default=None, help="torch CPU threads per process")
    ap.add_argument("--log-every", type=int, default=250)
    ap.add_argument(
        "--no-eval", action="store_true", help="skip the held-out evaluation at the end"
    )
    ap.add_argument(
        "--poison-loss-at",
        type=int,
        default=None,
        metavar="ITER",
        help="testing only: make the last rank's loss NaN at this iteration (checks that every "
        "rank stops)",
    )
    args = ap.parse_args(argv)
    p = dict(PRESETS[args.preset])
    iters = p["iters"] if args.iters is None else args.iters
    if args.threads:
        torch.set_num_threads(args.threads)

    distributed = "RANK" in os.environ and int(os.environ.get("WORLD_SIZE", "1")) > 1
    rank, world = 0, 1
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if distributed:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
        rank, world = dist.get_rank(), dist.get_world_size()
        if device.type == "cuda":
            device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
            torch.cuda.set_device(device)
    if p["batch"] % world:
        raise SystemExit(
            f"the global batch {p['batch']} must be divisible by the number of processes {world}"
        )

    torch.manual_seed(
        args.seed
    )  # identical initial weights on every rank (DDP also broadcasts them)
    model = liif.LIIF(
        channels=p["channels"],
        n_resblocks=p["n_resblocks"],
        n_feats=p["n_feats"],
        hidden=p["hidden"],
        layers=p["layers"],
        local_ensemble=not args.no_ensemble,
        feat_unfold=not args.no_unfold,
        cell_decode=not args.no_cell,
    ).to(device)
    net = DistributedDataParallel(model) if distributed else model
    opt = torch.optim.Adam(net.parameters(), lr=p["lr"])
    sched = torch.optim.lr_scheduler.MultiStepLR(
        opt, [round(m * iters) for m in p["milestones"]], gamma=0.5
    )
    images = liif.training_images(channels=p["channels"])
    gen = torch.Generator().manual_seed(args.seed * 1000 + rank)  # each rank its own crops
    t0, running = time.perf_counter(), 0.0
    for it in range(1, iters + 1):
        b = liif.sample_batch(images, p["batch"] // world, p["patch"], p["queries"], generator=gen)
        pred = net(b.lr.to(device), b.coord.to(device), b.cell.to(device))
        loss = (pred - b.target.to(device)).abs().mean()
        if args.poison_loss_at == it and rank == world - 1:
            loss = loss * float("nan")
        # every rank learns whether any rank's loss is non-finite before one of them stops
        finite = torch.tensor([1.0 if math.isfinite(loss.item()) else 0.0], device=device)
        if distributed:
            dist.all_reduce(finite, op=dist.ReduceOp.MIN)
        if finite.item() < 1:
            print(
                f"rank {rank}/{world}: iteration {it}: a non-finite loss (this rank's: "
                f"{loss.item()}); stopping every rank",
                flush=True,
            )
            if distributed:
                dist.destroy_process_group()
            raise SystemExit(
                f"iteration {it}: the loss is not finite; lower --lr or check the data"
            )
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        sched.step()
        running += loss.item()
        if rank == 0 and (it % args.log_every == 0 or it == iters):
            n = args.log_every if it % args.log_every == 0 else it % args.log_every
            print(
                f"iter {it}/{iters}  L1 {running / n:.4f}  lr {sched.get_last_lr()[0]:.1e}  "
                f"{time.perf_counter() - t0:.0f} s",
                flush=True,
            )
            running = 0.0
    checksum = sum(float(q.detach().double().sum()) for q in model.parameters())
    print(f"rank {rank}/{world}: parameter checksum {checksum:.10e}", flush=True)
    if rank == 0:
        model = model.cpu().eval()
        dtype = torch.float32 if args.preset == "paper" else torch.float16  # small shipped files
        with torch.no_grad():  # evaluate the weights exactly as they will be stored
            for q in model.parameters():
                q.copy_(q.to(dtype).float())
        scores = {} if args.no_eval else evaluate(model)
        meta = {
            "preset": args.preset,
            "iters": iters,
            "seed": args.seed,
            "world_size": world,
            "train_images": list(liif.TRAIN_IMAGES),
            "held_out": list(liif.HELD_OUT),
            "seconds": round(time.perf_counter() - t0),
            "held_out_psnr": scores,
            "command": "python scripts/train_liif.py "
            + " ".join(argv if argv is not None else sys.argv[1:]),
        }
        liif.save(model, args.out, dtype=dtype, **meta)
        print(
            f"saved {args.out}: " + ", ".join(f"{k} {v:.2f}" for k, v in scores.items()), flush=True
        )
    if distributed:
        dist.destroy_process_group()


if __name__ == "__main__":
    main()
