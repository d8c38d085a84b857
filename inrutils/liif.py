"""LIIF (Chen, Liu, Wang, CVPR 2021): a local implicit image function for arbitrary-scale
super-resolution.

An encoder turns a low-resolution image into a grid of latent codes ``z`` (one per LR pixel,
at the LR pixel centres ``v``). A shared MLP decodes the colour at any continuous coordinate
``x`` from a nearby code and the offset to it: ``I(x) = f(z*, x - v*)``. Three refinements:

- **feature unfolding** (``feat_unfold``): each code is the concatenation of its 3x3 neighbours;
- **local ensemble** (``local_ensemble``): decode from the four codes around ``x`` and blend them,
  each weighted by the area of the rectangle between ``x`` and the *diagonally opposite* code
  (bilinear-like weights that make the prediction continuous across code cells);
- **cell decoding** (``cell_decode``): the query also gets the size of the output pixel, so that
  the decoder knows how large an area it is asked to summarise.

Coordinates follow :func:`inrutils.coords.grid`: ``(y, x)`` pixel centres in [-1, 1]; a cell
of an ``H x W`` output is ``(2 / H, 2 / W)``. The decoder sees the offset ``x - v`` and the
cell multiplied by the LR size ``(h, w)`` (so one LR pixel is 2 units, as in the reference
code). Images are ``(C, H, W)`` in [0, 1]; the network sees ``(img - 0.5) / 0.5``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from .coords import grid
from .data import DATA_DIR, load_tagged
from .metrics import psnr

# ---------------------------------------------------------------------------------------------
# Encoder: EDSR-baseline without its upsampler (Lim et al., 2017)
# ---------------------------------------------------------------------------------------------


class ResBlock(nn.Module):
    """conv 3x3 - ReLU - conv 3x3, plus the input (EDSR's block: no batch norm)."""

    def __init__(self, n_feats: int, res_scale: float = 1.0):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
            nn.ReLU(True),
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
        )
        self.res_scale = res_scale

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x) * self.res_scale


class EDSREncoder(nn.Module):
    """EDSR without the upsampler: head conv, ``n_resblocks`` residual blocks, a conv, a global
    skip.

    ``EDSREncoder(16, 64)`` is EDSR-baseline (the paper's encoder); smaller ones suit a CPU.
    Output: ``(B, n_feats, H, W)``, one code per input pixel.
    """

    def __init__(self, n_resblocks: int = 16, n_feats: int = 64, in_channels: int = 3):
        super().__init__()
        self.head = nn.Conv2d(in_channels, n_feats, 3, padding=1)
        self.body = nn.Sequential(
            *[ResBlock(n_feats) for _ in range(n_resblocks)],
            nn.Conv2d(n_feats, n_feats, 3, padding=1),
        )
        self.out_dim = n_feats

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.head(x)
        return h + self.body(h)


# ---------------------------------------------------------------------------------------------
# LIIF
# ---------------------------------------------------------------------------------------------

SWITCHES = ("local_ensemble", "feat_unfold", "cell_decode")


def ensemble_weights(rel: torch.Tensor, eps: float = 1e-9) -> torch.Tensor:
    """LIIF's local-ensemble weights (paper, Eq. 4): ``rel`` ``(..., 4, 2)`` -> weights ``(..., 4)``
    summing to 1.

    ``rel[..., t, :]`` is the offset ``x - v_t`` from code ``t`` to the query, codes in the order
    (up-left, up-right, down-left, down-right). Code ``t`` is weighted by the area of the rectangle
    between the query and the *diagonally opposite* code, divided by the sum of the four areas.
    Because the four codes sit on two rows and two columns, that area rule factorises into one
    linear weight per axis, ``|ry_down| / (|ry_up| + |ry_down|)`` times the same along x, and
    this function computes it in that form. The two agree to ``eps`` everywhere except where the
    area rule degenerates: at the last row (column) of codes, both vertical (horizontal) shifts
    clamp onto the same code; if the query sits exactly on that code's row all four areas are 0,
    and the official code (areas + 1e-9) falls back to uniform weights, which stops the
    interpolation along the other axis too. Here that axis simply gets 1/2 for each of the two
    (identical) codes, and the other axis keeps its linear weights.
    """
    if rel.shape[-2:] != (4, 2):
        raise ValueError(
            f"rel must have shape (..., 4, 2) (four codes, (y, x) offsets), got {tuple(rel.shape)}"
        )
    ry, rx = rel[..., 0].abs(), rel[..., 1].abs()
    up = (ry[..., 2] + eps) / (ry[..., 0] + ry[..., 2] + 2 * eps)  # rows: codes 0, 1 up; 2, 3 down
    left = (rx[..., 1] + eps) / (
        rx[..., 0] + rx[..., 1] + 2 * eps
    )  # columns: codes 0, 2 left; 1, 3 right
    return torch.stack([up * left, up * (1 - left), (1 - up) * left, (1 - up) * (1 - left)], dim=-1)


