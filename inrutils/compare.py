"""The course's methods side by side (notebook 08, ``scripts/benchmark.py``).

One function per task runs every contender on one image and returns its rows (task, method, PSNR,
SSIM, parameters, CPU seconds) and its outputs:

* :func:`run_representation`: ReLU + Fourier features, SIREN, WIRE, MFN and O-INR fitted to a clean
  image at a parameter budget given in parameters per pixel value, each with the hyper-parameters
  chosen on a validation image (:func:`select_representation`, never the test image);
* :func:`run_denoising`, :func:`run_super_resolution`, :func:`run_inpainting`: the restoration
  methods, each with its own notebook's settings (:data:`LINR`, :data:`KNITWORK`,
  :data:`OINR_DENOISE`), beside the classical method and the floors (the noisy input, the hole
  left black, the hole filled with the local mean).

:func:`pareto_front` finds the methods that no other beats on both PSNR and CPU time, with times
within a stated tolerance counted as equal. CPU time is ``time.process_time()`` (this process's
threads summed), so other programs on the machine do not inflate it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn

from . import degrade, knitwork, liif, linr, oinr
from .coords import grid
from .data import load_results
from .encodings import FourierFeatures
from .metrics import psnr, ssim
from .models import (
    MFN,
    MLP,
    Siren,
    Wire,
    budget_for,
    count_params,
    params_per_value,
    size_to_budget,
)

REPRESENTERS = ("ReLU + Fourier features", "SIREN", "WIRE", "MFN", "O-INR")

#: The validation grid of each representation network: the learning rate of the shared decay
#: recipe (:func:`inrutils.oinr.fit_decay`) and the frequency knob of the architecture: notebook
#: 01's sigma_ff and number of Fourier features m, SIREN's omega_0, WIRE's omega_0 (s_0 = 10 as in
#: :data:`inrutils.oinr.BASELINES`), MFN's input scale (notebook 07: the image's larger side).
#: O-INR keeps notebook 07's architecture (its kernel size was measured there: 3x3 best).
REP_GRID = {
    "ReLU + Fourier features": {
        "lr": (1e-3, 3e-3, 1e-2, 3e-2, 1e-1),
        "sigma": (1.0, 2.0, 4.0, 8.0),
        "n_features": (16, 64),
    },
    "SIREN": {"lr": (1e-3, 3e-3, 1e-2), "w0": (7.5, 15.0, 30.0, 60.0)},
    "WIRE": {"lr": (3e-3, 1e-2, 3e-2), "w0": (5.0, 10.0, 20.0)},
    "MFN": {"lr": (3e-3, 1e-2, 3e-2, 1e-1, 3e-1), "input_scale": (32.0, 64.0, 128.0)},
    "O-INR": {"lr": (3e-3, 1e-2, 3e-2, 5e-2, 1e-1, 2e-1)},
}
#: How far from the budget :func:`representer` may land: any distance, the nearest count wins.
#: O-INR's widths (k, 2k, 2k, k) move its count in coarse steps (1,026 / 1,755 / 2,700 parameters
#: at k = 2, 3, 4 for a grey image), so every row prints its own density.
BUDGET_TOL = float("inf")

#: LINR (notebook 05): the official depth (7 sine layers and a linear head), learning rate 1e-4,
#: omega_0 = 30; the official width 256 for denoising and notebook 05's CPU width 128 elsewhere;
#: denoising stops by the discrepancy rule with sigma_n estimated from the observation. One
#: difference: super-resolution fits through the operator that made the observation (antialiased
#: bicubic), where notebook 05 follows the official code (PIL lanczos observation, lanczos2 in the
#: loss).
LINR = {
    "layers": linr.PAPER_LAYERS,
    "lr": 1e-4,
    "w0": 30.0,
    "width": {"denoise": 256, "sr": 128, "inpaint": 128},
    "steps": {"denoise": 100, "sr": 300, "inpaint": 300},
}
#: The Knitwork (notebook 06): 5x5 patch stacks at dilations 1 and 8, a 4 x 128 generator with 64
#: Fourier features, lambda_xp (``alpha``) 0.05, learning rate 2e-3, 256 stacks per adversarial
#: term, 300 steps; sigma_ff per task as chosen on the validation image
#: (``docs/results/knitwork_select.csv``, read by :func:`knitwork_sigma`).
KNITWORK = {
    "dilations": (1, 8),
    "margin": 2,
    "hidden": 128,
    "layers": 4,
    "n_features": 64,
    "lr": 2e-3,
    "alpha": 0.05,
    "gamma": 1e-4,
    "adv_batch": 256,
    "steps": 300,
}
#: O-INR for denoising (notebook 07): the paper's density of 0.24 parameters per pixel value and
#: notebook 07's choice on its noisy validation image (``docs/results/oinr_denoise.csv``): learning
#: rate 3e-2, stopped at the last of 1,000 steps.
OINR_DENOISE = {"density": 0.24, "lr": 3e-2, "steps": 1000}


def _timed(fn: Callable[[], torch.Tensor]) -> tuple[torch.Tensor, float]:
    t = time.process_time()
    out = fn()
    return out, time.process_time() - t


def warm_up() -> None:
    """Run torch's first-call set-up (a two-step fit of a tiny network) so that it is not charged
    to the first method timed; cheap after the first call."""
    net = Siren(2, 1, hidden=4, layers=1)
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(2):
        opt.zero_grad()
        net(grid(8, 8)).square().mean().backward()
        opt.step()


def _row(task, method, out, target, params, seconds, region=None, **extra) -> dict:
    return dict(
        task=task,
        method=method,
        psnr=float(psnr(out, target, mask=region)),
        ssim=ssim(out, target, mask=region),
        params=params,
        seconds=seconds,
        **extra,
    )


# ---------------------------------------------------------------------------------------------
# Representation at a parameter budget
# ---------------------------------------------------------------------------------------------
def representer(
    name: str, channels: int, h: int, w: int, budget: int, seed: int = 0, **hp
) -> nn.Module:
    """The network ``name`` (one of :data:`REPRESENTERS`) for a ``(channels, h, w)`` image, its
    width chosen for the parameter count nearest ``budget`` and initialised after
    ``torch.manual_seed(seed)``.

    ``hp``: ``sigma`` and ``n_features`` for the Fourier features (whose matrix ``seed`` also
    draws), ``w0`` for SIREN and WIRE, ``input_scale`` for MFN; any learning rate in ``hp`` is
    ignored (it belongs to the fit).
    """
    if name not in REPRESENTERS:
        raise ValueError(f"name must be one of {REPRESENTERS}, got {name!r}")
    if name == "ReLU + Fourier features":
        sigma, n = float(hp.get("sigma", 2.0)), int(hp.get("n_features", 64))

        def build(k):
            enc = FourierFeatures(2, n, sigma, seed=seed)
            return MLP(2, channels, hidden=k, layers=3, encoding=enc)

    elif name == "SIREN":
        w0 = float(hp.get("w0", oinr.BASELINES["SIREN"]["w0"]))

        def build(k):
            return Siren(2, channels, hidden=k, layers=oinr.BASELINES["SIREN"]["layers"], w0=w0)

    elif name == "WIRE":
        wire = dict(oinr.BASELINES["WIRE"]["represent"])
        w0, s0 = float(hp.get("w0", wire["w0"])), float(wire["s0"])

        def build(k):
            return Wire(
                2, channels, hidden=k, layers=oinr.BASELINES["WIRE"]["layers"], w0=w0, s0=s0
            )

    elif name == "MFN":
        scale = float(hp.get("input_scale", max(h, w)))

        def build(k):
            return MFN(
                2, channels, hidden=k, layers=oinr.BASELINES["MFN"]["layers"], input_scale=scale
            )

    else:
        return oinr.baseline_models(
            channels, h, w, budget, seed=seed, names=(name,), tol=BUDGET_TOL
        )[name]
    torch.manual_seed(seed)
    return size_to_budget(build, budget, tol=BUDGET_TOL)


def rendered(model: nn.Module, h: int, w: int) -> torch.Tensor:
    """``model``'s image on the ``h x w`` pixel grid, ``(C, H, W)`` in [0, 1], on the CPU (the whole
    grid at once: an O-INR is evaluated on its full grid)."""
    dev = next(model.parameters()).device
    with torch.no_grad():
        out = model(grid(h, w).to(dev))
    return out.T.reshape(-1, h, w).clamp(0, 1).cpu()


def fit_representer(
    name: str, image: torch.Tensor, budget: int, steps: int, seed: int = 0, device=None, **hp
) -> tuple[torch.Tensor, nn.Module, float]:
    """Fit :func:`representer` ``name`` to ``image`` ``(C, H, W)`` with the shared decay recipe
    (:func:`inrutils.oinr.fit_decay`, learning rate ``hp["lr"]``) for ``steps`` full-batch steps.

    Returns (the rendered image, the model, the CPU seconds of building and fitting it).
    """
    if "lr" not in hp:
        raise ValueError(f"hp must hold the learning rate 'lr', got {sorted(hp)}")
    c, h, w = image.shape
    t = time.process_time()
    model = representer(name, c, h, w, budget, seed, **hp)
    if device is not None:
        model = model.to(device)
    oinr.fit_decay(model, image, steps, float(hp["lr"]))
    out = rendered(model, h, w)
    return out, model, time.process_time() - t


def grid_points(name: str) -> list[dict]:
    """Every hyper-parameter setting of :data:`REP_GRID` for ``name``, as dicts."""
    keys = list(REP_GRID[name])
    return [dict(zip(keys, vals)) for vals in itertools.product(*REP_GRID[name].values())]


def select_representation(
    image: torch.Tensor,
    densities: Sequence[float],
    steps: int,
    names: Sequence[str] = REPRESENTERS,
    seed: int = 0,
    log: Callable[[str], None] | None = print,
) -> list[dict]:
    """The validation sweep: every setting of :data:`REP_GRID` fitted to the validation ``image``
    at each density; one row per fit (``chosen=1`` on the best PSNR of each (density, method)).
    """
    rows = []
    warm_up()
    for density in densities:
        budget = budget_for(density, image.shape)
        for name in names:
            start = len(rows)
            for hp in grid_points(name):
                out, model, seconds = fit_representer(name, image, budget, steps, seed, **hp)
                rows.append(
                    dict(
                        density=density,
                        method=name,
                        lr=hp["lr"],
                        sigma=hp.get("sigma", ""),
                        n_features=hp.get("n_features", ""),
                        w0=hp.get("w0", ""),
                        input_scale=hp.get("input_scale", ""),
                        params=count_params(model),
                        psnr=round(psnr(out, image), 3),
                        seconds=round(seconds, 2),
                        chosen=0,
                    )
                )
                if log:
                    log(f"select {density} {name:24s} {hp} {rows[-1]['psnr']:6.2f} dB")
            best = max(range(start, len(rows)), key=lambda i: rows[i]["psnr"])
            rows[best]["chosen"] = 1
    return rows


def chosen_settings(select_rows: list[dict], density: float) -> dict[str, dict]:
    """Each method's chosen hyper-parameters at ``density`` from :func:`select_representation`'s
    rows (or the cached ``docs/results/compare_select.csv``)."""
    out = {}
    for r in select_rows:
        if int(r["chosen"]) == 1 and float(r["density"]) == float(density):
            hp = {"lr": float(r["lr"])}
            for k in ("sigma", "w0", "input_scale"):
                if r.get(k, "") != "":
                    hp[k] = float(r[k])
            if r["n_features"] != "":
                hp["n_features"] = int(r["n_features"])
            out[r["method"]] = hp
    if not out:
        raise ValueError(f"no chosen setting at density {density!r} in the selection rows")
    return out


def fewer_pixels(image: torch.Tensor, values: int) -> tuple[torch.Tensor, int]:
    """The classical way to store ``image`` ``(C, H, W)`` in about ``values`` numbers: keep a
    smaller image (antialiased bicubic) with that many values and enlarge it back (bicubic).
    Returns the restored image and the number of values kept."""
    c, h, w = image.shape
    if isinstance(values, bool) or not isinstance(values, int) or values < c:
        raise ValueError(f"values must be an int of at least {c} (one pixel), got {values!r}")
    f = (values / (c * h * w)) ** 0.5
    sh, sw = max(1, round(h * f)), max(1, round(w * f))
    small = torch.nn.functional.interpolate(
        image[None], size=(sh, sw), mode="bicubic", antialias=True, align_corners=False
    )
    big = torch.nn.functional.interpolate(small, size=(h, w), mode="bicubic", align_corners=False)
    return big[0].clamp(0, 1), c * sh * sw


def jpeg(image: torch.Tensor, max_bytes: int) -> tuple[torch.Tensor, int, int]:
    """``image`` ``(C, H, W)`` in [0, 1] saved as an 8-bit JPEG (Pillow) at the highest quality
    (1-95) whose file has at most ``max_bytes`` bytes (quality 1 when none does), and decoded.
    Returns the decoded image, the file's size in bytes and the quality."""
    import io

    from PIL import Image

    arr = (image.clamp(0, 1) * 255).round().to(torch.uint8).permute(1, 2, 0).numpy()
    pil = Image.fromarray(arr[..., 0] if arr.shape[2] == 1 else arr)
    best = None
    for q in range(95, 0, -1):
        buf = io.BytesIO()
        pil.save(buf, format="JPEG", quality=q)
        best = (buf.getvalue(), q)
        if len(best[0]) <= max_bytes:
            break
    data, q = best
    dec = np.asarray(Image.open(io.BytesIO(data)), dtype=np.float32) / 255.0
    dec = torch.from_numpy(dec)
    dec = dec[None] if dec.ndim == 2 else dec.permute(2, 0, 1)
    return dec, len(data), q


