"""O-INR (Pal, Adepu, Wang, Golland, Singh, ICML 2024): an INR as an operator from the encoding
field to the signal.

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

Coordinates are ``(y, x)`` in [-1, 1]. The default ``sampling="linspace"`` puts the samples at
``linspace(-1, 1, n)`` along each axis, as the official code (``vsingh-group/oinr``) does;
``sampling="centres"`` uses the course's pixel centres (:func:`inrutils.coords.grid`), on which the
finer channels of a 64-pixel axis are constant (``sin(2^i pi t) = 0`` for ``2^i >= 64``).

``BASELINES`` / :func:`baseline_models` / :func:`fit_decay` hold the one set of settings that
notebook 07 and ``scripts/oinr_paper.py`` share for the SIREN, WIRE, MFN and O-INR comparison.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn
from torch.func import jvp

from .coords import grid
from .fit import History, fit_image
from .models import MFN, Siren, Wire, size_to_budget

SAMPLINGS = ("linspace", "centres")


def _check_sampling(sampling: str) -> None:
    if sampling not in SAMPLINGS:
        raise ValueError(
            f"sampling must be one of {SAMPLINGS} ('linspace': samples at linspace(-1, 1, n) as "
            f"in the official code; 'centres': pixel centres), got {sampling!r}"
        )


def encoding_coords(
    n: int, sampling: str = "linspace", device=None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """The ``n`` sample positions along one axis in [-1, 1]: ``linspace(-1, 1, n)`` or the pixel
    centres."""
    _check_sampling(sampling)
    if sampling == "linspace":
        return torch.linspace(-1.0, 1.0, n, device=device, dtype=dtype)
    return grid(n, device=device, dtype=dtype)[:, 0]


def spacing(n: int, sampling: str = "linspace") -> float:
    """Distance between neighbouring samples of an ``n``-sample axis in [-1, 1] (``2 / (n - 1)`` or
    ``2 / n``)."""
    _check_sampling(sampling)
    return 2.0 / max(n - 1, 1) if sampling == "linspace" else 2.0 / n


def encoding_grid(
    h: int,
    w: int,
    n_freq: int = 10,
    derivative: int | None = None,
    offset: float = 0.0,
    device=None,
    dtype: torch.dtype = torch.float32,
    sampling: str = "linspace",
) -> torch.Tensor:
    """The positional-encoding field on an ``h x w`` grid: ``(4 * n_freq, h, w)``.

    Channels: for ``y`` then ``x``, for ``i = 0..n_freq-1``: ``sin(2^i pi t)``, ``cos(2^i pi t)``.
    ``derivative=0`` (``d/dy``) or ``1`` (``d/dx``) returns the field's derivative instead
    (``2^i pi cos``, ``-2^i pi sin`` in that dimension's channels, zero in the other's).
    ``offset`` is the paper's ``gamma`` for sequences (Eq. 8): frame ``t`` of a video gets the
    encoding plus a scalar ``gamma_t`` (the reference code spaces ``gamma`` evenly in [0, 0.1]),
    so one network represents all frames and frames in between are a ``gamma`` in between.
    ``sampling``: ``"linspace"`` (default, the official code's ``linspace(-1, 1, n)``) or
    ``"centres"`` (pixel centres, :func:`inrutils.coords.grid`).
    """
    for arg, v in (("h", h), ("w", w), ("n_freq", n_freq)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"encoding_grid: {arg} must be a positive integer, got {v!r}")
    if derivative not in (None, 0, 1):
        raise ValueError(f"derivative must be None, 0 (d/dy) or 1 (d/dx), got {derivative!r}")
    ys, xs = (encoding_coords(n, sampling, device=device, dtype=dtype) for n in (h, w))
    pos = torch.stack(torch.meshgrid(ys, xs, indexing="ij"), -1)  # (h, w, 2): (y, x)
    freqs = (2.0 ** torch.arange(n_freq, device=device, dtype=dtype)) * math.pi
    chans = []
    for d in range(2):
        t = pos[..., d][None] * freqs[:, None, None]  # (n_freq, h, w)
        if derivative is None:
            pair = (torch.sin(t), torch.cos(t))
        elif derivative == d:
            f = freqs[:, None, None]
            pair = (f * torch.cos(t), -f * torch.sin(t))
        else:
            pair = (torch.zeros_like(t), torch.zeros_like(t))
        chans.append(
            torch.stack(pair, dim=1).reshape(2 * n_freq, h, w)
        )  # sin_0, cos_0, sin_1, cos_1, ...
    out = torch.cat(chans)
    return out + offset if derivative is None and offset else out


def degenerate_channels(n: int, n_freq: int = 10, sampling: str = "linspace") -> tuple[int, int]:
    """How many of one axis's ``2 * n_freq`` encoding channels are constant, and how many equal
    another up to sign.

    On ``n`` samples a channel ``sin(2^i pi t)`` with ``2^i`` beyond the sampling rate aliases: it
    can become constant (every sample at a multiple of pi) or repeat a lower channel (``2^i`` and
    ``2^j`` alias to the same frequency). Such channels carry no information of their own. Returns
    ``(constant, duplicated)``; ``(0, 0)`` means every channel is distinct.
    """
    t = encoding_coords(n, sampling, dtype=torch.float64)
    f = (2.0 ** torch.arange(n_freq, dtype=torch.float64)) * math.pi
    ch = torch.stack([torch.sin(f[:, None] * t), torch.cos(f[:, None] * t)], 1).reshape(
        2 * n_freq, n
    )
    constant = ch.std(1, unbiased=False) < 1e-9
    c = ch - ch.mean(1, keepdim=True)
    c = c / c.norm(dim=1, keepdim=True).clamp_min(1e-12)
    corr = (c @ c.T).abs().fill_diagonal_(0)
    corr[constant] = 0
    corr[:, constant] = 0
    return int(constant.sum()), int((corr > 1 - 1e-9).any(1).sum())


def clean_size(n: int, n_freq: int = 10, sampling: str = "linspace") -> int:
    """The size nearest to ``n`` (the smaller one on a tie) at which no encoding channel is constant
    or duplicated."""
    for d in range(n):
        for m in (n - d, n + d):
            if m >= 2 and degenerate_channels(m, n_freq, sampling) == (0, 0):
                return m
    raise ValueError(
        f"no size near {n} has {2 * n_freq} distinct channels per axis; use fewer frequencies"
    )


class ContinuousConv2d(nn.Module):
    """A convolution whose kernel is a continuous function: ``(K f)(x) = int k(x - y) f(y) dy``.

    ``k`` is a small sine MLP of the offset ``x - y`` (in the [-1, 1] frame) with
    ``in_channels * out_channels`` outputs, supported on ``support`` pixels of a reference
    ``base_size`` grid. On an ``h x w`` grid the integral is discretised at that grid's spacing:
    every offset inside the support is a tap, weighted by the pixel area relative to the
    reference's. So the same operator runs at any resolution (on the reference grid it is an
    ordinary ``support x support`` convolution), which is what lets O-INR render at other sizes.
    ``sampling`` says where the samples sit (see :func:`spacing`), so that the support covers the
    same physical width at every size. This is our redesign of CKConv (Romero et al., ICLR 2022),
    whose kernel network covers the whole input; the official O-INR code uses CKConv itself.
    """

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        base_size: tuple[int, int],
        support: int = 3,
        hidden: int = 16,
        w0: float = 2.0,
        sampling: str = "linspace",
    ):
        super().__init__()
        _check_sampling(sampling)
        self.sampling = sampling
        if (
            isinstance(support, bool)
            or not isinstance(support, int)
            or support < 1
            or support % 2 == 0
        ):
            raise ValueError(
                f"support must be a positive odd number of reference pixels, got {support!r}"
            )
        self.in_channels, self.out_channels, self.support, self.w0 = (
            in_channels,
            out_channels,
            support,
            float(w0),
        )
        self.base_size = (int(base_size[0]), int(base_size[1]))
        self.l1, self.l2 = nn.Linear(2, hidden), nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, in_channels * out_channels)
        with (
            torch.no_grad()
        ):  # SIREN-style init of the kernel network; output scaled like a conv's fan-in init
            self.l1.weight.uniform_(-1 / 2, 1 / 2)
            bound = math.sqrt(6 / hidden) / self.w0
            self.l2.weight.uniform_(-bound, bound)
            self.out.weight.uniform_(-1, 1).mul_(
                math.sqrt(3 / (in_channels * support * support)) / math.sqrt(hidden / 3)
            )
            self.out.bias.zero_()

    def kernel(self, h: int, w: int) -> torch.Tensor:
        """The discretised kernel for an ``h x w`` grid: ``(out, in, kh, kw)``, odd sizes.

        Taps sit at multiples of the grid spacing; each stands for one pixel cell, weighted by the
        part of that cell inside the support (so the support's area is covered exactly at any
        spacing) times the cell's area relative to a reference pixel.
        """
        dev, dt = self.l1.weight.device, self.l1.weight.dtype
        axes, weights = [], []
        refs = [spacing(b, self.sampling) for b in self.base_size]  # a reference pixel's width
        for ref, n in zip(refs, (h, w)):
            radius, s = (
                self.support * ref / 2,
                spacing(n, self.sampling),
            )  # half-width of the support, spacing
            taps = int(math.floor(radius / s + 0.5 - 1e-9))
            o = torch.arange(-taps, taps + 1, device=dev, dtype=dt) * s
            overlap = o.clamp(max=radius - s / 2) + s / 2 - (o - s / 2).clamp(min=-radius)
            axes.append(o)
            weights.append(overlap.clamp_min(0) / ref)  # in units of reference pixels
        off = torch.stack(
            torch.meshgrid(*axes, indexing="ij"), -1
        )  # (kh, kw, 2) offsets in [-1, 1] units
        rel = off / torch.tensor(
            [self.support * r / 2 for r in refs], device=dev, dtype=dt
        )  # in [-1, 1] over the support
        z = torch.sin(self.w0 * self.l1(rel))
        z = torch.sin(self.w0 * self.l2(z))
        k = (
            self.out(z) * (weights[0][:, None] * weights[1][None, :])[..., None]
        )  # quadrature weights
        return k.permute(2, 0, 1).reshape(
            self.out_channels, self.in_channels, len(axes[0]), len(axes[1])
        )

    def forward(self, f: torch.Tensor) -> torch.Tensor:
        return nn.functional.conv2d(f, self.kernel(f.shape[-2], f.shape[-1]), padding="same")


class OINR(nn.Module):
    """The discrete O-INR for 2-D signals: ``widths`` 3x3 ('same') convolutions without bias, sine
    in between.

    Input: the encoding field ``(B, 4 * n_freq, H, W)`` (or none: :meth:`render` builds it); output
    ``(B, out_channels, H, W)``. The default ``widths=(64, 128, 128, 64)`` is the official code's
    image model (``OINR_2D``: 319,680 parameters for RGB); widths ``(64, 128, 64)`` give the paper's
    stated ~172k (172,224). ``sampling`` is where :meth:`render` places the encoding's samples.
    """

    def __init__(
        self,
        out_channels: int = 1,
        n_freq: int = 10,
        widths: Sequence[int] = (64, 128, 128, 64),
        kernel_size: int = 3,
        continuous: bool = False,
        base_size: tuple[int, int] | None = None,
        kernel_hidden: int = 16,
        sampling: str = "linspace",
    ):
        super().__init__()
        _check_sampling(sampling)
        self.sampling = sampling
        if (
            isinstance(kernel_size, bool)
            or not isinstance(kernel_size, int)
            or kernel_size < 1
            or kernel_size % 2 == 0
        ):
            raise ValueError(f"kernel_size must be a positive odd integer, got {kernel_size!r}")
        widths = tuple(widths)
        if any(isinstance(c, bool) or not isinstance(c, int) or c < 1 for c in widths):
            raise ValueError(f"widths must be positive integers, got {widths}")
        self.n_freq, self.out_channels = n_freq, out_channels
        chans = [4 * n_freq, *widths, out_channels]
        if continuous:
            if base_size is None:
                raise ValueError(
                    "continuous=True needs base_size=(H, W), the grid on which the kernel spans "
                    "kernel_size pixels"
                )
            self.convs = nn.ModuleList(
                ContinuousConv2d(a, b, base_size, kernel_size, kernel_hidden, sampling=sampling)
                for a, b in zip(chans[:-1], chans[1:])
            )
        else:
            self.convs = nn.ModuleList(
                nn.Conv2d(a, b, kernel_size, padding="same", bias=False)
                for a, b in zip(chans[:-1], chans[1:])
            )
        self.config = {
            "out_channels": out_channels,
            "n_freq": n_freq,
            "widths": list(widths),
            "kernel_size": kernel_size,
            "continuous": continuous,
            "base_size": None if base_size is None else list(base_size),
            "kernel_hidden": kernel_hidden,
            "sampling": sampling,
        }

    def forward(self, enc: torch.Tensor) -> torch.Tensor:
        if enc.ndim != 4 or enc.shape[1] != 4 * self.n_freq:
            raise ValueError(
                f"OINR expects an encoding field (B, {4 * self.n_freq}, H, W), got "
                f"{tuple(enc.shape)}"
            )
        x = enc
        for conv in self.convs[:-1]:
            x = torch.sin(conv(x))
        return self.convs[-1](x)

    def render(self, h: int, w: int | None = None, offset: float = 0.0) -> torch.Tensor:
        """The signal on an ``h x w`` grid (``offset``: the sequence parameter gamma):
        ``(out_channels, h, w)``.

        Another size than the training grid is meaningful for the continuous version only (a
        discrete 3x3 kernel spans fewer physical pixels on a finer grid).
        """
        w = h if w is None else w
        p = next(self.parameters())
        enc = encoding_grid(
            h, w, self.n_freq, offset=offset, device=p.device, dtype=p.dtype, sampling=self.sampling
        )
        return self(enc[None])[0]

    def derivative(self, h: int, w: int | None = None, dim: int = 1) -> torch.Tensor:
        """``d signal / d (y, x)[dim]`` on an ``h x w`` grid, by pushing the encoding's derivative
        through the network.

        Exact for this network (a forward-mode product, :func:`torch.func.jvp`);
        ``(out_channels, h, w)``.
        """
        if dim not in (0, 1):
            raise ValueError(f"dim must be 0 (d/dy) or 1 (d/dx), got {dim!r}")
        w = h if w is None else w
        p = next(self.parameters())
        enc = encoding_grid(
            h, w, self.n_freq, device=p.device, dtype=p.dtype, sampling=self.sampling
        )[None]
        tangent = encoding_grid(
            h,
            w,
            self.n_freq,
            derivative=dim,
            device=p.device,
            dtype=p.dtype,
            sampling=self.sampling,
        )[None]
        _, d = jvp(self, (enc,), (tangent,))
        return d[0]


def pointwise_mlp(net: OINR) -> nn.Sequential:
    """The MLP that a ``kernel_size=1`` discrete O-INR is: the same weights as ``Linear`` layers,
    sine in between.

    With a 1x1 kernel an integral operator only sees ``f(x)`` at ``x`` itself, so O-INR reduces to a
    pointwise network ``gamma(x) -> signal`` (an MLP on positional encodings with sine activations):
    ``pointwise_mlp(net)(gamma(x))`` equals ``net`` at every pixel. Larger kernels are what make it
    an operator.
    """
    if not isinstance(net, OINR) or net.config["continuous"] or net.config["kernel_size"] != 1:
        raise ValueError(
            "pointwise_mlp needs a discrete OINR with kernel_size=1 (larger kernels mix "
            "neighbouring pixels)"
        )
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


def fit_fields(
    net: OINR,
    targets: Sequence[torch.Tensor],
    offsets: Sequence[float] | None = None,
    steps: int = 500,
    lr: float = 3e-3,
    seed: int = 0,
    allow_discrete: bool = False,
) -> list[float]:
    """Train one O-INR on several fields at once: other resolutions (multi-resolution) or other
    offsets (a sequence).

    ``targets``: ``(C, H_i, W_i)`` tensors; ``offsets``: the sequence parameter gamma of each target
    (default 0 for all). Each Adam step renders the network on one target's grid with its offset and
    takes the MSE; targets are visited in a seeded random order. Returns the loss of every step.
    A continuous O-INR trained on several sizes is the paper's multi-resolution model. A discrete
    one can be trained on several sizes too, with ``allow_discrete=True``: its 3x3 kernel then
    spans a different physical width on every grid, which is what the official code's CKConv
    (three kernel taps fixed at every resolution) amounts to; notebook 07 uses it as a control.
    """
    targets = list(targets)
    if not targets:
        raise ValueError("fit_fields: targets must be a non-empty list of (C, H, W) tensors")
    offsets = [0.0] * len(targets) if offsets is None else [float(o) for o in offsets]
    if len(offsets) != len(targets):
        raise ValueError(
            f"fit_fields: got {len(offsets)} offsets for {len(targets)} targets; give one per "
            "target"
        )
    for i, t in enumerate(targets):
        if not isinstance(t, torch.Tensor) or t.ndim != 3 or t.shape[0] != net.out_channels:
            raise ValueError(
                f"fit_fields: targets[{i}] must be a ({net.out_channels}, H, W) tensor, got "
                f"{tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__}"
            )
    sizes = {tuple(t.shape[1:]) for t in targets}
    if len(sizes) > 1 and not net.config["continuous"] and not allow_discrete:
        raise ValueError(
            f"fit_fields: targets of several sizes {sorted(sizes)} need a continuous O-INR "
            "(a discrete kernel spans a different physical width at each resolution); pass "
            "allow_discrete=True to train a discrete one on them anyway"
        )
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
    """An O-INR seen as a coordinate model on one fixed ``h x w`` grid, so the course's
    ``fit``/``fit_image`` train it.

    ``forward(coords)`` must receive exactly ``grid(h, w)`` (all pixel centres, row-major, as
    ``fit_image`` passes them: they only identify the pixels; the O-INR samples its encoding field
    with its own ``sampling``) and returns the O-INR's output as ``(h * w, C)`` samples. An O-INR
    maps the whole encoding field at once, so it has no per-point evaluation: other coordinates
    raise an error instead of being silently ignored.
    """

    def __init__(self, net: OINR, h: int, w: int, offset: float = 0.0):
        super().__init__()
        self.net, self.h, self.w, self.offset = net, h, w, offset
        self.register_buffer("coords", grid(h, w), persistent=False)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        if coords.shape != self.coords.shape or not torch.allclose(
            coords, self.coords.to(coords.dtype)
        ):
            raise ValueError(
                f"an O-INR is evaluated on its whole {self.h}x{self.w} grid at once: pass "
                f"grid({self.h}, {self.w}) (full batch), got coordinates of shape "
                f"{tuple(coords.shape)}"
            )
        out = self.net.render(self.h, self.w, offset=self.offset)
        return out.reshape(out.shape[0], -1).T


#: The baselines' settings shared by notebook 07 and scripts/oinr_paper.py. SIREN: 3 hidden sine
#: layers, omega_0 = 30 (Sitzmann et al.). WIRE: 3 complex Gabor layers; omega_0 / s_0 for
#: representation chosen on the validation image among 10 and 20 (docs/results/oinr_cpu.md), for
#: denoising WIRE's own suggestion (omega_0 = s_0 = 4, wire_image_denoise.py). MFN: FourierNet, 3
#: filters, the filters' input scale = the image's larger side (the reference's 256 is set for
#: 256-pixel images). O-INR: five 3x3 convolutions of widths (k, 2k, 2k, k) (the official model's
#: shape scaled down), 10 frequencies, samples at linspace(-1, 1, n).
BASELINES = {
    "SIREN": {"layers": 3, "w0": 30.0},
    "WIRE": {"layers": 3, "represent": {"w0": 10.0, "s0": 10.0}, "denoise": {"w0": 4.0, "s0": 4.0}},
    "MFN": {"layers": 3, "input_scale": "max(h, w)"},
    "O-INR": {"n_freq": 10, "widths": "(k, 2k, 2k, k)", "kernel_size": 3, "sampling": "linspace"},
}
MODEL_NAMES = tuple(BASELINES)
TASKS = ("represent", "denoise")
#: The decay recipe used for every model alike: Adam, learning rate
#: ``lr * FINAL_LR_FACTOR ** (t / T)`` (WIRE's reference code's schedule; it ends at a tenth of the
#: initial rate).
FINAL_LR_FACTOR = 0.1
#: Learning rates chosen on the validation image (grace_hopper at coffee's 60x90, 400 steps, the
#: decay recipe; clean for "represent", photon noise vs its clean version for "denoise"), from
#: ``python scripts/oinr_paper.py --sweep`` (output in docs/results/oinr_cpu.md).
LEARNING_RATES = {
    "represent": {"SIREN": 3e-3, "WIRE": 1e-2, "MFN": 3e-2, "O-INR": 3e-2},
    "denoise": {"SIREN": 1e-3, "WIRE": 3e-2, "MFN": 3e-3, "O-INR": 3e-2},
}


def _builders(channels: int, h: int, w: int, task: str, wire: dict | None = None) -> dict:
    wire = dict(BASELINES["WIRE"][task], **(wire or {}))
    return {
        "SIREN": lambda k: Siren(2, channels, hidden=k, layers=3, w0=BASELINES["SIREN"]["w0"]),
        "WIRE": lambda k: Wire(2, channels, hidden=k, layers=3, w0=wire["w0"], s0=wire["s0"]),
        "MFN": lambda k: MFN(2, channels, hidden=k, layers=3, input_scale=float(max(h, w))),
        "O-INR": lambda k: OnGrid(OINR(channels, n_freq=10, widths=(k, 2 * k, 2 * k, k)), h, w),
    }


def baseline_models(
    channels: int,
    h: int,
    w: int,
    budget: int,
    task: str = "represent",
    seed: int = 0,
    names: Sequence[str] = MODEL_NAMES,
    wire: dict | None = None,
    tol: float = 0.05,
) -> dict[str, nn.Module]:
    """SIREN, WIRE, MFN and O-INR (an :class:`OnGrid`) for a ``(channels, h, w)`` image, each sized
    to ``budget``.

    Settings from :data:`BASELINES` (``task`` picks WIRE's ``"represent"`` or ``"denoise"`` setting;
    ``wire={"w0": ...}`` overrides it); every model's width is chosen by
    :func:`inrutils.models.size_to_budget` (within ``tol``, 5 % by default, of ``budget``) and
    initialised after ``torch.manual_seed(seed)``.
    """
    if task not in TASKS:
        raise ValueError(f"task must be one of {TASKS}, got {task!r}")
    unknown = [n for n in names if n not in MODEL_NAMES]
    if unknown:
        raise ValueError(f"names must be among {MODEL_NAMES}, got {unknown}")
    build = _builders(channels, h, w, task, wire)
    out = {}
    for name in names:
        torch.manual_seed(seed)
        out[name] = size_to_budget(build[name], budget, tol=tol)
    return out


def fit_decay(
    model: nn.Module,
    image: torch.Tensor,
    steps: int,
    lr: float,
    reference: torch.Tensor | None = None,
    final_factor: float = FINAL_LR_FACTOR,
    progress: bool = False,
    callback=None,
) -> History:
    """``fit_image`` with Adam and an exponential learning-rate decay
    ``lr * final_factor ** (t / steps)``.

    The recipe every model of the comparison gets. ``image`` ``(C, H, W)`` is the training target,
    ``reference`` (same shape) the clean image the recorded PSNR is measured against;
    ``callback(step, model, history)`` is passed on to :func:`inrutils.fit.fit` (e.g. to keep the
    model's output at a chosen step).
    """
    if not (isinstance(final_factor, (int, float)) and 0 < final_factor <= 1):
        raise ValueError(
            f"final_factor must be in (0, 1] (1 = constant learning rate), got {final_factor!r}"
        )
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: final_factor ** min(t / steps, 1.0))

    return fit_image(
        model,
        image,
        steps,
        lr,
        reference=reference,
        optimizer=opt,
        scheduler=sched,
        callback=callback,
        progress=progress,
    )


__all__ = [
    "encoding_grid",
    "encoding_coords",
    "spacing",
    "degenerate_channels",
    "clean_size",
    "ContinuousConv2d",
    "OINR",
    "OnGrid",
    "pointwise_mlp",
    "fit_fields",
    "BASELINES",
    "LEARNING_RATES",
    "FINAL_LR_FACTOR",
    "baseline_models",
    "fit_decay",
]
