"""Coordinate networks: a plain MLP (optionally behind an encoding), SIREN, WIRE and MFN.

Every model maps ``(N, in_dim)`` coordinates to ``(N, out_dim)`` values and carries a
``config`` dict of its constructor arguments, which :mod:`inrutils.checkpoints` stores
to rebuild the model.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from .encodings import ENCODINGS

ACTIVATIONS = {
    "relu": nn.ReLU,
    "leaky_relu": nn.LeakyReLU,
    "tanh": nn.Tanh,
    "gelu": nn.GELU,
    "softplus": nn.Softplus,
    "sigmoid": nn.Sigmoid,
}


def _positive_int(owner: str, arg: str, val: object) -> int:
    if isinstance(val, bool) or not isinstance(val, int) or val <= 0:
        raise ValueError(f"{owner}: {arg} must be a positive integer, got {val!r}")
    return val


def count_params(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of real (trainable, by default) parameters of ``model``: a complex weight counts
    twice; no buffers."""
    return sum(
        p.numel() * (2 if p.is_complex() else 1)
        for p in model.parameters()
        if p.requires_grad or not trainable_only
    )


def _shape_values(shape: object) -> int:
    if (
        not isinstance(shape, (tuple, list, torch.Size))
        or not shape
        or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in shape)
    ):
        raise ValueError(
            f"shape must be the signal's shape as positive integers, e.g. (C, H, W) = (3, 60, "
            f"90), got {shape!r}"
        )
    return math.prod(shape)


def params_per_value(model: nn.Module | int, shape: Sequence[int]) -> float:
    """Parameters per stored value: ``count_params(model)`` (or an int count) over the number of
    values of a signal of ``shape`` (e.g. ``(C, H, W)``: C * H * W). The compression papers'
    budget measure: O-INR's Table 1 has about 172k parameters for a 400x600 RGB image, 0.24."""
    n = model if isinstance(model, int) and not isinstance(model, bool) else None
    if n is None:
        if not isinstance(model, nn.Module):
            raise ValueError(f"model must be an nn.Module or a parameter count, got {model!r}")
        n = count_params(model)
    return n / _shape_values(shape)


def budget_for(density: float, shape: Sequence[int]) -> int:
    """The parameter budget that gives ``density`` parameters per value for a signal of
    ``shape``: ``round(density * prod(shape))`` (at least 1)."""
    if isinstance(density, bool) or not isinstance(density, (int, float)) or not density > 0:
        raise ValueError(
            f"density must be a positive number of parameters per value, got {density!r}"
        )
    return max(1, round(density * _shape_values(shape)))


class MLP(nn.Module):
    """A fully connected coordinate network ``encoding -> [Linear -> act] x layers -> Linear``.

    ``in_dim``/``out_dim``: coordinate and value dimensions; ``hidden``: width;
    ``layers``: number of hidden layers (each ``Linear`` + ``activation``), so the network
    has ``layers + 1`` linear maps; ``activation``: one of ``ACTIVATIONS``; ``encoding``:
    ``None`` (raw coordinates) or a module from :mod:`inrutils.encodings` whose ``in_dim``
    matches. Linear layers use PyTorch's default initialisation.
    """

    def __init__(
        self,
        in_dim: int = 2,
        out_dim: int = 1,
        hidden: int = 256,
        layers: int = 4,
        activation: str = "relu",
        encoding: nn.Module | None = None,
    ):
        super().__init__()
        for arg, val in (
            ("in_dim", in_dim),
            ("out_dim", out_dim),
            ("hidden", hidden),
            ("layers", layers),
        ):
            _positive_int("MLP", arg, val)
        if activation not in ACTIVATIONS:
            raise ValueError(
                f"MLP: activation={activation!r} is unknown; allowed: {', '.join(ACTIVATIONS)}"
            )
        if encoding is not None:
            if type(encoding).__name__ not in ENCODINGS:
                raise ValueError(
                    f"MLP: encoding must be None or one of {', '.join(ENCODINGS)}, got "
                    f"{type(encoding).__name__}"
                )
            if encoding.in_dim != in_dim:
                raise ValueError(
                    f"MLP: encoding.in_dim={encoding.in_dim} does not match in_dim={in_dim}"
                )
        self.encoding = encoding
        width = encoding.out_dim if encoding is not None else in_dim
        body: list[nn.Module] = []
        for _ in range(layers):
            body += [nn.Linear(width, hidden), ACTIVATIONS[activation]()]
            width = hidden
        body.append(nn.Linear(width, out_dim))
        self.net = nn.Sequential(*body)
        self.config = {
            "in_dim": in_dim,
            "out_dim": out_dim,
            "hidden": hidden,
            "layers": layers,
            "activation": activation,
            "encoding": None
            if encoding is None
            else {"type": type(encoding).__name__, **encoding.config},
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.encoding is not None:
            x = self.encoding(x)
        return self.net(x)


def siren_init_bound(fan_in: int, w0: float, is_first: bool) -> float:
    """Half-width ``c`` of SIREN's uniform weight initialisation ``W ~ U(-c, c)``.

    Sitzmann et al. (2020), Sec. 3.2: the first layer uses ``c = 1 / fan_in`` (its
    ``sin(w0 * (W x + b))`` then spans several periods over [-1, 1] because ``w0 = 30``);
    every later layer uses ``c = sqrt(6 / fan_in) / w0`` so that ``w0 * W x`` is
    ~N(0, 2) and each layer's output is arcsine-distributed, whatever the depth.
    """
    _positive_int("siren_init_bound", "fan_in", fan_in)
    return 1.0 / fan_in if is_first else math.sqrt(6.0 / fan_in) / w0


class SineLayer(nn.Module):
    """``x -> sin(w0 * (W x + b))`` with SIREN's initialisation (see :func:`siren_init_bound`).

    The bias is initialised like PyTorch's default, ``U(-1/sqrt(fan_in), 1/sqrt(fan_in))``,
    as in the reference implementation.
    """

    def __init__(self, in_dim: int, out_dim: int, w0: float = 30.0, is_first: bool = False):
        super().__init__()
        self.w0, self.is_first = float(w0), is_first
        self.linear = nn.Linear(in_dim, out_dim)
        with torch.no_grad():
            c = siren_init_bound(in_dim, self.w0, is_first)
            self.linear.weight.uniform_(-c, c)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.w0 * self.linear(x))

    def extra_repr(self) -> str:
        return f"w0={self.w0:g}, is_first={self.is_first}"


