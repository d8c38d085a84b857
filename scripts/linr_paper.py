"""LINR at the paper's settings on the bundled images: every task, its classical baselines, one
table.

Xu and Jiao, "Revisiting Implicit Neural Representations in Low-Level Vision", ICLR 2023 Neural
Fields workshop, https://arxiv.org/abs/2304.10250; official code https://github.com/WenTXuL/LINR.
The paper's prior and optimiser (``inrutils.linr.TASKS``: the official ``Siren(hidden_layers=6,
outermost_linear=True)``, i.e. 7 sine layers of 256 and a linear head, Adam lr 1e-4, a fixed 500
steps, 4000 for deblurring) on scikit-image images at ``--size`` (256 by default; the paper uses
Set9 / Set5 at their native sizes), against the classical baselines of notebook 05: denoising,
SR x4, inpainting, deblurring, the paper's joint training (a noisy image and a 4x smaller one,
``L_LR + 0.1 L_noisy``, beside each single-observation fit) and the activation ablation on SR x4
(ReLU with positional encoding, its octaves L chosen on the validation image grace_hopper).
Low-resolution observations are made with PIL LANCZOS as in the official notebooks
(``degrade.pil_downsample``).
Writes a Markdown table (and a CSV beside it) to ``--out``. Our metrics: PSNR and SSIM with data
range 1 on the RGB (or grey) image; the paper's SSIM used data range 2 (higher by 0.05-0.15 on
these images) and its deblurring PSNR the Y channel of 8-bit images, so deblurring rows also
give ``psnr_y`` computed that way. A GPU is recommended: on a 2-core CPU one 256x256
paper-size step takes seconds.

    python scripts/linr_paper.py                    # all tasks, all images, paper settings
    python scripts/linr_paper.py --images camera --tasks sr --size 128 --steps-scale 0.3
    python scripts/linr_paper.py --smoke            # seconds: tiny sizes/steps, checks the plumbing
"""

from __future__ import annotations

import argparse
import csv
import math
import pathlib
import sys
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inrutils import config, degrade, linr  # noqa: E402
from inrutils.data import load_image  # noqa: E402
from inrutils.encodings import PositionalEncoding  # noqa: E402
from inrutils.metrics import psnr, ssim  # noqa: E402
from inrutils.models import MLP  # noqa: E402

IMAGES = {
    "camera": True,
    "astronaut": False,
    "coffee": False,
    "chelsea": False,
    "rocket": False,
}  # name: grey?
TASKS = ("denoise", "sr", "inpaint", "deblur", "joint", "ablation")
# the paper's averages (arXiv 2304.10250): LINR, then the comparison entry of the same table
PAPER = {
    "denoise": "Table 1: 28.14 (DIP 25.55), Set9, sigma 25",
    "sr": "Table 2: 28.60, Set5 x4",
    "inpaint": "Table 3: 26.85 (DIP 24.57), 90 % missing",
    "deblur": "Table 4: 31.20 (DeepRED 30.35), PSNR on Y",
    "joint": "joint beats each single observation (Sec. 4)",
    "ablation": "Table 11: ReLU + PE 24.29 (sine 28.60)",
}
RL_ITERATIONS = (10, 20, 30, 50, 100, 200, 400)
VALIDATION_IMAGE = "grace_hopper"  # chooses the positional encoding's octaves for the ablation
OCTAVES = (2, 3, 4, 5, 6, 8, 10)  # as scripts/linr_scale.py --part octaves


def paper_siren(channels: int, preset: dict, seed: int, signed: bool = True) -> torch.nn.Module:
    """The official prior (7 sine layers of 256, linear head, [-1, 1] intensities), seeded."""
    torch.manual_seed(seed)
    return linr.default_model(
        channels, hidden=preset["hidden"], layers=preset["layers"], w0=preset["w0"], signed=signed
    )


def observe_lr(clean: torch.Tensor) -> torch.Tensor:
    """The low-resolution observation as the official SR and joint-training notebooks make it:
    PIL LANCZOS of the 8-bit image (the loss then uses lanczos2)."""
    return degrade.pil_downsample(clean, linr.TASKS["sr"]["factor"])


def psnr_y(pred: torch.Tensor, clean: torch.Tensor) -> float:
    """The official deblurring metric: PSNR on the Y (BT.601) channel of the 8-bit images, rounded
    as they do."""

    def y(img: torch.Tensor) -> torch.Tensor:
        q = torch.round(img.clamp(0, 1).double() * 255)
        if q.shape[0] == 3:
            q = (65.481 * q[0] + 128.553 * q[1] + 24.966 * q[2]) / 255 + 16
        return torch.round(q) / 255

    return 10 * math.log10(1 / float(torch.mean((y(pred) - y(clean)) ** 2)))


