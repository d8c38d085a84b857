"""Neural Knitworks (Czerkawski et al., 2021): a patch-based INR with cross-patch consistency and a
patch GAN.

A coordinate network predicts, at each pixel ``p``, not one value but a stack of ``k x k`` patches
(``k = 2 * margin + 1``) centred on ``p``, one per *dilation* ``d``: the patch at dilation ``d``
samples the image at ``p + d * (i - margin, j - margin)``, so one stack sees a wide neighbourhood
with few numbers. Overlapping patches must agree (**cross-patch consistency**), a deep *linear*
**Reconstructor** turns a stack back into the pixel, and an MLP patch **Discriminator** judges
whether predicted stacks look like fully observed stacks of the image (internal statistics as a
prior). Defaults follow the official code (``strath-ai/neural-knitworks``): inpainting uses
``margin=2`` and dilations ``(1, 8)`` without blurring the dilated copies; the Reconstructor is 8
linear layers of width 8 without bias and a sigmoid; the adversarial weight is ``1e-4``.

Losses (:func:`train`): ``recon`` (masked MSE over patch elements, summed over channels, as the
official code) + ``alpha * xpatch`` + ``beta * pixel`` (MSE through the Reconstructor, summed over
channels) + ``gamma * adversarial`` (BCE on the predicted stacks of the visible *and* the hidden
pixels). Shapes: images ``(C, H, W)`` in [0, 1]; ``P`` pixels' stacks are ``(P, S, C, k, k)``.
Blind super-resolution lives in :mod:`inrutils.blindsr`.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .coords import grid
from .degrade import check_image, check_mask
from .encodings import FourierFeatures
from .metrics import psnr


def _check_geometry(dilations: tuple[int, ...], margin: int) -> tuple[tuple[int, ...], int]:
    if isinstance(margin, bool) or not isinstance(margin, int) or margin < 1:
        raise ValueError(
            f"margin must be a positive integer (1: 3x3 patches, 2: 5x5), got {margin!r}"
        )
    dil = tuple(dilations)
    if not dil or any(isinstance(d, bool) or not isinstance(d, int) or d < 1 for d in dil):
        raise ValueError(f"dilations must be positive integers, e.g. (1, 8), got {dilations!r}")
    return dil, margin


def _unfold(layer: torch.Tensor, d: int, margin: int, value: float | None) -> torch.Tensor:
    """``(C, H, W)`` -> ``(H * W, C, k, k)`` patches at dilation ``d``; outside the image: replicate
    or ``value``."""
    c, h, w = layer.shape
    pad = (d * margin,) * 4
    padded = (
        F.pad(layer[None], pad, mode="replicate")
        if value is None
        else F.pad(layer[None], pad, value=value)
    )
    k = 2 * margin + 1
    return F.unfold(padded, k, dilation=d)[0].T.reshape(h * w, c, k, k)


def extract_patches(
    img: torch.Tensor, dilations: tuple[int, ...] = (1,), margin: int = 1
) -> torch.Tensor:
    """All patch stacks of ``img`` ``(C, H, W)``: ``(H * W, S, C, k, k)``, row-major pixels, one
    scale per dilation.

    Element ``(i, j)`` of scale ``s`` at pixel ``(y, x)`` is
    ``img[:, y + d_s (i - margin), x + d_s (j - margin)]``; positions outside the image repeat the
    border pixel (:func:`patch_mask` marks them unobserved).
    """
    check_image(img)
    dilations, margin = _check_geometry(dilations, margin)
    return torch.stack([_unfold(img, d, margin, None) for d in dilations], dim=1)


def patch_mask(
    mask: torch.Tensor, dilations: tuple[int, ...] = (1,), margin: int = 1
) -> torch.Tensor:
    """Per patch element, 1 where it is observed: the mask ``(1, H, W)`` cut like
    :func:`extract_patches`, ``(H * W, S, 1, k, k)``; elements outside the image are 0 (unobserved),
    as in the official code."""
    dilations, margin = _check_geometry(dilations, margin)
    return torch.stack([_unfold(mask[:1].float(), d, margin, 0.0) for d in dilations], dim=1)


def fully_observed(
    mask: torch.Tensor, dilations: tuple[int, ...] = (1,), margin: int = 1
) -> torch.Tensor:
    """``(H * W,)`` booleans: True where the pixel's patch stack contains no hidden pixel of
    ``mask`` ``(1, H, W)`` (elements outside the image do not count as hidden): the stacks a
    discriminator may be shown as real."""
    dilations, margin = _check_geometry(dilations, margin)
    hidden = torch.stack([_unfold(1 - mask[:1].float(), d, margin, 0.0) for d in dilations], dim=1)
    return hidden.flatten(1).sum(1) == 0


class PatchMLP(nn.Module):
    """Coordinates ``(N, 2)`` -> patch stacks ``(N, S, C, k, k)``: Gaussian Fourier features, ReLU
    layers, sigmoid.

    The paper's generator: 4 layers of 256 behind 256 Fourier features (official scale 10 on [0, 1]
    coordinates, ``sigma=5`` on ours in [-1, 1]). ``feature_seed`` draws the frequency matrix (the
    layers are initialised from torch's global generator).
    """

    def __init__(
        self,
        channels: int = 3,
        n_scales: int = 2,
        margin: int = 2,
        hidden: int = 256,
        layers: int = 4,
        n_features: int = 256,
        sigma: float = 5.0,
        feature_seed: int = 0,
    ):
        super().__init__()
        self.channels, self.n_scales, self.k = channels, n_scales, 2 * margin + 1
        self.encoding = FourierFeatures(2, n_features, sigma, seed=feature_seed)
        widths = [self.encoding.out_dim] + [hidden] * (layers - 1)
        body: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            body += [nn.Linear(a, b), nn.ReLU()]
        body += [nn.Linear(widths[-1], n_scales * channels * self.k**2), nn.Sigmoid()]
        self.net = nn.Sequential(*body)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        return self.net(self.encoding(coords)).view(
            -1, self.n_scales, self.channels, self.k, self.k
        )


class Reconstructor(nn.Module):
    """A patch stack ``(N, S, C, k, k)`` -> its centre pixel ``(N, C)``: ``depth`` linear layers of
    ``width``, no bias and no activation between them, then a sigmoid (the official Patch
    Reconstructor)."""

    def __init__(
        self, channels: int = 3, n_scales: int = 2, margin: int = 2, width: int = 8, depth: int = 8
    ):
        super().__init__()
        if depth < 2:
            raise ValueError(f"depth must be at least 2 (input and output layer), got {depth!r}")
        widths = [n_scales * channels * (2 * margin + 1) ** 2] + [width] * (depth - 1) + [channels]
        self.net = nn.Sequential(
            *[nn.Linear(a, b, bias=False) for a, b in itertools.pairwise(widths)], nn.Sigmoid()
        )

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        return self.net(patches.flatten(1))


class Discriminator(nn.Module):
    """A patch stack ``(N, S, C, k, k)`` -> a real/fake logit ``(N,)``: LeakyReLU(0.2) layers of
    ``hidden`` (official: 256, 256, 128, 64, 32, 16), then linear; the sigmoid lives in the
    BCE-with-logits loss."""

    def __init__(
        self,
        channels: int = 3,
        n_scales: int = 2,
        margin: int = 2,
        hidden: tuple[int, ...] = (256, 256, 128, 64, 32, 16),
    ):
        super().__init__()
        widths = [n_scales * channels * (2 * margin + 1) ** 2, *hidden]
        body: list[nn.Module] = []
        for a, b in itertools.pairwise(widths):
            body += [nn.Linear(a, b), nn.LeakyReLU(0.2)]
        self.net = nn.Sequential(*body, nn.Linear(widths[-1], 1))

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        return self.net(patches.flatten(1))[:, 0]


def recon_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Squared error summed over channels, averaged over observed elements (``mask``
    ``(P, S, 1, k, k)``)."""
    m = mask.expand_as(pred[:, :, :1])
    return ((pred - target).pow(2).sum(2, keepdim=True) * m).sum() / m.sum().clamp_min(1)


def xpatch_loss(
    pred: torch.Tensor, h: int, w: int, dilations: tuple[int, ...] = (1,)
) -> torch.Tensor:
    """Cross-patch consistency of predictions ``(H * W, S, C, k, k)`` on the whole ``h x w`` grid.

    Element ``(i, j)`` of scale ``s`` at pixel ``p`` claims the value of pixel
    ``q = p + d_s (i - m, j - m)``; it is compared with the scale-0 centre predicted *at* ``q``.
    Pairs whose ``q`` falls outside the image are left out. The loss sums, over scales and
    elements, the mean squared difference over the valid pixels and channels (official code).
    Zero for patches cut from any image by :func:`extract_patches`.
    """
    if pred.shape[0] != h * w:
        raise ValueError(
            f"xpatch_loss needs the predictions on the whole {h}x{w} grid, got {pred.shape[0]} "
            "patches"
        )
    if pred.shape[1] != len(dilations):
        raise ValueError(
            f"pred has {pred.shape[1]} scales but {len(dilations)} dilations were given"
        )
    k = pred.shape[-1]
    m = k // 2
    field_ = pred.view(h, w, *pred.shape[1:])  # (H, W, S, C, k, k)
    centre = field_[:, :, 0, :, m, m]  # (H, W, C)
    total = pred.new_zeros(())
    for s, d in enumerate(dilations):
        for i in range(k):
            for j in range(k):
                dy, dx = (i - m) * d, (j - m) * d
                if abs(dy) >= h or abs(dx) >= w:
                    continue
                ys, xs = slice(max(0, -dy), h - max(0, dy)), slice(max(0, -dx), w - max(0, dx))
                yq, xq = slice(max(0, dy), h + min(0, dy)), slice(max(0, dx), w + min(0, dx))
                total = total + (field_[ys, xs, s, :, i, j] - centre[yq, xq]).pow(2).mean()
    return total


def pixel_loss(
    reconstructor: nn.Module, pred: torch.Tensor, target_pixels: torch.Tensor, mask: torch.Tensor
) -> torch.Tensor:
    """Squared error summed over channels between ``reconstructor(pred)`` and the pixels ``(N, C)``,
    averaged over the observed ones (``mask`` ``(N, 1)``)."""
    err = (reconstructor(pred) - target_pixels).pow(2).sum(1, keepdim=True)
    return (err * mask).sum() / mask.sum().clamp_min(1)


def adversarial_loss(logits: torch.Tensor, real: bool) -> torch.Tensor:
    """BCE on the discriminator's logits: targets 1 for real, 0 for fake (no label smoothing, as the
    official code)."""
    target = torch.full_like(logits, 1.0 if real else 0.0)
    return F.binary_cross_entropy_with_logits(logits, target)


@dataclass
class KnitworkHistory:
    """Losses every ``eval_every`` steps; with a ``reference``, the PSNR of the rendered image on
    all pixels (``psnr``) and, when some are hidden, on the hidden and the visible ones."""

    step: list[int] = field(default_factory=list)
    recon: list[float] = field(default_factory=list)
    xpatch: list[float] = field(default_factory=list)
    pixel: list[float] = field(default_factory=list)
    adv: list[float] = field(default_factory=list)
    disc: list[float] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)
    hole_psnr: list[float] = field(default_factory=list)
    visible_psnr: list[float] = field(default_factory=list)

    def log(self, step: int, **losses: torch.Tensor) -> None:
        self.step.append(step)
        for name, v in losses.items():
            getattr(self, name).append(float(v.detach()))


