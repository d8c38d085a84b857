"""O-INR (Pal et al., ICML 2024): an INR as an operator from the positional-encoding field to the signal.

A pointwise INR maps one coordinate at a time, ``x -> MLP(gamma(x))``. O-INR instead maps the
whole *field* of positional encodings ``gamma(x)`` over the domain to the signal, with integral
operators ``(K f)(x) = int k(x - y) f(y) dy``; discretised on a grid these are convolutions,
and between them a sine nonlinearity. No MLP.

``gamma`` has, per input dimension ``d``, ``2 * n_freq`` channels
``sin(2^i pi x_d), cos(2^i pi x_d)`` for ``i = 0..n_freq-1`` (10 frequencies, 20 channels per
dimension in the paper). Derivatives of the output follow from the derivative of the encoding
(the paper's Eq. 11-12): convolution is linear and acts on the encoding's values, so
``d/dx_d O-INR = J_gamma(O-INR) [d gamma / d x_d]``, a forward-mode (Jacobian-vector) product,
computed here with :func:`torch.func.jvp`.

Coordinates follow :func:`inrutils.coords.grid`: ``(y, x)`` pixel centres in [-1, 1].
"""
from __future__ import annotations

import math
from typing import Sequence

import torch
from torch import nn
from torch.func import jvp

from .coords import grid


def encoding_grid(h: int, w: int, n_freq: int = 10, derivative: int | None = None, offset: float = 0.0,
                  device=None, dtype: torch.dtype = torch.float32) -> torch.Tensor:
    """The positional-encoding field on an ``h x w`` pixel-centre grid: ``(4 * n_freq, h, w)``.

    Channels: for ``y`` then ``x``, for ``i = 0..n_freq-1``: ``sin(2^i pi t)``, ``cos(2^i pi t)``.
    ``derivative=0`` (``d/dy``) or ``1`` (``d/dx``) returns the field's derivative instead
    (``2^i pi cos``, ``-2^i pi sin`` in that dimension's channels, zero in the other's).
    ``offset`` is the paper's ``gamma`` for sequences (Eq. 8): frame ``t`` of a video gets the
    encoding plus a scalar ``gamma_t`` (the reference code spaces ``gamma`` evenly in [0, 0.1]),
    so one network represents all frames and frames in between are a ``gamma`` in between.
    """
    for arg, v in (("h", h), ("w", w), ("n_freq", n_freq)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"encoding_grid: {arg} must be a positive integer, got {v!r}")
    if derivative not in (None, 0, 1):
        raise ValueError(f"derivative must be None, 0 (d/dy) or 1 (d/dx), got {derivative!r}")
    pos = grid(h, w, device=device, dtype=dtype).view(h, w, 2)
    freqs = (2.0 ** torch.arange(n_freq, device=device, dtype=dtype)) * math.pi
    chans = []
    for d in range(2):
        t = pos[..., d][None] * freqs[:, None, None]                       # (n_freq, h, w)
        if derivative is None:
            pair = (torch.sin(t), torch.cos(t))
        elif derivative == d:
            f = freqs[:, None, None]
            pair = (f * torch.cos(t), -f * torch.sin(t))
        else:
            pair = (torch.zeros_like(t), torch.zeros_like(t))
        chans.append(torch.stack(pair, dim=1).reshape(2 * n_freq, h, w))  # sin_0, cos_0, sin_1, cos_1, ...
    out = torch.cat(chans)
    return out + offset if derivative is None and offset else out