def run_representation(
    image: torch.Tensor,
    density: float,
    settings: dict[str, dict],
    steps: int,
    seed: int = 0,
    device=None,
) -> tuple[list[dict], dict[str, torch.Tensor]]:
    """Every network of ``settings`` (method -> hyper-parameters) fitted to ``image`` at ``density``
    parameters per pixel value, then the classical storage at the same size: a smaller image with
    as many values as the budget, enlarged by bicubic, and a JPEG of at most one byte per parameter
    of the budget (as if the network's weights were stored in 8 bits; they are float32, 4 bytes).
    ``density`` is the values (or bytes) kept per pixel value. Rows and outputs."""
    budget = budget_for(density, image.shape)
    task = f"representation {density}"
    rows, outs = [], {}
    warm_up()
    for name, hp in settings.items():
        out, model, seconds = fit_representer(name, image, budget, steps, seed, device, **hp)
        outs[name] = out
        n = count_params(model)
        per_value = round(params_per_value(n, image.shape), 3)
        rows.append(_row(task, name, out, image, n, seconds, density=per_value))
    for name, store in (  # the classical stores: (image, values or bytes kept)
        ("bicubic from fewer pixels", lambda: fewer_pixels(image, budget)),
        ("JPEG, a byte per parameter", lambda: jpeg(image, budget)[:2]),
    ):
        (out, kept), seconds = _timed(store)
        outs[name] = out
        per_value = round(kept / image.numel(), 3)
        rows.append(_row(task, name, out, image, 0, seconds, density=per_value))
    return rows, outs


