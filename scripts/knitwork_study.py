"""Neural Knitworks at notebook 06's sizes: hyper-parameters chosen on a validation image, longer
runs, more seeds and more images than the notebook's default tier can afford.

Czerkawski et al., "Neural Knitworks: Patched Neural Implicit Representation Networks",
arXiv:2109.14406 (2021); official code https://github.com/strath-ai/neural-knitworks. Every
Knitwork here has the official patch geometry for inpainting and denoising (5x5 stacks), the
official linear Reconstructor and discriminator, and the notebook's generator (4 x 128, 64 Fourier
features); 300 Adam steps at lr 2e-3, consistency weight 0.05, adversarial 1e-4, 256 stacks per
adversarial term, unless a row says otherwise. A seed initialises the networks *and* draws the
Fourier-feature matrix; noise and masks are fixed. Each part writes
``docs/results/knitwork_<part>.csv`` (read by notebook 06 with ``inrutils.data.load_results``):

- ``select``: the Fourier scale ``sigma`` of the plain-MLP baselines and of the Knitwork, chosen per
  task (image size) on the validation image ``grace_hopper``, which no other part uses: inpainting
  at 85 px (hole PSNR; the Knitwork's dilations (1, 4) or (1, 8) chosen with it), denoising at 64 px
  (PSNR, per noise level), blind SR x2 of a 24x24 crop (PSNR inside a 6-pixel border).
- ``ablation``: astronaut 85 px, a centred 2 % box hole, 3 seeds: the plain MLP, the full Knitwork,
  each loss removed, and "patches only" (no consistency, no adversarial term).
- ``images``: the chosen inpainting recipe on three test images (astronaut, chelsea, coffee), 3
  seeds, against biharmonic inpainting, and an oracle stack copy (rows labelled ``copy ceiling``):
  each hole pixel takes the centre of the fully observed stack nearest, over the whole stack, to
  its *true* stack. It looks at the hole, so it is not a method, and it is not a bound either (it
  matches whole stacks, not centres).
- ``official_sigma``: the same on the test images with the official Fourier band (sigma 5)
  instead of the validation image's choice, 3 seeds.
- ``steps``: the chosen recipe on astronaut for 1,200 steps (3 seeds), hole and visible PSNR every
  50 steps; how far the predicted stacks are from the true ones; the official-size generator
  (4 x 256, 256 features) at 300 steps as the control for generator capacity.
- ``denoise``: astronaut 64 px, sigma_n 0.1 / 0.2 / 0.4 (clipped Gaussian noise), 3 seeds, MLP and
  Knitwork at their chosen sigma (and the MLP at the old fixed sigma 5).
- ``sr``: blind SR x2 of the astronaut crop (diagonal Gaussian blur 1.6 / 0.6 px), 3 seeds, 1,200
  steps with the PSNR and the kernel logged at 150 / 300 / 600 / 1,200: the official kernel
  composition (5x5 support, PyTorch's default initialisation), the same without the adversarial
  term (gamma = 0), with our centre-image data term, the full 13x13 near-delta composite, and the
  true kernel fixed (an oracle).

    python scripts/knitwork_study.py --part select ablation images steps denoise sr
    python scripts/knitwork_study.py --part ablation --smoke   # seconds: tiny sizes, the plumbing
"""

from __future__ import annotations

import argparse
import itertools
import math
import pathlib
import sys
import time

import torch

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inrutils import blindsr, knitwork, linr  # noqa: E402
from inrutils.coords import grid, image_to_samples, samples_to_image  # noqa: E402
from inrutils.data import RESULTS_DIR, load_image, load_results, save_results  # noqa: E402
from inrutils.degrade import box_mask, gaussian_kernel, gaussian_noise  # noqa: E402
from inrutils.encodings import FourierFeatures  # noqa: E402
from inrutils.fit import fit  # noqa: E402
from inrutils.metrics import psnr  # noqa: E402
from inrutils.models import MLP  # noqa: E402
from inrutils.render import evaluate, render  # noqa: E402