class LIIF(nn.Module):
    """Encoder + local implicit decoder. ``query(feat, coord, cell)`` decodes any coordinates.

    ``config`` records the architecture and the three switches; a checkpoint is only loaded
    into a model with the same config (see :func:`load`).
    """

    def __init__(
        self,
        channels: int = 3,
        n_resblocks: int = 16,
        n_feats: int = 64,
        hidden: int = 256,
        layers: int = 5,
        local_ensemble: bool = True,
        feat_unfold: bool = True,
        cell_decode: bool = True,
    ):
        super().__init__()
        for arg, v in (
            ("channels", channels),
            ("n_feats", n_feats),
            ("hidden", hidden),
            ("layers", layers),
        ):
            if isinstance(v, bool) or not isinstance(v, int) or v < 1:
                raise ValueError(f"LIIF: {arg} must be a positive integer, got {v!r}")
        if layers < 2:
            raise ValueError(
                "LIIF: layers (of the decoder MLP, output layer included) must be >= 2, got "
                f"{layers}"
            )
        self.config = {
            "channels": channels,
            "n_resblocks": n_resblocks,
            "n_feats": n_feats,
            "hidden": hidden,
            "layers": layers,
            "local_ensemble": bool(local_ensemble),
            "feat_unfold": bool(feat_unfold),
            "cell_decode": bool(cell_decode),
        }
        self.channels = channels
        self.local_ensemble, self.feat_unfold, self.cell_decode = (
            bool(local_ensemble),
            bool(feat_unfold),
            bool(cell_decode),
        )
        self.encoder = EDSREncoder(n_resblocks, n_feats, channels)
        in_dim = n_feats * (9 if feat_unfold else 1) + 2 + (2 if cell_decode else 0)
        widths = [in_dim] + [hidden] * (layers - 1)
        mlp: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            mlp += [nn.Linear(a, b), nn.ReLU()]
        mlp.append(nn.Linear(widths[-1], channels))
        self.decoder = nn.Sequential(*mlp)

    # -- the two halves ------------------------------------------------------------------------
    def encode(self, lr: torch.Tensor) -> torch.Tensor:
        """Latent codes ``(B, C_z, h, w)`` of a batch of LR images ``(B, C, h, w)`` in [0, 1]
        (unfolded if switched on)."""
        feat = self.encoder((lr - 0.5) / 0.5)
        if self.feat_unfold:
            b, c, h, w = feat.shape
            feat = F.unfold(feat, 3, padding=1).view(b, c * 9, h, w)
        return feat

    def query(
        self, feat: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor | None = None
    ) -> torch.Tensor:
        """Decode ``(B, Q, C)`` values in [0, 1]-scale at ``coord`` ``(B, Q, 2)`` ((y, x) in [-1,
        1]) from codes ``feat``.

        ``cell`` ``(B, Q, 2)``: the output pixel size in the same units (needed when
        ``cell_decode``).
        """
        b, _, h, w = feat.shape
        if coord.ndim != 3 or coord.shape[-1] != 2 or coord.shape[0] != b:
            raise ValueError(f"coord must be (B={b}, Q, 2), got {tuple(coord.shape)}")
        if self.cell_decode and (cell is None or cell.shape != coord.shape):
            raise ValueError(
                "this LIIF decodes cells: cell must be given with the shape of coord "
                f"{tuple(coord.shape)}"
            )
        lr_size = torch.tensor([h, w], dtype=coord.dtype, device=coord.device)
        code_pos = (
            grid(h, w, device=feat.device, dtype=feat.dtype)
            .view(h, w, 2)
            .permute(2, 0, 1)[None]
            .expand(b, 2, h, w)
        )
        if self.local_ensemble:
            shifts = [
                (-1, -1),
                (-1, 1),
                (1, -1),
                (1, 1),
            ]  # the four codes around x: one LR pixel apart
            eps = 1e-6
        else:
            shifts, eps = [(0, 0)], 0.0
        half = 1.0 / lr_size  # half an LR pixel in [-1, 1] units (radius)
        preds, rels = [], []
        for sy, sx in shifts:
            q = coord.clone()
            q[..., 0] += sy * half[0] + eps  # + eps: a query on a cell border takes the next cell,
            q[..., 1] += sx * half[1] + eps  # so the four codes are always four distinct ones
            q = q.clamp(-1 + 1e-6, 1 - 1e-6)
            where = q.flip(-1)[:, None]  # grid_sample wants (x, y), shape (B, 1, Q, 2)
            z = F.grid_sample(feat, where, mode="nearest", align_corners=False)[:, :, 0].permute(
                0, 2, 1
            )
            v = F.grid_sample(code_pos, where, mode="nearest", align_corners=False)[
                :, :, 0
            ].permute(0, 2, 1)
            rel = (coord - v) * lr_size  # offset to the code, in LR pixels (x 2)
            inp = [z, rel]
            if self.cell_decode:
                inp.append(cell * lr_size)
            preds.append(self.decoder(torch.cat(inp, dim=-1)))
            rels.append(rel)
        if not self.local_ensemble:
            return preds[0] * 0.5 + 0.5
        weights = ensemble_weights(torch.stack(rels, dim=-2))  # (B, Q, 4)
        out = sum(p * weights[..., k, None] for k, p in enumerate(preds))
        return out * 0.5 + 0.5

    def forward(
        self, lr: torch.Tensor, coord: torch.Tensor, cell: torch.Tensor | None = None
    ) -> torch.Tensor:
        return self.query(self.encode(lr), coord, cell)