def run_task(task: str, name: str, clean: torch.Tensor, args, dev) -> list[dict]:
    c, size = clean.shape[0], clean.shape[1:]
    key = {"ablation": "sr", "joint": "sr"}.get(task, task)
    preset = dict(linr.TASKS[key])
    preset["hidden"] = args.hidden or preset["hidden"]
    n_steps = max(2, round(preset["steps"] * args.steps_scale))
    kw = dict(
        steps=n_steps,
        lr=preset["lr"],
        reference=clean,
        eval_every=max(1, n_steps // 20),
        device=dev,
        progress=not args.quiet,
        desc=f"{task} {name}",
    )
    rows = []

    def row(method: str, img: torch.Tensor, **extra) -> None:
        rows.append(
            dict(
                task=task,
                image=name,
                method=method,
                psnr=round(psnr(img, clean), 2),
                ssim=round(ssim(img, clean), 4),
                **extra,
            )
        )

    f = linr.TASKS["sr"]["factor"]
    down = lambda x: degrade.downsample(x, f, linr.TASKS["sr"]["method"])  # noqa: E731
    t = time.perf_counter()
    if task == "denoise":
        obs = degrade.gaussian_noise(clean, preset["noise_sigma"], seed=args.seed)
        r = linr.restore(
            obs,
            model=paper_siren(c, preset, args.seed, not args.unsigned),
            stop="discrepancy",
            run_to_end=True,
            **kw,
        )
        row("input (noisy)", obs)
        row(f"LINR, {n_steps} steps (the paper's protocol)", r.final_image, step=n_steps)
        row("LINR, discrepancy stop (ours, not the paper's)", r.image, step=r.stopped_at)
        rows.append(
            dict(
                task=task,
                image=name,
                method="LINR, best step (oracle, needs the clean image)",
                psnr=round(r.best_psnr, 2),
                ssim=round(r.curve["ssim"][r.curve["step"].index(r.best_step)], 4),  # at that step
                step=r.best_step,
            )
        )
        row("TV (weight 0.1)", linr.tv_denoise(obs))
        row("NLM (h = 0.8 sigma_hat)", linr.nlm_denoise(obs))
    elif task == "sr":
        small = observe_lr(clean)
        row(f"bicubic x{f}", degrade.upsample_bicubic(small, f))
        r = linr.restore(
            small,
            down,
            size=tuple(size),
            model=paper_siren(c, preset, args.seed, not args.unsigned),
            **kw,
        )
        row(f"LINR x{f}", r.image, step=n_steps)
    elif task == "ablation":
        # ReLU networks at lr 1e-3; the positional encoding's octaves L: args.octave_list on the
        # validation image (all of them, rows marked), the one it chose on a test image
        small = observe_lr(clean)
        validation = name == VALIDATION_IMAGE
        octaves = args.octave_list if validation else [args.chosen_octaves]
        for n_oct in [0, *octaves]:
            torch.manual_seed(args.seed)
            enc = PositionalEncoding(2, n_oct) if n_oct else None
            model = MLP(2, c, hidden=preset["hidden"], layers=preset["layers"], encoding=enc)
            r = linr.restore(
                small,
                down,
                size=tuple(size),
                model=model if args.unsigned else linr.SignedIntensity(model),
                **{**kw, "lr": 1e-3},
            )
            label = f"ReLU + positional encoding, L = {n_oct}" if n_oct else "ReLU"
            if validation:
                label += " (validation)"
            elif n_oct:
                label += " (chosen on the validation image)"
            row(label, r.image, step=n_steps)
    elif (
        task == "joint"
    ):  # the official Joint_training notebook: a noisy HR image and an LR image of it
        noisy = degrade.gaussian_noise(clean, linr.TASKS["denoise"]["noise_sigma"], seed=args.seed)
        small = observe_lr(clean)
        op, target = linr.joint_operator([down, None], [small, noisy], [1.0, 0.1])
        row("input (noisy)", noisy)
        for label, obs_, op_ in [
            ("LINR joint, L_LR + 0.1 L_noisy", target, op),
            ("LINR, noisy image only", noisy, None),
            (f"LINR, LR image only (SR x{f})", small, down),
        ]:
            r = linr.restore(
                obs_,
                op_,
                size=tuple(size),
                model=paper_siren(c, preset, args.seed, not args.unsigned),
                **kw,
            )
            row(label, r.image, step=n_steps)
    elif task == "inpaint":
        mask = degrade.random_mask(*size, observed=preset["observed"], seed=args.seed)
        obs = degrade.apply_mask(clean, mask)
        r = linr.restore(
            obs,
            lambda x: degrade.apply_mask(x, mask),
            model=paper_siren(c, preset, args.seed, not args.unsigned),
            **kw,
        )
        row("LINR", r.image, step=n_steps)
        row("biharmonic", linr.biharmonic_inpaint(obs, mask))
    elif task == "deblur":
        k = degrade.gaussian_kernel(preset["kernel_size"], preset["blur_sigma"])
        obs = degrade.gaussian_noise(degrade.blur(clean, k), 2**0.5 / 255, seed=args.seed)
        r = linr.restore(
            obs,
            lambda x: degrade.blur(x, k),
            model=paper_siren(c, preset, args.seed, not args.unsigned),
            **kw,
        )
        row("input (blurred)", obs, psnr_y=round(psnr_y(obs, clean), 2))
        row("LINR", r.image, step=n_steps, psnr_y=round(psnr_y(r.image, clean), 2))
        rl = {it: linr.richardson_lucy(obs, k, it) for it in RL_ITERATIONS}
        best = max(rl, key=lambda it: psnr(rl[it], clean))
        row("Richardson-Lucy (30 it.)", rl[30], psnr_y=round(psnr_y(rl[30], clean), 2))
        row(
            f"Richardson-Lucy, best of {RL_ITERATIONS} it. (oracle)",
            rl[best],
            step=best,
            psnr_y=round(psnr_y(rl[best], clean), 2),
        )
        wie = linr.wiener(obs, k)
        row("unsupervised Wiener", wie, psnr_y=round(psnr_y(wie, clean), 2))
    for rw in rows:
        rw.setdefault("step", "")
        rw.setdefault("psnr_y", "")
        rw["seconds"] = round(time.perf_counter() - t, 1)
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--images", nargs="+", default=list(IMAGES), choices=list(IMAGES))
    p.add_argument("--tasks", nargs="+", default=list(TASKS), choices=TASKS)
    p.add_argument(
        "--size", type=int, default=256, help="side of the square test images (default 256)"
    )
    p.add_argument(
        "--steps-scale",
        type=float,
        default=1.0,
        help="multiply the paper's step counts (default 1)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.add_argument(
        "--octaves",
        type=int,
        nargs="+",
        default=list(OCTAVES),
        help="positional-encoding octaves L tried on the validation image (ablation)",
    )
    p.add_argument(
        "--hidden", type=int, default=None, help="network width (default: the paper's 256)"
    )
    p.add_argument(
        "--unsigned",
        action="store_true",
        help="fit the network's output as the [0, 1] image itself (the official code: "
        "[-1, 1], 2 g - 1)",
    )
    p.add_argument(
        "--device", default=None, help="cpu, cuda, cuda:1, mps (default: inrutils.config.device())"
    )
    p.add_argument("--out", type=pathlib.Path, default=ROOT / "build" / "linr_paper.md")
    p.add_argument(
        "--smoke",
        action="store_true",
        help="32x32 images and 1 %% of the steps: checks the plumbing",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    args = p.parse_args(argv)
    if args.size < 32 or args.size % 4:
        p.error(f"--size must be a multiple of 4 and at least 32, got {args.size}")
    if args.hidden is not None and args.hidden < 1:
        p.error(f"--hidden must be a positive integer, got {args.hidden}")
    if args.smoke:
        args.size, args.steps_scale = 32, 0.01
    dev = config.device(args.device)
    rows = []
    args.octave_list, args.chosen_octaves = list(args.octaves), None
    if "ablation" in args.tasks:  # choose L on the validation image first
        val = load_image(VALIDATION_IMAGE, args.size, gray=True)
        new = run_task("ablation", VALIDATION_IMAGE, val, args, dev)
        pe = [r for r in new if "positional" in r["method"]]
        best = max(pe, key=lambda r: r["psnr"])
        args.chosen_octaves = args.octave_list[pe.index(best)]
        print(f"octaves chosen on {VALIDATION_IMAGE}: L = {args.chosen_octaves}", flush=True)
        rows += new
    for name in args.images:
        clean = load_image(name, args.size, gray=IMAGES[name])
        for task in args.tasks:
            new = run_task(task, name, clean, args, dev)
            for r in new:
                print(
                    f"{r['task']:8s} {r['image']:10s} {r['method']:48s} {r['psnr']:6.2f} dB  "
                    f"{r['ssim']:.4f}  {r['seconds']:7.1f} s",
                    flush=True,
                )
            rows += new
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with open(args.out.with_suffix(".csv"), "w", newline="") as fh:
        writer = csv.DictWriter(
            fh, fieldnames=["task", "image", "method", "psnr", "ssim", "psnr_y", "step", "seconds"]
        )
        writer.writeheader()
        writer.writerows(rows)
    width = args.hidden or linr.TASKS["sr"]["hidden"]
    scale = "[0, 1] (--unsigned)" if args.unsigned else "[-1, 1] as the official code"
    lines = [
        f"# LINR, paper settings: {args.size}x{args.size}, steps x{args.steps_scale:g}, seed "
        f"{args.seed}, device {dev}",
        "",
        f"Network: 7 sine layers of {width} + linear head, intensities on {scale}.",
        "",
        "Our PSNR/SSIM: data range 1, whole image; psnr_y: the official deblurring metric (Y "
        "channel, 8-bit).",
        "",
        "| task | image | method | PSNR (dB) | SSIM | PSNR Y (dB) | step | paper |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['task']} | {r['image']} | {r['method']} | {r['psnr']:.2f} | {r['ssim']:.4f} | "
            f"{r['psnr_y']} | {r['step']} | {PAPER[r['task']]} |"
        )
    args.out.write_text("\n".join(lines) + "\n")
    print(f"wrote {args.out} and {args.out.with_suffix('.csv')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
