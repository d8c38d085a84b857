"""Image quality metrics (scikit-image underneath), for images with values in [0, 1].

``psnr`` and ``ssim`` refuse images that cannot be on the [0, 1] scale (8-bit images, [-1, 1]
references) with a ``ValueError`` that says how to fix the call; ``data_range=`` declares another
scale.
"""

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


#: How far outside [0, 1] the clean reference ``target`` may reach (room for rounding errors).
TARGET_TOLERANCE = 0.01
#: How far outside [0, 1] a prediction may reach before it counts as another scale: unclipped
#: Gaussian noise of sigma 0.8 stays inside for 5 sigma, while an 8-bit image reaches 5 as soon as
#: one pixel is brighter than 2 % grey.
PRED_OVERSHOOT = 4.0


def _check_data_range(data_range: object) -> float:
    if (
        isinstance(data_range, bool)
        or not isinstance(data_range, (int, float))
        or not np.isfinite(data_range)
        or not data_range > 0
    ):
        raise ValueError(f"data_range must be a positive number, got {data_range!r}")
    return float(data_range)


def _check_scale(p: np.ndarray, t: np.ndarray, clip: bool, data_range: float) -> None:
    """Refuse ``pred`` / ``target`` values that cannot be on the scale the metric assumes."""
    t_lo, t_hi = float(np.min(t)), float(np.max(t))
    if not (np.isfinite(t_lo) and np.isfinite(t_hi)):
        raise ValueError("target (the reference image) has NaN or infinite values")
    if data_range != 1.0:  # the caller's scale: only check that clipping to it is meaningful
        tol = TARGET_TOLERANCE * data_range
        if clip and (t_lo < -tol or t_hi > data_range + tol):
            raise ValueError(
                f"clip=True clips pred to [0, data_range] = [0, {data_range:g}], but target has "
                f"values from {t_lo:.4g} to {t_hi:.4g}; for a signed range such as [-1, 1] pass "
                "clip=False (and clip pred to your range yourself), or pass the data_range that "
                "covers target"
            )
        return
    if t_lo < -TARGET_TOLERANCE or t_hi > 1 + TARGET_TOLERANCE:
        raise ValueError(
            f"target must be an image with values in [0, 1], got min {t_lo:.4g}, max {t_hi:.4g}; "
            "divide 8-bit images by 255 (pred too), or pass data_range= for another range "
            "(e.g. data_range=255 for both images in [0, 255])"
        )
    p_lo, p_hi = float(np.min(p)), float(np.max(p))  # NaN passes (and gives a NaN metric)
    if p_lo < -PRED_OVERSHOOT or p_hi > 1 + PRED_OVERSHOOT:
        raise ValueError(
            f"pred must be on target's [0, 1] scale (it may overshoot by up to {PRED_OVERSHOOT:g}),"
            f" got min {p_lo:.4g}, max {p_hi:.4g}; divide an 8-bit pred by 255, or pass "
            "data_range= if both images use another range; a [0, 1] pred with far outliers: "
            "clamp it first (pred.clamp(0, 1))"
        )


def _pair(pred, target, clip: bool, data_range: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    p, t = to_numpy(pred), to_numpy(target)
    if p.shape != t.shape:
        raise ValueError(f"pred and target must have the same shape, got {p.shape} and {t.shape}")
    _check_scale(p, t, clip, data_range)
    if clip:
        p = np.clip(p, 0.0, data_range)
    return p, t


def _check_mask(mask: torch.Tensor | np.ndarray, t: np.ndarray) -> np.ndarray:
    m = np.asarray(mask.detach().cpu() if isinstance(mask, torch.Tensor) else mask)
    if m.dtype != bool or m.shape != t.shape[:2]:
        raise ValueError(
            f"mask must be a boolean (H, W) = {t.shape[:2]} array, got {m.dtype} {m.shape}"
        )
    if not m.any():
        raise ValueError("mask selects no pixel")
    return m


def psnr(
    pred: torch.Tensor | np.ndarray,
    target: torch.Tensor | np.ndarray,
    clip: bool = True,
    mask: torch.Tensor | np.ndarray | None = None,
    data_range: float = 1.0,
) -> float:
    """Peak signal-to-noise ratio in dB of ``pred`` against the reference ``target`` (same shape,
    ``(C, H, W)`` or ``(H, W)``): ``10 log10(data_range^2 / MSE)``.

    With the default ``data_range=1`` both are images on the [0, 1] scale: ``target`` must lie in
    [0, 1] (to within ``TARGET_TOLERANCE``), ``pred`` may overshoot it (noise, a network's
    output) but by at most ``PRED_OVERSHOOT``, else ``ValueError`` (an 8-bit image, say). Another
    ``data_range`` (255 for 8-bit images) declares the images' scale instead and skips these
    checks. ``clip=True`` clips ``pred`` to [0, ``data_range``] first, the values an image of that
    scale can take (what saving it would do); so it needs ``target`` inside that interval too: for
    a signed scale such as [-1, 1] pass ``clip=False``. ``mask`` (boolean, ``(H, W)``) restricts
    the mean squared error to the pixels where it is true (all channels), e.g. the held-out
    pixels of an interpolation experiment.
    """
    data_range = _check_data_range(data_range)
    p, t = _pair(pred, target, clip, data_range)
    if mask is None:
        return float(peak_signal_noise_ratio(t, p, data_range=data_range))
    m = _check_mask(mask, t)
    mse = float(np.mean((p[m] - t[m]) ** 2))
    return 10.0 * np.log10(data_range**2 / mse) if mse > 0 else float("inf")


def ssim(
    pred: torch.Tensor | np.ndarray,
    target: torch.Tensor | np.ndarray,
    clip: bool = True,
    data_range: float = 1.0,
    mask: torch.Tensor | np.ndarray | None = None,
) -> float:
    """Structural similarity (Wang et al. 2004) of ``pred`` against the reference ``target`` (same
    shape, ``(C, H, W)`` or ``(H, W)``), averaged over channels; 7x7 window.

    ``data_range`` is the range of the images' values: 1 for images in [0, 1] (the course's
    convention), with the same checks and clipping as :func:`psnr` (``target`` in [0, 1], ``pred``
    at most ``PRED_OVERSHOOT`` outside; ``clip=True`` clips ``pred`` to [0, ``data_range``]).
    scikit-image takes 2 for float images when it is not given, which some papers' code does
    (LINR, on images in [0, 1]); that raises SSIM, so pass 2 only to compare with such numbers,
    with ``pred`` already clipped to [0, 1] as theirs is (``clip`` would allow [0, 2]).
    ``mask`` (boolean, ``(H, W)``, as in :func:`psnr`) averages the SSIM map over the pixels where
    it is true instead of over the image (each pixel's value still comes from the 7x7 window
    around it), so that SSIM and PSNR can be reported on the same region, e.g. a hole.
    """
    data_range = _check_data_range(data_range)
    p, t = _pair(pred, target, clip, data_range)
    win = min(7, *(s if s % 2 else s - 1 for s in t.shape[:2]))
    if win < 3:
        raise ValueError(f"ssim needs images of at least 3x3 pixels, got {t.shape[:2]}")
    channel_axis = 2 if t.ndim == 3 else None
    if mask is None:
        return float(
            structural_similarity(
                t, p, data_range=data_range, win_size=win, channel_axis=channel_axis
            )
        )
    m = _check_mask(mask, t)
    _, full = structural_similarity(
        t, p, data_range=data_range, win_size=win, channel_axis=channel_axis, full=True
    )
    return float(full[m].mean())
