"""Checks for notebook 04, LIIF: the local-ensemble weights, the cell size of a target
resolution."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._common import _as_tensor, _passed, _reject_library_call


def check_ensemble_weights(fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """``fn(rel)`` must turn the offsets ``(4, 2)`` of a query to its four codes into LIIF's
    blending weights ``(4,)``.

    Codes in the order (up-left, up-right, down-left, down-right); each weight is the area of the
    rectangle spanned by the query and the *diagonally opposite* code, divided by the sum of the
    four areas.
    """
    from .. import liif

    _reject_library_call(
        fn,
        {"ensemble_weights": liif.ensemble_weights},
        "compute the four rectangle areas from rel",
        probe=(torch.tensor([[0.5, 0.5], [0.5, -1.5], [-1.5, 0.5], [-1.5, -1.5]]),),
    )
    gen = torch.Generator().manual_seed(8)
    for _ in range(5):
        t = torch.rand(2, generator=gen) * 2  # the query inside the square of the four codes
        codes = torch.tensor([[0.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 2.0]])
        rel = t - codes
        got = _as_tensor("your weights", fn(rel)).reshape(-1)
        areas = (rel[:, 0] * rel[:, 1]).abs()
        want = areas.flip(0) / areas.sum()
        if got.numel() != 4:
            raise AssertionError(f"return one weight per code, shape (4,), got {tuple(got.shape)}")
        if torch.allclose(got, areas / areas.sum(), atol=1e-5):
            raise AssertionError(
                "each code is weighted by its *own* rectangle: the nearest code then gets the "
                "smallest weight; use the diagonally opposite code's area (reverse the list of "
                "areas)"
            )
        if not torch.allclose(got.sum(), torch.tensor(1.0), atol=1e-5):
            raise AssertionError(
                "the weights should sum to 1 (divide by the total area), got "
                f"{float(got.sum()):.4f}"
            )
        if not torch.allclose(got, want, atol=1e-5):
            raise AssertionError(
                "weights differ from the opposite-area rule by up to "
                f"{(got - want).abs().max():.3g}"
            )
    _passed("local-ensemble weights: opposite areas, normalised")


def check_cell_size(fn: Callable[[int, int], torch.Tensor]) -> None:
    """``fn(h, w)`` must return the cell ``(2 / h, 2 / w)`` of an ``h x w`` output in the [-1, 1]
    frame, ``(y, x)``."""
    from .. import liif

    _reject_library_call(
        fn, {"cell_for": liif.cell_for}, "compute the cell from h and w", probe=(64, 48)
    )
    for h, w in [(64, 64), (120, 90), (7, 300)]:
        got = _as_tensor("your cell", fn(h, w)).reshape(-1).double()
        want = torch.tensor([2.0 / h, 2.0 / w], dtype=torch.float64)
        if got.numel() != 2:
            raise AssertionError(
                f"return the two sides (height, width) of one cell, got shape {tuple(got.shape)}"
            )
        if torch.allclose(got, want / 2, rtol=1e-5):
            raise AssertionError(
                "that is half a cell: [-1, 1] is 2 units wide, so a pixel of an h-row image is 2 "
                "/ h"
            )
        if torch.allclose(got, want.flip(0), rtol=1e-5) and h != w:
            raise AssertionError("the order is (height, width), i.e. (y, x) like the coordinates")
        if not torch.allclose(got, want, rtol=1e-5):
            raise AssertionError(f"cell({h}, {w}) should be {want.tolist()}, got {got.tolist()}")
    _passed("cell size for a target resolution")
