"""Coordinate networks: a plain MLP (optionally behind an encoding) and SIREN.

Every model maps ``(N, in_dim)`` coordinates to ``(N, out_dim)`` values and carries a
``config`` dict of its constructor arguments, which :mod:`inrutils.checkpoints` stores
to rebuild the model.
"""
from __future__ import annotations

import math

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
    """Number of (trainable, by default) parameters of ``model``; buffers are not counted."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)


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
        for arg, val in (("in_dim", in_dim), ("out_dim", out_dim), ("hidden", hidden), ("layers", layers)):
            _positive_int("MLP", arg, val)
        if activation not in ACTIVATIONS:
            raise ValueError(f"MLP: activation={activation!r} is unknown; allowed: {', '.join(ACTIVATIONS)}")
        if encoding is not None:
            if type(encoding).__name__ not in ENCODINGS:
                raise ValueError(f"MLP: encoding must be None or one of {', '.join(ENCODINGS)}, got {type(encoding).__name__}")
            if encoding.in_dim != in_dim:
                raise ValueError(f"MLP: encoding.in_dim={encoding.in_dim} does not match in_dim={in_dim}")
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
            "encoding": None if encoding is None else {"type": type(encoding).__name__, **encoding.config},
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
    """SIREN (Sitzmann et al., NeurIPS 2020): ``layers`` sine layers of width ``hidden``, then a linear head.

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
        for arg, val in (("in_dim", in_dim), ("out_dim", out_dim), ("hidden", hidden), ("layers", layers)):
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
            "in_dim": in_dim, "out_dim": out_dim, "hidden": hidden, "layers": layers,
            "w0": float(w0), "w0_hidden": float(w0_hidden),
        }

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.net(x))


MODELS = {"MLP": MLP, "Siren": Siren}


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
