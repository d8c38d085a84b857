"""Image quality metrics (scikit-image underneath), for images with values in [0, 1]."""

from __future__ import annotations

import numpy as np
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


def to_numpy(img: torch.Tensor | np.ndarray) -> np.ndarray:
    """A ``(C, H, W)`` tensor or array as a float64 ``(H, W, C)`` NumPy array (``(H, W)``
    for C = 1)."""
    if isinstance(img, torch.Tensor):
        img = img.detach().cpu().numpy()
    img = np.asarray(img, dtype=np.float64)
    if img.ndim == 3:
        img = img.transpose(1, 2, 0)
        if img.shape[2] == 1:
            img = img[..., 0]
    elif img.ndim != 2:
        raise ValueError(f"expected a (C, H, W) or (H, W) image, got shape {img.shape}")
    return img


def from_numpy(arr: np.ndarray) -> torch.Tensor:
    """The inverse of :func:`to_numpy`: an ``(H, W)`` or ``(H, W, C)`` array as a float32
    ``(C, H, W)`` tensor.

    For feeding scikit-image results (which use the channel-last layout) back to the course's
    functions.
    """
    arr = np.asarray(arr)
    if arr.ndim == 2:
        arr = arr[..., None]
    if arr.ndim != 3:
        raise ValueError(f"expected an (H, W) or (H, W, C) array, got shape {arr.shape}")
    return torch.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1))).float()


def _pair(pred, target, clip: bool) -> tuple[np.ndarray, np.ndarray]:
    p, t = to_numpy(pred), to_numpy(target)
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    if clip:
        p = np.clip(p, 0.0, 1.0)
    return p, t


def psnr(
    pred: torch.Tensor | np.ndarray,
    target: torch.Tensor | np.ndarray,
    clip: bool = True,
    mask: torch.Tensor | np.ndarray | None = None,
) -> float:
    """Peak signal-to-noise ratio in dB with data range 1; ``pred`` is clipped to [0, 1] first
    unless ``clip=False``.

    ``mask`` (boolean, ``(H, W)``) restricts the mean squared error to the pixels where it
    is true (all channels), e.g. the held-out pixels of an interpolation experiment.
    """
    p, t = _pair(pred, target, clip)
    if mask is None:
        return float(peak_signal_noise_ratio(t, p, data_range=1.0))
    m = np.asarray(mask.detach().cpu() if isinstance(mask, torch.Tensor) else mask)
    if m.dtype != bool or m.shape != t.shape[:2]:
        raise ValueError(
            f"mask must be a boolean (H, W) = {t.shape[:2]} array, got {m.dtype} {m.shape}"
        )
    if not m.any():
        raise ValueError("mask selects no pixel")
    mse = float(np.mean((p[m] - t[m]) ** 2))
    return 10.0 * np.log10(1.0 / mse) if mse > 0 else float("inf")


def ssim(
    pred: torch.Tensor | np.ndarray,
    target: torch.Tensor | np.ndarray,
    clip: bool = True,
    data_range: float = 1.0,
) -> float:
    """Structural similarity (Wang et al. 2004), averaged over channels; 7x7 window.

    ``data_range`` is the range of the images' values: 1 for images in [0, 1] (the course's
    convention). scikit-image takes 2 for float images when it is not given, which some papers' code
    does (LINR); that raises SSIM, so pass 2 only to compare with such numbers.
    """
    if (
        isinstance(data_range, bool)
        or not isinstance(data_range, (int, float))
        or not data_range > 0
    ):
        raise ValueError(f"data_range must be a positive number, got {data_range!r}")
    p, t = _pair(pred, target, clip)
    win = min(7, *(s if s % 2 else s - 1 for s in t.shape[:2]))
    if win < 3:
        raise ValueError(f"ssim needs images of at least 3x3 pixels, got {t.shape[:2]}")
    return float(
        structural_similarity(
            t, p, data_range=data_range, win_size=win, channel_axis=2 if t.ndim == 3 else None
        )
    )