# ---------------------------------------------------------------------------------------------
# Restoration
# ---------------------------------------------------------------------------------------------
def linr_prior(channels: int, task: str, seed: int = 0) -> nn.Module:
    """Notebook 05's SIREN prior for ``task`` (``"denoise"``, ``"sr"`` or ``"inpaint"``), seeded."""
    if task not in LINR["width"]:
        raise ValueError(f"task must be one of {tuple(LINR['width'])}, got {task!r}")
    torch.manual_seed(seed)
    return linr.default_model(
        channels, hidden=LINR["width"][task], layers=LINR["layers"], w0=LINR["w0"]
    )


def linr_fit(
    observation: torch.Tensor,
    forward_op,
    task: str,
    size: tuple[int, int] | None = None,
    seed: int = 0,
    steps: int | None = None,
    device=None,
) -> tuple[torch.Tensor, float, int]:
    """Notebook 05's LINR for ``task`` fitted to ``observation`` through ``forward_op`` (``None``:
    the identity, denoising with the discrepancy stop); the restored image, the CPU seconds and the
    prior's parameter count. ``steps`` shortens the fit (the fast tier)."""
    c = observation.shape[0]
    t = time.process_time()
    r = linr.restore(
        observation,
        forward_op,
        size=size,
        steps=LINR["steps"][task] if steps is None else steps,
        model=linr_prior(c, task, seed),
        lr=LINR["lr"],
        stop="discrepancy" if task == "denoise" else None,
        progress=False,
        device=device,
    )
    return r.image, time.process_time() - t, count_params(linr_prior(c, task))


