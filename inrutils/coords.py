"""Coordinate grids and the conversion between images and coordinate samples.

Convention (used everywhere in the course): an image is a ``(C, H, W)`` tensor and its
pixel ``img[:, i, j]`` sits at the pixel centre ``(y_i, x_j)`` with
``y_i = -1 + (2 i + 1) / H`` and ``x_j = -1 + (2 j + 1) / W``, so the grid covers
[-1, 1] x [-1, 1] edge to edge and never touches the borders. Coordinates are ordered
``(y, x)`` (row first), and flattened row-major, matching ``img.reshape(C, -1).T``.
"""

from __future__ import annotations

import torch


def _check_size(name: str, n: object) -> int:
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ValueError(f"{name} must be a positive integer, got {n!r}")
    return n


def centres(
    n: int, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """The ``n`` pixel-centre positions ``-1 + (2 i + 1) / n`` in (-1, 1), shape ``(n,)``."""
    n = _check_size("n", n)
    # Computed in float64 and cast, so float32 grids are exactly the rounded centres.
    return ((2 * torch.arange(n, dtype=torch.float64) + 1) / n - 1).to(device=device, dtype=dtype)


def grid(
    *sizes: int, device: torch.device | str | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """Pixel-centre coordinates of an ``sizes[0] x sizes[1] x ...`` grid, shape
    ``(prod(sizes), len(sizes))``.

    ``grid(h, w)`` gives ``(y, x)`` pairs in row-major order, so ``grid(2, 2)`` is
    ``[[-.5, -.5], [-.5, .5], [.5, -.5], [.5, .5]]``. Works in any dimension
    (``grid(n)`` for signals, ``grid(d, h, w)`` for volumes).
    """
    if not sizes:
        raise ValueError("grid needs at least one size, e.g. grid(h, w)")
    for k, n in enumerate(sizes):
        _check_size(f"sizes[{k}]", n)
    axes = [centres(n, device=device, dtype=dtype) for n in sizes]
    mesh = torch.meshgrid(*axes, indexing="ij")
    return torch.stack(mesh, dim=-1).reshape(-1, len(sizes))


def image_to_samples(img: torch.Tensor) -> torch.Tensor:
    """Flatten a ``(C, H, W)`` image into ``(H * W, C)`` samples in :func:`grid` order."""
    if not isinstance(img, torch.Tensor) or img.ndim != 3:
        shape = tuple(img.shape) if isinstance(img, torch.Tensor) else type(img).__name__
        raise ValueError(f"img must be a (C, H, W) tensor, got {shape}")
    return img.reshape(img.shape[0], -1).T


def samples_to_image(samples: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Inverse of :func:`image_to_samples`: ``(H * W, C)`` samples -> ``(C, H, W)`` image."""
    _check_size("h", h)
    _check_size("w", w)
    if not isinstance(samples, torch.Tensor) or samples.ndim != 2 or samples.shape[0] != h * w:
        shape = (
            tuple(samples.shape) if isinstance(samples, torch.Tensor) else type(samples).__name__
        )
        raise ValueError(f"samples must have shape (h*w, C) = ({h * w}, C), got {shape}")
    return samples.T.reshape(samples.shape[1], h, w)
