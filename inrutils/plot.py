"""Small, consistent figures: image panels and training curves."""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib.pyplot as plt
import numpy as np
import torch

from .fit import History
from .metrics import to_numpy

STYLE = {
    "figure.dpi": 80,
    "savefig.dpi": 80,
    "axes.grid": False,
    "font.size": 10,
    "image.interpolation": "nearest",
}


def use_style() -> None:
    """Apply the course's figure defaults (modest dpi keeps notebooks small)."""
    plt.rcParams.update(STYLE)


def show_images(
    images: Mapping[str, torch.Tensor | np.ndarray],
    ncols: int | None = None,
    size: float = 2.6,
    cmap: str = "gray",
    vmin: float | None = 0.0,
    vmax: float | None = 1.0,
    suptitle: str | None = None,
    colorbar: bool = False,
) -> None:
    """Draw ``{title: image}`` side by side; images are ``(C, H, W)`` tensors or ``(H, W[, C])``
    NumPy arrays.

    Colour images are clipped to [0, 1]; grayscale ones use ``cmap`` and ``vmin``/``vmax``
    (pass ``None`` to autoscale, e.g. for derivatives). Returns nothing, so that a
    notebook cell ending with it shows the figure once; ``plt.gcf()`` gives the figure.
    """
    if not images:
        raise ValueError("images must be a non-empty {title: image} mapping")
    n = len(images)
    ncols = ncols or n
    nrows = -(-n // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows + (0.3 if suptitle else 0)), squeeze=False
    )
    for ax in axes.flat[n:]:
        ax.axis("off")
    for ax, (title, img) in zip(axes.flat, images.items()):
        # tensors are (C, H, W); NumPy arrays are already (H, W) or (H, W, C)
        arr = to_numpy(img) if isinstance(img, torch.Tensor) else np.asarray(img, dtype=np.float64)
        if arr.ndim == 3 and arr.shape[2] == 1:
            arr = arr[..., 0]
        if arr.ndim == 3:
            im = ax.imshow(np.clip(arr, 0, 1))
        else:
            im = ax.imshow(arr, cmap=cmap, vmin=vmin, vmax=vmax)
            if colorbar:
                fig.colorbar(im, ax=ax, fraction=0.046, pad=0.04)
        ax.set_title(title, fontsize=9)
        ax.set_xticks([])
        ax.set_yticks([])
    if suptitle:
        fig.suptitle(suptitle)
    fig.tight_layout()


def plot_history(
    histories: Mapping[str, History],
    key: str = "psnr",
    x: str = "step",
    ax=None,
    title: str | None = None,
):
    """Plot one field of several :class:`History` objects (``key``: psnr | loss; ``x``: step |
    time)."""
    if key not in ("psnr", "loss") or x not in ("step", "time"):
        raise ValueError(
            f"key must be 'psnr' or 'loss' and x 'step' or 'time', got key={key!r}, x={x!r}"
        )
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3))
    for name, h in histories.items():
        ax.plot(getattr(h, x), getattr(h, key), label=name)
    ax.set_xlabel("step" if x == "step" else "wall time (s)")
    ax.set_ylabel("PSNR (dB)" if key == "psnr" else "loss")
    if key == "loss":
        ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title)
    return ax


def _as_array(img: torch.Tensor | np.ndarray) -> np.ndarray:
    arr = to_numpy(img) if isinstance(img, torch.Tensor) else np.asarray(img, dtype=np.float64)
    return arr[..., 0] if arr.ndim == 3 and arr.shape[2] == 1 else arr


