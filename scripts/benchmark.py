"""Notebook 08's comparison at larger sizes: every method of the course on shared tasks.

Tasks (grey bundled images): representation at a parameter budget (ReLU + Fourier features, SIREN,
WIRE, MFN, O-INR), denoising at sigma_n (LINR, O-INR, Knitwork, TV, NLM), x4 super-resolution
(bicubic, LIIF, LINR) and inpainting of a central square hole (biharmonic, LINR, Knitwork with
notebook 06's settings). Every method is called from ``inrutils`` as notebook 08 calls it; only the
sizes, steps and images change. Writes a Markdown table (PSNR, SSIM, parameters, seconds per method,
mean over the images) to ``docs/results/benchmark.md`` and a CSV beside it.

    python scripts/benchmark.py                      # 128x128 (SR: 256x256), 1,000 steps, 3 images
    python scripts/benchmark.py --size 256 --steps 2000 --images camera astronaut coffee rocket
    python scripts/benchmark.py --smoke              # seconds: tiny sizes, for the tests
"""

from __future__ import annotations

import argparse
import pathlib
import platform
import sys
import time

import torch

from inrutils import config, degrade, knitwork, liif, linr, oinr
from inrutils.coords import grid
from inrutils.data import available_images, load_image, save_results
from inrutils.encodings import FourierFeatures
from inrutils.metrics import psnr, ssim
from inrutils.models import MLP, count_params, size_to_budget

ROOT = pathlib.Path(__file__).resolve().parents[1]
TASKS = ("representation", "denoising", "SR x4", "inpainting")


def _rendered(model: torch.nn.Module, size: int, dev) -> torch.Tensor:
    with torch.no_grad():
        out = model(grid(size, size).to(dev))
    return out.T.reshape(1, size, size).clamp(0, 1).cpu()


def _ff_mlp(width: int) -> MLP:
    return MLP(2, 1, hidden=width, layers=3, encoding=FourierFeatures(2, 64, 2.0, seed=0))


def run_image(
    name: str, size: int, steps: int, budget: int, sigma_n: float, hole: float, dev
) -> list[dict]:
    """All tasks on one image; a list of rows (task, method, psnr, ssim, params, seconds)."""
    rows: list[dict] = []

    def record(task, method, out, target, params, seconds, mask=None):
        rows.append(
            dict(
                image=name,
                task=task,
                method=method,
                psnr=psnr(out, target, mask=mask),
                ssim=ssim(out, target),
                params=params,
                seconds=seconds,
            )
        )
        print(
            f"{name:<10}{task:<15}{method:<26}{rows[-1]['psnr']:7.2f} dB {seconds:8.1f} s",
            flush=True,
        )

    clean = load_image(name, size, gray=True)
    config.seed_everything(0)
    models = {"ReLU + Fourier features": size_to_budget(_ff_mlp, budget)}
    models.update(oinr.baseline_models(1, size, size, budget, task="represent"))
    lrs = dict(oinr.LEARNING_RATES["represent"], **{"ReLU + Fourier features": 1e-3})
    for method, model in models.items():
        t = time.process_time()
        oinr.fit_decay(model.to(dev), clean, steps, lrs[method])
        record(
            "representation",
            method,
            _rendered(model, size, dev),
            clean,
            count_params(model),
            time.process_time() - t,
        )

    noisy = degrade.gaussian_noise(clean, sigma_n, seed=0)
    t = time.process_time()
    prior = linr.default_model(1, hidden=128, layers=4)
    r = linr.restore(
        noisy, steps=steps, model=prior, lr=2e-4, stop="discrepancy", progress=False, device=dev
    )
    record("denoising", "LINR", r.image, clean, count_params(prior), time.process_time() - t)
    t = time.process_time()
    net = oinr.baseline_models(1, size, size, budget, task="denoise", names=("O-INR",))["O-INR"].to(
        dev
    )
    oinr.fit_decay(net, noisy, steps, oinr.LEARNING_RATES["denoise"]["O-INR"])
    record(
        "denoising",
        "O-INR",
        _rendered(net, size, dev),
        clean,
        count_params(net),
        time.process_time() - t,
    )
    t = time.process_time()
    torch.manual_seed(0)
    knit = knitwork.Knitwork(1, dilations=(1, 8), margin=2, hidden=128, layers=4, n_features=64)
    knitwork.train(knit.to(dev), noisy, steps=steps, lr=2e-3, alpha=0.05, adv_batch=256)
    record(
        "denoising",
        "Knitwork",
        knit.render(size, size),
        clean,
        count_params(knit.generator),
        time.process_time() - t,
    )
    for method, fn in (("TV", linr.tv_denoise), ("NLM", linr.nlm_denoise)):
        t = time.process_time()
        record("denoising", method, fn(noisy), clean, 0, time.process_time() - t)

    hr_size = 2 * size
    hr = load_image(name, hr_size, gray=True)
    small = degrade.downsample(hr, 4, "bicubic").clamp(0, 1)
    t = time.process_time()
    record(
        "SR x4",
        "bicubic",
        degrade.upsample_bicubic(small, 4).clamp(0, 1),
        hr,
        0,
        time.process_time() - t,
    )
    model = liif.pretrained("cpu", device=dev)
    t = time.process_time()
    record(
        "SR x4",
        "LIIF (pretrained)",
        liif.upsample(model, small, scale=4),
        hr,
        count_params(model),
        time.process_time() - t,
    )
    t = time.process_time()
    prior = linr.default_model(1, hidden=128, layers=4)
    r = linr.restore(
        small,
        lambda x: degrade.downsample(x, 4, "bicubic"),
        size=(hr_size, hr_size),
        steps=steps,
        model=prior,
        lr=2e-4,
        progress=False,
        device=dev,
    )
    record("SR x4", "LINR", r.image, hr, count_params(prior), time.process_time() - t)

    mask = degrade.box_mask(size, size, hole)
    obs = degrade.apply_mask(clean, mask)
    missing = ~mask[0].bool()
    t = time.process_time()
    record(
        "inpainting",
        "biharmonic",
        linr.biharmonic_inpaint(obs, mask),
        clean,
        0,
        time.process_time() - t,
        mask=missing,
    )
    t = time.process_time()
    prior = linr.default_model(1, hidden=128, layers=4, w0=15.0)
    r = linr.restore(
        obs,
        lambda x: degrade.apply_mask(x, mask),
        steps=steps,
        model=prior,
        lr=2e-4,
        progress=False,
        device=dev,
    )
    record(
        "inpainting",
        "LINR",
        r.image,
        clean,
        count_params(prior),
        time.process_time() - t,
        mask=missing,
    )
    t = time.process_time()
    torch.manual_seed(0)
    knit = knitwork.Knitwork(1, dilations=(1, 8), margin=2, hidden=128, layers=4, n_features=64)
    knitwork.train(knit.to(dev), obs, mask, steps=steps, lr=2e-3, alpha=0.05, adv_batch=256)
    record(
        "inpainting",
        "Knitwork",
        knit.render(size, size),
        clean,
        count_params(knit.generator),
        time.process_time() - t,
        mask=missing,
    )
    return rows