PARTS = ("select", "ablation", "images", "official_sigma", "steps", "denoise", "sr")
VALIDATION = "grace_hopper"
TEST_IMAGES = ("astronaut", "chelsea", "coffee")
SEEDS = (0, 1, 2)
SIGMAS = (0.25, 0.5, 1.0, 1.5, 2.5, 5.0, 10.0)  # the Fourier scales tried, for both models
LRS = (2e-3, 4e-3)  # inpainting's second stage (4e-3: the official example's rate)
ALPHAS = (0.05, 0.5)
DILATIONS = ((1, 4), (1, 8))
LEVELS = (0.1, 0.2, 0.4)
INPAINT = dict(lr=2e-3, alpha=0.05, gamma=1e-4, adv_batch=256)
SR_STEPS = (150, 300, 600, 1200)
SR_CROP = (26, 46)  # the astronaut's face in the 128 px low-resolution image


class Study:
    def __init__(self, smoke: bool, out: pathlib.Path):
        self.smoke, self.out = smoke, out

    # sizes and step counts; the smoke run shrinks them
    def size(self, n: int) -> int:
        return 24 if self.smoke else n

    def steps(self, n: int) -> int:
        return 4 if self.smoke else n

    def seeds(self) -> tuple[int, ...]:
        return SEEDS

    # the two models
    def knit(self, seed: int, sigma: float, dilations=(1, 8), margin=2, **kw) -> knitwork.Knitwork:
        if self.smoke:
            dilations, margin = (1, 2), 1
        torch.manual_seed(seed)
        geom = dict(hidden=128, layers=4, n_features=64)
        return knitwork.Knitwork(
            3,
            dilations=dilations,
            margin=margin,
            sigma=sigma,
            feature_seed=seed,
            **{**geom, **kw},
        )

    def mlp(self, observed, mask, sigma, seed, steps, query=None, query_size=None):
        """notebook 06's baseline: the generator's MLP predicting one pixel, fitted to the observed
        pixels only."""
        size = observed.shape[-1]
        torch.manual_seed(seed)
        net = MLP(2, 3, hidden=128, layers=4, encoding=FourierFeatures(2, 64, sigma, seed=seed))
        seen = mask.flatten().bool()
        fit(
            net,
            grid(size, size)[seen],
            image_to_samples(observed)[seen],
            steps,
            2e-3,
            progress=False,
        )
        if query is None:
            return render(net, size).clamp(0, 1)
        return samples_to_image(evaluate(net, query), query_size, query_size).clamp(0, 1)

    # tasks
    def inpaint_task(self, name: str, size: int = 85):
        img = load_image(name, self.size(size))
        mask = box_mask(img.shape[-1], img.shape[-1], 0.02)
        return img, mask

    def inpaint(self, img, mask, seed, sigma, dilations=(1, 8), steps=300, **kw):
        n = img.shape[-1]
        m = self.knit(
            seed, sigma, dilations, **{k: kw.pop(k) for k in ("hidden", "n_features") if k in kw}
        )
        weights = {**INPAINT, **kw}
        hist = knitwork.train(
            m,
            img * mask,
            mask,
            steps=self.steps(steps),
            seed=seed,
            reference=img,
            eval_every=50 if not self.smoke else 2,
            **weights,
        )
        out = m.render(n, n, use_reconstructor=weights.get("beta", 1.0) > 0)
        hole = mask[0] == 0
        return m, hist, psnr(out, img, mask=hole), psnr(out, img, mask=~hole)

    def sr_task(self):
        hr = load_image("astronaut", 96 if self.smoke else 256)
        k_true = gaussian_kernel(13, 1.6, 0.6, angle=math.pi / 4)
        low_full = blindsr.kernel_downscale(hr, k_true, 2)
        n = 12 if self.smoke else 24
        y0, x0 = (10, 20) if self.smoke else SR_CROP
        low = low_full[:, y0 : y0 + n, x0 : x0 + n]
        truth = hr[:, 2 * y0 : 2 * y0 + 2 * n, 2 * x0 : 2 * x0 + 2 * n]
        return low, truth, k_true

    def sr_validation(self):
        """The same degradation on the validation image: a 24x24 low-resolution crop, centred."""
        hr = load_image(VALIDATION, 96 if self.smoke else 256)
        k_true = gaussian_kernel(13, 1.6, 0.6, angle=math.pi / 4)
        low_full = blindsr.kernel_downscale(hr, k_true, 2)
        n = 12 if self.smoke else 24
        y0 = x0 = (low_full.shape[-1] - n) // 2
        return low_full[:, y0 : y0 + n, x0 : x0 + n], hr[
            :, 2 * y0 : 2 * y0 + 2 * n, 2 * x0 : 2 * x0 + 2 * n
        ]

    # the chosen hyper-parameters, from the select part's table
    def chosen(self) -> dict:
        path = self.out / "knitwork_select.csv"
        res = load_results(path)
        return {(r["task"], r["model"], r["sigma_n"]): r for r in res.rows if r["chosen"] == 1}

    def recipe(self) -> tuple[float, tuple[int, ...], dict]:
        """The inpainting Knitwork chosen on the validation image: sigma, dilations, lr, alpha."""
        r = self.chosen()[("inpaint", "knitwork", "")]
        dil = tuple(int(d) for d in str(r["dilations"]).split("-"))
        return float(r["sigma"]), dil, dict(lr=float(r["lr"]), alpha=float(r["alpha"]))


