"""Checks for notebook 02, INSP-Net's derivative operators: the Taylor-moment coefficients of a
kernel and the rotation-invariant norm of the k-th derivatives (the notebook's exercises); the
Laplacian as the trace of the Hessian and INSP-Conv as a weighted sum of the partials (spare
exercises for instructors)."""

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


def check_taylor_coefficients(fn: Callable) -> None:
    """``fn(kernel, order)`` must return the INSP-Conv coefficients ``m_alpha / alpha!`` of a
    correlation with ``kernel`` (a ``(2r + 1, 2r + 1)`` array, rows = ``u_y``, columns = ``u_x``,
    offsets ``-r..r``), one per partial of ``derivatives.partial_indices(2, order)``, as a tensor
    ``(P,)``."""
    import math

    import numpy as np

    from .. import insp
    from ..derivatives import multi_index, partial_indices

    probe = (np.arange(9.0).reshape(3, 3), 2)
    _reject_library_call(
        fn,
        {"taylor_coefficients": insp.taylor_coefficients},
        "compute the moments m_alpha and divide by alpha!",
        probe=probe,
    )

    def variant(k, order, *, factorial=True, sign=False, swap=False, shift=False):
        k = np.asarray(k, dtype=np.float64)
        r = k.shape[0] // 2
        u = np.arange(k.shape[0]) if shift else np.arange(-r, r + 1)
        out = []
        for index in partial_indices(2, order):
            ay, ax = multi_index(index, 2)
            if swap:
                ay, ax = ax, ay
            m = (k * np.outer(u**ay, u**ax)).sum()
            if factorial:
                m /= math.factorial(ay) * math.factorial(ax)
            if sign:
                m *= (-1) ** (ay + ax)
            out.append(m)
        return np.array(out)

    gen = np.random.default_rng(7)
    cases = [
        (gen.normal(size=(3, 3)), 3),
        (gen.normal(size=(5, 5)), 4),
        (np.full((3, 3), 1 / 9), 2),
    ]
    for k, order in cases:
        got = _as_tensor("your coefficients", fn(k, order)).double().reshape(-1).numpy()
        want = variant(k, order)
        if got.size != want.size:
            raise AssertionError(
                f"order {order} has {want.size} partials (derivatives.partial_indices(2, "
                f"{order})), so return {want.size} coefficients, got {got.size}"
            )
        if np.allclose(got, want, atol=1e-8):
            continue
        hints = [
            (
                dict(factorial=False),
                "these are the raw moments m_alpha: divide each by alpha! = "
                "alpha_y! alpha_x! (the 1/alpha! of the Taylor series)",
            ),
            (
                dict(sign=True),
                "that is the sign of a convolution, (-1)^|alpha|: a correlation "
                "sum_u k(u) Phi(p + u) has no sign",
            ),
            (
                dict(swap=True),
                "y and x are swapped: the kernel's rows are the offsets u_y, its "
                "columns u_x, and alpha = (alpha_y, alpha_x)",
            ),
            (
                dict(shift=True),
                "the offsets run from -r to r (the kernel's centre is u = 0), not from 0 to 2r",
            ),
        ]
        for kw, message in hints:
            if np.allclose(got, variant(k, order, **kw), atol=1e-8):
                raise AssertionError(message)
        raise AssertionError(
            f"for a {k.shape[0]}x{k.shape[0]} kernel at order {order} your coefficients differ "
            f"from m_alpha / alpha! by up to {np.abs(got - want).max():.3g}"
        )
    _passed("Taylor-moment coefficients of a kernel")


def check_tensor_norm(fn: Callable) -> None:
    """``fn(partials, k)`` must return ``sum_{|alpha| = k} (k! / alpha!) (d^alpha Phi)^2``, the
    rotation-invariant squared norm of the ``k``-th derivatives, from ``partials`` ``(P, N)`` (every
    partial up to at least order ``k``, in ``derivatives.partial_indices(2, K)`` order)."""
    import math

    from .. import derivatives
    from ..derivatives import multi_index, partial_indices

    gen = torch.Generator().manual_seed(11)
    _reject_library_call(
        fn,
        {"tensor_norm_sq": derivatives.tensor_norm_sq},
        "weight the squared partials of order k yourself",
        probe=(torch.randn(10, 3, generator=gen), 2),
    )

    def variant(d, k, weight):
        total = torch.zeros_like(d[0])
        for p, index in enumerate(partial_indices(2, k)):
            if len(index) == k:
                ay, ax = multi_index(index, 2)
                total = total + weight(k, ay, ax) * d[p] ** 2
        return total

    def right(k, ay, ax):
        return math.factorial(k) / (math.factorial(ay) * math.factorial(ax))

    for k, top in [(1, 2), (2, 2), (3, 4), (4, 4)]:
        d = torch.randn(len(partial_indices(2, top)), 7, generator=gen, dtype=torch.float64)
        got = _as_tensor("your norm", fn(d, k)).double().reshape(-1)
        want = variant(d, k, right)
        if got.numel() != 7:
            raise AssertionError(
                f"return one value per point, shape (N,) = (7,), got {got.numel()}"
            )
        if torch.allclose(got, want, rtol=1e-6):
            continue
        if torch.allclose(got, want.sqrt(), rtol=1e-6):
            raise AssertionError(
                "that is the norm itself: return its square, the weighted sum of squares (no sqrt)"
            )
        if torch.allclose(got, variant(d, k, lambda k, ay, ax: 1.0), rtol=1e-6):
            raise AssertionError(
                f"at order {k} this counts every sorted partial once (the flattened norm of "
                "Theorem 1 as printed): the tensor of k-th derivatives holds d^alpha Phi in "
                "k! / alpha! entries (Phi_yx and Phi_xy are the same number), so weight its "
                "square by k! / alpha!"
            )
        total_all = sum(variant(d, j, right) for j in range(k + 1))
        if torch.allclose(got, total_all, rtol=1e-6):
            raise AssertionError(
                f"use only the partials of order exactly {k}, not all orders <= {k}"
            )
        if torch.allclose(got, variant(d, k, lambda k, ay, ax: 1 / right(k, ay, ax)), rtol=1e-6):
            raise AssertionError("the weight is k! / alpha!, not alpha! / k!")
        raise AssertionError(
            f"at order {k} your values differ from sum (k!/alpha!) (d^alpha Phi)^2 by up to "
            f"{(got - want).abs().max():.3g}"
        )
    _passed("the rotation-invariant norm of the k-th derivatives")