def knitwork_sigma(task: str, sigma_n: float | str = "") -> float:
    """The Knitwork's sigma_ff for ``task`` (``"inpaint"`` or ``"denoise"`` at ``sigma_n``) chosen
    on notebook 06's validation image (``docs/results/knitwork_select.csv``)."""
    row = load_results("knitwork_select").one(
        task=task, model="knitwork", sigma_n=sigma_n, chosen=1
    )
    return float(row["sigma"])


def knitwork_fit(
    observed: torch.Tensor,
    mask: torch.Tensor | None,
    sigma: float,
    seed: int = 0,
    steps: int | None = None,
    device=None,
) -> tuple[torch.Tensor, int]:
    """Notebook 06's Knitwork (:data:`KNITWORK`) trained on ``observed`` (1 in ``mask`` =
    observed); its rendering and the generator's parameter count. ``seed`` initialises the networks,
    draws the Fourier matrix and the training batches."""
    k = KNITWORK
    c, h, w = observed.shape
    torch.manual_seed(seed)
    net = knitwork.Knitwork(
        c,
        dilations=k["dilations"],
        margin=k["margin"],
        hidden=k["hidden"],
        layers=k["layers"],
        n_features=k["n_features"],
        sigma=sigma,
        feature_seed=seed,
    )
    if device is not None:
        net = net.to(device)
    knitwork.train(
        net,
        observed,
        mask,
        steps=k["steps"] if steps is None else steps,
        lr=k["lr"],
        alpha=k["alpha"],
        gamma=k["gamma"],
        adv_batch=k["adv_batch"],
        seed=seed,
    )
    return net.render(h, w).cpu(), count_params(net.generator)


