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
