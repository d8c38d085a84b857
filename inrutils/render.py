"""Evaluating a coordinate network on a grid of any resolution, in chunks, without gradients."""

from __future__ import annotations

import torch
from torch import nn

from .coords import grid, samples_to_image


@torch.no_grad()
def evaluate(model: nn.Module, coords: torch.Tensor, chunk: int = 65536) -> torch.Tensor:
    """``model(coords)`` for ``(N, D)`` coordinates, ``chunk`` points at a time; returns ``(N, C)``
    on the model's device."""
    if not isinstance(chunk, int) or isinstance(chunk, bool) or chunk <= 0:
        raise ValueError(f"chunk must be a positive integer, got {chunk!r}")
    if not isinstance(coords, torch.Tensor) or coords.ndim != 2:
        raise ValueError(
            "coords must be an (N, D) tensor, got "
            f"{getattr(coords, 'shape', type(coords).__name__)}"
        )
    dev = next(model.parameters()).device
    coords = coords.to(dev)
    return torch.cat(
        [model(coords[i : i + chunk]) for i in range(0, coords.shape[0], chunk)], dim=0
    )


def render(model: nn.Module, h: int, w: int | None = None, chunk: int = 65536) -> torch.Tensor:
    """Render a 2-D coordinate network on an ``h x w`` pixel-centre grid (``w`` defaults to ``h``).

    Any resolution works: the grid spans the same [-1, 1]^2 square, so ``render(model,
    2 * H, 2 * W)`` samples the same continuous function twice as densely as the
    training grid. Returns a ``(C, h, w)`` float32 tensor on the CPU, unclipped.
    """
    w = h if w is None else w
    coords = grid(h, w)
    out = evaluate(model, coords, chunk=chunk)
    return samples_to_image(out, h, w).float().cpu()