def run_denoising(
    clean: torch.Tensor,
    sigma_n: float,
    seed: int = 0,
    device=None,
    linr_steps: int | None = None,
    knit_steps: int | None = None,
    oinr_steps: int | None = None,
) -> tuple[list[dict], dict[str, torch.Tensor]]:
    """Gaussian noise ``sigma_n`` (drawn with seed 0: every method sees the same noisy image);
    the noisy input (the floor), LINR, the Knitwork, O-INR, TV and NLM. ``seed`` initialises the
    networks; the ``*_steps`` arguments shorten the fits (the fast tier)."""
    noisy = degrade.gaussian_noise(clean, sigma_n, seed=0)
    c, h, w = clean.shape
    warm_up()
    rows = [_row("denoising", "noisy input (floor)", noisy, clean, 0, 0.0)]
    outs = {"noisy input (floor)": noisy}

    out, s, n = linr_fit(noisy, None, "denoise", seed=seed, steps=linr_steps, device=device)
    outs["LINR"] = out
    rows.append(_row("denoising", "LINR", out, clean, n, s))

    t = time.process_time()
    out, n = knitwork_fit(noisy, None, knitwork_sigma("denoise", sigma_n), seed, knit_steps, device)
    outs["Knitwork"] = out
    rows.append(_row("denoising", "Knitwork", out, clean, n, time.process_time() - t))

    t = time.process_time()
    budget = budget_for(OINR_DENOISE["density"], clean.shape)
    net = oinr.baseline_models(
        c, h, w, budget, task="denoise", seed=seed, names=("O-INR",), tol=BUDGET_TOL
    )["O-INR"]
    if device is not None:
        net = net.to(device)
    n_steps = OINR_DENOISE["steps"] if oinr_steps is None else oinr_steps
    oinr.fit_decay(net, noisy, n_steps, OINR_DENOISE["lr"])
    out = rendered(net, h, w)
    outs["O-INR"] = out
    rows.append(_row("denoising", "O-INR", out, clean, count_params(net), time.process_time() - t))

    for name, fn in (("TV", linr.tv_denoise), ("NLM", linr.nlm_denoise)):
        out, s = _timed(lambda fn=fn: fn(noisy))
        outs[name] = out
        rows.append(_row("denoising", name, out, clean, 0, s))
    return rows, outs


