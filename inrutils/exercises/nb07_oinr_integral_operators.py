"""Checks for notebook 07, O-INR: the encoding field, the forward pass, the encoding's
derivative."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ._common import _as_tensor, _passed, _reject_library_call


def check_encoding(fn: Callable[[int, int, int], torch.Tensor]) -> None:
    """``fn(h, w, n_freq)`` must return O-INR's encoding field ``(4 * n_freq, h, w)`` (see
    ``oinr.encoding_grid``)."""
    from ..oinr import encoding_coords, encoding_grid

    _reject_library_call(
        fn,
        {"encoding_grid": encoding_grid},
        "build the channels from the sample positions (torch.linspace)",
        probe=(4, 6, 2),
    )
    for h, w, n in [(4, 6, 2), (9, 5, 3), (16, 16, 4)]:
        got = _as_tensor("your encoding", fn(h, w, n)).double()
        want = encoding_grid(h, w, n, dtype=torch.float64)
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(
                f"encoding({h}, {w}, {n}) should have shape {tuple(want.shape)} (4 * n_freq "
                f"channels, then the grid), got {tuple(got.shape)}"
            )
        if torch.allclose(got[: 2 * n], want[2 * n :], atol=1e-5) and h != w:
            raise AssertionError(
                "the y channels come first, then the x channels (the course's (y, x) order)"
            )
        lin = want.clone()
        ys, xs = (encoding_coords(k, dtype=torch.float64) for k in (h, w))
        g = torch.stack(torch.meshgrid(ys, xs, indexing="ij"), -1)
        for d in range(2):
            for i in range(n):
                t = (i + 1) * torch.pi * g[..., d]
                lin[2 * n * d + 2 * i], lin[2 * n * d + 2 * i + 1] = torch.sin(t), torch.cos(t)
        if n > 2 and torch.allclose(got, lin, atol=1e-5):
            raise AssertionError(
                "the frequencies grow geometrically, 2^i * pi (i = 0..n_freq-1), not linearly"
            )
        if not torch.allclose(got, want, atol=1e-5):
            c = int((got - want).abs().flatten(1).amax(1).argmax())
            raise AssertionError(
                f"channel {c} differs (expected order per dimension: sin(2^0 pi t), cos(2^0 pi t), "
                f"sin(2^1 pi t), ...; t = linspace(-1, 1, n) along each axis); max error "
                f"{float((got - want)[c].abs().max()):.3g}"
            )
    _passed("O-INR encoding field")


def check_encoding_derivative(fn: Callable[[int, int, int, int], torch.Tensor]) -> None:
    """``fn(h, w, n_freq, dim)`` must return ``d gamma / d (y, x)[dim]`` on the grid,
    ``(4 * n_freq, h, w)``."""
    from ..oinr import encoding_grid

    _reject_library_call(
        fn,
        {"encoding_grid": encoding_grid},
        "differentiate each channel (chain rule)",
        probe=(5, 7, 2, 1),
    )
    for h, w, n, dim in [(5, 7, 2, 1), (6, 4, 3, 0), (8, 8, 3, 1)]:
        got = _as_tensor("your derivative", fn(h, w, n, dim)).double()
        want = encoding_grid(h, w, n, derivative=dim, dtype=torch.float64)
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(f"shape should be {tuple(want.shape)}, got {tuple(got.shape)}")
        other = slice(2 * n * (1 - dim), 2 * n * (2 - dim))
        if got[other].abs().max() > 1e-9:
            raise AssertionError(
                "the channels of the other dimension do not depend on this coordinate: their "
                "derivative is 0"
            )
        freqs = (2.0 ** torch.arange(n, dtype=torch.float64) * torch.pi).repeat_interleave(2)
        mine = slice(2 * n * dim, 2 * n * (dim + 1))
        if torch.allclose(got[mine] * freqs[:, None, None], want[mine], atol=1e-5):
            raise AssertionError(
                "the chain rule's factor is missing: d/dt sin(2^i pi t) = 2^i pi cos(2^i pi t)"
            )
        if torch.allclose(got[mine][1::2], -want[mine][1::2], atol=1e-5):
            raise AssertionError(
                "check the sign of the cosine channels: d/dt cos(a t) = -a sin(a t)"
            )
        if not torch.allclose(got, want, atol=1e-5):
            raise AssertionError(
                f"max error {float((got - want).abs().max()):.3g}; differentiate each channel of "
                "encoding_grid with respect to the coordinate of dimension dim"
            )
    _passed("derivative of the encoding")


def check_oinr_forward(fn: Callable[[torch.Tensor, list], torch.Tensor]) -> None:
    """``fn(enc, weights)`` must compute O-INR's forward pass: ``enc`` ``(B, 4 n_freq, H, W)``,
    ``weights`` one ``(C_out, C_in, k, k)`` kernel per layer; convolutions without bias that keep
    the grid's size, a sine after every one but the last (see ``oinr.OINR.forward``)."""
    import torch.nn.functional as F

    from ..oinr import OINR, encoding_grid

    _reject_library_call(
        fn,
        {"OINR": OINR.forward},
        "chain the convolutions and sines (torch.nn.functional.conv2d, torch.sin)",
        probe=(encoding_grid(5, 7, 2)[None], [torch.zeros(3, 8, 1, 1), torch.zeros(1, 3, 1, 1)]),
    )

    def variant(enc, weights, sine_last: bool, sines: bool = True):
        h = enc
        for i, kernel in enumerate(weights):
            h = F.conv2d(h, kernel, padding=kernel.shape[-1] // 2)
            if sines and (i < len(weights) - 1 or sine_last):
                h = torch.sin(h)
        return h

    for kernel_size, widths, n_freq, (h, w) in [
        (3, (6, 8, 6), 3, (9, 13)),
        (1, (5,), 2, (4, 6)),
        (5, (4, 4), 2, (11, 8)),
    ]:
        torch.manual_seed(kernel_size)
        net = OINR(2, n_freq=n_freq, widths=widths, kernel_size=kernel_size).double()
        weights = [conv.weight.detach().clone() for conv in net.convs]
        enc = encoding_grid(h, w, n_freq, dtype=torch.float64)[None]
        with torch.no_grad():
            want = net(enc)
            got = _as_tensor("your forward pass", fn(enc, [k.clone() for k in weights])).double()
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(
                f"with {kernel_size}x{kernel_size} kernels the output should be "
                f"{tuple(want.shape)} (the grid keeps its size: pad each convolution by "
                "kernel_size // 2), got "
                f"{tuple(got.shape)}"
            )
        if torch.allclose(got, want, atol=1e-8):
            continue
        if torch.allclose(got, variant(enc, weights, sine_last=True), atol=1e-8):
            raise AssertionError("no sine after the last convolution: its output is the image")
        if torch.allclose(got, variant(enc, weights, sine_last=False, sines=False), atol=1e-8):
            raise AssertionError(
                "a sine after every convolution but the last: without them the operator is linear"
            )
        raise AssertionError(
            f"with {kernel_size}x{kernel_size} kernels the output differs from O-INR's by up to "
            f"{float((got - want).abs().max()):.3g} (convolutions without bias, 'same' padding, "
            "sin in between)"
        )
    _passed("O-INR forward pass")
