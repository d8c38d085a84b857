"""Notebook 08's comparison over seeds and a second set of images: every method of the course on
shared tasks, with the notebook's settings (``inrutils.compare``).

Tasks (grey bundled images): representation at 0.5 and 0.24 parameters per pixel value (ReLU +
Fourier features, SIREN, WIRE, MFN, O-INR, each with the hyper-parameters chosen on the validation
image grace_hopper), denoising at sigma_n (LINR, the Knitwork, O-INR, TV, NLM, beside the noisy
input), x4 super-resolution (bicubic, LIIF, LINR) and inpainting of a square hole over a texture
(biharmonic, LINR, the Knitwork, beside the hole left black and filled with the local mean).

    python scripts/benchmark.py --part select        # the validation sweep -> compare_select.csv
    python scripts/benchmark.py                      # seeds 0-2 -> benchmark.csv, benchmark.md
    python scripts/benchmark.py --part steps         # representation at 4x the steps, seed 0
    python scripts/benchmark.py --part texture       # Knitwork sigma_ff on a validation texture
    python scripts/benchmark.py --smoke              # seconds: tiny sizes, for the tests

Each part writes a CSV whose first lines give the command, the commit and the CPU time; the run
part also writes ``benchmark.md`` (mean +- std over the seeds, per image set).
"""

from __future__ import annotations

import argparse
import pathlib
import platform
import sys
import time

import torch

from inrutils import compare, config, degrade
from inrutils.data import available_images, load_image, load_results, save_results

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = ROOT / "docs" / "results"
TASKS = ("representation 0.5", "representation 0.24", "denoising", "SR x4", "inpainting")
#: The notebook's settings (notebook 08 uses the first image set, seed 0, live).
SETTINGS = dict(
    size=64,  # representation, denoising, inpainting: size x size
    hr=96,  # super-resolution: hr x hr from a quarter of it
    steps=500,  # representation: full-batch steps of the shared decay recipe
    densities=(0.5, 0.24),
    sigma_n=0.1,
    hole=0.035,  # the hole's share of the image: 12x12 pixels at 64x64
    validation="grace_hopper",
)


def image_sets(spec: list[str]) -> list[tuple[str, str]]:
    """``["camera:brick", ...]`` -> [(image for representation/denoising/SR, texture for
    inpainting), ...]."""
    out = []
    for s in spec:
        photo, _, texture = s.partition(":")
        out.append((photo, texture or photo))
    return out


def run_set(photo: str, texture: str, seed: int, s: dict, select: list[dict], dev) -> list[dict]:
    """Every task on one image set with one seed; rows tagged with the images, seed and steps."""
    rows: list[dict] = []

    def add(new, image, steps=""):
        for r in new:
            rows.append(dict(image=image, seed=seed, steps=steps, density="", visible="") | r)
            print(
                f"{image:10s} seed {seed} {r['task']:20s}{r['method']:22s}{r['psnr']:7.2f} dB"
                f" {r['seconds']:7.1f} s",
                flush=True,
            )

    clean = load_image(photo, s["size"], gray=True)
    for density in s["densities"]:
        new, _ = compare.run_representation(
            clean, density, compare.chosen_settings(select, density), s["steps"], seed, dev
        )
        add(new, photo, s["steps"])
    add(compare.run_denoising(clean, s["sigma_n"], seed, dev, **s.get("short", {}))[0], photo)
    hr = load_image(photo, s["hr"], gray=True)
    short = {k: v for k, v in s.get("short", {}).items() if k == "linr_steps"}
    add(compare.run_super_resolution(hr, 4, seed, dev, **short)[0], photo)
    tex = load_image(texture, s["size"], gray=True)
    mask = degrade.box_mask(s["size"], s["size"], s["hole"])
    short = {k: v for k, v in s.get("short", {}).items() if k != "oinr_steps"}
    add(compare.run_inpainting(tex, mask, seed, dev, **short)[0], texture)
    return rows


def texture_sweep(name: str, sigmas: list[float], s: dict, dev) -> list[dict]:
    """The Knitwork (notebook 06's settings) on the inpainting task of a validation texture at each
    sigma_ff, seed 0: hole and visible PSNR and how much the fill varies (its standard deviation in
    the hole, beside the texture's)."""
    from inrutils.metrics import psnr

    tex = load_image(name, s["size"], gray=True)
    mask = degrade.box_mask(s["size"], s["size"], s["hole"])
    hole = ~mask[0].bool()
    rows = []
    for sigma in sigmas:
        t = time.process_time()
        out, _ = compare.knitwork_fit(
            degrade.apply_mask(tex, mask), mask, sigma, 0, s.get("short", {}).get("knit_steps"), dev
        )
        rows.append(
            dict(
                image=name,
                sigma=sigma,
                hole=round(float(psnr(out, tex, mask=hole)), 3),
                visible=round(float(psnr(out, tex, mask=~hole)), 3),
                fill_std=round(float(out[0][hole].std()), 4),
                truth_std=round(float(tex[0][hole].std()), 4),
                seconds=round(time.process_time() - t, 1),
            )
        )
        print(rows[-1], flush=True)
    return rows


def _pm(mean: float, std: float, n: int, fmt: str) -> str:
    return f"{mean:{fmt}} ± {std:{fmt}}" if n > 1 else f"{mean:{fmt}}"