class ContinuousConv2d(nn.Module):
    """A convolution whose kernel is a continuous function: ``(K f)(x) = int k(x - y) f(y) dy``.

    ``k`` is a small sine MLP of the offset ``x - y`` (in the [-1, 1] frame) with
    ``in_channels * out_channels`` outputs, supported on ``support`` pixels of a reference
    ``base_size`` grid. On an ``h x w`` grid the integral is discretised at that grid's spacing:
    every offset inside the support is a tap, weighted by the pixel area relative to the
    reference's. So the same operator runs at any resolution (on the reference grid it is an
    ordinary ``support x support`` convolution), which is what lets O-INR render at other sizes.
    """

    def __init__(self, in_channels: int, out_channels: int, base_size: tuple[int, int], support: int = 3,
                 hidden: int = 16, w0: float = 2.0):
        super().__init__()
        if isinstance(support, bool) or not isinstance(support, int) or support < 1 or support % 2 == 0:
            raise ValueError(f"support must be a positive odd number of reference pixels, got {support!r}")
        self.in_channels, self.out_channels, self.support, self.w0 = in_channels, out_channels, support, float(w0)
        self.base_size = (int(base_size[0]), int(base_size[1]))
        self.l1, self.l2 = nn.Linear(2, hidden), nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, in_channels * out_channels)
        with torch.no_grad():   # SIREN-style init of the kernel network; output scaled like a conv's fan-in init
            self.l1.weight.uniform_(-1 / 2, 1 / 2)
            bound = math.sqrt(6 / hidden) / self.w0
            self.l2.weight.uniform_(-bound, bound)
            self.out.weight.uniform_(-1, 1).mul_(math.sqrt(3 / (in_channels * support * support)) / math.sqrt(hidden / 3))
            self.out.bias.zero_()

    def kernel(self, h: int, w: int) -> torch.Tensor:
        """The discretised kernel for an ``h x w`` grid: ``(out, in, kh, kw)``, odd sizes.

        Taps sit at multiples of the grid spacing; each stands for one pixel cell, weighted by the
        part of that cell inside the support (so the support's area is covered exactly at any
        spacing) times the cell's area relative to a reference pixel.
        """
        dev, dt = self.l1.weight.device, self.l1.weight.dtype
        axes, weights = [], []
        for base, n in zip(self.base_size, (h, w)):
            radius, s = self.support / base, 2.0 / n                     # half-width of the support, spacing
            taps = int(math.floor(radius / s + 0.5 - 1e-9))
            o = torch.arange(-taps, taps + 1, device=dev, dtype=dt) * s
            overlap = o.clamp(max=radius - s / 2) + s / 2 - (o - s / 2).clamp(min=-radius)
            axes.append(o)
            weights.append(overlap.clamp_min(0) / (2.0 / base))             # in units of reference pixels
        off = torch.stack(torch.meshgrid(*axes, indexing="ij"), -1)         # (kh, kw, 2) offsets in [-1, 1] units
        rel = off / torch.tensor([self.support / b for b in self.base_size], device=dev, dtype=dt)   # in [-1, 1] over the support
        z = torch.sin(self.w0 * self.l1(rel))
        z = torch.sin(self.w0 * self.l2(z))
        k = self.out(z) * (weights[0][:, None] * weights[1][None, :])[..., None]   # quadrature weights
        return k.permute(2, 0, 1).reshape(self.out_channels, self.in_channels, len(axes[0]), len(axes[1]))

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return nn.functional.conv2d(f, self.kernel(f.shape[-2], f.shape[-1]), padding="same")


