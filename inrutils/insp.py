"""INSP-Net (Xu et al., NeurIPS 2022): signal processing on an INR through its derivatives.

A signal stored as an INR ``Phi`` is processed without rasterising it: an operator
``Psi(x) = Pi(Phi(x), dPhi(x), d^2 Phi(x), ...)`` acts on the value and the partial
derivatives of ``Phi`` at each coordinate (the derivative networks share ``Phi``'s weights;
:mod:`inrutils.derivatives` computes them). ``Psi`` is again a function of ``x``: a new INR
that renders at any resolution. Theorem 1: such operators are shift-invariant. Theorem 2:
a convolution is approximated by a polynomial in the derivatives; the linear case is
INSP-Conv (Eq. 5), ``Psi = sum_alpha a_alpha d^alpha Phi``.

While ``Pi`` is trained over *frozen* INRs, their derivative features need no graph:
:func:`features` computes them once, chunked, and the training loop reuses the cache.
"""
from __future__ import annotations

from typing import Sequence

import torch
from torch import nn

from .coords import grid, samples_to_image
from .derivatives import derivative_features, partial_indices, partial_names
from .fit import fit


def features(inr: nn.Module, h: int, w: int | None = None, order: int = 2, method: str = "auto") -> torch.Tensor:
    """Derivative features of a frozen 2-D INR on an ``h x w`` pixel-centre grid: ``(h * w, P * C)``, detached.

    Columns as in :func:`inrutils.derivatives.derivative_features` (``p * C + c``).
    """
    w = h if w is None else w
    return derivative_features(inr, grid(h, w), order, method)


class INSPConv(nn.Module):
    """Linear ``Pi`` (INSP-Conv, Eq. 5): ``Psi_k = sum_{alpha, c} a_{k, alpha, c} d^alpha Phi_c (+ b_k)``.

    ``in_dim``/``channels``/``order`` fix the feature layout; ``out_channels`` outputs.
    ``bias=False`` keeps it a pure linear operator on the signal (a convolution, Theorem 2).
    """

    def __init__(self, channels: int = 1, out_channels: int = 1, order: int = 2, in_dim: int = 2, bias: bool = False):
        super().__init__()
        for arg, v in (("channels", channels), ("out_channels", out_channels), ("in_dim", in_dim)):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"INSPConv: {arg} must be a positive integer, got {v!r}")
        self.order, self.channels, self.in_dim = order, channels, in_dim
        self.n_features = len(partial_indices(in_dim, order)) * channels
        self.linear = nn.Linear(self.n_features, out_channels, bias=bias)
        with torch.no_grad():  # start from the identity on the value (when shapes allow): Psi = Phi
            self.linear.weight.zero_()
            for c in range(min(channels, out_channels)):
                self.linear.weight[c, c] = 1.0

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        if feats.ndim != 2 or feats.shape[1] != self.n_features:
            raise ValueError(f"INSPConv expects (N, {self.n_features}) derivative features (order {self.order}, "
                             f"{self.channels} channel(s)), got {tuple(feats.shape)}")
        return self.linear(feats)

    def coefficients(self) -> dict[str, torch.Tensor]:
        """The learned ``a_alpha`` per partial name (``f``, ``f_y``, ...): each an ``(out, C)`` tensor."""
        names = partial_names(self.in_dim, self.order)
        wgt = self.linear.weight.detach().view(-1, len(names), self.channels)
        return {n: wgt[:, p] for p, n in enumerate(names)}


class INSPNet(nn.Module):
    """Nonlinear ``Pi``: a small MLP over the derivative features, ``(N, P * C) -> (N, out_channels)``.

    Features are standardised with statistics set by :meth:`set_scale` (derivatives of a
    SIREN grow like ``w0^k``), then ``layers`` hidden ReLU layers of width ``hidden``.
    A residual path adds the input value ``Phi`` so that an untrained Pi is close to identity.
    """

    def __init__(self, channels: int = 1, out_channels: int = 1, order: int = 2, hidden: int = 64, layers: int = 2,
                 in_dim: int = 2):
        super().__init__()
        self.order, self.channels, self.in_dim = order, channels, in_dim
        self.n_features = len(partial_indices(in_dim, order)) * channels
        widths = [self.n_features] + [hidden] * layers
        body: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            body += [nn.Linear(a, b), nn.ReLU()]
        body.append(nn.Linear(widths[-1], out_channels))
        self.net = nn.Sequential(*body)
        with torch.no_grad():
            self.net[-1].weight.mul_(0.1)
            self.net[-1].bias.zero_()
        self.residual = channels == out_channels
        self.register_buffer("scale", torch.ones(self.n_features))

    def set_scale(self, feats: torch.Tensor) -> None:
        """Per-feature scale = RMS over ``feats`` ``(N, F)`` (or a list/stack of them); call before training."""
        f = feats.reshape(-1, self.n_features)
        self.scale.copy_(f.pow(2).mean(0).sqrt().clamp_min(1e-8))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        if feats.ndim != 2 or feats.shape[1] != self.n_features:
            raise ValueError(f"INSPNet expects (N, {self.n_features}) derivative features (order {self.order}, "
                             f"{self.channels} channel(s)), got {tuple(feats.shape)}")
        out = self.net(feats / self.scale)
        return out + feats[:, : self.channels] if self.residual else out


def train_operator(
    pi: nn.Module,
    feats: Sequence[torch.Tensor] | torch.Tensor,
    targets: Sequence[torch.Tensor] | torch.Tensor,
    steps: int,
    lr: float = 1e-3,
    batch_size: int | None = 4096,
    seed: int = 0,
) -> list[float]:
    """Fit ``pi`` so that ``pi(feats[k])`` matches ``targets[k]`` over a set of INRs; return the loss per step.

    ``feats``: cached ``(N, F)`` features of each INR (see :func:`features`); ``targets``:
    the wanted ``(N, C_out)`` samples of the processed signal (e.g. the Gaussian-filtered
    image). The features play the role of coordinates in :func:`inrutils.fit.fit` (MSE,
    Adam, NaN guard): each step draws ``batch_size`` random points from the pooled set
    (all when ``None``), seeded with ``seed``.
    """
    if isinstance(feats, torch.Tensor):
        feats = [feats]
    if isinstance(targets, torch.Tensor):
        targets = [targets]
    if len(feats) != len(targets) or not feats:
        raise ValueError(f"feats and targets must be non-empty lists of equal length, got {len(feats)} and {len(targets)}")
    for k, (f, t) in enumerate(zip(feats, targets)):
        if f.ndim != 2 or t.ndim != 2 or f.shape[0] != t.shape[0]:
            raise ValueError(f"INR {k}: feats (N, F) and targets (N, C) must have the same N, got {tuple(f.shape)}, "
                             f"{tuple(t.shape)}")
    x, y = torch.cat(list(feats)), torch.cat(list(targets))
    torch.manual_seed(seed)
    batch = None if batch_size is None or batch_size >= x.shape[0] else batch_size
    return fit(pi, x, y, steps, lr, batch_size=batch, progress=False, desc="INSP operator").loss


@torch.no_grad()
def apply(pi: nn.Module, inr: nn.Module, h: int, w: int | None = None, order: int | None = None) -> torch.Tensor:
    """Render ``Psi = Pi(derivatives of inr)`` on an ``h x w`` grid (any resolution): a ``(C_out, h, w)`` CPU image."""
    w = h if w is None else w
    order = getattr(pi, "order", 2) if order is None else order
    feats = features(inr, h, w, order).to(next(pi.parameters()).device)
    return samples_to_image(pi(feats), h, w).float().cpu()