def inner(im: torch.Tensor) -> torch.Tensor:
    return im[:, 6:-6, 6:-6]


def choose(rows: list[dict], key: str = "psnr") -> list[dict]:
    """Mark the row with the highest ``key`` as chosen (``chosen`` = 1, the others 0)."""
    best = max(range(len(rows)), key=lambda i: rows[i][key])
    for i, r in enumerate(rows):
        r["chosen"] = int(i == best)
    return rows


class Cache:
    """Rows of an earlier ``knitwork_select.csv`` (same script, same seed 0), reused instead of
    refitting when the grid is extended."""

    COLS = ("task", "model", "sigma", "sigma_n", "dilations", "lr", "alpha")

    def __init__(self, path: pathlib.Path | None):
        self.rows: dict[tuple, dict] = {}
        self.cpu_seconds = 0.0
        if path is not None and path.is_file():
            res = load_results(path)
            self.cpu_seconds = float(res.meta["cpu_minutes"]) * 60
            for r in res.rows:
                r = dict(r)
                defaults = INPAINT if r["model"] == "knitwork" and r["task"] != "sr" else {}
                for k in ("lr", "alpha"):
                    if r.get(k, "") == "":
                        r[k] = defaults.get(k, "")
                self.rows[self.key(r)] = r

    def key(self, r: dict) -> tuple:
        return tuple(str(r.get(k, "")) for k in self.COLS)

    def get(self, row: dict, compute) -> dict:
        """``row`` with its scores: from the cache, or ``compute()`` (a dict of scores)."""
        hit = self.rows.get(self.key(row))
        if hit is not None:
            return {**row, "psnr": hit["psnr"], "visible": hit.get("visible", "")}
        out = {**row, **compute()}
        print(out, flush=True)
        return out