class OINR(nn.Module):
    """The discrete O-INR for 2-D signals: ``widths`` 3x3 ('same') convolutions without bias, sine in between.

    Input: the encoding field ``(B, 4 * n_freq, H, W)`` (or none: :meth:`render` builds it);
    output ``(B, out_channels, H, W)``. The paper's image model is ``widths=(64, 128, 128, 64)``.
    """

    def __init__(self, out_channels: int = 1, n_freq: int = 10, widths: Sequence[int] = (64, 128, 128, 64),
                 kernel_size: int = 3, continuous: bool = False, base_size: tuple[int, int] | None = None,
                 kernel_hidden: int = 16):
        super().__init__()
        if isinstance(kernel_size, bool) or not isinstance(kernel_size, int) or kernel_size < 1 or kernel_size % 2 == 0:
            raise ValueError(f"kernel_size must be a positive odd integer, got {kernel_size!r}")
        widths = tuple(widths)
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in widths):
            raise ValueError(f"widths must be positive integers, got {widths}")
        self.n_freq, self.out_channels = n_freq, out_channels
        chans = [4 * n_freq, *widths, out_channels]
        if continuous:
            if base_size is None:
                raise ValueError("continuous=True needs base_size=(H, W), the grid on which the kernel spans kernel_size pixels")
            self.convs = nn.ModuleList(ContinuousConv2d(a, b, base_size, kernel_size, kernel_hidden)
                                       for a, b in zip(chans[:-1], chans[1:]))
        else:
            self.convs = nn.ModuleList(nn.Conv2d(a, b, kernel_size, padding="same", bias=False)
                                       for a, b in zip(chans[:-1], chans[1:]))
        self.config = {"out_channels": out_channels, "n_freq": n_freq, "widths": list(widths), "kernel_size": kernel_size,
                       "continuous": continuous, "base_size": None if base_size is None else list(base_size),
                       "kernel_hidden": kernel_hidden}

    def forward(self, enc: torch.Tensor) -> torch.Tensor:
        if enc.ndim != 4 or enc.shape[1] != 4 * self.n_freq:
            raise ValueError(f"OINR expects an encoding field (B, {4 * self.n_freq}, H, W), got {tuple(enc.shape)}")
        x = enc
        for conv in self.convs[:-1]:
            x = torch.sin(conv(x))
        return self.convs[-1](x)

    def render(self, h: int, w: int | None = None, offset: float = 0.0) -> torch.Tensor:
        """The signal on an ``h x w`` grid (``offset``: the sequence parameter gamma): ``(out_channels, h, w)``.

        Another size than the training grid is meaningful for the continuous version only (a
        discrete 3x3 kernel spans fewer physical pixels on a finer grid).
        """
        w = h if w is None else w
        p = next(self.parameters())
        return self(encoding_grid(h, w, self.n_freq, offset=offset, device=p.device, dtype=p.dtype)[None])[0]

    def derivative(self, h: int, w: int | None = None, dim: int = 1) -> torch.Tensor:
        """``d signal / d (y, x)[dim]`` on an ``h x w`` grid, by pushing the encoding's derivative through the network.

        Exact for this network (a forward-mode product, :func:`torch.func.jvp`); ``(out_channels, h, w)``.
        """
        if dim not in (0, 1):
            raise ValueError(f"dim must be 0 (d/dy) or 1 (d/dx), got {dim!r}")
        w = h if w is None else w
        p = next(self.parameters())
        enc = encoding_grid(h, w, self.n_freq, device=p.device, dtype=p.dtype)[None]
        tangent = encoding_grid(h, w, self.n_freq, derivative=dim, device=p.device, dtype=p.dtype)[None]
        _, d = jvp(self, (enc,), (tangent,))
        return d[0]


def pointwise_mlp(net: OINR) -> nn.Sequential:
    """The MLP that a ``kernel_size=1`` discrete O-INR is: the same weights as ``Linear`` layers, sine in between.

    With a 1x1 kernel an integral operator only sees ``f(x)`` at ``x`` itself, so O-INR reduces to a
    pointwise network ``gamma(x) -> signal`` (an MLP on positional encodings with sine activations):
    ``pointwise_mlp(net)(gamma(x))`` equals ``net`` at every pixel. Larger kernels are what make it an operator.
    """
    if not isinstance(net, OINR) or net.config["continuous"] or net.config["kernel_size"] != 1:
        raise ValueError("pointwise_mlp needs a discrete OINR with kernel_size=1 (larger kernels mix neighbouring pixels)")
    layers: list[nn.Module] = []
    for i, conv in enumerate(net.convs):
        lin = nn.Linear(conv.in_channels, conv.out_channels, bias=False)
        with torch.no_grad():
            lin.weight.copy_(conv.weight[:, :, 0, 0])
        layers.append(lin)
        if i < len(net.convs) - 1:
            layers.append(_Sine())
    return nn.Sequential(*layers)


