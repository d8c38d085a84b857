"""Checks for notebook 06, Neural Knitworks: dilated patch stacks, the cross-patch consistency
loss."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..knitwork import _unfold, extract_patches, xpatch_loss
from ._common import _as_tensor, _passed, _reject_library_call


def check_dilated_patches(fn: Callable[[torch.Tensor, int, int], torch.Tensor]) -> None:
    """``fn(img, d, m)``: the ``(H * W, C, 2m + 1, 2m + 1)`` patches of ``img`` ``(C, H, W)`` at
    dilation ``d``, pixels row-major, positions outside the image repeating the border pixel."""
    _reject_library_call(
        fn,
        {"extract_patches": extract_patches, "_unfold": _unfold},
        "cut the dilated patches",
        probe=(torch.rand(1, 6, 7), 2, 1),
    )
    gen = torch.Generator().manual_seed(4)
    for c, h, w, d, m in ((1, 6, 7, 1, 1), (3, 9, 8, 2, 1), (2, 11, 10, 3, 2), (1, 5, 5, 4, 1)):
        img = torch.rand(c, h, w, generator=gen)
        got = _as_tensor("your function", fn(img.clone(), d, m))
        k = 2 * m + 1
        if tuple(got.shape) != (h * w, c, k, k):
            raise AssertionError(
                f"for a {(c, h, w)} image and m={m} the result should have shape "
                f"{(h * w, c, k, k)}, got {tuple(got.shape)}"
            )
        want = extract_patches(img, (d,), m)[:, 0]
        if torch.allclose(got, want, atol=1e-6):
            continue
        if d > 1 and torch.allclose(got, extract_patches(img, (1,), m)[:, 0], atol=1e-6):
            raise AssertionError(
                f"at d={d} your patches are those of dilation 1: element (i, j) of pixel p is the "
                "pixel p + d (i - m, j - m)"
            )
        column_major = want.reshape(h, w, c, k, k).transpose(0, 1).reshape(h * w, c, k, k)
        if torch.allclose(got, column_major, atol=1e-6):
            raise AssertionError("order the pixels row-major: pixel (y, x) is row y * W + x")
        ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        inside = ((ys >= d * m) & (ys < h - d * m) & (xs >= d * m) & (xs < w - d * m)).flatten()
        if inside.any() and torch.allclose(got[inside], want[inside], atol=1e-6):
            raise AssertionError(
                "the patches of interior pixels are right, those near the border are not: a "
                "position outside the image repeats the nearest border pixel (clamp the index)"
            )
        raise AssertionError(
            f"the patches differ from the reference at d={d}, m={m} (largest difference "
            f"{float((got - want).abs().max()):.3g}); element (i, j) of pixel (y, x) is "
            "img[:, y + d (i - m), x + d (j - m)]"
        )
    _passed("dilated patch stacks")


def check_xpatch(fn: Callable[[torch.Tensor, int, int], torch.Tensor]) -> None:
    """``fn(patches, h, w)`` must return the cross-patch consistency loss of ``(h * w, C, 3, 3)``
    scale-0 patches.

    Element ``(i, j)`` of the patch at pixel ``(y, x)`` is compared with the centre of the patch at
    ``(y + i - 1, x + j - 1)``; pairs whose neighbour lies outside the image are left out; the loss
    sums, over the nine elements, the mean squared difference over the valid pixels and channels.
    """
    from ..knitwork import extract_patches

    _reject_library_call(
        fn, {"xpatch_loss": xpatch_loss}, "compare each patch element with its neighbour's centre"
    )
    gen = torch.Generator().manual_seed(9)
    for c, h, w in [(1, 5, 6), (3, 4, 4)]:
        real = extract_patches(torch.rand(c, h, w, generator=gen))[:, 0]
        got = _as_tensor("your loss", fn(real, h, w))
        own_centre = float((real - real[:, :, 1:2, 1:2]).pow(2).mean())
        if got.numel() == 1 and abs(float(got) - own_centre) < 1e-9:
            raise AssertionError(
                "this compares each patch with its own centre; compare element (i, j) with the "
                "centre predicted at the neighbouring pixel (y + i - 1, x + j - 1)"
            )
        if got.numel() != 1 or float(got) > 1e-10:
            raise AssertionError(
                "patches cut from a real image must give a loss of 0, got "
                f"{got.flatten()[:3].tolist()}"
            )
        fake = real + 0.1 * torch.randn(real.shape, generator=gen)
        outside = fake.clone()
        ys, xs = torch.arange(h).repeat_interleave(w), torch.arange(w).repeat(h)
        outside[ys == 0, :, 0, :] += 5.0  # claims about the row above the image
        outside[xs == w - 1, :, :, 2] += 5.0  # and the column right of it
        got, want = float(fn(outside, h, w)), float(xpatch_loss(outside[:, None], h, w))
        if got > 2 * want:
            raise AssertionError(
                "neighbours outside the image were compared too (clamped or padded): leave out the "
                "pairs whose neighbour (y + i - 1, x + j - 1) lies outside the image"
            )
        if abs(got - want) > 1e-6 * max(1.0, want):
            raise AssertionError(
                f"loss {got:.6g} differs from the reference {want:.6g}: check the neighbour "
                "indexing (row-major pixels) and that you sum over the nine elements the mean "
                "over valid pixels"
            )
    _passed("cross-patch consistency")