def select(study: Study, cache: Cache | None = None) -> list[dict]:
    """Fourier scales, and for inpainting the dilations, learning rate and consistency weight,
    chosen on the validation image only (seed 0), on the same sigma grid for both models. The
    inpainting recipe is searched in two stages: sigma and dilations at lr 2e-3, alpha 0.05; then lr
    and alpha at the best of those."""
    cache = cache or Cache(None)
    rows: list[dict] = []
    base = dict(image=VALIDATION, seed=0, sigma_n="", dilations="", lr="", alpha="", visible="")
    # inpainting, 85 px: hole PSNR
    img, mask = study.inpaint_task(VALIDATION)
    hole = mask[0] == 0
    size = img.shape[-1]

    def mlp_inpaint(s):
        out = study.mlp(img * mask, mask, s, 0, study.steps(300))
        return {
            "psnr": round(psnr(out, img, mask=hole), 3),
            "visible": round(psnr(out, img, mask=~hole), 3),
        }

    rows += choose(
        [
            cache.get(
                {**base, "task": "inpaint", "size": size, "model": "mlp", "sigma": s},
                lambda s=s: mlp_inpaint(s),
            )
            for s in SIGMAS
        ]
    )

    def knit_inpaint(s, dil, lr, alpha):
        _, _, h, v = study.inpaint(img, mask, 0, s, dil, lr=lr, alpha=alpha)
        return {"psnr": round(h, 3), "visible": round(v, 3)}

    def knit_row(s, dil, lr, alpha):
        row = {
            **base,
            "task": "inpaint",
            "size": size,
            "model": "knitwork",
            "sigma": s,
            "dilations": "-".join(map(str, dil)),
            "lr": lr,
            "alpha": alpha,
        }
        return cache.get(row, lambda: knit_inpaint(s, dil, lr, alpha))

    stage1 = [
        knit_row(s, dil, INPAINT["lr"], INPAINT["alpha"]) for dil in DILATIONS for s in SIGMAS
    ]
    best = max(stage1, key=lambda r: r["psnr"])
    dil = tuple(int(d) for d in best["dilations"].split("-"))
    stage2 = [
        knit_row(best["sigma"], dil, lr, alpha)
        for lr in LRS
        for alpha in ALPHAS
        if (lr, alpha) != (INPAINT["lr"], INPAINT["alpha"])
    ]
    rows += choose(stage1 + stage2)
    # denoising, 64 px, per noise level
    clean = load_image(VALIDATION, study.size(64))
    n = clean.shape[-1]
    full = torch.ones(1, n, n)
    for level in LEVELS:
        g = gaussian_noise(clean, level, seed=0)
        lv = {**base, "task": "denoise", "size": n, "sigma_n": level}
        rows += choose(
            [
                cache.get(
                    {**lv, "model": "mlp", "sigma": s},
                    lambda s=s, g=g: {
                        "psnr": round(psnr(study.mlp(g, full, s, 0, study.steps(300)), clean), 3)
                    },
                )
                for s in SIGMAS
            ]
        )

        def knit_dn(s, g=g):
            m = study.knit(0, s)
            knitwork.train(m, g, steps=study.steps(300), seed=0, **INPAINT)
            return {"psnr": round(psnr(m.render(n, n), clean), 3)}

        rows += choose(
            [
                cache.get(
                    {
                        **lv,
                        "model": "knitwork",
                        "sigma": s,
                        "dilations": "1-8",
                        "lr": INPAINT["lr"],
                        "alpha": INPAINT["alpha"],
                    },
                    lambda s=s: knit_dn(s),
                )
                for s in SIGMAS
            ]
        )
    # blind SR x2 of a 24x24 crop: the MLP queried on the fine grid; the Knitwork with the official
    # learned kernel, without and with the centre-image term
    low, truth = study.sr_validation()
    n = low.shape[-1]
    q = blindsr.hr_coords(n, n, 2)
    sr = {**base, "task": "sr", "size": 2 * n}

    def mlp_sr(s):
        out = study.mlp(low, torch.ones(1, n, n), s, 0, study.steps(300), q, 2 * n)
        return {"psnr": round(psnr(inner(out), inner(truth)), 3)}

    rows += choose(
        [cache.get({**sr, "model": "mlp", "sigma": s}, lambda s=s: mlp_sr(s)) for s in SIGMAS]
    )
    for model, central in (("knitwork", False), ("knitwork, centre term", True)):

        def knit_sr(s, central=central):
            m = study.knit(0, s, dilations=(1, 2, 4), margin=1)
            res = blindsr.train_sr(
                m, low, 2, steps=study.steps(300), seed=0, adv_batch=256, central=central
            )
            out = res.centres if central else res.image
            return {"psnr": round(psnr(inner(out), inner(truth)), 3)}

        rows += choose(
            [
                cache.get(
                    {**sr, "model": model, "sigma": s, "dilations": "1-2-4"}, lambda s=s: knit_sr(s)
                )
                for s in SIGMAS
            ]
        )
    return rows