# ---------------------------------------------------------------------------------------------
# Using a model: coordinates, cells, upsampling at any real scale
# ---------------------------------------------------------------------------------------------


def cell_for(h: int, w: int, n: int = 1, device=None) -> torch.Tensor:
    """The cell ``(2 / h, 2 / w)`` of an ``h x w`` output, repeated for ``n`` queries:
    ``(n, 2)``."""
    return torch.tensor([2.0 / h, 2.0 / w], device=device).expand(n, 2)


def _check_image(img: torch.Tensor, channels: int) -> None:
    if not isinstance(img, torch.Tensor) or img.ndim != 3 or not img.is_floating_point():
        raise ValueError(
            f"img must be a float (C, H, W) tensor, got {getattr(img, 'shape', type(img).__name__)}"
        )
    if img.shape[0] not in (channels, 3 if channels == 1 else channels):
        raise ValueError(
            f"img has {img.shape[0]} channels; this model takes {channels}"
            + (" (or 3, processed one channel at a time)" if channels == 1 else "")
        )
    if float(img.min()) < -1e-6 or float(img.max()) > 1 + 1e-6:
        raise ValueError(
            f"img values must lie in [0, 1], got [{float(img.min()):.3g}, {float(img.max()):.3g}] "
            "(divide 8-bit images by 255)"
        )


def output_size(
    h: int, w: int, scale: float | None = None, size: int | tuple[int, int] | None = None
) -> tuple[int, int]:
    """The output size for ``scale`` (``round(h * scale), round(w * scale)``) or an explicit
    ``size``; validated."""
    if (scale is None) == (size is None):
        raise ValueError("give exactly one of scale=... (a real number > 0) or size=(H, W)")
    if size is not None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or any(
            isinstance(s, bool) or not isinstance(s, int) or s < 1 for s in size
        ):
            raise ValueError(
                f"size must be a positive int or a (H, W) pair of positive ints, got {size!r}"
            )
        return size
    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not math.isfinite(scale)
        or scale <= 0
    ):
        raise ValueError(f"scale must be a finite real number > 0, got {scale!r}")
    return max(1, round(h * scale)), max(1, round(w * scale))


@torch.no_grad()
def upsample(
    model: LIIF,
    img: torch.Tensor,
    scale: float | None = None,
    size: int | tuple[int, int] | None = None,
    chunk: int = 65536,
) -> torch.Tensor:
    """Render ``img`` ``(C, h, w)`` in [0, 1] at ``scale`` (any real > 0) or ``size=(H, W)``: a
    ``(C, H, W)`` CPU image.

    Queries are decoded ``chunk`` at a time, so large outputs need little memory. A model with
    one channel processes a colour image one channel at a time.
    """
    _check_image(img, model.channels)
    out_h, out_w = output_size(img.shape[1], img.shape[2], scale, size)
    if model.channels == 1 and img.shape[0] == 3:
        return torch.cat(
            [upsample(model, img[c : c + 1], size=(out_h, out_w), chunk=chunk) for c in range(3)]
        )
    dev = next(model.parameters()).device
    was_training = model.training
    model.eval()
    feat = model.encode(img[None].to(dev))
    coord = grid(out_h, out_w, device=dev)[None]
    cell = cell_for(out_h, out_w, coord.shape[1], dev)[None]
    out = torch.empty(coord.shape[1], model.channels)
    for s in range(0, coord.shape[1], chunk):
        out[s : s + chunk] = model.query(feat, coord[:, s : s + chunk], cell[:, s : s + chunk])[
            0
        ].cpu()
    model.train(was_training)
    return out.clamp(0, 1).T.reshape(model.channels, out_h, out_w)


