"""Checks for notebook 02, INSP-Net's derivative operators: the Laplacian as the trace of the
Hessian, INSP-Conv as a weighted sum of the partials."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._common import _as_tensor, _passed, _reject_insp_library, _reject_library_call


def check_laplacian_from_hessian(fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """``fn(H)`` must turn Hessians ``(N, C, D, D)`` into Laplacians ``(N, C)`` (the trace over the
    last two axes), any ``D``."""
    from .. import derivatives

    _reject_library_call(
        fn,
        {
            name: getattr(derivatives, name)
            for name in ("laplacian", "hessian", "all_partials", "derivative_features")
        },
        "work from the Hessian H you are given (the library computes the Laplacian from a model; "
        "the point is to see that it is the trace of H) and take its trace",
    )
    gen = torch.Generator().manual_seed(4)
    for n, c, d in [(5, 1, 2), (7, 3, 2), (4, 2, 3), (3, 1, 1)]:
        a = torch.randn(n, c, d, d, generator=gen)
        hess = a + a.transpose(-1, -2)
        try:
            got = _as_tensor("your Laplacian", fn(hess))
        except IndexError as err:
            raise AssertionError(
                f"Hessians with D = {d} failed ({err}): the Laplacian sums all D diagonal entries, "
                "whatever D is"
            ) from None
        want = torch.diagonal(hess, dim1=-2, dim2=-1).sum(-1)
        if tuple(got.shape) != (n, c):
            raise AssertionError(
                f"Hessians of shape {(n, c, d, d)} should give Laplacians of shape {(n, c)}, got "
                f"{tuple(got.shape)}"
            )
        if torch.allclose(got, hess.sum(dim=(-1, -2)), atol=1e-5) and d > 1:
            raise AssertionError(
                "this sums every entry (the mixed partials too): the Laplacian sums the diagonal "
                "only"
            )
        if d > 2 and torch.allclose(got, hess[..., 0, 0] + hess[..., 1, 1], atol=1e-5):
            raise AssertionError(
                f"for D = {d} this adds only the first two diagonal entries: sum all D of them "
                "(d^2/dx_i^2 for every coordinate), e.g. over torch.diagonal(H, dim1=-2, dim2=-1)"
            )
        if not torch.allclose(got, want, atol=1e-5):
            raise AssertionError(
                f"for D = {d} the values differ from the trace of the Hessian by up to "
                f"{(got - want).abs().max():.3g}"
            )
    _passed("Laplacian = trace of the Hessian")


def check_insp_conv(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``fn(feats, coef)`` must return INSP-Conv's ``sum_p coef[p] * feats[:, p]`` as ``(N, 1)``
    (one channel)."""
    from .. import insp

    _reject_insp_library(
        fn,
        {"INSPConv": insp.INSPConv, "INSPNet": insp.INSPNet},
        "write the weighted sum of the partials (INSP-Conv is the library's version of exactly "
        "this: a matrix-vector product or a sum over p)",
        probe=(torch.randn(4, 6, generator=torch.Generator().manual_seed(50)), torch.ones(6)),
    )
    gen = torch.Generator().manual_seed(5)
    for n, p in [(6, 6), (9, 10), (3, 3)]:
        feats = torch.randn(n, p, generator=gen)
        coef = torch.randn(p, generator=gen)
        got = _as_tensor("your INSP-Conv", fn(feats, coef))
        want = (feats @ coef)[:, None]
        if got.numel() != n:
            raise AssertionError(
                f"for {n} points the output should have shape ({n}, 1), got {tuple(got.shape)}"
            )
        if not torch.allclose(got.reshape(n, 1), want, atol=1e-5):
            raise AssertionError(
                "values differ from sum_p coef[p] * feats[:, p] by up to "
                f"{(got.reshape(n, 1) - want).abs().max():.3g}"
            )
    _passed("INSP-Conv: a linear combination of the partials")