def ablation(study: Study) -> list[dict]:
    s_mlp = study.chosen()[("inpaint", "mlp", "")]["sigma"]
    s_knit, dil, rec = study.recipe()
    variants = {
        "full": rec,
        "no adversarial": {**rec, "gamma": 0.0},
        "no consistency": {**rec, "alpha": 0.0},
        "no pixel loss": {**rec, "beta": 0.0},
        "patches only": {**rec, "alpha": 0.0, "gamma": 0.0},
    }
    img, mask = study.inpaint_task("astronaut")
    hole = mask[0] == 0
    rows = []
    for seed in study.seeds():
        out = study.mlp(img * mask, mask, s_mlp, seed, study.steps(300))
        rows.append(
            dict(
                image="astronaut",
                method="plain MLP",
                seed=seed,
                sigma=s_mlp,
                dilations="",
                hole=round(psnr(out, img, mask=hole), 3),
                visible=round(psnr(out, img, mask=~hole), 3),
            )
        )
        for name, kw in variants.items():
            _, _, h, v = study.inpaint(img, mask, seed, s_knit, dil, **kw)
            rows.append(
                dict(
                    image="astronaut",
                    method=name,
                    seed=seed,
                    sigma=s_knit,
                    dilations="-".join(map(str, dil)),
                    hole=round(h, 3),
                    visible=round(v, 3),
                )
            )
            print(rows[-1], flush=True)
    bih = linr.biharmonic_inpaint(img * mask, mask)
    rows.append(
        dict(
            image="astronaut",
            method="biharmonic",
            seed="",
            sigma="",
            dilations="",
            hole=round(psnr(bih, img, mask=hole), 3),
            visible="",
        )
    )
    return rows


def copy_ceiling(img, mask, dilations, margin) -> float:
    """Hole PSNR of an oracle stack copy: each hole pixel takes the centre of the fully observed
    stack (no hidden pixel) nearest to its own *true* stack (not a bound: whole stacks are matched).
    """
    stacks = knitwork.extract_patches(img, dilations, margin).flatten(1)
    pool = stacks[knitwork.fully_observed(mask, dilations, margin)]
    hole = (mask[0] == 0).flatten()
    nearest = torch.cdist(stacks[hole], pool).argmin(1)
    k = 2 * margin + 1
    centre = pool.view(len(pool), len(dilations), 3, k, k)[nearest, 0, :, margin, margin]
    out = img.clone().reshape(3, -1)
    out[:, hole] = centre.T
    return psnr(out.reshape(img.shape), img, mask=mask[0] == 0)


def images(study: Study) -> list[dict]:
    s_mlp = study.chosen()[("inpaint", "mlp", "")]["sigma"]
    s_knit, dil, rec = study.recipe()
    rows = []
    for name in TEST_IMAGES:
        img, mask = study.inpaint_task(name)
        hole = mask[0] == 0
        bih = linr.biharmonic_inpaint(img * mask, mask)
        margin = 1 if study.smoke else 2
        d_used = (1, 2) if study.smoke else dil
        rows.append(
            dict(
                image=name,
                method="biharmonic",
                seed="",
                hole=round(psnr(bih, img, mask=hole), 3),
                visible="",
            )
        )
        rows.append(
            dict(
                image=name,
                method="copy ceiling",
                seed="",
                hole=round(copy_ceiling(img, mask, d_used, margin), 3),
                visible="",
            )
        )
        for seed in study.seeds():
            out = study.mlp(img * mask, mask, s_mlp, seed, study.steps(300))
            rows.append(
                dict(
                    image=name,
                    method="plain MLP",
                    seed=seed,
                    hole=round(psnr(out, img, mask=hole), 3),
                    visible=round(psnr(out, img, mask=~hole), 3),
                )
            )
            for method, kw in (
                ("Knitwork", rec),
                ("patches only", {**rec, "alpha": 0.0, "gamma": 0.0}),
            ):
                _, _, h, v = study.inpaint(img, mask, seed, s_knit, dil, **kw)
                rows.append(
                    dict(
                        image=name, method=method, seed=seed, hole=round(h, 3), visible=round(v, 3)
                    )
                )
                print(rows[-1], flush=True)
    return rows


