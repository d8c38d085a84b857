"""Input encodings that let a ReLU MLP represent high frequencies.

Coordinates are in [-1, 1] (see :mod:`inrutils.coords`). Both encodings are
``nn.Module``s with an ``out_dim`` attribute and a ``config`` dict, so that they can be
placed in front of an :class:`inrutils.models.MLP` and saved in a checkpoint.
"""

from __future__ import annotations

import math

import torch
from torch import nn


def fourier_features(x: torch.Tensor, B: torch.Tensor) -> torch.Tensor:
    """Gaussian Fourier feature map of Tancik et al. (2020), Eq. 5 with ``a_j = 1``.

    ``gamma(x) = [cos(2 pi B x), sin(2 pi B x)]`` for ``x`` of shape ``(N, D)`` and a
    frequency matrix ``B`` of shape ``(m, D)``; the result has shape ``(N, 2 m)``
    (all cosines first, then all sines).
    """
    if x.ndim != 2 or B.ndim != 2 or x.shape[1] != B.shape[1]:
        raise ValueError(
            f"x must be (N, D) and B (m, D) with the same D; got x {tuple(x.shape)}, B "
            f"{tuple(B.shape)}"
        )
    proj = 2 * math.pi * x @ B.T
    return torch.cat([torch.cos(proj), torch.sin(proj)], dim=-1)


class FourierFeatures(nn.Module):
    """Random Fourier features ``[cos(2 pi B x), sin(2 pi B x)]`` with ``B ~ N(0, sigma^2)``.

    ``in_dim``: coordinate dimension D; ``n_features``: number m of random frequencies
    (output dimension ``2 m``); ``sigma``: the standard deviation of the frequencies, the
    knob that sets the frequency band the MLP can fit (too small: blurry; too large:
    noisy interpolation between training samples). ``B`` is a fixed buffer, drawn from a
    generator seeded by ``seed`` so two encodings with the same arguments are identical.
    Because our coordinates span [-1, 1] rather than Tancik et al.'s [0, 1], our ``sigma``
    equals half of theirs for the same band.
    """

    def __init__(self, in_dim: int = 2, n_features: int = 256, sigma: float = 10.0, seed: int = 0):
        super().__init__()
        for arg, val in (("in_dim", in_dim), ("n_features", n_features)):
            if isinstance(val, bool) or not isinstance(val, int) or val <= 0:
                raise ValueError(f"FourierFeatures: {arg} must be a positive integer, got {val!r}")
        if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
            raise ValueError(
                f"FourierFeatures: sigma must be a positive finite number, got {sigma!r}"
            )
        gen = torch.Generator().manual_seed(seed)
        self.register_buffer("B", torch.randn(n_features, in_dim, generator=gen) * sigma)
        self.in_dim, self.n_features, self.sigma, self.seed = in_dim, n_features, float(sigma), seed
        self.out_dim = 2 * n_features

    @property
    def config(self) -> dict:
        return {
            "in_dim": self.in_dim,
            "n_features": self.n_features,
            "sigma": self.sigma,
            "seed": self.seed,
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return fourier_features(x, self.B)

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, n_features={self.n_features}, sigma={self.sigma:g}"


class PositionalEncoding(nn.Module):
    """NeRF's positional encoding (Mildenhall et al. 2020, Eq. 4), applied per coordinate.

    ``gamma(p) = (p, sin(2^0 pi p), cos(2^0 pi p), ..., sin(2^(L-1) pi p), cos(2^(L-1) pi p))``
    with ``L = n_freqs``; the raw input ``p`` is kept when ``include_input`` (as in NeRF's
    code). Input ``(N, D)``, output ``(N, out_dim)`` with
    ``out_dim = D * (2 L + include_input)``. Frequencies are deterministic octaves, unlike
    the random ones of :class:`FourierFeatures`.
    """

    def __init__(self, in_dim: int = 2, n_freqs: int = 10, include_input: bool = True):
        super().__init__()
        for arg, val in (("in_dim", in_dim), ("n_freqs", n_freqs)):
            if isinstance(val, bool) or not isinstance(val, int) or val <= 0:
                raise ValueError(
                    f"PositionalEncoding: {arg} must be a positive integer, got {val!r}"
                )
        self.register_buffer("freqs", math.pi * 2.0 ** torch.arange(n_freqs, dtype=torch.float32))
        self.in_dim, self.n_freqs, self.include_input = in_dim, n_freqs, bool(include_input)
        self.out_dim = in_dim * (2 * n_freqs + int(include_input))

    @property
    def config(self) -> dict:
        return {"in_dim": self.in_dim, "n_freqs": self.n_freqs, "include_input": self.include_input}

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if x.ndim != 2 or x.shape[1] != self.in_dim:
            raise ValueError(
                f"PositionalEncoding expects (N, {self.in_dim}) input, got {tuple(x.shape)}"
            )
        arg = x[:, :, None] * self.freqs  # (N, D, L)
        # ordered by coordinate, then frequency, sin before cos
        feats = torch.stack([torch.sin(arg), torch.cos(arg)], dim=-1).reshape(x.shape[0], -1)
        return torch.cat([x, feats], dim=-1) if self.include_input else feats

    def extra_repr(self) -> str:
        return f"in_dim={self.in_dim}, n_freqs={self.n_freqs}, include_input={self.include_input}"


ENCODINGS = {"FourierFeatures": FourierFeatures, "PositionalEncoding": PositionalEncoding}