class Siren(nn.Module):
    """SIREN (Sitzmann et al., NeurIPS 2020): ``layers`` sine layers of width ``hidden``, then a
    linear head.

    ``w0`` scales the first layer (frequency of the input mapping; the paper uses 30) and
    ``w0_hidden`` the later ones (30 as well; the initialisation divides by it, so it only
    changes how large gradient steps are relative to the weights). The head is
    initialised with the hidden-layer bound, as in the reference code. Output: ``(N, out_dim)``.
    """

    def __init__(
        self,
        in_dim: int = 2,
        out_dim: int = 1,
        hidden: int = 256,
        layers: int = 4,
        w0: float = 30.0,
        w0_hidden: float = 30.0,
    ):
        super().__init__()
        for arg, val in (
            ("in_dim", in_dim),
            ("out_dim", out_dim),
            ("hidden", hidden),
            ("layers", layers),
        ):
            _positive_int("Siren", arg, val)
        for arg, val in (("w0", w0), ("w0_hidden", w0_hidden)):
            if not (isinstance(val, (int, float)) and math.isfinite(val) and val > 0):
                raise ValueError(f"Siren: {arg} must be a positive finite number, got {val!r}")
        body = [SineLayer(in_dim, hidden, w0=w0, is_first=True)]
        body += [SineLayer(hidden, hidden, w0=w0_hidden) for _ in range(layers - 1)]
        self.net = nn.Sequential(*body)
        self.head = nn.Linear(hidden, out_dim)
        with torch.no_grad():
            c = siren_init_bound(hidden, w0_hidden, is_first=False)
            self.head.weight.uniform_(-c, c)
        self.config = {
            "in_dim": in_dim,
            "out_dim": out_dim,
            "hidden": hidden,
            "layers": layers,
            "w0": float(w0),
            "w0_hidden": float(w0_hidden),
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(x))


class GaborLayer(nn.Module):
    """WIRE's complex Gabor wavelet layer: ``z = W x + b``, ``exp(i w0 z - |s0 z|^2)`` (complex
    output).

    The first layer takes real coordinates (real weights), later ones complex activations
    (complex weights). ``w0`` sets the oscillation frequency and ``s0`` the width of the Gaussian
    window; both are fixed, as in the WIRE paper's image experiments.
    """

    def __init__(self, in_dim: int, out_dim: int, w0: float, s0: float, is_first: bool = False):
        super().__init__()
        self.w0, self.s0, self.is_first = float(w0), float(s0), is_first
        self.linear = nn.Linear(in_dim, out_dim, dtype=torch.float32 if is_first else torch.cfloat)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = self.linear(x)
        return torch.exp(1j * self.w0 * z - (self.s0 * z).abs().square())


class Wire(nn.Module):
    """WIRE (Saragadam et al., CVPR 2023): an MLP with complex Gabor wavelet activations; the output
    is the real part.

    ``hidden`` is the width *in real numbers*: as in the reference code, the complex layers get
    ``int(hidden / sqrt(2))`` units so that the parameter count is close to a real network of
    width ``hidden``. ``layers`` Gabor layers (the first on the real coordinates), then a complex
    linear head. Defaults ``w0 = 20``, ``s0 = 10`` are the paper's image settings.
    """

    def __init__(
        self,
        in_dim: int = 2,
        out_dim: int = 1,
        hidden: int = 256,
        layers: int = 3,
        w0: float = 20.0,
        s0: float = 10.0,
    ):
        super().__init__()
        for arg, val in (
            ("in_dim", in_dim),
            ("out_dim", out_dim),
            ("hidden", hidden),
            ("layers", layers),
        ):
            _positive_int("Wire", arg, val)
        width = max(1, int(hidden / math.sqrt(2)))
        body = [GaborLayer(in_dim, width, w0, s0, is_first=True)]
        body += [GaborLayer(width, width, w0, s0) for _ in range(layers - 1)]
        self.net = nn.Sequential(*body)
        self.head = nn.Linear(width, out_dim, dtype=torch.cfloat)
        self.config = {
            "in_dim": in_dim,
            "out_dim": out_dim,
            "hidden": hidden,
            "layers": layers,
            "w0": float(w0),
            "s0": float(s0),
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(x)).real