# ---------------------------------------------------------------------------------------------
# Checkpoints
# ---------------------------------------------------------------------------------------------

FORMAT = "inrutils.LIIF/1"
PRETRAINED = {
    name: DATA_DIR / f"liif_{name}.pt"
    for name in ("cpu", "cpu-short", "cpu-no-ensemble", "cpu-no-unfold", "cpu-no-cell")
}


def save(model: LIIF, path: str | Path, dtype: torch.dtype = torch.float32, **meta) -> None:
    """Write ``model`` (config + weights, optionally as float16 to halve the file) and ``meta`` to
    ``path``."""
    state = {
        k: (v.to(dtype) if v.is_floating_point() else v) for k, v in model.state_dict().items()
    }
    torch.save({"format": FORMAT, "config": model.config, "state_dict": state, "meta": meta}, path)


def load(path: str | Path, model: LIIF | None = None, device=None, **expected) -> LIIF:
    """Load a LIIF checkpoint; with ``model`` or ``expected`` switches, refuse one built with other
    switches.

    ``load(path, local_ensemble=True)`` raises if the file was trained without local ensemble;
    the message names every switch (or size) that differs.
    """
    path = Path(path)
    blob = load_tagged(path, FORMAT, "LIIF checkpoint")
    config = blob["config"]
    wanted = dict(model.config) if model is not None else {}
    for k, v in expected.items():
        if k not in config:
            raise ValueError(f"unknown LIIF setting {k!r}; known: {', '.join(config)}")
        wanted[k] = v
    diff = [
        f"{k}: checkpoint {config[k]!r}, wanted {v!r}"
        for k, v in wanted.items()
        if config.get(k) != v
    ]
    if diff:
        raise ValueError(
            f"{path.name} was built with other settings than requested: " + "; ".join(diff)
        )
    model = LIIF(**config) if model is None else model
    model.load_state_dict(
        {k: v.float() if v.is_floating_point() else v for k, v in blob["state_dict"].items()}
    )
    model.checkpoint_meta = blob.get("meta", {})
    return model.to(device or "cpu").eval()


def pretrained(name: str = "cpu", device=None) -> LIIF:
    """A shipped checkpoint: ``"cpu"`` (the full model) or an ablation (``"cpu-no-ensemble"``, ...);
    see data/README.md."""
    if name not in PRETRAINED:
        raise ValueError(f"unknown pretrained LIIF {name!r}; available: {', '.join(PRETRAINED)}")
    return load(PRETRAINED[name], device=device)


# ---------------------------------------------------------------------------------------------
# Training data: random crops at a random scale (the paper's recipe)
# ---------------------------------------------------------------------------------------------

#: The course's demo images are held out; LIIF never trains on them.
HELD_OUT = ("camera", "astronaut", "coffee", "chelsea", "rocket")
#: Natural bundled images used for training (grey ones as they are; colour ones split into
#: channels).
TRAIN_IMAGES = (
    "brick",
    "grass",
    "gravel",
    "coins",
    "moon",
    "page",
    "text",
    "clock",
    "hubble_deep_field",
    "immunohistochemistry",
    "grace_hopper",
)


@dataclass
class Batch:
    lr: torch.Tensor  # (B, C, p, p) low-resolution patches in [0, 1]
    coord: torch.Tensor  # (B, Q, 2) query coordinates in the HR patch's frame
    cell: torch.Tensor  # (B, Q, 2)
    target: torch.Tensor  # (B, Q, C) HR values at the queries