class _Sine(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(x)


def fit_fields(net: OINR, targets: Sequence[torch.Tensor], offsets: Sequence[float] | None = None, steps: int = 500,
               lr: float = 3e-3, seed: int = 0) -> list[float]:
    """Train one O-INR on several fields at once: other resolutions (multi-resolution) or other offsets (a sequence).

    ``targets``: ``(C, H_i, W_i)`` tensors; ``offsets``: the sequence parameter gamma of each target
    (default 0 for all). Each Adam step renders the network on one target's grid with its offset and
    takes the MSE; targets are visited in a seeded random order. Returns the loss of every step.
    Training on several sizes is what lets a continuous O-INR render well at sizes in between; a
    discrete one can only be trained on several offsets, all at one size.
    """
    targets = list(targets)
    if not targets:
        raise ValueError("fit_fields: targets must be a non-empty list of (C, H, W) tensors")
    offsets = [0.0] * len(targets) if offsets is None else [float(o) for o in offsets]
    if len(offsets) != len(targets):
        raise ValueError(f"fit_fields: got {len(offsets)} offsets for {len(targets)} targets; give one per target")
    for i, t in enumerate(targets):
        if not isinstance(t, torch.Tensor) or t.ndim != 3 or t.shape[0] != net.out_channels:
            raise ValueError(f"fit_fields: targets[{i}] must be a ({net.out_channels}, H, W) tensor, got "
                             f"{tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__}")
    sizes = {tuple(t.shape[1:]) for t in targets}
    if len(sizes) > 1 and not net.config["continuous"]:
        raise ValueError(f"fit_fields: targets of several sizes {sorted(sizes)} need a continuous O-INR "
                         "(a discrete kernel spans a different physical width at each resolution)")
    dev = next(net.parameters()).device
    targets = [t.to(dev) for t in targets]
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    losses = []
    for _ in range(steps):
        i = int(torch.randint(len(targets), (1,), generator=gen))
        t = targets[i]
        loss = (net.render(t.shape[1], t.shape[2], offset=offsets[i]) - t).pow(2).mean()
        if not torch.isfinite(loss):
            raise FloatingPointError(f"fit_fields: the loss became {loss.item()} (lower lr={lr})")
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


class OnGrid(nn.Module):
    """An O-INR seen as a coordinate model on one fixed ``h x w`` grid, so the course's ``fit``/``fit_image`` train it.

    ``forward(coords)`` must receive exactly ``grid(h, w)`` (all pixel centres, row-major, as
    ``fit_image`` passes them) and returns the O-INR's output as ``(h * w, C)`` samples. An O-INR
    maps the whole encoding field at once, so it has no per-point evaluation: other coordinates
    raise an error instead of being silently ignored.
    """

    def __init__(self, net: OINR, h: int, w: int, offset: float = 0.0):
        super().__init__()
        self.net, self.h, self.w, self.offset = net, h, w, offset
        self.register_buffer("coords", grid(h, w), persistent=False)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        if coords.shape != self.coords.shape or not torch.allclose(coords, self.coords.to(coords.dtype)):
            raise ValueError(f"an O-INR is evaluated on its whole {self.h}x{self.w} grid at once: pass grid({self.h}, "
                             f"{self.w}) (full batch), got coordinates of shape {tuple(coords.shape)}")
        out = self.net.render(self.h, self.w, offset=self.offset)
        return out.reshape(out.shape[0], -1).T


__all__ = ["encoding_grid", "ContinuousConv2d", "OINR", "OnGrid", "pointwise_mlp", "fit_fields"]