def official_sigma(study: Study) -> list[dict]:
    """The inpainting recipe with the official Fourier band (sigma 5 on our grid) instead of the
    validation image's choice: how much does the hole depend on sigma, on the test images?"""
    _, dil, rec = study.recipe()
    rows = []
    for name in TEST_IMAGES:
        img, mask = study.inpaint_task(name)
        for seed in study.seeds():
            _, _, h, v = study.inpaint(img, mask, seed, 5.0, dil, **rec)
            rows.append(
                dict(
                    image=name,
                    method="Knitwork, sigma 5",
                    seed=seed,
                    hole=round(h, 3),
                    visible=round(v, 3),
                )
            )
            print(rows[-1], flush=True)
    return rows


def steps_part(study: Study) -> list[dict]:
    s_knit, dil, rec = study.recipe()
    img, mask = study.inpaint_task("astronaut")
    n = img.shape[-1]
    seen = mask.flatten().bool()
    rows = []

    def stacks_psnr(m):
        with torch.no_grad():
            pred = m.generator(grid(n, n))
        true = knitwork.extract_patches(img, m.dilations, m.margin)
        return psnr(pred[seen].flatten(1), true[seen].flatten(1))

    runs = [("Knitwork", s, 1200, rec) for s in study.seeds()]
    runs.append(
        (
            "Knitwork, generator 4 x 256, 256 features",
            0,
            300,
            {**rec, "hidden": 256, "n_features": 256},
        )
    )
    for method, seed, n_steps, kw in runs:
        m, hist, h, v = study.inpaint(img, mask, seed, s_knit, dil, steps=n_steps, **kw)
        for st, hp, vp in zip(hist.step, hist.hole_psnr, hist.visible_psnr):
            rows.append(
                dict(
                    method=method,
                    seed=seed,
                    step=st,
                    hole=round(hp, 3),
                    visible=round(vp, 3),
                    stacks="",
                )
            )
        rows[-1]["stacks"] = round(stacks_psnr(m), 3)
        print(rows[-1], flush=True)
    return rows


def denoise(study: Study) -> list[dict]:
    chosen = study.chosen()
    clean = load_image("astronaut", study.size(64))
    n = clean.shape[-1]
    full = torch.ones(1, n, n)
    rows = []
    for level in LEVELS:
        s_mlp = chosen[("denoise", "mlp", level)]["sigma"]
        s_knit = chosen[("denoise", "knitwork", level)]["sigma"]
        for seed in study.seeds():
            g = gaussian_noise(clean, level, seed=seed)
            rows.append(
                dict(
                    sigma_n=level,
                    seed=seed,
                    method="noisy g",
                    sigma="",
                    psnr=round(psnr(g, clean), 3),
                )
            )
            for s in sorted({s_mlp, 5.0}):
                out = study.mlp(g, full, s, seed, study.steps(300))
                rows.append(
                    dict(
                        sigma_n=level,
                        seed=seed,
                        method="plain MLP",
                        sigma=s,
                        psnr=round(psnr(out, clean), 3),
                    )
                )
            m = study.knit(seed, s_knit)
            knitwork.train(m, g, steps=study.steps(300), seed=seed, **INPAINT)
            rows.append(
                dict(
                    sigma_n=level,
                    seed=seed,
                    method="Knitwork",
                    sigma=s_knit,
                    psnr=round(psnr(m.render(n, n), clean), 3),
                )
            )
            print(rows[-1], flush=True)
    return rows