def show_zoomed(
    images: Mapping[str, torch.Tensor | np.ndarray],
    region: torch.Tensor | np.ndarray,
    pad: int = 6,
    size: float = 2.0,
    suptitle: str | None = None,
) -> None:
    """Draw ``{title: image}`` side by side with the bounding box of ``region`` (boolean
    ``(H, W)``, e.g. a hole) outlined, and below each image that box and ``pad`` pixels around it,
    enlarged: a small region stays visible in a figure of whole images."""
    if not images:
        raise ValueError("images must be a non-empty {title: image} mapping")
    reg = np.asarray(region.cpu() if isinstance(region, torch.Tensor) else region, dtype=bool)
    if reg.ndim != 2 or not reg.any():
        raise ValueError(f"region must be a boolean (H, W) mask with a true pixel, got {reg.shape}")
    ys, xs = np.nonzero(reg)
    y0, y1 = max(ys.min() - pad, 0), min(ys.max() + pad + 1, reg.shape[0])
    x0, x1 = max(xs.min() - pad, 0), min(xs.max() + pad + 1, reg.shape[1])
    box = (xs.min() - 0.5, ys.min() - 0.5), xs.max() - xs.min() + 1, ys.max() - ys.min() + 1
    n = len(images)
    fig, axes = plt.subplots(2, n, figsize=(size * n, 2 * size + 0.5), squeeze=False)
    for col, (title, img) in enumerate(images.items()):
        arr = _as_array(img)
        kw = {} if arr.ndim == 3 else dict(cmap="gray", vmin=0, vmax=1)
        for row, (view, origin) in enumerate(((arr, (0, 0)), (arr[y0:y1, x0:x1], (y0, x0)))):
            ax = axes[row, col]
            ax.imshow(np.clip(view, 0, 1) if arr.ndim == 3 else view, **kw)
            (bx, by), bw, bh = box
            ax.add_patch(
                plt.Rectangle((bx - origin[1], by - origin[0]), bw, bh, fill=False, ec="yellow")
            )
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0, col].set_title(title, fontsize=8)
    axes[1, 0].set_ylabel("enlarged", fontsize=8)
    if suptitle:
        fig.suptitle(suptitle, fontsize=9)
    fig.tight_layout()


def spread_labels(positions: list[float], gap: float, lo: float, hi: float) -> list[float]:
    """Move 1-D label positions apart: the result keeps their order, puts neighbours at least
    ``gap`` apart and stays inside [``lo``, ``hi``] when they fit (they are spread evenly
    otherwise); each label moves as little as this allows, pushed up then back down."""
    if not positions:
        return []
    order = np.argsort(positions)
    ys = np.asarray(positions, dtype=float)[order]
    if gap * (len(ys) - 1) > hi - lo:
        out = np.linspace(lo, hi, len(ys))
    else:
        out = ys.copy()
        out[0] = max(out[0], lo)
        for i in range(1, len(out)):
            out[i] = max(out[i], out[i - 1] + gap)
        out[-1] = min(out[-1], hi)
        for i in range(len(out) - 2, -1, -1):
            out[i] = min(out[i], out[i + 1] - gap)
    result = np.empty_like(out)
    result[order] = out
    return result.tolist()


def label_points(ax, xs, ys, labels, fontsize: float = 7, gap: float = 0.085) -> None:
    """Name each point ``(xs[i], ys[i])`` of ``ax`` with ``labels[i]``; the names are set in a
    column beside the points at heights at least ``gap`` (a fraction of the axes' height) apart,
    with a thin line to their point, so that no two names overlap. Call it once the axes' limits
    and scales are final (the positions are computed in axes fractions)."""
    if not (len(xs) == len(ys) == len(labels)):
        raise ValueError("xs, ys and labels must have the same length")
    to_axes = ax.transAxes.inverted()
    pts = [to_axes.transform(ax.transData.transform((x, y))) for x, y in zip(xs, ys)]
    heights = spread_labels([p[1] for p in pts], gap, 0.04, 0.96)
    for (px, _), h, label, x, y in zip(pts, heights, labels, xs, ys):
        right = px < 0.62
        ax.annotate(
            label,
            (x, y),
            xytext=(px + (0.06 if right else -0.06), h),
            textcoords="axes fraction",
            ha="left" if right else "right",
            va="center",
            fontsize=fontsize,
            arrowprops=dict(arrowstyle="-", lw=0.5, color="0.5"),
        )
