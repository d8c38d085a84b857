"""LINR with the official width, at the notebook's sizes and larger, against classical methods.

Xu and Jiao, "Revisiting Implicit Neural Representations in Low-Level Vision", ICLR 2023 Neural
Fields workshop, https://arxiv.org/abs/2304.10250; official code https://github.com/WenTXuL/LINR.
A row's seed changes the network's initialisation only: noise, masks and observations are
drawn with seed 0 everywhere. Every LINR fit uses the official prior (7 sine layers + linear head,
omega_0 30, [-1, 1] intensities, Adam lr 1e-4) at width 256 unless a row says 128. Each part writes
``docs/results/linr_<part>.csv`` (read by notebook 05 with ``inrutils.data.load_results``):

- ``width``: notebook 05's settings (denoising, deblurring, joint training at 64 px; SR x4 and
  inpainting at 96 px) with the official width 256, 3 seeds on the SR image whose gap to bicubic
  is under 1 dB, and the SR observation made two ways (PIL LANCZOS as the official ``SR.ipynb``,
  and our lanczos2) at width 128. Every low-resolution observation (SR, joint training, ablation)
  is made with PIL LANCZOS, as the official notebooks do; the loss uses lanczos2.
- ``narrow``: the notebook's denoising at width 128, the control for the width-256 rows.
- ``octaves``: the activation ablation (SR x4, 96 px, width 128, notebook 05's setting): ReLU with
  positional encoding for L = 2..10 octaves, L chosen on the validation image grace_hopper, then
  applied to camera.
- ``seeds``: the ablation's test image over 3 seeds, sine against ReLU + PE at the chosen L.
- ``scale``: the same tasks at 128 px (and denoising at 256 px for 150 steps), each with its
  classical baselines: does LINR gain on the classical methods as the image grows?
- ``large``: denoising at 256 px run to 250 steps (at 150 the PSNR was still rising).
- ``official``: the classical baselines on the official repository's own test images (pass
  ``--data`` = a clone of WenTXuL/LINR; the images are not ours to ship), at their native sizes,
  to set beside the paper's printed LINR averages.

    python scripts/linr_scale.py --part width octaves scale
    python scripts/linr_scale.py --part official --data /path/to/LINR
    python scripts/linr_scale.py --part width --smoke     # seconds: tiny sizes, checks the plumbing
"""

from __future__ import annotations

import argparse
import pathlib
import sys
import time

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))

from inrutils import degrade, linr  # noqa: E402
from inrutils.data import load_image, save_results  # noqa: E402
from inrutils.encodings import PositionalEncoding  # noqa: E402
from inrutils.metrics import psnr, ssim  # noqa: E402
from inrutils.models import MLP, Siren  # noqa: E402

PARTS = ("width", "narrow", "octaves", "seeds", "scale", "large", "official")
SIGMA_N = 25 / 255
FACTOR = 4
LR = 1e-4
OCTAVES = (2, 3, 4, 5, 6, 8, 10)
GRAY = {"camera": True, "astronaut": False, "chelsea": False, "grace_hopper": True}


def prior(channels: int, width: int, seed: int, w0: float = 30.0) -> torch.nn.Module:
    torch.manual_seed(seed)
    return linr.SignedIntensity(Siren(2, channels, hidden=width, layers=7, w0=w0))


def down(f: torch.Tensor) -> torch.Tensor:
    return degrade.downsample(f, FACTOR, "lanczos2")


def _curve(c: dict) -> str:
    """A Restoration's PSNR curve (its evaluated steps only) as one CSV cell, in the
    ``"step:value;..."`` form that ``inrutils.data.parse_curve`` reads."""
    return ";".join(f"{s}:{p:.3f}" for s, p in zip(c["step"], c["psnr"]))