class DivergedError(FloatingPointError):
    """A loss became NaN/inf during Knitwork training."""


class Knitwork(nn.Module):
    """The three networks of a Knitwork; :meth:`render` gives the image. Defaults: the official
    inpainting setting (5x5 patches at dilations 1 and 8, generator 4 x 256, linear Reconstructor 8
    x 8, discriminator 256..16)."""

    def __init__(
        self,
        channels: int = 3,
        dilations: tuple[int, ...] = (1, 8),
        margin: int = 2,
        hidden: int = 256,
        layers: int = 4,
        n_features: int = 256,
        sigma: float = 5.0,
        recon_width: int = 8,
        recon_depth: int = 8,
        disc_hidden: tuple[int, ...] = (256, 256, 128, 64, 32, 16),
        feature_seed: int = 0,
    ):
        super().__init__()
        self.dilations, self.margin = _check_geometry(dilations, margin)
        s = len(self.dilations)
        self.generator = PatchMLP(
            channels, s, margin, hidden, layers, n_features, sigma, feature_seed
        )
        self.reconstructor = Reconstructor(channels, s, margin, recon_width, recon_depth)
        self.discriminator = Discriminator(channels, s, margin, disc_hidden)
        self.channels = channels

    @torch.no_grad()
    def render(self, h: int, w: int, use_reconstructor: bool = True) -> torch.Tensor:
        """The image on an ``h x w`` grid: the Reconstructor's pixels (or the scale-0 centres);
        ``(C, h, w)``."""
        pred = self.generator(grid(h, w, device=next(self.parameters()).device))
        pix = (
            self.reconstructor(pred)
            if use_reconstructor
            else pred[:, 0, :, self.margin, self.margin]
        )
        return pix.T.reshape(self.channels, h, w).clamp(0, 1).cpu()