def write_markdown(rows: list[dict], out: pathlib.Path, command: str, s: dict, wall: float) -> None:
    """``benchmark.md``: per image and task, each method's mean ± std over the seeds."""
    seeds = sorted({r["seed"] for r in rows})
    densities = " and ".join(map(str, s["densities"]))
    cpu = platform.processor() or platform.machine()
    lines = [
        "# Benchmark: the course's methods side by side",
        "",
        f"Command: `{command}` (the rows: `{out.with_suffix('.csv').name}`).",
        "",
        f"Notebook 08's settings (`inrutils.compare`, `scripts/benchmark.py` SETTINGS): grey "
        f"images, {s['size']}x{s['size']} (super-resolution x4: {s['hr']}x{s['hr']} from "
        f"{s['hr'] // 4}x{s['hr'] // 4}); representation at {densities} parameters per pixel "
        f"value, {s['steps']} steps, hyper-parameters chosen on {s['validation']} "
        f"(`compare_select.csv`); denoising sigma_n = {s['sigma_n']}; inpainting a central square "
        f"hole of {s['hole']:.1%} of the image, PSNR and SSIM in the hole. Seeds "
        f"{', '.join(map(str, seeds))} (each seed re-initialises the networks; the noise and the "
        f"hole are the same). Device: {config.device()} ({cpu}, {torch.get_num_threads()} "
        f"threads); {wall / 60:.0f} min of wall time. CPU seconds are process time.",
        "",
        "| image | task | method | PSNR (dB) | SSIM | parameters | CPU seconds |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in compare.summarise(rows, ("image", "task", "method")):
        psnr = _pm(r["psnr"], r["psnr_std"], r["n"], ".2f")
        lines.append(
            f"| {r['image']} | {r['task']} | {r['method']} | {psnr}"
            f" | {_pm(r['ssim'], r['ssim_std'], r['n'], '.3f')} | {r['params']:,} | "
            f"{_pm(r['seconds'], r['seconds_std'], r['n'], '.2f')} |"
        )
    out.write_text("\n".join(lines) + "\n")
    print(f"wrote {out}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--part", choices=("select", "run", "steps", "texture"), default="run")
    p.add_argument(
        "--texture",
        default="gravel",
        help="--part texture: the validation texture (not a test one)",
    )
    p.add_argument(
        "--sigmas", nargs="+", type=float, default=[0.5, 1.0, 2.0, 5.0, 10.0], help="--part texture"
    )
    p.add_argument(
        "--images",
        nargs="+",
        default=["camera:brick", "astronaut:grass"],
        help="image sets photo:texture (the photo for representation, denoising and SR; the "
        "texture for inpainting)",
    )
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--steps-factor", type=int, default=4, help="--part steps: x the steps")
    p.add_argument("--out-dir", type=pathlib.Path, default=RESULTS)
    p.add_argument(
        "--smoke", action="store_true", help="tiny sizes and steps (seconds), for the tests"
    )
    args = p.parse_args(argv)
    argv = sys.argv[1:] if argv is None else list(argv)
    command = f"python scripts/benchmark.py {' '.join(argv)}".rstrip()
    sets = image_sets(args.images)
    unknown = [n for pair in sets for n in pair if n not in available_images()]
    if unknown:
        p.error(f"unknown images {unknown}; available: {', '.join(available_images())}")
    if args.steps_factor < 1:
        p.error(f"--steps-factor must be a positive integer, got {args.steps_factor}")
    s = dict(SETTINGS)
    if args.smoke:
        s.update(size=32, hr=32, steps=3)
        s["short"] = dict(linr_steps=2, knit_steps=2, oinr_steps=2)
        sets, args.seeds = sets[:1], args.seeds[:1]
    dev = config.device()
    t0, cpu0 = time.perf_counter(), time.process_time()
    out = args.out_dir
    if args.part == "select":
        rows = compare.select_representation(
            load_image(s["validation"], s["size"], gray=True), s["densities"], s["steps"]
        )
        save_results(
            out / "compare_select.csv",
            rows,
            command,
            time.process_time() - cpu0,
            image=s["validation"],
            size=s["size"],
            steps=s["steps"],
        )
        return 0
    if args.part == "texture":
        save_results(
            out / "knitwork_texture.csv",
            texture_sweep(args.texture, args.sigmas, s, dev),
            command,
            time.process_time() - cpu0,
        )
        return 0
    select_path = out / "compare_select.csv"
    select = load_results(select_path if select_path.exists() else "compare_select").rows
    if args.part == "steps":
        rows = []
        photo = sets[0][0]
        clean = load_image(photo, s["size"], gray=True)
        for steps in (s["steps"], args.steps_factor * s["steps"]):
            for density in s["densities"]:
                new, _ = compare.run_representation(
                    clean, density, compare.chosen_settings(select, density), steps, 0, dev
                )
                for r in new:
                    rows.append(dict(image=photo, seed=0, steps=steps, **r))
                    print(f"{steps:5d} {density} {r['method']:24s}{r['psnr']:7.2f} dB", flush=True)
        save_results(out / "benchmark_steps.csv", rows, command, time.process_time() - cpu0)
        return 0
    rows = []
    for photo, texture in sets:
        for seed in args.seeds:
            rows += run_set(photo, texture, seed, s, select, dev)
    save_results(out / "benchmark.csv", rows, command, time.process_time() - cpu0)
    write_markdown(rows, out / "benchmark.md", command, s, time.perf_counter() - t0)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