def training_images(names=TRAIN_IMAGES, channels: int = 1) -> list[torch.Tensor]:
    """The training images as ``(channels, H, W)`` tensors at their native size.

    ``channels=1``: a colour image gives three single-channel images (the CPU models are
    single-channel). ``channels=3``: colour images as they are, grey ones repeated to three channels
    (the RGB paper preset).
    """
    from .data import load_image

    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3, got {channels!r}")
    overlap = sorted(set(names) & set(HELD_OUT))
    if overlap:
        raise ValueError(f"{overlap} are held out for evaluation and may not be used for training")
    out = []
    for n in names:
        img = load_image(n)
        if channels == 1:
            out += [img[c : c + 1] for c in range(img.shape[0])]
        else:
            out.append(img.expand(3, -1, -1).contiguous() if img.shape[0] == 1 else img)
    return out


def sample_batch(
    images: list[torch.Tensor],
    batch: int,
    patch: int,
    queries: int,
    scale_max: float = 4.0,
    generator: torch.Generator | None = None,
) -> Batch:
    """``batch`` training examples: scale ``s ~ U(1, scale_max)``, an HR crop of
    ``round(patch * s)`` pixels (random image, position, flips and transpose), its bicubic
    (antialiased) downsampling to ``patch x patch``, and ``queries`` random HR pixels with their
    coordinates and cells."""
    g = generator
    largest = max(min(i.shape[1:]) for i in images)
    if largest < round(patch * scale_max):
        raise ValueError(
            f"no training image is large enough for a {patch}-pixel LR patch at scale {scale_max} "
            f"(needs {round(patch * scale_max)} pixels, the largest has {largest})"
        )
    lrs, coords, cells, targets = [], [], [], []
    for _ in range(batch):
        s = 1 + (scale_max - 1) * float(torch.rand(1, generator=g))
        hr_size = round(patch * s)
        img = images[int(torch.randint(len(images), (1,), generator=g))]
        while min(img.shape[1:]) < hr_size:
            img = images[int(torch.randint(len(images), (1,), generator=g))]
        y0 = int(torch.randint(img.shape[1] - hr_size + 1, (1,), generator=g))
        x0 = int(torch.randint(img.shape[2] - hr_size + 1, (1,), generator=g))
        hr = img[:, y0 : y0 + hr_size, x0 : x0 + hr_size]
        if torch.rand(1, generator=g) < 0.5:
            hr = hr.flip(-1)
        if torch.rand(1, generator=g) < 0.5:
            hr = hr.flip(-2)
        if torch.rand(1, generator=g) < 0.5:
            hr = hr.transpose(-1, -2)
        lr = downscale(hr, (patch, patch))
        pick = torch.randperm(hr_size * hr_size, generator=g)[:queries]
        coords.append(grid(hr_size, hr_size)[pick])
        cells.append(cell_for(hr_size, hr_size, len(pick)))
        targets.append(hr.reshape(hr.shape[0], -1).T[pick])
        lrs.append(lr)
    return Batch(torch.stack(lrs), torch.stack(coords), torch.stack(cells), torch.stack(targets))


