"""Forward models of image degradation, shared by the restoration notebooks (LINR, Knitworks,
O-INR).

Every operator takes a ``(C, H, W)`` float image with values in [0, 1] and is written in
plain PyTorch, so the *differentiable* ones (``blur``, ``downsample``, ``apply_mask``) can
sit inside a loss: a network is then fitted so that its rendering, pushed through the
operator, matches the observation. Noise is seeded and never touches the global RNG.

============================  =========================================================
``gaussian_noise``            ``y = x + sigma * n``, ``n ~ N(0, 1)`` (clipped to [0, 1] by default,
                              as in DIP)
``poisson_noise``             photon noise: ``y = (Poisson(peak * x) + readout * n) / peak``
``gaussian_kernel``, ``blur``  normalised odd-sized Gaussian kernel; per-channel 2-D convolution
``downsample``                 ``"bicubic"`` (antialiased, = ``torch`` interpolate), ``"lanczos2"``,
                               ``"box"``
``random_mask``, ``text_mask``, ``box_mask``   ``(1, H, W)`` float masks, 1 = observed
``apply_mask``                 ``mask * x`` (the inpainting forward model)
============================  =========================================================
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

PADDINGS = ("reflect", "replicate", "circular", "zeros")
DOWNSAMPLERS = ("bicubic", "lanczos2", "box")


def check_image(img: object, name: str = "img", range01: bool = True) -> torch.Tensor:
    """Return ``img`` if it is a floating ``(C, H, W)`` tensor (values in [0, 1] when ``range01``);
    else raise ``ValueError``."""
    if not isinstance(img, torch.Tensor):
        raise ValueError(f"{name} must be a (C, H, W) torch.Tensor, got {type(img).__name__}")
    if img.ndim != 3 or not img.is_floating_point():
        raise ValueError(
            f"{name} must be a floating (C, H, W) tensor, got dtype {img.dtype} shape "
            f"{tuple(img.shape)}"
        )
    if range01:
        lo, hi = float(img.min()), float(img.max())
        if lo < -1e-6 or hi > 1 + 1e-6 or not (math.isfinite(lo) and math.isfinite(hi)):
            raise ValueError(
                f"{name} must have values in [0, 1] (got min {lo:.3g}, max {hi:.3g}); "
                "load images with inrutils.data.load_image or divide 8-bit images by 255"
            )
    return img


def _generator(seed: int, device: torch.device) -> torch.Generator:
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed must be an integer, got {seed!r}")
    return torch.Generator(device=device).manual_seed(seed)


def gaussian_noise(
    img: torch.Tensor, sigma: float, seed: int = 0, clip: bool = True
) -> torch.Tensor:
    """``img + sigma * N(0, 1)`` with its own seeded generator; clipped to [0, 1] unless
    ``clip=False``.

    ``sigma`` is on the [0, 1] scale (the papers' ``sigma = 25`` on 8-bit images is ``25 / 255``).
    """
    check_image(img)
    if not (isinstance(sigma, (int, float)) and 0 <= sigma <= 1):
        hint = (
            f" (did you mean sigma={sigma} / 255 = {sigma / 255:.4f}?)"
            if isinstance(sigma, (int, float)) and sigma > 1
            else ""
        )
        raise ValueError(
            f"sigma must be a number in [0, 1] on the image's [0, 1] scale, got {sigma!r}{hint}"
        )
    noise = torch.randn(
        img.shape, generator=_generator(seed, img.device), device=img.device, dtype=img.dtype
    )
    out = img + sigma * noise
    return out.clamp(0, 1) if clip else out


def poisson_noise(
    img: torch.Tensor, peak: float, readout: float = 0.0, seed: int = 0, clip: bool = True
) -> torch.Tensor:
    """Photon noise: ``(Poisson(peak * img) + readout * N(0, 1)) / peak``, seeded; clipped to [0, 1]
    unless ``clip=False``.

    ``peak`` is the mean photon count of a white pixel (O-INR/WIRE use 30, with ``readout=2``
    counts of Gaussian read-out noise). Lower ``peak`` = noisier.
    """
    check_image(img)
    if not (isinstance(peak, (int, float)) and peak > 0 and math.isfinite(peak)):
        raise ValueError(f"peak must be a positive photon count (e.g. 30), got {peak!r}")
    if not (isinstance(readout, (int, float)) and readout >= 0):
        raise ValueError(f"readout must be a number >= 0 (counts), got {readout!r}")
    gen = _generator(seed, img.device)
    counts = torch.poisson(img * peak, generator=gen)
    counts = counts + readout * torch.randn(
        img.shape, generator=gen, device=img.device, dtype=img.dtype
    )
    out = counts / peak
    return out.clamp(0, 1) if clip else out


def gaussian_kernel(
    size: int, sigma: float, sigma_minor: float | None = None, angle: float = 0.0
) -> torch.Tensor:
    """A ``(size, size)`` Gaussian kernel summing to 1; ``size`` odd.

    Isotropic with standard deviation ``sigma`` pixels, or anisotropic with ``sigma`` along the
    direction at ``angle`` radians (counter-clockwise from the x axis, y pointing down the rows)
    and ``sigma_minor`` across it: ``angle=pi/4`` gives the "diagonal Gaussian" of blind SR papers.
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1 or size % 2 == 0:
        raise ValueError(
            f"size must be an odd positive integer (the kernel needs a centre pixel), got {size!r}"
        )
    for name, v in (
        ("sigma", sigma),
        ("sigma_minor", sigma if sigma_minor is None else sigma_minor),
    ):
        if not (isinstance(v, (int, float)) and v > 0):
            raise ValueError(f"{name} must be > 0 pixels, got {v!r}")
    r = torch.arange(size, dtype=torch.float64) - size // 2
    if sigma_minor is None:
        g = torch.exp(-(r**2) / (2 * sigma**2))
        k = torch.outer(g, g)
    else:
        y, x = torch.meshgrid(r, r, indexing="ij")
        u = math.cos(angle) * x - math.sin(angle) * y  # along the major axis (y points down)
        v = math.sin(angle) * x + math.cos(angle) * y
        k = torch.exp(-(u**2) / (2 * sigma**2) - v**2 / (2 * sigma_minor**2))
    return (k / k.sum()).float()


def kernel_moments(kernel: torch.Tensor) -> dict[str, float]:
    """The Gaussian that a kernel resembles, from its second moments: the inverse of
    :func:`gaussian_kernel`.

    Returns ``sigma`` (spread along the major axis, pixels), ``sigma_minor`` and ``angle`` (degrees
    in [0, 180), counter-clockwise from the x axis with y pointing down the rows, as in
    :func:`gaussian_kernel`).
    """
    k = check_kernel(kernel).detach().double()
    r = torch.arange(k.shape[0], dtype=torch.float64) - k.shape[0] // 2
    y, x = torch.meshgrid(r, r, indexing="ij")
    my, mx = float((k * y).sum()), float((k * x).sum())
    y, x = y - my, x - mx
    cov = torch.tensor(
        [
            [float((k * x * x).sum()), float((k * x * y).sum())],
            [float((k * x * y).sum()), float((k * y * y).sum())],
        ],
        dtype=torch.float64,
    )
    evals, evecs = torch.linalg.eigh(cov)
    major = evecs[:, 1]  # (x, y) of the larger spread
    angle = math.degrees(math.atan2(-float(major[1]), float(major[0]))) % 180.0
    return {
        "sigma": math.sqrt(max(float(evals[1]), 0.0)),
        "sigma_minor": math.sqrt(max(float(evals[0]), 0.0)),
        "angle": angle,
    }


def check_kernel(kernel: object) -> torch.Tensor:
    """Return ``kernel`` if it is a square, odd-sized 2-D tensor summing to 1 (within 1e-3); else
    raise ``ValueError``."""
    if not isinstance(kernel, torch.Tensor) or kernel.ndim != 2:
        raise ValueError(
            "kernel must be a 2-D (k, k) tensor, got "
            f"{getattr(kernel, 'shape', type(kernel).__name__)}"
        )
    k1, k2 = kernel.shape
    if k1 != k2 or k1 % 2 == 0:
        raise ValueError(
            "kernel must be square with an odd size (k, k), k = 1, 3, 5, ...; got "
            f"{tuple(kernel.shape)}"
        )
    total = float(kernel.detach().sum())
    if abs(total - 1) > 1e-3:
        raise ValueError(
            f"kernel must sum to 1 (a blur preserves brightness), got sum {total:.4g}; divide it "
            "by its sum"
        )
    return kernel


def _pad_mode(padding: str) -> str:
    if padding not in PADDINGS:
        raise ValueError(
            f"padding={padding!r} is unknown; allowed: {', '.join(map(repr, PADDINGS))}"
        )
    return "constant" if padding == "zeros" else padding


def blur(img: torch.Tensor, kernel: torch.Tensor, padding: str = "reflect") -> torch.Tensor:
    """Convolve each channel of a ``(C, H, W)`` image with a ``(k, k)`` kernel; same size out;
    differentiable.

    True convolution (the kernel is flipped), so a non-symmetric kernel blurs in the
    direction a physicist expects. ``padding``: ``"reflect"`` (mirror without repeating the
    edge pixel, like ``scipy.ndimage``'s ``"mirror"``), ``"replicate"``, ``"circular"``
    (periodic, then the blur is a diagonalisable circulant operator) or ``"zeros"``.
    """
    check_image(img, range01=False)
    kernel = check_kernel(kernel).to(img)
    k = kernel.shape[0]
    r = k // 2
    if padding == "reflect" and r >= min(img.shape[1:]):
        raise ValueError(
            f"a {k}x{k} kernel is too large for reflect padding of a {tuple(img.shape[1:])} image"
        )
    x = F.pad(img[:, None], (r, r, r, r), mode=_pad_mode(padding))
    weight = kernel.flip(0, 1)[None, None]
    return F.conv2d(x, weight)[:, 0]


def _lanczos(x: np.ndarray, a: int) -> np.ndarray:
    return np.where(np.abs(x) < a, np.sinc(x) * np.sinc(x / a), 0.0)


def lanczos2_taps(factor: int) -> tuple[torch.Tensor, int, int]:
    """1-D lanczos2 taps for downsampling by an integer ``factor``, and the left/right padding.

    Output pixel ``j`` covers input pixels ``[j f, (j + 1) f)`` with centre ``c = j f + (f - 1)/2``
    (pixel-centre convention of :func:`inrutils.coords.grid`); the tap at input pixel ``i``
    weighs ``L2((i - c) / f)`` with ``L2(t) = sinc(t) sinc(t / 2)`` on ``|t| < 2``, normalised
    to sum 1 (the stretched lanczos2 kernel that DIP and LINR use inside their loss).
    """
    centre = (factor - 1) / 2
    lo = math.floor(centre - 2 * factor) + 1
    hi = math.ceil(centre + 2 * factor) - 1
    m = np.arange(lo, hi + 1)
    w = _lanczos((m - centre) / factor, 2)
    w = w / w.sum()
    return torch.tensor(w, dtype=torch.float64), -lo, hi - factor + 1


def _check_factor(img: torch.Tensor, factor: object) -> int:
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be an integer >= 1, got {factor!r}")
    h, w = img.shape[1:]
    if h % factor or w % factor:
        raise ValueError(
            f"factor={factor} must divide the image size {h}x{w}; crop the image first "
            f"(e.g. to {h - h % factor}x{w - w % factor})"
        )
    return factor


def downsample(img: torch.Tensor, factor: int, method: str = "bicubic") -> torch.Tensor:
    """Downsample a ``(C, H, W)`` image by an integer ``factor`` (which must divide H and W);
    differentiable.

    ``method``: ``"bicubic"`` (exactly
    ``torch.nn.functional.interpolate(..., mode="bicubic", antialias=True)``: torch's antialiased
    path uses the Keys kernel with a = -0.5, the kernel of PIL's BICUBIC and MATLAB's ``imresize``,
    stretched by ``factor``; torch's plain bicubic upsampling, :func:`upsample_bicubic`, uses a =
    -0.75), ``"lanczos2"`` (see :func:`lanczos2_taps`, reflect-padded) or ``"box"`` (the mean of
    each ``factor x factor`` block).
    """
    check_image(img, range01=False)
    factor = _check_factor(img, factor)
    if method not in DOWNSAMPLERS:
        raise ValueError(
            f"method={method!r} is unknown; allowed: {', '.join(map(repr, DOWNSAMPLERS))}"
        )
    if factor == 1:
        return img
    h, w = img.shape[1:]
    if method == "box":
        return F.avg_pool2d(img[None], factor)[0]
    if method == "bicubic":
        return F.interpolate(
            img[None],
            size=(h // factor, w // factor),
            mode="bicubic",
            antialias=True,
            align_corners=False,
        )[0]
    taps, left, right = lanczos2_taps(factor)
    taps = taps.to(img)
    if max(left, right) >= min(h, w):
        raise ValueError(f"image {h}x{w} is too small for lanczos2 downsampling by {factor}")
    x = img[:, None]
    x = F.pad(x, (left, right, left, right), mode="reflect")
    x = F.conv2d(x, taps.view(1, 1, 1, -1), stride=(1, factor))
    x = F.conv2d(x, taps.view(1, 1, -1, 1), stride=(factor, 1))
    return x[:, 0]


def pil_downsample(img: torch.Tensor, factor: int, method: str = "lanczos") -> torch.Tensor:
    """Downsample a ``(C, H, W)`` image in [0, 1] by ``factor`` as the official LINR ``SR.ipynb``
    makes its observation: 8-bit image, PIL ``Image.resize`` with ``Image.LANCZOS`` (a lanczos3
    window), 8-bit result divided by 255.

    Not differentiable (an observation, not a forward model): the loss then uses
    ``downsample(f, factor, "lanczos2")``, as the official code does, so observation and model
    differ a little. ``method``: ``"lanczos"`` or ``"bicubic"`` (PIL's filters).
    """
    from PIL import Image

    check_image(img)
    factor = _check_factor(img, factor)
    filters = {"lanczos": Image.Resampling.LANCZOS, "bicubic": Image.Resampling.BICUBIC}
    if method not in filters:
        raise ValueError(f"method={method!r} is unknown; allowed: {', '.join(map(repr, filters))}")
    c, h, w = img.shape
    q = np.round(img.detach().cpu().double().numpy() * 255).astype(np.uint8)
    out = [
        np.asarray(Image.fromarray(ch).resize((w // factor, h // factor), filters[method]))
        for ch in q
    ]
    return torch.from_numpy(np.stack(out).astype(np.float32) / 255).to(img.device)


def upsample_bicubic(
    img: torch.Tensor, factor: int | None = None, size: tuple[int, int] | None = None
) -> torch.Tensor:
    """Bicubic upsampling of a ``(C, H, W)`` image by ``factor`` or to ``size=(H', W')``: the
    classical SR baseline.

    Pixel-centre aligned (``align_corners=False``); the result is clipped to [0, 1].
    """
    check_image(img, range01=False)
    if (factor is None) == (size is None):
        raise ValueError("give exactly one of factor (a number > 0) or size=(H, W)")
    if size is None:
        if not (isinstance(factor, (int, float)) and factor > 0):
            raise ValueError(f"factor must be a number > 0, got {factor!r}")
        size = (round(img.shape[1] * factor), round(img.shape[2] * factor))
    out = F.interpolate(img[None], size=tuple(size), mode="bicubic", align_corners=False)[0]
    return out.clamp(0, 1)


def _check_hw(h: object, w: object) -> tuple[int, int]:
    for arg, v in (("h", h), ("w", w)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{arg} must be a positive integer, got {v!r}")
    return h, w  # type: ignore[return-value]


def random_mask(h: int, w: int, observed: float, seed: int = 0) -> torch.Tensor:
    """A ``(1, H, W)`` float mask with a fraction ``observed`` of pixels set to 1 (exactly
    ``round(observed H W)``), seeded."""
    h, w = _check_hw(h, w)
    if not (isinstance(observed, (int, float)) and 0 < observed <= 1):
        raise ValueError(
            f"observed must be the fraction of observed pixels in (0, 1], got {observed!r}"
        )
    n = round(observed * h * w)
    if n == 0:
        raise ValueError(f"observed={observed} of {h}x{w} pixels is no pixel at all; raise it")
    perm = torch.randperm(h * w, generator=torch.Generator().manual_seed(seed))
    mask = torch.zeros(h * w)
    mask[perm[:n]] = 1
    return mask.view(1, h, w)


def box_mask(
    h: int, w: int, fraction: float, center: tuple[float, float] = (0.5, 0.5)
) -> torch.Tensor:
    """A ``(1, H, W)`` mask that hides one square hole covering ``fraction`` of the image (1 =
    observed).

    ``center=(cy, cx)`` is the hole's centre as fractions of the height and width; the hole
    is shifted to stay inside the image.
    """
    h, w = _check_hw(h, w)
    if not (isinstance(fraction, (int, float)) and 0 < fraction < 1):
        raise ValueError(
            f"fraction must be the hole's share of the image in (0, 1), got {fraction!r}"
        )
    side = max(1, round(math.sqrt(fraction * h * w)))
    if side >= min(h, w):
        raise ValueError(
            f"a hole of {fraction:.0%} ({side}x{side} px) does not fit inside a {h}x{w} image"
        )
    cy, cx = center
    if not (0 <= cy <= 1 and 0 <= cx <= 1):
        raise ValueError(f"center must be fractions (cy, cx) in [0, 1], got {center!r}")
    y0 = min(max(round(cy * h - side / 2), 0), h - side)
    x0 = min(max(round(cx * w - side / 2), 0), w - side)
    mask = torch.ones(1, h, w)
    mask[:, y0 : y0 + side, x0 : x0 + side] = 0
    return mask


def text_mask(
    h: int,
    w: int,
    text: str = "implicit\nneural\nrepresentation",
    fontsize: float | None = None,
    thickness: float = 1.0,
) -> torch.Tensor:
    """A ``(1, H, W)`` mask that hides the pixels under ``text`` (drawn with matplotlib, centred); 1
    = observed."""
    h, w = _check_hw(h, w)
    if not isinstance(text, str) or not text.strip():
        raise ValueError("text must be a non-empty string")
    from matplotlib import patheffects
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    lines = text.split("\n")
    if (
        fontsize is None
    ):  # fill about 80 % of the height and 90 % of the width (in points at 100 dpi)
        longest = max(len(line) for line in lines)
        fontsize = min(0.8 * h / (1.2 * len(lines)), 0.9 * w / (0.65 * longest)) * 72 / 100
    fig = Figure(figsize=(w / 100, h / 100), dpi=100)
    canvas = FigureCanvasAgg(fig)
    fig.text(
        0.5,
        0.5,
        text,
        ha="center",
        va="center",
        fontsize=fontsize,
        color="black",
        weight="bold",
        linespacing=1.1,
        path_effects=[patheffects.withStroke(linewidth=thickness, foreground="black")],
    )
    canvas.draw()
    rgba = np.asarray(canvas.buffer_rgba())[:h, :w, 0]
    mask = torch.tensor(rgba > 127, dtype=torch.float32)[None]
    return mask


def check_mask(mask: object, shape: tuple[int, ...]) -> torch.Tensor:
    """Return ``mask`` if it is a ``(1, H, W)`` or ``(C, H, W)`` 0/1 tensor matching ``shape`` with
    an observed pixel."""
    if not isinstance(mask, torch.Tensor) or mask.ndim != 3:
        raise ValueError(
            "mask must be a (1, H, W) or (C, H, W) tensor, got "
            f"{getattr(mask, 'shape', type(mask).__name__)}"
        )
    c, h, w = shape
    if tuple(mask.shape[1:]) != (h, w) or mask.shape[0] not in (1, c):
        raise ValueError(
            f"mask has shape {tuple(mask.shape)}, the image {tuple(shape)}: expected (1, {h}, "
            f"{w}) or ({c}, {h}, {w})"
        )
    if not bool(((mask == 0) | (mask == 1)).all()):
        raise ValueError("mask must contain only 0 (missing) and 1 (observed)")
    if not bool(mask.any()):
        raise ValueError("mask has no observed pixel (all zeros): nothing to fit")
    return mask


def apply_mask(img: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The inpainting forward model ``mask * img`` (missing pixels become 0); differentiable in
    ``img``."""
    check_image(img, range01=False)
    mask = check_mask(mask, tuple(img.shape)).to(img)
    return img * mask