class MFN(nn.Module):
    """Multiplicative filter network, FourierNet variant (Fathony et al., ICLR 2021).

    ``z_1 = g_1(x)``, ``z_{k+1} = (W_k z_k + b_k) * g_{k+1}(x)``, output ``W z_K + b``, with sine
    filters ``g_k(x) = sin(A_k x + phi_k)``: no activation between layers, the products of sines
    build the frequencies. ``layers`` multiplicative layers (``layers + 1`` filters). Filter weights
    are PyTorch's default init scaled by ``input_scale / sqrt(layers + 1)``, phases ``U(-pi, pi)``;
    the linear layers ``U(-sqrt(weight_scale / hidden), +)``, as in the reference code.
    """

    def __init__(
        self,
        in_dim: int = 2,
        out_dim: int = 1,
        hidden: int = 256,
        layers: int = 3,
        input_scale: float = 256.0,
        weight_scale: float = 1.0,
    ):
        super().__init__()
        for arg, val in (
            ("in_dim", in_dim),
            ("out_dim", out_dim),
            ("hidden", hidden),
            ("layers", layers),
        ):
            _positive_int("MFN", arg, val)
        self.filters = nn.ModuleList(nn.Linear(in_dim, hidden) for _ in range(layers + 1))
        self.linears = nn.ModuleList(nn.Linear(hidden, hidden) for _ in range(layers))
        self.head = nn.Linear(hidden, out_dim)
        with torch.no_grad():
            for f in self.filters:
                f.weight.mul_(input_scale / math.sqrt(layers + 1))
                f.bias.uniform_(-math.pi, math.pi)
            bound = math.sqrt(weight_scale / hidden)
            for lin in self.linears:
                lin.weight.uniform_(-bound, bound)
        self.config = {
            "in_dim": in_dim,
            "out_dim": out_dim,
            "hidden": hidden,
            "layers": layers,
            "input_scale": float(input_scale),
            "weight_scale": float(weight_scale),
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = torch.sin(self.filters[0](x))
        for f, lin in zip(self.filters[1:], self.linears):
            z = lin(z) * torch.sin(f(x))
        return self.head(z)


def size_to_budget(build, budget: int, tol: float = 0.05, lo: int = 1, hi: int = 8192) -> nn.Module:
    """The model ``build(width)`` whose parameter count is closest to ``budget`` (within ``tol``),
    by bisection on width.

    ``build`` maps an integer width (e.g. ``hidden``) to a model whose size grows with it, e.g.
    ``size_to_budget(lambda w: Siren(2, 3, hidden=w, layers=3), 172_000)``. Raises a ``ValueError``
    when even ``build(lo)`` exceeds the budget (the architecture's fixed part is too large) or no
    width lands within ``tol``.
    """
    if isinstance(budget, bool) or not isinstance(budget, int) or budget < 1:
        raise ValueError(f"budget must be a positive number of parameters, got {budget!r}")
    smallest = count_params(build(lo))
    if smallest > budget * (1 + tol):
        raise ValueError(
            f"budget={budget:,} is too small for this architecture: at width {lo} it already has "
            f"{smallest:,} parameters"
        )
    a, b = lo, lo + 1  # grow the bracket first: never build a model far above budget
    while b < hi and count_params(build(b)) <= budget:
        a, b = b, min(hi, 2 * b)
    while b - a > 1:  # largest width with count <= budget
        mid = (a + b) // 2
        a, b = (mid, b) if count_params(build(mid)) <= budget else (a, mid)
    best = min((build(w) for w in (a, a + 1)), key=lambda m: abs(count_params(m) - budget))
    got = count_params(best)
    if abs(got - budget) > tol * budget:
        raise ValueError(
            f"no width gives {budget:,} parameters within {tol:.0%} (closest: {got:,}); widen "
            "[lo, hi]"
        )
    return best


MODELS = {"MLP": MLP, "Siren": Siren, "Wire": Wire, "MFN": MFN}


def from_config(kind: str, config: dict) -> nn.Module:
    """Rebuild a model from its class name and ``config`` dict (as stored in a checkpoint)."""
    if kind not in MODELS:
        raise ValueError(f"unknown model kind {kind!r}; known: {', '.join(MODELS)}")
    config = dict(config)
    enc = config.pop("encoding", None)
    if kind == "MLP" and enc is not None:
        enc = dict(enc)
        enc_type = enc.pop("type")
        if enc_type not in ENCODINGS:
            raise ValueError(f"unknown encoding type {enc_type!r}; known: {', '.join(ENCODINGS)}")
        config["encoding"] = ENCODINGS[enc_type](**enc)
    return MODELS[kind](**config)