def downscale(img: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Antialiased bicubic resize of ``(C, H, W)`` to ``size`` (any ratio), clipped to [0, 1]: how
    LR inputs are made.

    For integer factors this equals :func:`inrutils.degrade.downsample` with ``method="bicubic"``.
    """
    return F.interpolate(img[None], size=size, mode="bicubic", antialias=True, align_corners=False)[
        0
    ].clamp(0, 1)


def psnr_shaved(pred: torch.Tensor, target: torch.Tensor, shave: int = 0) -> float:
    """:func:`inrutils.metrics.psnr` of ``(C, H, W)`` images after cutting ``shave`` pixels from
    every border (as SR papers do)."""
    if pred.shape != target.shape:
        raise ValueError(
            f"pred and target shapes differ: {tuple(pred.shape)} vs {tuple(target.shape)}"
        )
    if shave:
        pred, target = pred[:, shave:-shave, shave:-shave], target[:, shave:-shave, shave:-shave]
    return psnr(pred, target)


# ---------------------------------------------------------------------------------------------
# Evaluation on native crops (the paper's protocol, on the images we ship)
# ---------------------------------------------------------------------------------------------

SHAVES = ("scale", "scale+6")


@dataclass
class EvalPair:
    name: str
    scale: float
    hr: torch.Tensor  # (C, H, W): a slice of the stored image, H and W multiples of the scale
    lr: torch.Tensor  # (C, H / scale, W / scale): its antialiased bicubic downsampling
    box: tuple[int, int]  # (y0, x0) of ``hr`` in the stored image


def eval_pair(
    name: str, scale: float, size: int | tuple[int, int] | None = None, gray: bool = True
) -> EvalPair:
    """An HR/LR test pair cut from the stored image ``name`` at its native resolution (never
    resized).

    ``size`` (optional) limits the HR crop to a centred ``size`` window of the stored pixels (to
    keep CPU evaluation short); the crop is then cut at its bottom/right edge to
    ``round(h_lr * scale)`` rows with ``h_lr = floor(H / scale)`` (and the same for columns), as the
    official code does, and the LR input is :func:`downscale` of it. ``gray=True`` converts colour
    images to luminance (``skimage.color.rgb2gray``, ITU-R BT.709 weights); ``False`` keeps RGB.
    """
    from .data import load_image

    if (
        isinstance(scale, bool)
        or not isinstance(scale, (int, float))
        or not math.isfinite(scale)
        or scale < 1
    ):
        raise ValueError(f"scale must be a finite real number >= 1, got {scale!r}")
    full = load_image(name, gray=gray)
    h, w = full.shape[1:]
    if size is not None:
        size = (size, size) if isinstance(size, int) else tuple(size)
        if len(size) != 2 or any(
            isinstance(v, bool) or not isinstance(v, int) or v < 1 for v in size
        ):
            raise ValueError(
                f"size must be a positive int or a (H, W) pair of positive ints, got {size!r}"
            )
        h, w = min(h, size[0]), min(w, size[1])
    y0, x0 = (full.shape[1] - h) // 2, (full.shape[2] - w) // 2
    h_lr, w_lr = math.floor(h / scale + 1e-9), math.floor(w / scale + 1e-9)
    if min(h_lr, w_lr) < 1:
        raise ValueError(
            f"a {h}x{w} crop of {name!r} is smaller than one LR pixel at scale {scale}"
        )
    hr = full[:, y0 : y0 + round(h_lr * scale), x0 : x0 + round(w_lr * scale)]
    return EvalPair(name, scale, hr, downscale(hr, (h_lr, w_lr)), (y0, x0))


def shave_for(scale: float, shave: str | int = "scale") -> int:
    """Border pixels cut before PSNR: ``"scale"`` (benchmark sets; ceil(scale)), ``"scale+6"`` (the
    paper's DIV2K columns, as in the official code), or an explicit non-negative int."""
    if isinstance(shave, str):
        if shave not in SHAVES:
            raise ValueError(
                f"shave must be one of {', '.join(map(repr, SHAVES))} or an int >= 0, got {shave!r}"
            )
        return math.ceil(scale) + (6 if shave == "scale+6" else 0)
    if isinstance(shave, bool) or not isinstance(shave, int) or shave < 0:
        raise ValueError(
            f"shave must be one of {', '.join(map(repr, SHAVES))} or an int >= 0, got {shave!r}"
        )
    return shave


def evaluate(
    model: LIIF,
    scales=(2, 3, 4),
    names=HELD_OUT,
    size: int | tuple[int, int] | None = None,
    gray: bool = True,
    shave: str | int = "scale",
) -> list[dict]:
    """PSNR of LIIF and of bicubic interpolation on native crops (:func:`eval_pair`) of ``names`` at
    each scale.

    Returns one row per (scale, image): ``{"scale", "image", "hr_size", "bicubic", "liif"}`` (dB,
    after cutting :func:`shave_for` border pixels). The baseline is
    :func:`inrutils.degrade.upsample_bicubic` (Keys a = -0.75, no antialiasing, pixel-centre
    aligned).
    """
    from .degrade import upsample_bicubic

    rows = []
    for s in scales:
        cut = shave_for(s, shave)
        for name in names:
            pair = eval_pair(name, s, size, gray)
            out = tuple(pair.hr.shape[1:])
            rows.append(
                {
                    "scale": s,
                    "image": name,
                    "hr_size": out,
                    "bicubic": psnr_shaved(upsample_bicubic(pair.lr, size=out), pair.hr, cut),
                    "liif": psnr_shaved(upsample(model, pair.lr, size=out), pair.hr, cut),
                }
            )
    return rows


__all__ = [
    "EDSREncoder",
    "LIIF",
    "SWITCHES",
    "ensemble_weights",
    "HELD_OUT",
    "TRAIN_IMAGES",
    "Batch",
    "cell_for",
    "output_size",
    "upsample",
    "save",
    "load",
    "pretrained",
    "training_images",
    "sample_batch",
    "downscale",
    "psnr_shaved",
    "EvalPair",
    "eval_pair",
    "shave_for",
    "SHAVES",
    "evaluate",
]