def sr(study: Study) -> list[dict]:
    chosen = study.chosen()
    s_mlp = chosen[("sr", "mlp", "")]["sigma"]
    s_knit = chosen[("sr", "knitwork", "")]["sigma"]
    s_central = chosen[("sr", "knitwork, centre term", "")]["sigma"]
    low, truth, k_true = study.sr_task()
    n = low.shape[-1]
    rows = [
        dict(
            method="bicubic",
            seed="",
            step="",
            psnr=round(psnr(inner(blindsr.bicubic_baseline(low, 2)), inner(truth)), 3),
            centres="",
            kernel_l1="",
            negative="",
        )
    ]
    q = blindsr.hr_coords(n, n, 2)
    for seed, n_steps in itertools.product(study.seeds(), (300, 1200)):
        out = study.mlp(low, torch.ones(1, n, n), s_mlp, seed, study.steps(n_steps), q, 2 * n)
        rows.append(
            dict(
                method="paper-style MLP",
                seed=seed,
                step=study.steps(n_steps),
                psnr=round(psnr(inner(out), inner(truth)), 3),
                centres="",
                kernel_l1="",
                negative="",
            )
        )
    variants = {
        "official kernel": dict(),
        "official kernel, gamma 0": dict(gamma=0.0),
        "official kernel, centre term": dict(central=True),
        "13x13 near-delta kernel, centre term": dict(central=True, composition="full"),
        "true kernel (oracle)": dict(kernel=k_true),
        "true kernel (oracle), centre term": dict(kernel=k_true, central=True),
    }
    total = study.steps(max(SR_STEPS))
    every = study.steps(min(SR_STEPS)) if not study.smoke else 2
    for name, kw in variants.items():
        for seed in study.seeds() if "oracle" not in name else study.seeds()[:1]:
            sigma = s_central if kw.get("central") else s_knit
            m = study.knit(seed, sigma, dilations=(1, 2, 4), margin=1)
            res = blindsr.train_sr(
                m,
                low,
                2,
                steps=total,
                seed=seed,
                adv_batch=256,
                reference=truth,
                border=6,
                eval_every=every,
                **kw,
            )
            for st, k, p_img, p_cen in zip(
                res.history.step, res.kernels, res.history.psnr, res.centre_psnr
            ):
                if not study.smoke and st not in SR_STEPS:
                    continue
                kk = blindsr.embed_kernel(k, 13) if k.shape[-1] < 13 else k
                rows.append(
                    dict(
                        method=name,
                        seed=seed,
                        step=st,
                        psnr=round(p_img, 3),
                        centres=round(p_cen, 3),
                        kernel_l1=round(float((kk - k_true / k_true.sum()).abs().sum()), 3),
                        negative=round(float(k.clamp_max(0).abs().sum() / k.abs().sum()), 3),
                    )
                )
            print(rows[-1], flush=True)
    return rows


FUNCS = {
    "select": select,
    "ablation": ablation,
    "images": images,
    "official_sigma": official_sigma,
    "steps": steps_part,
    "denoise": denoise,
    "sr": sr,
}


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--part", nargs="+", choices=PARTS, default=list(PARTS))
    ap.add_argument("--smoke", action="store_true", help="tiny sizes and steps, written to build/")
    ap.add_argument("--out", type=pathlib.Path, default=None)
    args = ap.parse_args(argv)
    out = args.out or (ROOT / "build" / "knitwork_smoke" if args.smoke else RESULTS_DIR)
    study = Study(args.smoke, out)
    for part in args.part:
        t0 = time.process_time()
        if part == "select":  # reuse the fits of an earlier table (the grid may have grown)
            cache = Cache(None if args.smoke else out / "knitwork_select.csv")
            rows = select(study, cache)
            t0 -= cache.cpu_seconds
        else:
            rows = FUNCS[part](study)
        cmd = f"python scripts/knitwork_study.py --part {part}" + (" --smoke" if args.smoke else "")
        path = save_results(
            out / f"knitwork_{part}.csv",
            rows,
            cmd,
            time.process_time() - t0,
            threads=torch.get_num_threads(),
        )
        print(
            f"wrote {path} ({len(rows)} rows, {(time.process_time() - t0) / 60:.1f} CPU-min)",
            flush=True,
        )


if __name__ == "__main__":
    main()
