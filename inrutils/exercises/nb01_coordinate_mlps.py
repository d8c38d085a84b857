"""Checks for notebook 01, coordinate MLPs: the pixel-centre grid, SIREN's initialisation
bound, the Fourier feature map and its kernel."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..coords import grid
from ..encodings import FourierFeatures, fourier_features
from ..models import SineLayer, Siren, siren_init_bound
from ._common import _as_tensor, _passed, _reject_library_call


def check_grid(fn: Callable[[int, int], torch.Tensor]) -> None:
    """``fn(h, w)`` must return the ``(h * w, 2)`` pixel-centre grid, ``(y, x)`` row-major, in (-1,
    1)."""
    _reject_library_call(fn, {"grid": grid}, "build the grid from torch.arange / torch.meshgrid")
    for h, w in [(2, 2), (3, 5), (1, 4), (16, 9)]:
        got = _as_tensor("your grid", fn(h, w))
        want = grid(h, w)
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(
                f"grid({h}, {w}) should have shape {tuple(want.shape)}, got {tuple(got.shape)}"
            )
        got = got.double()
        if torch.allclose(got, want.double().flip(-1), atol=1e-6):
            raise AssertionError(
                f"grid({h}, {w}): the columns are (x, y); the course uses (y, x), row first"
            )
        if got.abs().max() >= 1:
            raise AssertionError(
                f"grid({h}, {w}) reaches +-1: use pixel centres -1 + (2i + 1)/n, not the edges"
            )
        if not torch.allclose(got, want.double(), atol=1e-6):
            i = int((got - want.double()).abs().sum(1).argmax())
            raise AssertionError(
                f"grid({h}, {w}) row {i} is {got[i].tolist()}, expected {want[i].tolist()}"
            )
    _passed("pixel-centre grid")


def check_siren_init_bound(fn: Callable[[int, float, bool], float]) -> None:
    """``fn(fan_in, w0, is_first)`` must return SIREN's uniform initialisation half-width."""
    _reject_library_call(
        fn,
        {"siren_init_bound": siren_init_bound, "Siren": Siren, "SineLayer": SineLayer},
        "derive the bound from the variance argument",
    )
    for fan_in, w0, first in [
        (2, 30.0, True),
        (256, 30.0, False),
        (64, 10.0, False),
        (3, 1.0, True),
        (512, 1.0, False),
    ]:
        got = float(fn(fan_in, w0, first))
        want = siren_init_bound(fan_in, w0, first)
        if abs(got - want) > 1e-9 * max(1.0, abs(want)):
            layer = "first layer" if first else "hidden layer"
            raise AssertionError(
                f"bound for fan_in={fan_in}, w0={w0}, {layer} should be {want:.6g}, got {got:.6g}"
            )
    _passed("SIREN initialisation bound")


def check_fourier_features(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``fn(x, B)`` must return ``[cos(2 pi x B^T), sin(2 pi x B^T)]`` of shape ``(N, 2 m)``."""
    _reject_library_call(
        fn,
        {"fourier_features": fourier_features, "FourierFeatures": FourierFeatures},
        "write the feature map",
    )
    gen = torch.Generator().manual_seed(1)
    for n, d, m in [(5, 2, 3), (7, 1, 4), (4, 3, 8)]:
        x = torch.rand(n, d, generator=gen) * 2 - 1
        B = torch.randn(m, d, generator=gen) * 3
        got = _as_tensor("your feature map", fn(x, B))
        want = fourier_features(x, B)
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(
                f"for x {tuple(x.shape)} and B {tuple(B.shape)} the output should be "
                f"{tuple(want.shape)}, got {tuple(got.shape)}"
            )
        if torch.allclose(got, want.roll(m, dims=-1), atol=1e-5):
            raise AssertionError("the sines come first: the course's convention is [cos, sin]")
        if torch.allclose(got, fourier_features(x / (2 * torch.pi), B), atol=1e-5):
            raise AssertionError("the 2 pi factor is missing: use cos(2 pi x B^T)")
        if not torch.allclose(got, want, atol=1e-5):
            raise AssertionError(
                "values differ from [cos(2 pi x B^T), sin(2 pi x B^T)] by up to "
                f"{(got - want).abs().max():.3g}"
            )
    _passed("Fourier feature map")


def check_ff_kernel(fn: Callable[[torch.Tensor, float], torch.Tensor]) -> None:
    """``fn(d, sigma_ff)``: the Fourier-feature kernel ``E_B[cos(2 pi B d)]`` for offsets ``d`` of
    shape ``(N, D)``.

    With ``B ~ N(0, sigma_ff^2 I)`` the answer is ``exp(-2 pi^2 sigma_ff^2 |d|^2)``, shape ``(N,)``;
    a Monte-Carlo estimate with many frequencies (error below 0.02) also passes.
    """
    _reject_library_call(
        fn,
        {"FourierFeatures": FourierFeatures},
        "draw the frequencies B (or find the closed form)",
    )
    gen = torch.Generator().manual_seed(2)
    for sigma_ff, dim in [(1.0, 2), (4.0, 2), (10.0, 1), (2.0, 3)]:
        d = (torch.rand(9, dim, generator=gen) * 2 - 1) * 0.3 / sigma_ff
        d[0] = 0
        got = _as_tensor("your kernel", fn(d, sigma_ff)).reshape(-1).double()
        r2 = (d.double() ** 2).sum(1)
        want = torch.exp(-2 * torch.pi**2 * sigma_ff**2 * r2)
        if got.numel() != d.shape[0]:
            raise AssertionError(
                f"for d of shape {tuple(d.shape)} return one value per row ({d.shape[0]}), got "
                f"{got.numel()}"
            )
        if abs(float(got[0]) - 1) > 0.02:
            raise AssertionError(
                f"k(0) should be 1 (a feature vector agrees with itself), got {float(got[0]):.4g}"
            )
        if (
            torch.allclose(got, torch.exp(-2 * torch.pi**2 * sigma_ff * r2), atol=0.02)
            and sigma_ff != 1
        ):
            raise AssertionError(
                "the frequencies have standard deviation sigma_ff, so their variance is sigma_ff "
                "squared"
            )
        if torch.allclose(got, torch.exp(-0.5 * sigma_ff**2 * r2), atol=0.02):
            raise AssertionError(
                "the 2 pi inside cos(2 pi B d) is missing: the exponent is -2 pi^2 sigma_ff^2 |d|^2"
            )
        if not torch.allclose(got, want, atol=0.02):
            i = int((got - want).abs().argmax())
            raise AssertionError(
                f"sigma_ff={sigma_ff}, |d|={float(r2[i].sqrt()):.4g}: expected "
                f"{float(want[i]):.4f}, got {float(got[i]):.4f}"
            )
    _passed("Fourier-feature kernel")
