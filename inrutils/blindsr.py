"""Blind super-resolution with a Neural Knitwork: the image and the downscaling kernel learned
jointly.

The paper (Czerkawski et al., 2021, and ``strath-ai/neural-knitworks``'s ``SuperResolver``) learns
the unknown blur kernel *together* with the high-resolution image: a :class:`DeepLinearKernel`
(a KernelGAN-style product of linear convolutions, Bell-Kligler et al. 2019) downscales the
Knitwork's high-resolution image, and the loss asks that downscaled image to equal the observed
low-resolution one, plus ``|1 - sum(k)|`` to keep the kernel's mass at 1. Cross-patch consistency
and a patch discriminator that compares predicted high-resolution stacks with stacks cut from the
low-resolution image (patches recur across scales) supply the prior. Images ``(C, H, W)`` in [0, 1].
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from .coords import grid
from .degrade import check_image
from .knitwork import (
    DivergedError,
    Knitwork,
    KnitworkHistory,
    _check_weights,
    adversarial_loss,
    discriminator_step,
    extract_patches,
    xpatch_loss,
)
from .metrics import psnr


def kernel_downscale(img: torch.Tensor, kernel: torch.Tensor, factor: int) -> torch.Tensor:
    """The SR forward model: convolve ``(C, H, W)`` with ``kernel`` ``(s, s)`` (reflect padding; the
    kernel need not sum to 1 while it is being learned), keep every ``factor``-th pixel starting at
    ``factor // 2``."""
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    r = kernel.shape[-1] // 2
    padded = F.pad(img[None], (r, r, r, r), mode="reflect")[0][:, None]  # (C, 1, H + 2r, W + 2r)
    out = F.conv2d(padded, kernel.flip(0, 1)[None, None].to(img))[:, 0]  # flip: a true convolution
    return out[:, factor // 2 :: factor, factor // 2 :: factor]


def hr_coords(h_lr: int, w_lr: int, factor: int) -> torch.Tensor:
    """Where the pixels of the ``factor``-times larger image lie in the low-resolution frame,
    under :func:`kernel_downscale`'s sampling: ``(h_lr * factor * w_lr * factor, 2)`` ``(y, x)``
    coordinates, row-major, in the ``[-1, 1]`` pixel-centre frame of ``coords.grid(h_lr, w_lr)``.

    :func:`kernel_downscale` keeps high-resolution pixel ``factor * i + factor // 2`` as
    low-resolution pixel ``i``, so high-resolution pixel ``j`` sits at low-resolution index
    ``(j - factor // 2) / factor``. A baseline that works in the low-resolution frame (bicubic
    interpolation, an INR fitted to the low-resolution pixels) must be evaluated there: the usual
    ``align_corners=False`` grid puts it half a high-resolution pixel elsewhere for even factors.
    """
    for arg, v in (("h_lr", h_lr), ("w_lr", w_lr), ("factor", factor)):
        if isinstance(v, bool) or not isinstance(v, int) or v < 1:
            raise ValueError(f"{arg} must be a positive integer, got {v!r}")
    axes = [
        (2 * (torch.arange(n * factor, dtype=torch.float32) - factor // 2) / factor + 1) / n - 1
        for n in (h_lr, w_lr)
    ]
    return torch.stack(torch.meshgrid(*axes, indexing="ij"), dim=-1).reshape(-1, 2)


def bicubic_baseline(low: torch.Tensor, factor: int) -> torch.Tensor:
    """Bicubic interpolation of ``low`` ``(C, h, w)`` to ``(C, h * factor, w * factor)`` on
    :func:`hr_coords`: aligned with :func:`kernel_downscale` (borders repeat the edge); clipped."""
    check_image(low, "low", range01=False)
    c, h, w = low.shape
    yx = hr_coords(h, w, factor).to(low)
    g = yx.flip(-1).reshape(1, h * factor, w * factor, 2)  # grid_sample wants (x, y)
    out = F.grid_sample(low[None], g, mode="bicubic", padding_mode="border", align_corners=False)
    return out[0].clamp(0, 1)


class DeepLinearKernel(nn.Module):
    """A blur kernel as a product of linear convolutions without bias or nonlinearity (KernelGAN's
    generator, as the official ``LearnedDownsampler``).

    ``sizes`` are the layers' kernel sizes (odd; official and KernelGAN: 7, 5, 3, 1, 1, 1 with
    ``width`` 64). ``composition`` says how the layers become one kernel:

    - ``"official"`` (default): the official ``net_kernel``, which passes a delta through the layers
      with zero padding ``sizes[0] - 1`` for the first and 1 for the others. The padding crops: with
      the default sizes only a 5x5 block is non-zero, and that block is what :meth:`kernel` returns
      (``size`` 5). PyTorch's default initialisation, as the official code (the raw kernel then sums
      to about 0.02; the ``|1 - sum(k)|`` term lifts it).
    - ``"full"``: the whole ``sum(sizes) - len(sizes) + 1`` composite (13x13), as KernelGAN's
      ``calc_curr_k``, initialised near a delta.

    :meth:`kernel` returns it raw (``normalise=False``, what the joint loss sees) or summing to 1,
    as a convolution kernel for :func:`kernel_downscale`. With the official composition the
    downscaling cross-correlates the image with the official ``net_kernel`` block; the official
    code transposes the image around that step, so its kernel is ours transposed (the same family;
    learning is symmetric under the transpose).
    """

    COMPOSITIONS = ("official", "full")

    def __init__(
        self, sizes: tuple[int, ...] = (7, 5, 3, 1, 1, 1), width: int = 64, composition="official"
    ):
        super().__init__()
        if any(isinstance(k, bool) or not isinstance(k, int) or k < 1 or k % 2 == 0 for k in sizes):
            raise ValueError(f"kernel sizes must be odd positive integers, got {sizes}")
        if composition not in self.COMPOSITIONS:
            raise ValueError(f"composition must be one of {self.COMPOSITIONS}, got {composition!r}")
        chans = [1] + [width] * (len(sizes) - 1) + [1]
        self.composition = composition
        self.layers = nn.ModuleList(
            nn.Conv2d(a, b, k, bias=False) for a, b, k in zip(chans[:-1], chans[1:], sizes)
        )
        if composition == "full":
            self.size = sum(sizes) - len(sizes) + 1
            with torch.no_grad():
                for layer in self.layers:
                    cin, k = layer.weight.shape[1], layer.weight.shape[-1]
                    layer.weight.normal_(0.0, 1e-3 / cin)
                    layer.weight[:, :, k // 2, k // 2] += 1.0 / cin
        else:
            # Which entries of the official array can be non-zero: the same padding with all-one
            # weights.
            ones = [torch.ones_like(layer.weight) for layer in self.layers]
            support = self._official(ones)[0, 0] != 0
            rows, cols = torch.nonzero(support.any(1))[:, 0], torch.nonzero(support.any(0))[:, 0]
            n = support.shape[-1]
            self._box = (int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1)
            self.size = self._box[1] - self._box[0]
            if self._box[0] + self._box[1] != n or self._box[2] + self._box[3] != n:
                raise ValueError(f"sizes {sizes}: the official composition is not centred")

    def _official(self, weights: list[torch.Tensor]) -> torch.Tensor:
        k = torch.ones(1, 1, 1, 1, device=weights[0].device, dtype=weights[0].dtype)
        for i, w in enumerate(weights):
            k = F.conv2d(k, w, padding=w.shape[-1] - 1 if i == 0 else 1)
        return k

    def kernel(self, normalise: bool = True) -> torch.Tensor:
        """The effective ``(size, size)`` kernel, computed by passing a delta through the layers;
        :func:`kernel_downscale` applies it as a convolution kernel (for ``"full"``, the layers'
        cross-correlation kernel, flipped)."""
        if self.composition == "official":
            r0, r1, c0, c1 = self._box
            k = self._official([layer.weight for layer in self.layers])[0, 0, r0:r1, c0:c1]
        else:
            k = torch.zeros(
                1, 1, 2 * self.size - 1, 2 * self.size - 1, device=self.layers[0].weight.device
            )
            k[..., self.size - 1, self.size - 1] = 1.0
            for layer in self.layers:
                k = layer(k)
            k = k[0, 0]
        k = k.flip(0, 1)
        return k / k.sum() if normalise else k


def embed_kernel(kernel: torch.Tensor, size: int) -> torch.Tensor:
    """``kernel`` ``(s, s)`` (odd ``s <= size``) centred in a ``(size, size)`` array of zeros, to
    compare kernels of different supports."""
    s = kernel.shape[-1]
    if s % 2 == 0 or size % 2 == 0 or s > size:
        raise ValueError(f"need odd sizes with kernel size {s} <= size {size}")
    p = (size - s) // 2
    return F.pad(kernel, (p, p, p, p))


def kernel_operator(hr: torch.Tensor, size: int, factor: int) -> torch.Tensor:
    """The matrix ``A`` of the linear map ``k -> kernel_downscale(hr, k, factor)`` for a fixed
    image ``hr`` ``(C, H, W)``: ``(C * h * w, size * size)``, column ``j`` the low-resolution image
    made by the kernel that is 1 at entry ``j`` (row-major). Its singular values say which kernel
    directions the data term can see."""
    check_image(hr, "hr", range01=False)
    cols = []
    for j in range(size * size):
        e = torch.zeros(size * size, dtype=hr.dtype)
        e[j] = 1.0
        cols.append(kernel_downscale(hr, e.view(size, size), factor).flatten())
    return torch.stack(cols, dim=1)


@dataclass
class SRResult:
    """What :func:`train_sr` returns: the high-resolution image ``(C, H, W)`` (the Reconstructor's),
    the kernel (normalised), the image of the patch centres (scale 0) and the losses; at each of
    ``history.step``, the normalised kernel (``kernels``) and, with a ``reference``, the PSNR of the
    centres image (``centre_psnr``; ``history.psnr`` is the Reconstructor's)."""

    image: torch.Tensor
    kernel: torch.Tensor
    centres: torch.Tensor | None = None
    history: KnitworkHistory = field(default_factory=KnitworkHistory)
    kernels: list[torch.Tensor] = field(default_factory=list)
    centre_psnr: list[float] = field(default_factory=list)


def train_sr(
    model: Knitwork,
    low: torch.Tensor,
    factor: int,
    kernel: torch.Tensor | None = None,
    steps: int = 1000,
    lr: float = 1e-3,
    kernel_lr: float = 1e-3,
    alpha: float = 1e-2,
    gamma: float = 1e-2,
    adv_batch: int = 1024,
    central: bool = False,
    crop_margin: bool = True,
    composition: str = "official",
    reference: torch.Tensor | None = None,
    border: int = 0,
    seed: int = 0,
    eval_every: int = 100,
) -> SRResult:
    """Super-resolve ``low`` ``(C, h, w)`` by ``factor``: the Knitwork on the ``factor``-times finer
    grid.

    With ``kernel=None`` (blind, the paper's setting) a :class:`DeepLinearKernel` (``composition``:
    the official 5x5 crop or the full 13x13) is learned jointly (its own Adam, ``kernel_lr``); with
    a given ``kernel`` it stays fixed (e.g. the true one, an oracle). Loss: MSE (summed over
    channels) between :func:`kernel_downscale` of the Reconstructor's image and ``low`` +
    ``|1 - sum(k)|`` (learned kernel only) + ``alpha *`` consistency on the fine grid + ``gamma *``
    adversarial, where the discriminator tells stacks of ``low`` (real) from predicted fine-grid
    stacks. With ``central`` the same data term is added for the image of the patch centres (our
    extension; the official ``central_patch_downsampling`` option cannot run in the official
    repository): it reaches the generator directly instead of through the deep linear
    Reconstructor. Defaults are the official ``SuperResolver``'s weights. With ``crop_margin`` the
    data term skips ``ceil(radius / factor)`` low-resolution pixels per border (a crop of a larger
    image saw content from outside the crop there). With a ``reference`` (the true high-resolution
    image) the PSNRs logged every ``eval_every`` steps leave ``border`` pixels out on each side.
    """
    check_image(low, "low")
    c, h, w = low.shape
    if c != model.channels:
        raise ValueError(f"low has {c} channels; this Knitwork was built for {model.channels}")
    _check_weights(alpha=alpha, gamma=gamma)
    dev = next(model.parameters()).device
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    H, W = h * factor, w * factor
    low = low.to(dev)
    net = DeepLinearKernel(composition=composition).to(dev) if kernel is None else None
    size = net.size if net is not None else kernel.shape[-1]
    m = math.ceil((size // 2) / factor) if crop_margin else 0
    if min(h, w) <= 2 * m:
        raise ValueError(f"low is {h}x{w}: too small for a {size}x{size} kernel with crop_margin")
    dil, mg = model.dilations, model.margin
    inside = torch.zeros(1, h, w)
    r = mg * max(dil)
    inside[:, r : h - r, r : w - r] = 1
    real_pool = extract_patches(low.cpu(), dil, mg)[inside.flatten().bool()].to(dev)
    if gamma > 0 and len(real_pool) == 0:
        raise ValueError(
            f"low is {h}x{w}: no patch stack at dilations {dil} fits inside it (or set gamma=0)"
        )
    coords = grid(H, W, device=dev)
    params = [
        {
            "params": list(model.generator.parameters()) + list(model.reconstructor.parameters()),
            "lr": lr,
        }
    ]
    if net is not None:
        params.append({"params": net.parameters(), "lr": kernel_lr})
    opt_g = torch.optim.Adam(params)
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=lr)
    hist = KnitworkHistory()
    kernels: list[torch.Tensor] = []
    centre_psnr: list[float] = []
    zero = torch.zeros((), device=dev)
    for step in range(1, steps + 1):
        pred = model.generator(coords)
        img = model.reconstructor(pred).T.reshape(c, H, W)
        k = net.kernel(normalise=False) if net is not None else kernel.to(dev)
        l_rec = (
            (kernel_downscale(img, k, factor) - low)[:, m : h - m, m : w - m].pow(2).sum(0).mean()
        )
        if central:
            cen = pred[:, 0, :, mg, mg].T.reshape(c, H, W)
            l_rec = (
                l_rec
                + (kernel_downscale(cen, k, factor) - low)[:, m : h - m, m : w - m]
                .pow(2)
                .sum(0)
                .mean()
            )
        l_norm = (1 - k.sum()).abs() if net is not None else zero
        l_x = xpatch_loss(pred, H, W, dil) if alpha > 0 else zero
        fake = pred[torch.randint(H * W, (min(adv_batch, H * W),), generator=gen).to(dev)]
        l_adv = adversarial_loss(model.discriminator(fake), True) if gamma > 0 else zero
        total = l_rec + l_norm + alpha * l_x + gamma * l_adv
        if not torch.isfinite(total):
            raise DivergedError(
                f"step {step}: the SR loss became {total.item()}; lower lr (now {lr}) or gamma"
            )
        opt_g.zero_grad(set_to_none=True)
        total.backward()
        opt_g.step()
        l_d = zero
        if gamma > 0:
            real = real_pool[torch.randint(len(real_pool), (len(fake),), generator=gen).to(dev)]
            l_d = discriminator_step(model, opt_d, real, fake, step)
        if step % eval_every == 0 or step == steps:
            hist.log(step, recon=l_rec, xpatch=l_x, adv=l_adv, disc=l_d)
            with torch.no_grad():  # the state after this step's update
                k_now = net.kernel(normalise=False) if net is not None else kernel.to(dev)
                kernels.append((k_now / k_now.sum()).cpu())
                if reference is not None:
                    inner = (slice(None), slice(border, H - border), slice(border, W - border))
                    ref = reference.cpu()[inner]
                    p_now = model.generator(coords)
                    out = model.reconstructor(p_now).T.reshape(c, H, W).clamp(0, 1).cpu()
                    hist.psnr.append(psnr(out[inner], ref, clip=False))
                    cen = p_now[:, 0, :, mg, mg].T.reshape(c, H, W).clamp(0, 1).cpu()
                    centre_psnr.append(psnr(cen[inner], ref, clip=False))
    with torch.no_grad():
        pred = model.generator(coords)
        image = model.reconstructor(pred).T.reshape(c, H, W).clamp(0, 1).cpu()
        centres = pred[:, 0, :, mg, mg].T.reshape(c, H, W).clamp(0, 1).cpu()
        k = (net.kernel() if net is not None else kernel / kernel.sum()).detach().cpu()
    return SRResult(
        image=image,
        kernel=k,
        centres=centres,
        history=hist,
        kernels=kernels,
        centre_psnr=centre_psnr,
    )


__all__ = [
    "DeepLinearKernel",
    "SRResult",
    "bicubic_baseline",
    "embed_kernel",
    "hr_coords",
    "kernel_operator",
    "kernel_downscale",
    "train_sr",
]