def run_super_resolution(
    hr: torch.Tensor,
    factor: int = 4,
    seed: int = 0,
    device=None,
    linr_steps: int | None = None,
) -> tuple[list[dict], dict[str, torch.Tensor]]:
    """``hr`` downsampled by ``factor`` (antialiased bicubic, ``degrade.downsample``) and brought
    back: bicubic interpolation, LIIF (the shipped CPU model) and LINR through the same bicubic
    operator."""
    c, h, w = hr.shape
    small = degrade.downsample(hr, factor, "bicubic").clamp(0, 1)
    rows, outs = [], {}
    warm_up()
    out, s = _timed(lambda: degrade.upsample_bicubic(small, factor).clamp(0, 1))
    outs["bicubic"] = out
    rows.append(_row(f"SR x{factor}", "bicubic", out, hr, 0, s))

    model = liif.pretrained("cpu", device=device)
    out, s = _timed(lambda: liif.upsample(model, small, scale=factor).cpu())
    outs["LIIF"] = out
    rows.append(_row(f"SR x{factor}", "LIIF", out, hr, count_params(model), s))

    down = lambda x: degrade.downsample(x, factor, "bicubic")  # noqa: E731
    out, s, n = linr_fit(small, down, "sr", (h, w), seed, linr_steps, device)
    outs["LINR"] = out
    rows.append(_row(f"SR x{factor}", "LINR", out, hr, n, s))
    return rows, outs


def local_mean_fill(observed: torch.Tensor, mask: torch.Tensor, band: int = 3) -> torch.Tensor:
    """Fill the missing pixels (0 in ``mask`` ``(1, H, W)``) with the mean of the observed pixels
    within ``band`` pixels of them (per channel): the cheapest fill that uses the hole's
    surroundings."""
    mask = degrade.check_mask(mask, tuple(observed.shape))
    if isinstance(band, bool) or not isinstance(band, int) or band < 1:
        raise ValueError(f"band must be a positive number of pixels, got {band!r}")
    missing = (mask[0] == 0).float()[None, None]
    near = torch.nn.functional.max_pool2d(missing, 2 * band + 1, stride=1, padding=band)[0, 0]
    ring = (near > 0) & (mask[0] > 0)
    if not ring.any():
        raise ValueError("mask hides every pixel near the hole: no observed pixel to average")
    means = observed[:, ring].mean(dim=1)
    out = observed.clone()
    out[:, mask[0] == 0] = means[:, None]
    return out


def exemplar_fill(observed: torch.Tensor, mask: torch.Tensor, band: int = 3) -> torch.Tensor:
    """Fill the missing pixels (0 in ``mask`` ``(1, H, W)``) by copying one block of the image: the
    window ``band`` pixels around the hole's bounding box is compared, on its observed pixels, with
    every fully observed window of the same size, and the best match (least squared difference)
    gives the hole's pixels. A one-shot version of exemplar-based inpainting (Criminisi et al.,
    2004): the classical fill for repeated texture, which copies texture instead of smoothing it."""
    mask = degrade.check_mask(mask, tuple(observed.shape))
    if isinstance(band, bool) or not isinstance(band, int) or band < 1:
        raise ValueError(f"band must be a positive number of pixels, got {band!r}")
    c, h, w = observed.shape
    missing = mask[0] == 0
    if not missing.any():
        return observed.clone()
    ys, xs = torch.nonzero(missing, as_tuple=True)
    y0, y1 = max(int(ys.min()) - band, 0), min(int(ys.max()) + band + 1, h)
    x0, x1 = max(int(xs.min()) - band, 0), min(int(xs.max()) + band + 1, w)
    wh, ww = y1 - y0, x1 - x0
    windows = torch.nn.functional.unfold(observed[None], (wh, ww))[0]  # (C*wh*ww, L)
    holes = torch.nn.functional.unfold(missing.float()[None, None], (wh, ww))[0].sum(0)  # (L,)
    seen = (~missing[y0:y1, x0:x1]).float().repeat(c, 1, 1).reshape(-1, 1)
    target = observed[:, y0:y1, x0:x1].reshape(-1, 1)
    cost = ((windows - target) ** 2 * seen).sum(0)
    cost[holes > 0] = float("inf")  # only fully observed windows can be copied
    if not torch.isfinite(cost).any():
        raise ValueError("no fully observed window of the hole's size to copy from")
    best = int(torch.argmin(cost))
    block = windows[:, best].reshape(c, wh, ww)
    out = observed.clone()
    region = out[:, y0:y1, x0:x1]
    region[:, missing[y0:y1, x0:x1]] = block[:, missing[y0:y1, x0:x1]]
    return out


