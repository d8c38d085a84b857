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

import copy
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, stack_module_state, vmap
from tqdm.auto import tqdm

from .coords import grid, samples_to_image
from .data import DATA_DIR, load_tagged
from .derivatives import (
    all_partials,
    compose_jet,
    derivative_features,
    multi_index,
    partial_indices,
    partial_names,
    shift_index,
)
from .fit import fit
from .models import Siren


def features(
    inr: nn.Module, h: int, w: int | None = None, order: int = 2, method: str = "auto"
) -> torch.Tensor:
    """Derivative features of a frozen 2-D INR on an ``h x w`` pixel-centre grid:
    ``(h * w, P * C)``, detached.

    Columns as in :func:`inrutils.derivatives.derivative_features` (``p * C + c``).
    """
    w = h if w is None else w
    return derivative_features(inr, grid(h, w), order, method)


def taylor_coefficients(kernel, order: int) -> torch.Tensor:
    """INSP-Conv coefficients that approximate a *correlation* with ``kernel`` to ``order``:
    ``a_alpha = m_alpha / alpha!`` (Taylor moments), one per partial of :func:`partial_indices`
    ``(2, order)``, in pixel units.

    ``kernel``: a ``(2r + 1, 2r + 1)`` array, rows = offsets ``u_y = -r..r``, columns = ``u_x``;
    ``m_alpha = sum_u k(u) u_y^alpha_y u_x^alpha_x``. From the Taylor expansion
    ``Phi(p + u) = sum_alpha u^alpha / alpha! d^alpha Phi(p)``; a convolution (``Phi(p - u)``) has
    ``(-1)^|alpha|`` in front. Exact for polynomials of degree ``<= order``.
    """
    k = torch.as_tensor(np.asarray(kernel, dtype=np.float64))
    if k.ndim != 2 or k.shape[0] != k.shape[1] or k.shape[0] % 2 == 0:
        raise ValueError(f"kernel must be a square (2r + 1, 2r + 1) array, got {tuple(k.shape)}")
    r = k.shape[0] // 2
    u = torch.arange(-r, r + 1, dtype=torch.float64)
    out = []
    for index in partial_indices(2, order):
        ay, ax = multi_index(index, 2)
        moment = (k * torch.outer(u**ay, u**ax)).sum()
        out.append(moment / (math.factorial(ay) * math.factorial(ax)))
    return torch.stack(out)


class INSPConv(nn.Module):
    """Linear ``Pi`` (INSP-Conv, Eq. 5):
    ``Psi_k = sum_{alpha, c} a_{k, alpha, c} d^alpha Phi_c (+ b_k)``.

    ``in_dim``/``channels``/``order`` fix the feature layout; ``out_channels`` outputs.
    ``bias=False`` keeps it a pure linear operator on the signal (a convolution, Theorem 2).
    """

    def __init__(
        self,
        channels: int = 1,
        out_channels: int = 1,
        order: int = 2,
        in_dim: int = 2,
        bias: bool = False,
    ):
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
            raise ValueError(
                f"INSPConv expects (N, {self.n_features}) derivative features (order {self.order}, "
                f"{self.channels} channel(s)), got {tuple(feats.shape)}"
            )
        return self.linear(feats)

    def coefficients(self) -> dict[str, torch.Tensor]:
        """The learned ``a_alpha`` per partial name (``f``, ``f_y``, ...): each an ``(out, C)``
        tensor."""
        names = partial_names(self.in_dim, self.order)
        wgt = self.linear.weight.detach().view(-1, len(names), self.channels)
        return {n: wgt[:, p] for p, n in enumerate(names)}