def write(
    rows: list[dict], args: argparse.Namespace, out: pathlib.Path, seconds: float, cpu: float
) -> None:
    """The Markdown table (mean over images per task and method) and the per-image CSV (with the
    command and ``cpu`` seconds of process time in its header)."""
    out.parent.mkdir(parents=True, exist_ok=True)
    command = f"python scripts/benchmark.py {' '.join(args.argv)}".rstrip()
    save_results(out.with_suffix(".csv"), rows, command, cpu)
    lines = [
        "# Benchmark: the course's methods side by side",
        "",
        f"Command: `{command}`",
        "",
        f"Images {', '.join(args.images)} (grey), {args.size}x{args.size} (SR x4: "
        f"{2 * args.size}x{2 * args.size} from {args.size // 2}x{args.size // 2}); {args.steps} "
        f"steps per fitted method; representation budget {args.budget:,} parameters; denoising "
        f"sigma_n = {args.sigma_n}; inpainting a central square hole of {args.hole:.0%} of the "
        f"image (PSNR in the hole). One seed. Device: {config.device()} "
        f"({platform.processor() or platform.machine()}, {torch.get_num_threads()} threads); "
        f"total {seconds:.0f} s. Mean over the images; per-image rows in "
        f"`{out.with_suffix('.csv').name}`.",
        "",
        "| task | method | PSNR (dB) | SSIM | parameters | CPU seconds |",
        "|---|---|---|---|---|---|",
    ]
    for task in TASKS:
        methods = dict.fromkeys(r["method"] for r in rows if r["task"] == task)
        for m in methods:
            rs = [r for r in rows if r["task"] == task and r["method"] == m]
            mean = {k: sum(r[k] for r in rs) / len(rs) for k in ("psnr", "ssim", "seconds")}
            lines.append(
                f"| {task} | {m} | {mean['psnr']:.2f} | {mean['ssim']:.3f} | {rs[0]['params']:,} | "
                f"{mean['seconds']:.1f} |"
            )
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out} and {out.with_suffix('.csv')}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--size", type=int, default=128, help="image side (SR: twice this, from a quarter of it)"
    )
    p.add_argument(
        "--steps", type=int, default=1000, help="optimisation steps of every fitted method"
    )
    p.add_argument(
        "--budget", type=int, default=30_000, help="parameters per model in the representation task"
    )
    p.add_argument("--images", nargs="+", default=["camera", "astronaut", "coffee"])
    p.add_argument("--sigma-n", type=float, default=0.1, help="Gaussian noise level for denoising")
    p.add_argument(
        "--hole",
        type=float,
        default=0.04,
        help="area fraction of the central square hole to inpaint",
    )
    p.add_argument("--out", type=pathlib.Path, default=ROOT / "docs" / "results" / "benchmark.md")
    p.add_argument(
        "--smoke", action="store_true", help="tiny sizes and steps (seconds), for the tests"
    )
    args = p.parse_args(argv)
    args.argv = sys.argv[1:] if argv is None else list(argv)
    if args.smoke:
        args.size, args.steps, args.budget, args.images = 32, 3, 2700, args.images[:1]
    if args.size < 16 or args.size % 4:
        p.error(f"--size must be a multiple of 4 and at least 16, got {args.size}")
    if args.steps < 1:
        p.error(f"--steps must be positive, got {args.steps}")
    if not 0 < args.hole < 0.5:
        p.error(f"--hole must be in (0, 0.5), got {args.hole}")
    unknown = [n for n in args.images if n not in available_images()]
    if unknown:
        p.error(f"unknown images {unknown}; available: {', '.join(available_images())}")
    dev = config.device()
    t0, cpu0 = time.perf_counter(), time.process_time()
    rows = []
    for name in args.images:
        rows += run_image(name, args.size, args.steps, args.budget, args.sigma_n, args.hole, dev)
    write(rows, args, args.out, time.perf_counter() - t0, time.process_time() - cpu0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