def _check_weights(**weights: float) -> None:
    for name, v in weights.items():
        if isinstance(v, bool) or not (isinstance(v, (int, float)) and v >= 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be a finite weight >= 0, got {v!r}")


def discriminator_step(
    model: nn.Module,
    opt: torch.optim.Optimizer,
    real: torch.Tensor | list[torch.Tensor],
    fake: torch.Tensor | list[torch.Tensor],
    step: int,
) -> torch.Tensor:
    """One discriminator update, BCE; raises :class:`DivergedError`.

    ``real`` and ``fake`` (detached here) are stacks, or lists of them with one entry per region (as
    the official code: the "known" and the "novel" region). Each region's term is the BCE over its
    fakes and as many real stacks, mixed (the mean of the real and the fake BCE when their counts
    are equal); the terms are summed, so a small hole weighs as much as the rest of the image.
    """
    reals, fakes = (real, fake) if isinstance(fake, (list, tuple)) else ([real], [fake])
    if len(reals) != len(fakes):
        raise ValueError(
            f"real has {len(reals)} regions and fake {len(fakes)}; give one per region"
        )
    l_d = sum(
        (
            (
                adversarial_loss(model.discriminator(r), True) * len(r)
                + adversarial_loss(model.discriminator(f.detach()), False) * len(f)
            )
            / (len(r) + len(f))
            for r, f in zip(reals, fakes)
        ),
        torch.zeros((), device=fakes[0].device),
    )
    if not torch.isfinite(l_d):
        raise DivergedError(
            f"step {step}: the discriminator loss became {l_d.item()}; lower lr or gamma"
        )
    opt.zero_grad(set_to_none=True)
    l_d.backward()
    opt.step()
    return l_d


def _adv_indices(
    n: int, hidden: torch.Tensor, batch: int, gen: torch.Generator, dev
) -> list[torch.Tensor]:
    """Pixels whose predicted stacks the adversarial terms see: a random batch of all pixels and,
    when there are hidden pixels, a random batch of those (the official code's "known" and "novel"
    terms, equal weights)."""
    out = [torch.randint(n, (min(batch, n),), generator=gen)]
    if len(hidden):
        out.append(hidden[torch.randint(len(hidden), (min(batch, len(hidden)),), generator=gen)])
    return [i.to(dev) for i in out]


def train(
    model: Knitwork,
    observed: torch.Tensor,
    mask: torch.Tensor | None = None,
    steps: int = 1000,
    lr: float = 1e-3,
    alpha: float = 1e-5,
    beta: float = 1.0,
    gamma: float = 1e-4,
    adv_batch: int = 1024,
    reference: torch.Tensor | None = None,
    seed: int = 0,
    eval_every: int = 50,
    progress: bool = False,
) -> KnitworkHistory:
    """Train a Knitwork on ``observed`` ``(C, H, W)`` with ``mask`` ``(1, H, W)`` (1 = observed;
    default all).

    Each step, on the whole grid: a generator step on ``recon + alpha * xpatch + beta * pixel +
    gamma * adversarial`` (the discriminator should call predicted stacks real, those of visible and
    of hidden pixels alike), then, when ``gamma > 0``, a discriminator step (real: fully observed
    stacks of ``observed``, those with no hidden pixel; elements outside the image repeat the
    border; fake: predicted stacks). Defaults are the official weights for
    inpainting and denoising (``alpha=1e-5``, ``gamma=1e-4``; the official code ramps ``alpha`` up
    with a sigmoid, here it is constant). ``adv_batch`` stacks are drawn per step for each side of
    the adversarial terms (the official code uses all; this bounds the CPU cost). Seeded; a NaN/inf
    loss raises :class:`DivergedError` naming it.
    """
    check_image(observed, "observed")
    c, h, w = observed.shape
    mask = torch.ones(1, h, w) if mask is None else check_mask(mask, (c, h, w))[:1].float()
    if c != model.channels:
        raise ValueError(f"observed has {c} channels; this Knitwork was built for {model.channels}")
    _check_weights(alpha=alpha, beta=beta, gamma=gamma)
    dev = next(model.parameters()).device
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    dil, mg = model.dilations, model.margin
    target = extract_patches(observed, dil, mg).to(dev)
    pmask = patch_mask(mask, dil, mg).to(dev)
    pixels = observed.reshape(c, -1).T.to(dev)
    pix_mask = mask.reshape(-1, 1).to(dev)
    real_pool = target[fully_observed(mask, dil, mg).to(dev)]  # no hidden pixel inside the image
    if gamma > 0 and len(real_pool) == 0:
        raise ValueError(
            "no fully observed patch stack to show the discriminator: the image is too small for "
            f"the dilations {dil} or the mask hides too much (or set gamma=0)"
        )
    hidden = torch.nonzero(mask.flatten() == 0)[:, 0]
    coords = grid(h, w, device=dev)
    opt_g = torch.optim.Adam(
        list(model.generator.parameters()) + list(model.reconstructor.parameters()), lr=lr
    )
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=lr)
    hist = KnitworkHistory()
    zero = torch.zeros((), device=dev)
    for step in tqdm(range(1, steps + 1), desc="knitwork", disable=not progress):
        pred = model.generator(coords)
        l_rec = recon_loss(pred, target, pmask)
        l_x = xpatch_loss(pred, h, w, dil) if alpha > 0 else zero
        l_pix = pixel_loss(model.reconstructor, pred, pixels, pix_mask) if beta > 0 else zero
        fakes = (
            [pred[i] for i in _adv_indices(h * w, hidden, adv_batch, gen, dev)] if gamma > 0 else []
        )
        l_adv = sum((adversarial_loss(model.discriminator(f), True) for f in fakes), zero)
        for name, v in (
            ("reconstruction", l_rec),
            ("consistency", l_x),
            ("pixel", l_pix),
            ("adversarial", l_adv),
        ):
            if not torch.isfinite(v):
                raise DivergedError(
                    f"step {step}: the {name} loss became {v.item()}; lower lr (now {lr})"
                )
        opt_g.zero_grad(set_to_none=True)
        (l_rec + alpha * l_x + beta * l_pix + gamma * l_adv).backward()
        opt_g.step()
        l_d = zero
        if gamma > 0:
            real = [
                real_pool[torch.randint(len(real_pool), (len(f),), generator=gen).to(dev)]
                for f in fakes
            ]
            l_d = discriminator_step(model, opt_d, real, fakes, step)
        if step % eval_every == 0 or step == steps:
            hist.log(step, recon=l_rec, xpatch=l_x, pixel=l_pix, adv=l_adv, disc=l_d)
            if reference is not None:
                out = model.render(h, w, use_reconstructor=beta > 0)
                hist.psnr.append(psnr(out, reference.cpu(), clip=False))
                if len(hidden):
                    seen = mask[0].bool()
                    hist.hole_psnr.append(psnr(out, reference.cpu(), mask=~seen, clip=False))
                    hist.visible_psnr.append(psnr(out, reference.cpu(), mask=seen, clip=False))
    return hist


__all__ = [
    "Discriminator",
    "DivergedError",
    "Knitwork",
    "KnitworkHistory",
    "PatchMLP",
    "Reconstructor",
    "adversarial_loss",
    "discriminator_step",
    "extract_patches",
    "fully_observed",
    "patch_mask",
    "pixel_loss",
    "recon_loss",
    "train",
    "xpatch_loss",
]