class Runner:
    def __init__(self, part: str, smoke: bool):
        self.part, self.smoke, self.rows = part, smoke, []

    def size(self, s: int) -> int:
        return 32 if self.smoke else s

    def steps(self, n: int) -> int:
        return max(4, n // 50) if self.smoke else n

    def add(self, task, image, size, width, seed, method, img, clean, **extra) -> None:
        row = dict(
            task=task,
            image=image,
            size=size,
            width=width,
            seed=seed,
            method=method,
            psnr=round(psnr(img, clean), 2),
            ssim=round(ssim(img, clean), 4),
            step="",
            obs="",
            role="",
            curve="",
        )
        row.update(extra)
        self.rows.append(row)
        print(
            f"{task:8s} {image:12s} {size:4d} w{width!s:4s} s{seed} {method:34s} "
            f"{row['psnr']:6.2f} dB {row['ssim']:.4f} {row['step']}",
            flush=True,
        )

    def fit(self, obs, op, size, steps, model, lr=LR, **kw):
        return linr.restore(
            obs, op, size=(size, size), steps=steps, model=model, lr=lr, progress=False, **kw
        )

    # ---- tasks ----------------------------------------------------------------------------
    def denoise(self, name, size, width, steps, seed=0, classical=True):
        clean = load_image(name, size, gray=GRAY[name])
        obs = degrade.gaussian_noise(clean, SIGMA_N, seed=0)
        sigma_hat = linr.estimate_noise_sigma(obs)
        every = 5 if size <= 64 else 10
        r = self.fit(
            obs,
            None,
            size,
            steps,
            prior(clean.shape[0], width, seed),
            stop="discrepancy",
            noise_sigma=sigma_hat,
            run_to_end=True,
            reference=clean,
            eval_every=every,
        )
        c = r.curve
        curve = _curve(c)
        args = ("denoise", name, size, width, seed)
        if classical:
            self.add(*args[:3], "", "", "noisy input", obs, clean)
            self.add(*args[:3], "", "", "TV (weight 0.1)", linr.tv_denoise(obs), clean)
            self.add(*args[:3], "", "", "NLM", linr.nlm_denoise(obs, sigma_hat), clean)
        self.add(*args, f"LINR T={steps}", r.final_image, clean, step=steps, curve=curve)
        self.add(*args, "LINR discrepancy stop", r.image, clean, step=r.stopped_at)
        best = c["step"].index(r.best_step)
        self.rows.append(
            dict(self.rows[-1], method="LINR best step (oracle)", psnr=round(r.best_psnr, 2))
            | dict(ssim=round(c["ssim"][best], 4), step=r.best_step, curve="")
        )
        print(f"{'':8s} best {r.best_psnr:.2f} at {r.best_step}", flush=True)

    def sr(self, name, size, width, steps, seed=0, obs_kind="pil", classical=True):
        hr = load_image(name, size, gray=GRAY[name])
        if obs_kind == "pil":
            small = degrade.pil_downsample(hr, FACTOR)
        else:
            small = down(hr).clamp(0, 1)
        r = self.fit(small, down, size, steps, prior(hr.shape[0], width, seed))
        if classical:
            bic = degrade.upsample_bicubic(small, FACTOR)
            self.add("sr", name, size, "", "", "bicubic", bic, hr, obs=obs_kind)
        self.add("sr", name, size, width, seed, "LINR", r.image, hr, step=steps, obs=obs_kind)

    def inpaint(self, name, size, width, steps, seed=0, classical=True):
        clean = load_image(name, size, gray=GRAY[name])
        mask = degrade.random_mask(size, size, observed=0.10, seed=0)
        obs = degrade.apply_mask(clean, mask)
        r = self.fit(
            obs,
            lambda f: degrade.apply_mask(f, mask),
            size,
            steps,
            prior(clean.shape[0], width, seed),
        )
        if classical:
            self.add(
                "inpaint",
                name,
                size,
                "",
                "",
                "biharmonic",
                linr.biharmonic_inpaint(obs, mask),
                clean,
            )
        self.add("inpaint", name, size, width, seed, "LINR", r.image, clean, step=steps)

    def deblur(self, name, size, width, steps, seed=0, classical=True):
        clean = load_image(name, size, gray=GRAY[name])
        k = degrade.gaussian_kernel(25, 1.6)
        obs = degrade.gaussian_noise(degrade.blur(clean, k), 2**0.5 / 255, seed=0)
        r = self.fit(
            obs,
            lambda f: degrade.blur(f, k),
            size,
            steps,
            prior(clean.shape[0], width, seed),
            reference=clean,
            eval_every=max(1, steps // 20),
        )
        c = r.curve
        curve = _curve(c)
        if classical:
            rl = {it: linr.richardson_lucy(obs, k, it) for it in (10, 20, 30, 50, 100, 200, 400)}
            best = max(rl, key=lambda it: psnr(rl[it], clean))
            self.add("deblur", name, size, "", "", "Richardson-Lucy 30 it.", rl[30], clean)
            self.add(
                "deblur",
                name,
                size,
                "",
                "",
                "Richardson-Lucy best (oracle)",
                rl[best],
                clean,
                step=best,
            )
            self.add(
                "deblur", name, size, "", "", "unsupervised Wiener", linr.wiener(obs, k), clean
            )
        self.add("deblur", name, size, width, seed, "LINR", r.image, clean, step=steps, curve=curve)

    def joint(self, name, size, width, steps, seed=0):
        clean = load_image(name, size, gray=GRAY[name])
        g_noisy = degrade.gaussian_noise(clean, SIGMA_N, seed=0)
        g_lr = degrade.pil_downsample(clean, FACTOR)  # the official LR file: PIL LANCZOS
        op, obs = linr.joint_operator([down, None], [g_lr, g_noisy], [1.0, 0.1])
        for label, o, f in [
            ("LINR joint", obs, op),
            ("LINR noisy only", g_noisy, None),
            ("LINR LR only", g_lr, down),
        ]:
            r = self.fit(
                o,
                f,
                size,
                steps,
                prior(clean.shape[0], width, seed),
                reference=clean,
                eval_every=25,
            )
            self.add("joint", name, size, width, seed, label, r.image, clean, step=steps)
            self.rows.append(
                dict(self.rows[-1], method=f"{label}, best step (oracle)")
                | dict(psnr=round(r.best_psnr, 2), step=r.best_step, ssim="")
            )

    def ablation(self, name, role, kind, steps, size=96, width=128, seed=0):
        hr = load_image(name, size, gray=GRAY[name])
        small = degrade.pil_downsample(hr, FACTOR)
        torch.manual_seed(seed)
        if kind == "sine":
            net, lr = prior(1, width, seed), LR
        else:
            enc = None if kind == 0 else PositionalEncoding(2, kind)
            net, lr = linr.SignedIntensity(MLP(2, 1, hidden=width, layers=7, encoding=enc)), 1e-3
        r = self.fit(small, down, size, steps, net, lr=lr)
        label = {"sine": "sine (SIREN)", 0: "ReLU"}.get(kind, f"ReLU + PE L={kind}")
        self.add("ablation", name, size, width, seed, label, r.image, hr, step=steps, role=role)


def run_width(run: Runner) -> None:
    s64, s96 = run.size(64), run.size(96)
    for name in ("camera", "astronaut"):
        run.denoise(name, s64, 256, run.steps(500))
    for name in ("camera", "astronaut", "chelsea"):
        run.sr(name, s96, 256, run.steps(300))
        run.sr(name, s96, 128, run.steps(300), classical=False, obs_kind="lanczos2")
        run.sr(name, s96, 128, run.steps(300), classical=False)
    for seed in (1, 2):
        for width in (128, 256):
            run.sr("chelsea", s96, width, run.steps(300), seed=seed, classical=False)
    run.inpaint("astronaut", s96, 256, run.steps(300))
    run.deblur("camera", s64, 256, run.steps(600))
    run.joint("astronaut", s64, 256, run.steps(500))


def run_octaves(run: Runner) -> None:
    for name, role in (("grace_hopper", "validation"), ("camera", "test")):
        for kind in ("sine", 0, *OCTAVES):
            run.ablation(name, role, kind, run.steps(300), size=run.size(96))


def run_scale(run: Runner) -> None:
    s = run.size(128)
    for name in ("camera", "astronaut"):
        run.denoise(name, s, 256, run.steps(250))
    for name in ("camera", "chelsea"):
        run.sr(name, s, 256, run.steps(500))
    run.inpaint("astronaut", s, 256, run.steps(500))
    run.deblur("camera", s, 256, run.steps(1000))
    for name in ("camera", "astronaut"):
        run.denoise(name, run.size(256), 256, run.steps(150))


def run_seeds(run: Runner, out_dir: pathlib.Path) -> None:
    """The ablation's test image over seeds 0-2: the sine against ReLU + PE at the octaves that
    the ``octaves`` part chose on the validation image."""
    from inrutils.data import load_results

    val = load_results(out_dir / "linr_octaves.csv").where(role="validation")
    best = max((r for r in val if "PE" in r["method"]), key=lambda r: r["psnr"])
    octaves = int(best["method"].split("L=")[1])
    for seed in (0, 1, 2):
        for kind in ("sine", octaves):
            run.ablation("camera", "test", kind, run.steps(300), size=run.size(96), seed=seed)


def run_narrow(run: Runner) -> None:
    """Denoising at the notebook's 64 px with width 128: the control for the width-256 rows of
    ``width``."""
    for name in ("camera", "astronaut"):
        run.denoise(name, run.size(64), 128, run.steps(500))


def run_large(run: Runner) -> None:
    for name in ("camera", "astronaut"):
        run.denoise(name, run.size(256), 256, run.steps(250))


def _read(path: pathlib.Path) -> torch.Tensor:
    """An official test image as a (3, H, W) tensor in [0, 1]."""
    from PIL import Image

    rgb = np.asarray(Image.open(path).convert("RGB"), dtype=np.float32) / 255
    return torch.from_numpy(rgb).permute(2, 0, 1)


def run_official(run: Runner, data: pathlib.Path) -> None:
    """Classical baselines on the official test images, native sizes (colour)."""
    if data is None or not (data / "Data").is_dir():
        raise SystemExit("--part official needs --data DIR, a clone of github.com/WenTXuL/LINR")
    for p in sorted((data / "Data" / "Denoising").glob("*.png")):
        clean = _read(p)
        obs = degrade.gaussian_noise(clean, SIGMA_N, seed=0)
        sigma_hat = linr.estimate_noise_sigma(obs)
        size = clean.shape[1]
        for method, img in [
            ("noisy input", obs),
            ("TV (weight 0.1)", linr.tv_denoise(obs)),
            ("NLM", linr.nlm_denoise(obs, sigma_hat)),
        ]:
            run.add("denoise", p.stem, size, "", "", method, img, clean)
            run.rows[-1]["ssim_range2"] = round(ssim(img, clean, data_range=2), 4)
    for p in sorted((data / "Data" / "SR").glob("*_HR.png")):
        hr = _read(p)
        h, w = (hr.shape[1] // FACTOR) * FACTOR, (hr.shape[2] // FACTOR) * FACTOR
        hr = hr[:, :h, :w]
        small = degrade.pil_downsample(hr, FACTOR)  # equal to the official *_LR_LANCZOS.png files
        run.add("sr", p.stem, h, "", "", "bicubic", degrade.upsample_bicubic(small, FACTOR), hr)
    for p in sorted((data / "Data" / "Inpainting").glob("*.png")):
        clean = _read(p)
        mask = degrade.random_mask(*clean.shape[1:], observed=0.10, seed=0)
        obs = degrade.apply_mask(clean, mask)
        run.add(
            "inpaint",
            p.stem,
            clean.shape[1],
            "",
            "",
            "biharmonic",
            linr.biharmonic_inpaint(obs, mask),
            clean,
        )
    from linr_paper import psnr_y  # the official deblurring metric (Y channel, 8-bit)

    k = degrade.gaussian_kernel(25, 1.6)
    for p in sorted((data / "Data" / "Deblurring").glob("*.tif")):
        clean = _read(p)
        obs = degrade.gaussian_noise(degrade.blur(clean, k), 2**0.5 / 255, seed=0)
        rl = {it: linr.richardson_lucy(obs, k, it) for it in (10, 20, 30, 50, 100, 200, 400)}
        best = max(rl, key=lambda it: psnr(rl[it], clean))
        for method, img, step in [
            ("blurred input", obs, ""),
            ("Richardson-Lucy 30 it.", rl[30], ""),
            ("Richardson-Lucy best (oracle)", rl[best], best),
            ("unsupervised Wiener", linr.wiener(obs, k), ""),
        ]:
            run.add("deblur", p.stem, clean.shape[1], "", "", method, img, clean, step=step)
            run.rows[-1]["psnr_y"] = round(psnr_y(img, clean), 2)
    for row in run.rows:
        row.setdefault("ssim_range2", "")
        row.setdefault("psnr_y", "")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--part", nargs="+", choices=PARTS, required=True)
    p.add_argument("--data", type=pathlib.Path, default=None, help="a clone of WenTXuL/LINR")
    p.add_argument(
        "--out-dir",
        type=pathlib.Path,
        default=None,
        help="default docs/results (build/linr_smoke with --smoke, so that a smoke run never "
        "overwrites the cached tables)",
    )
    p.add_argument("--smoke", action="store_true", help="32x32 images, 2 %% of the steps")
    args = p.parse_args(argv)
    if args.out_dir is None:
        args.out_dir = ROOT / ("build/linr_smoke" if args.smoke else "docs/results")
    for part in args.part:
        t0 = time.process_time()
        run = Runner(part, args.smoke)
        if part == "official":
            run_official(run, args.data)
        elif part == "seeds":
            run_seeds(run, args.out_dir)
        else:
            {
                "width": run_width,
                "octaves": run_octaves,
                "scale": run_scale,
                "large": run_large,
                "narrow": run_narrow,
            }[part](run)
        command = f"python scripts/linr_scale.py --part {part}" + (" --smoke" if args.smoke else "")
        if part == "official":
            command += " --data <clone of WenTXuL/LINR>"
        out = save_results(
            args.out_dir / f"linr_{part}.csv",
            run.rows,
            command,
            time.process_time() - t0,
            threads=torch.get_num_threads(),
        )
        print(f"wrote {out}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
