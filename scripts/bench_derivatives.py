"""Benchmark: derivatives of a SIREN, nested autograd on all points vs chunked autograd vs the fast
path.

For each grid size (points = size^2) and derivative order, three ways to get all partials
up to that order of a 5 x 256 SIREN (the INSP-Net setting), in the same run:

- ``autograd, all points``: one nested-autograd pass over every point (what a direct
  implementation does; memory grows with the number of points);
- ``autograd, chunked``: the same in chunks (``inrutils.derivatives`` default, 4096 points);
- ``fast``: the closed-form forward propagation through the sine layers (1024 points).

Each measurement runs in its own subprocess, so the peak resident memory (ru_maxrss minus
the process's size before the computation) belongs to that method alone. Wall time is the
median of ``--repeats`` runs inside the subprocess. Runs that would need more than
``--max-gb`` (extrapolated from the issue's measurement of 5.6 GB at 65,536 points, order 3)
are skipped and said so.

    python scripts/bench_derivatives.py           # 256^2 and 512^2, orders 1-3 (~10 min on 2 cores)
    python scripts/bench_derivatives.py --sizes 64 --orders 2 --repeats 1   # seconds
"""

from __future__ import annotations

import argparse
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent

WORKER = (
    r"""
import json, resource, statistics, sys, time
import torch
sys.path.insert(0, {root!r})
from inrutils import derivatives as D
from inrutils.coords import grid
from inrutils.models import Siren
torch.set_num_threads({threads})
torch.manual_seed(0)
model = Siren(2, 1, hidden=256, layers=5)
coords = grid({size}, {size})
chunk = {chunk}
D.all_partials(model, coords[:256], {order}, {method!r}, chunk=256)   # warm-up (allocator, kernels)
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
times = []
for _ in range({repeats}):
    t = time.perf_counter()
"""
    "    out = D.all_partials(model, coords, {order}, {method!r}, "
    "chunk=chunk if chunk else coords.shape[0])\n"
    r"""    times.append(time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
"""
    "print(json.dumps(dict(seconds=statistics.median(times), peak_mb=(peak - base) / 1024, "
    "shape=list(out.shape))))\n"
)


def measure(
    size: int, order: int, method: str, chunk: int | None, repeats: int, threads: int
) -> dict:
    code = WORKER.format(
        root=str(ROOT),
        threads=threads,
        size=size,
        order=order,
        method=method,
        chunk=chunk,
        repeats=repeats,
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if res.returncode != 0:
        return dict(error=(res.stderr.strip().splitlines() or ["killed"])[-1][:80])
    return json.loads(res.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--sizes", type=int, nargs="+", default=[256, 512])
    p.add_argument("--orders", type=int, nargs="+", default=[1, 2, 3])
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument(
        "--max-gb",
        type=float,
        default=8.0,
        help="skip all-points autograd runs predicted above this",
    )
    args = p.parse_args(argv)
    gb_per_point = {
        1: 0.5 / 65536,
        2: 2.0 / 65536,
        3: 5.6 / 65536,
    }  # measured here (issue 7), nested autograd
    print(
        f"SIREN 5x256, {args.threads} threads, median of {args.repeats}; peak = extra resident "
        "memory of the run"
    )
    print(
        f"{'points':>8s} {'order':>5s}  {'method':28s} {'time (s)':>9s} {'peak (MB)':>10s}  "
        f"{'speed-up vs chunked autograd':>29s}"
    )
    for size in args.sizes:
        n = size * size
        for order in args.orders:
            results = {}
            for label, method, chunk in [
                ("autograd, all points", "autograd", 0),
                ("autograd, chunked (4096)", "autograd", 4096),
                ("fast (1024)", "fast", 1024),
            ]:
                predicted = gb_per_point.get(order, 6.0 / 65536) * n
                if chunk == 0 and predicted > args.max_gb:
                    results[label] = dict(
                        error=f"skipped: predicted {predicted:.0f} GB > --max-gb {args.max_gb:g}"
                    )
                else:
                    reps = 1 if chunk == 0 else args.repeats
                    results[label] = measure(size, order, method, chunk, reps, args.threads)
            ref = results["autograd, chunked (4096)"].get("seconds")
            for label, r in results.items():
                if "error" in r:
                    print(f"{n:8d} {order:5d}  {label:28s} {r['error']}")
                    continue
                ratio = f"{ref / r['seconds']:.2f}x" if ref else ""
                print(
                    f"{n:8d} {order:5d}  {label:28s} {r['seconds']:9.2f} {r['peak_mb']:10.0f}  "
                    f"{ratio:>29s}",
                    flush=True,
                )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