class INSPNet(nn.Module):
    """Nonlinear ``Pi``: a small MLP over the derivative features,
    ``(N, P * C) -> (N, out_channels)``.

    Features are standardised with statistics set by :meth:`set_scale` (derivatives of a
    SIREN grow like ``w0^k``), then ``layers`` hidden ReLU layers of width ``hidden``.
    A residual path adds the input value ``Phi`` so that an untrained Pi is close to identity.
    """

    def __init__(
        self,
        channels: int = 1,
        out_channels: int = 1,
        order: int = 2,
        hidden: int = 64,
        layers: int = 2,
        in_dim: int = 2,
    ):
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
        """Per-feature scale = RMS over ``feats`` ``(N, F)`` (or a list/stack of them); call before
        training."""
        f = feats.reshape(-1, self.n_features)
        self.scale.copy_(f.pow(2).mean(0).sqrt().clamp_min(1e-8))

    def forward(self, feats: torch.Tensor) -> torch.Tensor:
        if feats.ndim != 2 or feats.shape[1] != self.n_features:
            raise ValueError(
                f"INSPNet expects (N, {self.n_features}) derivative features (order {self.order}, "
                f"{self.channels} channel(s)), got {tuple(feats.shape)}"
            )
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
    """Fit ``pi`` so that ``pi(feats[k])`` matches ``targets[k]`` over a set of INRs; return the
    loss per step.

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
        raise ValueError(
            f"feats and targets must be non-empty lists of equal length, got {len(feats)} and "
            f"{len(targets)}"
        )
    for k, (f, t) in enumerate(zip(feats, targets)):
        if f.ndim != 2 or t.ndim != 2 or f.shape[0] != t.shape[0]:
            raise ValueError(
                f"INR {k}: feats (N, F) and targets (N, C) must have the same N, got "
                f"{tuple(f.shape)}, {tuple(t.shape)}"
            )
    x, y = torch.cat(list(feats)), torch.cat(list(targets))
    torch.manual_seed(seed)
    batch = None if batch_size is None or batch_size >= x.shape[0] else batch_size
    return fit(pi, x, y, steps, lr, batch_size=batch, progress=False, desc="INSP operator").loss


@torch.no_grad()
def apply(
    pi: nn.Module, inr: nn.Module, h: int, w: int | None = None, order: int | None = None
) -> torch.Tensor:
    """Render ``Psi = Pi(derivatives of inr)`` on an ``h x w`` grid (any resolution): a
    ``(C_out, h, w)`` CPU image."""
    w = h if w is None else w
    order = getattr(pi, "order", 2) if order is None else order
    feats = features(inr, h, w, order).to(next(pi.parameters()).device)
    return samples_to_image(pi(feats), h, w).float().cpu()


# ----------------------------------------------------------------------------------------------
# A dataset of INRs (one small SIREN per image), fitted all at once with torch.func.vmap
# ----------------------------------------------------------------------------------------------

INRSET_FORMAT = "inrutils.INRSet/1"


@dataclass
class INRSet:
    """Many SIRENs of one architecture, stored as stacked parameters ``{name: (B, ...)}``.

    ``config`` rebuilds one network (``Siren(**config)``); ``psnr`` is each fit's PSNR on its
    training pixels; ``meta`` holds whatever the builder recorded (labels, split, command).
    """

    params: dict[str, torch.Tensor]
    config: dict
    psnr: torch.Tensor
    meta: dict = field(default_factory=dict)

    def __len__(self) -> int:
        return next(iter(self.params.values())).shape[0]

    def model(self, i: int) -> Siren:
        """INR number ``i`` as an ordinary, frozen :class:`~inrutils.models.Siren`."""
        if not -len(self) <= i < len(self):
            raise IndexError(f"INRSet has {len(self)} INRs, index {i} is out of range")
        net = Siren(**self.config)
        net.load_state_dict({k: v[i].float() for k, v in self.params.items()})
        return net.requires_grad_(False).eval()

    def weights(self) -> torch.Tensor:
        """``(B, n_params)``: every INR's parameters flattened in ``state_dict`` order (the
        weight-space view)."""
        return torch.cat([v.float().reshape(len(self), -1) for v in self.params.values()], dim=1)

    def render(self, h: int, w: int | None = None) -> torch.Tensor:
        """All INRs evaluated on an ``h x w`` pixel-centre grid: ``(B, C, h, w)``."""
        w = h if w is None else w
        base = Siren(**self.config).to("meta")
        params = {k: v.float() for k, v in self.params.items()}
        with torch.no_grad():
            out = vmap(lambda p: functional_call(base, p, (grid(h, w),)))(params)
        return out.transpose(1, 2).reshape(len(self), -1, h, w)

    def save(self, path: str | Path, dtype: torch.dtype = torch.float32) -> None:
        torch.save(
            {
                "format": INRSET_FORMAT,
                "config": self.config,
                "psnr": self.psnr,
                "meta": self.meta,
                "params": {k: v.to(dtype) for k, v in self.params.items()},
            },
            path,
        )

    @classmethod
    def load(cls, path: str | Path) -> INRSet:
        blob = load_tagged(path, INRSET_FORMAT, "INR dataset")
        return cls(
            {k: v.float() for k, v in blob["params"].items()},
            blob["config"],
            blob["psnr"],
            blob["meta"],
        )


def fit_many(
    images: torch.Tensor,
    steps: int,
    lr: float = 1e-3,
    *,
    seed: int = 0,
    same_init: bool = False,
    progress: bool = False,
    **siren_config,
) -> INRSet:
    """Fit one SIREN per image of ``images`` ``(B, C, H, W)`` (values in [0, 1]), all in one vmapped
    Adam loop.

    Each network is an ordinary :class:`~inrutils.models.Siren` built from ``siren_config``
    (``hidden``, ``layers``, ``w0``...), initialised with seed ``seed + i`` (every one
    independently, as when INRs are fitted one by one) or, with ``same_init=True``, all
    from seed ``seed``. The loss is the sum of the per-image MSEs, so each network's
    gradient is exactly that of its own fit (and Adam is per-parameter): the result equals
    ``B`` separate full-batch fits with the same seeds.
    """
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise ValueError(
            "images must be a (B, C, H, W) tensor, got "
            f"{getattr(images, 'shape', type(images).__name__)}"
        )
    b, c, h, w = images.shape
    config = {"in_dim": 2, "out_dim": c, **siren_config}
    nets = []
    for i in range(b):
        torch.manual_seed(seed if same_init else seed + i)
        nets.append(Siren(**config))
    params, _ = stack_module_state(nets)
    config = nets[0].config
    base = copy.deepcopy(nets[0]).to("meta")
    coords = grid(h, w)
    target = images.float().flatten(2).transpose(1, 2)  # (B, H*W, C)
    evaluate = vmap(lambda p: functional_call(base, p, (coords,)))
    opt = torch.optim.Adam(params.values(), lr=lr)
    for _ in tqdm(range(steps), desc=f"fitting {b} INRs", disable=not progress):
        opt.zero_grad(set_to_none=True)
        per_image = (evaluate(params) - target).pow(2).mean(dim=(1, 2))
        loss = per_image.sum()
        if not torch.isfinite(loss):
            raise FloatingPointError(
                f"fit_many: the loss became {loss.item()}; lower lr (now {lr})"
            )
        loss.backward()
        opt.step()
    with torch.no_grad():
        mse = (evaluate(params) - target).pow(2).mean(dim=(1, 2))
    return INRSet(
        {k: v.detach() for k, v in params.items()}, config, -10 * torch.log10(mse.clamp_min(1e-12))
    )


#: How ``data/digits_inrs.pt`` is built (``scripts/make_digit_inrs.py``): one SIREN per scikit-learn
#: digit. ``w0 = 5`` (not 30): with 64 pixels per image a low first-layer frequency keeps the
#: function smooth between pixel centres, so its derivatives describe the stroke rather than
#: interpolation wiggles.
DIGITS_RECIPE = {
    "hidden": 16,
    "layers": 2,
    "w0": 5.0,
    "steps": 500,
    "lr": 1e-3,
    "seed": 0,
    "test_size": 0.4,
    "split_seed": 0,
}
DIGITS_PATH = DATA_DIR / "digits_inrs.pt"


def digits() -> tuple[torch.Tensor, torch.Tensor]:
    """scikit-learn's 1,797 handwritten digits (bundled, no download): images ``(B, 1, 8, 8)`` in
    [0, 1], labels ``(B,)``."""
    from sklearn.datasets import load_digits

    d = load_digits()
    return torch.tensor(d.images, dtype=torch.float32)[:, None] / 16.0, torch.tensor(
        d.target, dtype=torch.long
    )


def build_digit_inrs(steps: int | None = None, progress: bool = False) -> INRSet:
    """Fit :data:`DIGITS_RECIPE` to every digit; ``meta`` gets the labels and a fixed stratified
    train/test split."""
    from sklearn.model_selection import train_test_split

    images, labels = digits()
    r = DIGITS_RECIPE
    inrs = fit_many(
        images,
        r["steps"] if steps is None else steps,
        r["lr"],
        seed=r["seed"],
        progress=progress,
        hidden=r["hidden"],
        layers=r["layers"],
        w0=r["w0"],
    )
    train, test = train_test_split(
        np.arange(len(labels)),
        test_size=r["test_size"],
        stratify=labels.numpy(),
        random_state=r["split_seed"],
    )
    inrs.meta = {
        "labels": labels,
        "train": torch.tensor(np.sort(train)),
        "test": torch.tensor(np.sort(test)),
        "recipe": dict(r, steps=r["steps"] if steps is None else steps),
        "source": "sklearn.datasets.load_digits",
    }
    return inrs


def load_digit_inrs(path: str | Path | None = None) -> INRSet:
    """The shipped dataset of digit INRs (``data/digits_inrs.pt``, see ``data/README.md``)."""
    return INRSet.load(DIGITS_PATH if path is None else path)


def inr_jets(inrs: INRSet, h: int, w: int | None = None, order: int = 4) -> torch.Tensor:
    """Jets of every INR on an ``h x w`` grid: ``(B, P, h * w, C)``, all partials up to ``order``
    (detached).

    The input of :class:`INSPConvNet`; computed once, since the INRs stay frozen.
    """
    w = h if w is None else w
    coords = grid(h, w)
    return torch.stack([all_partials(inrs.model(i), coords, order) for i in range(len(inrs))])


# ----------------------------------------------------------------------------------------------
# INSP-ConvNet (Eq. 6): INSP-Conv layers and nonlinearities, with the derivatives of every
# intermediate field carried exactly as a truncated Taylor expansion (a jet)
# ----------------------------------------------------------------------------------------------


@cache
def _tanh_polys(order: int) -> tuple[np.ndarray, ...]:
    """Coefficients (numpy.polynomial order) of p_m with tanh^(m)(z) = p_m(tanh z): p_{m+1} = p_m'
    (1 - t^2)."""
    polys = [np.array([0.0, 1.0])]
    for _ in range(order):
        d = np.polynomial.polynomial.polyder(polys[-1])
        polys.append(np.polynomial.polynomial.polymul(d, [1.0, 0.0, -1.0]))
    return tuple(polys)


def activation_derivatives(name: str, z: torch.Tensor, order: int) -> list[torch.Tensor]:
    """``[sigma(z), sigma'(z), ..., sigma^(order)(z)]`` in closed form for ``name`` in ``"tanh"``,
    ``"sin"``."""
    if name == "sin":
        s, c = torch.sin(z), torch.cos(z)
        return [(s, c, -s, -c)[m % 4] for m in range(order + 1)]
    if name == "tanh":
        t = torch.tanh(z)
        out = []
        for coeffs in _tanh_polys(order):
            acc = torch.zeros_like(t)
            for a in coeffs[::-1]:  # Horner
                acc = acc * t + float(a)
            out.append(acc)
        return out
    raise ValueError(f"activation={name!r} is unknown; allowed: 'tanh', 'sin'")


class INSPConvNet(nn.Module):
    """INSP-ConvNet (Eq. 6) for classifying 2-D INRs: ``Psi_l = sigma(INSP-Conv_l(Psi_{l-1}))``,
    ``Psi_0 = Phi``.

    Layer ``l`` is an INSP-Conv of order ``orders[l]`` (a linear combination of the partials
    of every input channel, ``widths[l]`` output channels, Eq. 5) followed by ``activation``.
    A deeper layer needs the *derivatives* of the field the previous layer produced; they
    are exact here: the input is the INR's jet up to order ``sum(orders)`` (see
    :func:`inr_jets`), an INSP-Conv maps a jet of order ``K`` to one of order
    ``K - orders[l]`` and the nonlinearity follows Faa di Bruno
    (:func:`inrutils.derivatives.compose_jet`). This equals differentiating the composed
    network with autograd (a test checks it) without building nested graphs.

    The last field is sampled on the jets' ``grid_hw`` grid, average-pooled by ``pool``
    and read by a linear classifier. Derivatives are taken in pixel units (the coordinate
    unit is ``unit``, by default one pixel of ``grid_hw`` in the course's [-1, 1] frame),
    which keeps all orders of the same size without breaking the jet structure.
    """

    def __init__(
        self,
        channels: int = 1,
        widths: Sequence[int] = (16, 32),
        orders: Sequence[int] = (2, 2),
        n_classes: int = 10,
        grid_hw: tuple[int, int] = (8, 8),
        pool: int = 2,
        activation: str = "tanh",
        in_dim: int = 2,
        unit: float | None = None,
    ):
        super().__init__()
        widths, orders = tuple(widths), tuple(orders)
        if not widths or len(widths) != len(orders):
            raise ValueError(
                f"widths and orders need one entry per layer, got {widths} and {orders}"
            )
        for arg, vals in (("widths", widths), ("orders", orders)):
            if any(
                isinstance(v, bool) or not isinstance(v, int) or v < (1 if arg == "widths" else 0)
                for v in vals
            ):
                raise ValueError(
                    f"INSPConvNet: {arg} must be "
                    f"{'positive' if arg == 'widths' else 'non-negative'} integers, got {vals}"
                )
        activation_derivatives(activation, torch.zeros(1), 0)  # validates the name
        gh, gw = grid_hw
        if gh % pool or gw % pool:
            raise ValueError(f"grid_hw={grid_hw} must be divisible by pool={pool}")
        self.in_dim, self.channels, self.activation = in_dim, channels, activation
        self.orders, self.widths, self.grid_hw, self.pool = orders, widths, (gh, gw), pool
        self.input_order = sum(orders)
        self.weights = nn.ParameterList()
        self.biases = nn.ParameterList()
        remaining, c_in = self.input_order, channels
        for layer, (c_out, k) in enumerate(zip(widths, orders)):
            p_k = len(partial_indices(in_dim, k))
            bound = math.sqrt(6.0 / (p_k * c_in + c_out))  # Glorot
            self.weights.append(nn.Parameter(torch.empty(c_out, p_k, c_in).uniform_(-bound, bound)))
            self.biases.append(nn.Parameter(torch.zeros(c_out)))
            self.register_buffer(
                f"shift{layer}", shift_index(in_dim, remaining, k), persistent=False
            )
            remaining, c_in = remaining - k, c_out
        self.head = nn.Linear(widths[-1] * (gh // pool) * (gw // pool), n_classes)
        unit = 2.0 / max(gh, gw) if unit is None else float(unit)
        powers = torch.tensor(
            [len(a) for a in partial_indices(in_dim, self.input_order)], dtype=torch.float32
        )
        self.register_buffer("unit_powers", unit**powers, persistent=False)

    def fields(self, jets: torch.Tensor) -> list[torch.Tensor]:
        """The jet after every layer: a list of ``(P_l, B * S, C_l)`` tensors (``[0]`` of each is
        the field's value)."""
        n_partials = len(partial_indices(self.in_dim, self.input_order))
        if jets.ndim != 4 or jets.shape[1] != n_partials or jets.shape[3] != self.channels:
            raise ValueError(
                f"INSPConvNet expects jets (B, {n_partials}, S, {self.channels}) up to order "
                f"{self.input_order} (see inr_jets), got {tuple(jets.shape)}"
            )
        b, p, s, c = jets.shape
        u = jets.permute(1, 0, 2, 3).reshape(p, b * s, c) * self.unit_powers[:, None, None]
        out = []
        for layer, (wgt, bias) in enumerate(zip(self.weights, self.biases)):
            idx = getattr(self, f"shift{layer}")  # (P_out, P_k): where d^beta d^alpha lives
            z = torch.einsum(
                "bank,oak->bno", u[idx], wgt
            )  # INSP-Conv on every partial of the output jet
            z = torch.cat([z[:1] + bias, z[1:]])  # the bias shifts the value only
            order_out = self.input_order - sum(self.orders[: layer + 1])
            u = compose_jet(
                z, activation_derivatives(self.activation, z[0], order_out), self.in_dim
            )
            out.append(u)
        return out

    def forward(self, jets: torch.Tensor) -> torch.Tensor:
        b, s = jets.shape[0], jets.shape[2]
        gh, gw = self.grid_hw
        if s != gh * gw:
            raise ValueError(
                f"jets have {s} points per INR; this INSPConvNet samples a {gh}x{gw} grid"
            )
        value = self.fields(jets)[-1][0]  # (B * S, C_last)
        maps = value.view(b, gh, gw, -1).permute(0, 3, 1, 2)
        return self.head(nn.functional.avg_pool2d(maps, self.pool).flatten(1))


def train_classifier(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    epochs: int,
    lr: float = 1e-3,
    batch_size: int = 64,
    weight_decay: float = 0.0,
    seed: int = 0,
    progress: bool = False,
) -> list[float]:
    """Cross-entropy training of any classifier ``model(x[batch]) -> logits``; returns the mean loss
    per epoch.

    Adam, shuffled mini-batches drawn with a generator seeded by ``seed`` (reproducible). A NaN loss
    stops with an error.
    """
    if x.shape[0] != y.shape[0]:
        raise ValueError(
            f"x and y must have the same number of examples, got {x.shape[0]} and {y.shape[0]}"
        )
    gen = torch.Generator().manual_seed(seed)
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    losses = []
    model.train()
    for _ in tqdm(range(epochs), desc="epochs", disable=not progress):
        total = 0.0
        for idx in torch.randperm(x.shape[0], generator=gen).split(batch_size):
            opt.zero_grad(set_to_none=True)
            loss = nn.functional.cross_entropy(model(x[idx]), y[idx])
            if not torch.isfinite(loss):
                raise FloatingPointError(
                    f"train_classifier: the loss became {loss.item()}; lower lr (now {lr})"
                )
            loss.backward()
            opt.step()
            total += loss.item() * len(idx)
        losses.append(total / x.shape[0])
    model.eval()
    return losses


@torch.no_grad()
def accuracy(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Fraction of ``x`` that ``model`` classifies as ``y`` (evaluation mode, in batches)."""
    model.eval()
    hits = sum(
        int((model(x[i : i + batch_size]).argmax(1) == y[i : i + batch_size]).sum())
        for i in range(0, x.shape[0], batch_size)
    )
    return hits / x.shape[0]