def run_inpainting(
    clean: torch.Tensor,
    mask: torch.Tensor,
    seed: int = 0,
    device=None,
    linr_steps: int | None = None,
    knit_steps: int | None = None,
) -> tuple[list[dict], dict[str, torch.Tensor]]:
    """The pixels where ``mask`` (``(1, H, W)``) is 0 removed and filled: left black and the local
    mean (the floors), biharmonic and the exemplar copy (classical), LINR through the mask, the
    Knitwork. Every output keeps the observed pixels (the fitted methods' renderings are pasted
    into the hole only), so PSNR and SSIM on the missing pixels compare the fills alone; the
    fitted methods' rows also give ``visible``, the PSNR of their rendering on the observed
    pixels (classical rows: ``""``, exact)."""
    observed = degrade.apply_mask(clean, mask)
    hole = ~mask[0].bool()
    rows, outs = [], {}
    warm_up()
    for name, fn in (
        ("left black (floor)", lambda: observed),
        ("local mean (floor)", lambda: local_mean_fill(observed, mask)),
        ("biharmonic", lambda: linr.biharmonic_inpaint(observed, mask)),
        ("exemplar copy", lambda: exemplar_fill(observed, mask)),
    ):
        out, s = _timed(fn)
        outs[name] = out
        rows.append(_row("inpainting", name, out, clean, 0, s, region=hole, visible=""))

    def pasted(name, render, n, seconds):
        visible = float(psnr(render, clean, mask=~hole))
        out = torch.where(hole, render, observed)  # the observed pixels stay as they are
        outs[name] = out
        rows.append(
            _row("inpainting", name, out, clean, n, seconds, region=hole, visible=round(visible, 3))
        )

    masked = lambda x: degrade.apply_mask(x, mask)  # noqa: E731
    render, s, n = linr_fit(observed, masked, "inpaint", None, seed, linr_steps, device)
    pasted("LINR", render, n, s)
    t = time.process_time()
    render, n = knitwork_fit(observed, mask, knitwork_sigma("inpaint"), seed, knit_steps, device)
    pasted("Knitwork", render, n, time.process_time() - t)
    return rows, outs


# ---------------------------------------------------------------------------------------------
# Reading the rows
# ---------------------------------------------------------------------------------------------
def dominates(a: tuple[float, float], b: tuple[float, float], time_tol: float = 0.0) -> bool:
    """Whether ``a = (seconds, psnr)`` dominates ``b``: at least as good and, with times within a
    factor ``1 + time_tol`` counted as equal, at least as fast; and strictly better in one of the
    two (higher PSNR, or faster beyond the tolerance)."""
    (ta, pa), (tb, pb) = a, b
    as_fast = ta <= tb * (1 + time_tol)
    faster = ta * (1 + time_tol) < tb
    return as_fast and pa >= pb and (pa > pb or faster)


def pareto_front(points: dict[str, tuple[float, float]], time_tol: float = 0.0) -> list[str]:
    """The sorted names of ``points`` (name -> (seconds, psnr)) that no other point dominates
    (:func:`dominates` with ``time_tol``)."""
    if not (isinstance(time_tol, (int, float)) and time_tol >= 0):
        raise ValueError(f"time_tol must be a non-negative fraction, got {time_tol!r}")
    return sorted(
        n
        for n, p in points.items()
        if not any(o != n and dominates(q, p, time_tol) for o, q in points.items())
    )


def summarise(rows: list[dict], keys: Sequence[str] = ("task", "method")) -> list[dict]:
    """Mean and sample standard deviation of PSNR, SSIM and seconds over the rows that share
    ``keys`` (e.g. seeds); ``n`` counts them. Order of first appearance."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in keys), []).append(r)
    out = []
    for key, rs in groups.items():
        s = dict(zip(keys, key), n=len(rs), params=rs[0]["params"])
        for m in ("psnr", "ssim", "seconds"):
            v = np.array([float(r[m]) for r in rs])
            s[m] = float(v.mean())
            s[m + "_std"] = float(v.std(ddof=1)) if len(v) > 1 else 0.0
        out.append(s)
    return out


__all__ = [
    "REPRESENTERS",
    "REP_GRID",
    "BUDGET_TOL",
    "LINR",
    "KNITWORK",
    "OINR_DENOISE",
    "warm_up",
    "representer",
    "rendered",
    "fit_representer",
    "grid_points",
    "select_representation",
    "chosen_settings",
    "fewer_pixels",
    "jpeg",
    "run_representation",
    "linr_prior",
    "linr_fit",
    "knitwork_sigma",
    "knitwork_fit",
    "run_denoising",
    "run_super_resolution",
    "local_mean_fill",
    "exemplar_fill",
    "run_inpainting",
    "dominates",
    "pareto_front",
    "summarise",
]
