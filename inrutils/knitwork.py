"""Neural Knitworks (Czerkawski et al., 2021): a patch-based INR with cross-patch consistency and a patch GAN.

A coordinate network predicts, at each pixel ``p``, not one value but a multi-scale stack of
``3 x 3`` patches centred on ``p``: scale 0 is the image itself, scale ``k`` a Gaussian-filtered
copy (sigma ``2^(k-1)`` pixels, :func:`scale_sigmas`) sampled with a dilation of ``2^k`` pixels,
so larger scales see a wider neighbourhood at the same cost. Because neighbouring
patches overlap, the predictions must agree with each other (**cross-patch consistency**), a
small **Reconstructor** turns a patch stack back into a pixel, and a patch **Discriminator**
judges whether predicted patches look like real patches from the visible image: internal
image statistics as a prior, which fills holes and removes noise.

Losses (each its own function, weights as arguments of :func:`generator_loss`):
``recon`` (masked MSE, predicted vs observed patches) + ``alpha * xpatch`` + ``beta * pixel``
(L1 through the Reconstructor) + ``gamma * adversarial`` (BCE, one-sided label smoothing 0.1).

Shapes: images ``(C, H, W)`` in [0, 1]; a patch stack per pixel is ``(S, C, 3, 3)``; ``P``
pixels' stacks are ``(P, S, C, 3, 3)``; flattened for the networks as ``(P, S * C * 9)``.
Coordinates follow :func:`inrutils.coords.grid`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn
from tqdm.auto import tqdm

from .coords import grid
from .degrade import blur, check_image, check_mask, gaussian_kernel
from .encodings import FourierFeatures

# ---------------------------------------------------------------------------------------------
# Patches
# ---------------------------------------------------------------------------------------------


def scale_sigmas(n_scales: int) -> list[float]:
    """Gaussian sigma (pixels) of the filtered copy used at each scale: 0 (the image), then ``2^(k-1)``."""
    return [0.0] + [float(2 ** (k - 1)) for k in range(1, n_scales)]


def image_pyramid(img: torch.Tensor, n_scales: int) -> list[torch.Tensor]:
    """The image and its Gaussian-filtered copies (reflect padding), one per scale; each ``(C, H, W)``."""
    out = []
    for s in scale_sigmas(n_scales):
        if s == 0:
            out.append(img)
        else:
            size = 2 * math.ceil(3 * s) + 1
            out.append(blur(img, gaussian_kernel(size, s), padding="reflect"))
    return out


def extract_patches(img: torch.Tensor, n_scales: int = 1) -> torch.Tensor:
    """All multi-scale ``3 x 3`` patches of ``img`` ``(C, H, W)``: ``(H * W, S, C, 3, 3)``, row-major pixels.

    Scale ``k`` samples its filtered copy at offsets ``{-d, 0, d}`` with ``d = 2^k`` around each
    pixel (replicate padding at the borders). Built with ``F.unfold`` (dilation ``d``).
    """
    check_image(img)
    c, h, w = img.shape
    stacks = []
    for k, layer in enumerate(image_pyramid(img, n_scales)):
        d = 2**k
        padded = F.pad(layer[None], (d, d, d, d), mode="replicate")
        cols = F.unfold(padded, 3, dilation=d)                                # (1, C * 9, H * W)
        stacks.append(cols[0].T.reshape(h * w, c, 3, 3))
    return torch.stack(stacks, dim=1)


def patch_mask(mask: torch.Tensor, n_scales: int = 1) -> torch.Tensor:
    """Per patch element, whether it is observed: the mask ``(1, H, W)`` cut like :func:`extract_patches` ``(H*W, S, 1, 3, 3)``.

    At scales above 0 an element is counted observed when the mask is fully observed within its
    filter's reach (an eroded mask), since the filtered value mixes in hidden pixels otherwise.
    """
    m = mask.float()
    layers = []
    for s in scale_sigmas(n_scales):
        if s == 0:
            layers.append(m)
        else:
            r = math.ceil(2 * s)
            layers.append(-F.max_pool2d(-m[None], 2 * r + 1, stride=1, padding=r)[0])   # erosion
    out = []
    h, w = m.shape[1:]
    for k, layer in enumerate(layers):
        d = 2**k
        padded = F.pad(layer[None], (d, d, d, d), mode="replicate")
        out.append(F.unfold(padded, 3, dilation=d)[0].T.reshape(h * w, 1, 3, 3))
    return torch.stack(out, dim=1)


# ---------------------------------------------------------------------------------------------
# Networks
# ---------------------------------------------------------------------------------------------


class PatchMLP(nn.Module):
    """Coordinates ``(N, 2)`` -> patch stacks ``(N, S, C, 3, 3)``: Gaussian Fourier features, then ReLU layers.

    The paper's generator: 4 ReLU layers of 256 behind Gaussian Fourier features.
    """

    def __init__(self, channels: int = 3, n_scales: int = 2, hidden: int = 256, layers: int = 4,
                 n_features: int = 256, sigma: float = 10.0):
        super().__init__()
        self.channels, self.n_scales = channels, n_scales
        self.encoding = FourierFeatures(2, n_features, sigma)
        widths = [self.encoding.out_dim] + [hidden] * layers
        body: list[nn.Module] = []
        for a, b in zip(widths[:-1], widths[1:]):
            body += [nn.Linear(a, b), nn.ReLU()]
        body.append(nn.Linear(widths[-1], n_scales * channels * 9))
        self.net = nn.Sequential(*body)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        return self.net(self.encoding(coords)).view(-1, self.n_scales, self.channels, 3, 3)


class Reconstructor(nn.Module):
    """A patch stack ``(N, S, C, 3, 3)`` -> the pixel at its centre ``(N, C)``: a small ReLU MLP."""

    def __init__(self, channels: int = 3, n_scales: int = 2, hidden: int = 64):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(n_scales * channels * 9, hidden), nn.ReLU(), nn.Linear(hidden, hidden),
                                 nn.ReLU(), nn.Linear(hidden, channels))

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        return self.net(patches.flatten(1))


class Discriminator(nn.Module):
    """A patch stack ``(N, S, C, 3, 3)`` -> a real/fake logit ``(N,)``: 3 LeakyReLU(0.2) layers, then linear."""

    def __init__(self, channels: int = 3, n_scales: int = 2, hidden: int = 128):
        super().__init__()
        d = n_scales * channels * 9
        self.net = nn.Sequential(nn.Linear(d, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, 1))

    def forward(self, patches: torch.Tensor) -> torch.Tensor:
        return self.net(patches.flatten(1))[:, 0]


# ---------------------------------------------------------------------------------------------
# Losses
# ---------------------------------------------------------------------------------------------


def recon_loss(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Masked MSE between predicted and observed patch stacks (``mask`` broadcast over channels)."""
    m = mask.expand_as(pred)
    return ((pred - target).pow(2) * m).sum() / m.sum().clamp_min(1)


def neighbour_index(h: int, w: int, device=None) -> torch.Tensor:
    """``(H * W, 3, 3)`` row-major index of the pixel at each 3x3 offset (clamped at the borders)."""
    ys = torch.arange(h, device=device)[:, None, None, None] + torch.arange(-1, 2, device=device)[None, None, :, None]
    xs = torch.arange(w, device=device)[None, :, None, None] + torch.arange(-1, 2, device=device)[None, None, None, :]
    return (ys.clamp(0, h - 1) * w + xs.clamp(0, w - 1)).reshape(h * w, 3, 3)


def xpatch_loss(pred: torch.Tensor, h: int, w: int) -> torch.Tensor:
    """Cross-patch consistency on a full ``h x w`` grid of predictions ``(H * W, S, C, 3, 3)`` (scale 0).

    Element ``(i, j)`` of the patch at pixel ``p`` covers the pixel ``p + (i - 1, j - 1)``; it must
    equal the *centre* that the network predicts at that pixel: mean squared difference. Zero for
    patches cut from any real image (with replicate borders, as :func:`extract_patches` cuts them).
    """
    if pred.shape[0] != h * w:
        raise ValueError(f"xpatch_loss needs the predictions on the whole {h}x{w} grid, got {pred.shape[0]} patches")
    centres = pred[:, 0, :, 1, 1]                                     # (H * W, C)
    idx = neighbour_index(h, w, pred.device)
    neigh = centres[idx].permute(0, 3, 1, 2)                          # (H * W, C, 3, 3)
    return (pred[:, 0] - neigh).pow(2).mean()


def pixel_loss(reconstructor: nn.Module, pred: torch.Tensor, target_pixels: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """L1 between ``reconstructor(pred)`` and the observed pixels ``(N, C)``, over observed ones (``mask`` ``(N, 1)``)."""
    m = mask.expand_as(target_pixels)
    return ((reconstructor(pred) - target_pixels).abs() * m).sum() / m.sum().clamp_min(1)


def adversarial_loss(logits: torch.Tensor, real: bool, smoothing: float = 0.1) -> torch.Tensor:
    """BCE with one-sided label smoothing: real targets are ``1 - smoothing``, fake targets stay 0."""
    target = torch.full_like(logits, 1.0 - smoothing if real else 0.0)
    return F.binary_cross_entropy_with_logits(logits, target)


# ---------------------------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------------------------


@dataclass
class KnitworkHistory:
    step: list[int] = field(default_factory=list)
    recon: list[float] = field(default_factory=list)
    xpatch: list[float] = field(default_factory=list)
    pixel: list[float] = field(default_factory=list)
    adv: list[float] = field(default_factory=list)
    disc: list[float] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)


class DivergedError(FloatingPointError):
    """A loss became NaN/inf during Knitwork training."""


class Knitwork(nn.Module):
    """The three networks of a Knitwork, for one image; :meth:`render` gives the restored image."""

    def __init__(self, channels: int = 3, n_scales: int = 2, hidden: int = 256, layers: int = 4, n_features: int = 256,
                 sigma: float = 10.0, disc_hidden: int = 128, recon_hidden: int = 64):
        super().__init__()
        self.generator = PatchMLP(channels, n_scales, hidden, layers, n_features, sigma)
        self.reconstructor = Reconstructor(channels, n_scales, recon_hidden)
        self.discriminator = Discriminator(channels, n_scales, disc_hidden)
        self.channels, self.n_scales = channels, n_scales

    @torch.no_grad()
    def render(self, h: int, w: int, use_reconstructor: bool = True) -> torch.Tensor:
        """The image on an ``h x w`` grid: the Reconstructor's pixels (or the patches' centres); ``(C, h, w)``."""
        pred = self.generator(grid(h, w, device=next(self.parameters()).device))
        pix = self.reconstructor(pred) if use_reconstructor else pred[:, 0, :, 1, 1]
        return pix.T.reshape(self.channels, h, w).clamp(0, 1).cpu()


def _discriminator_step(model: Knitwork, opt_d: torch.optim.Optimizer, real_pool: torch.Tensor, fake: torch.Tensor,
                        gen: torch.Generator, smoothing: float, step: int, lr: float) -> torch.Tensor:
    """One discriminator update: as many real patch stacks (drawn from ``real_pool``) as ``fake`` ones (detached)."""
    ridx = torch.randint(len(real_pool), (len(fake),), generator=gen).to(fake.device)
    l_d = 0.5 * (adversarial_loss(model.discriminator(real_pool[ridx]), True, smoothing)
                 + adversarial_loss(model.discriminator(fake.detach()), False))
    if not torch.isfinite(l_d):
        raise DivergedError(f"step {step}: the discriminator loss became {l_d.item()}; lower lr (now {lr}) "
                            "or gamma, or raise smoothing")
    opt_d.zero_grad(set_to_none=True)
    l_d.backward()
    opt_d.step()
    return l_d


def train(model: Knitwork, observed: torch.Tensor, mask: torch.Tensor | None = None, steps: int = 1000,
          lr: float = 1e-3, alpha: float = 1.0, beta: float = 1.0, gamma: float = 0.05, smoothing: float = 0.1,
          batch: int | None = None, reference: torch.Tensor | None = None, seed: int = 0, eval_every: int = 50,
          progress: bool = False) -> KnitworkHistory:
    """Train a Knitwork on ``observed`` ``(C, H, W)`` with ``mask`` ``(1, H, W)`` (1 = observed; default all).

    Each step: a generator step on ``recon + alpha * xpatch + beta * pixel + gamma * adversarial``
    (the adversarial term asks the discriminator to call predicted patches real), then, when
    ``gamma > 0``, a discriminator step (real: fully observed patches of the image; fake: the
    predicted patches, detached). ``batch`` pixels per step for recon/pixel/adversarial terms
    (all when ``None``); the consistency term always uses the whole grid. Seeded; a NaN/inf
    loss raises :class:`DivergedError` naming the loss.
    """
    check_image(observed)
    c, h, w = observed.shape
    if mask is None:
        mask = torch.ones(1, h, w)
    check_mask(mask, (c, h, w))
    mask = mask[:1]
    if c != model.channels:
        raise ValueError(f"observed has {c} channels; this Knitwork was built for {model.channels}")
    for name, v in (("alpha", alpha), ("beta", beta), ("gamma", gamma)):
        if not (isinstance(v, (int, float)) and v >= 0 and math.isfinite(v)):
            raise ValueError(f"{name} must be a finite weight >= 0, got {v!r}")
    if not 0 <= smoothing < 1:
        raise ValueError(f"smoothing must lie in [0, 1), got {smoothing!r}")
    dev = next(model.parameters()).device
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    s = model.n_scales
    target = extract_patches(observed, s).to(dev)                      # (P, S, C, 3, 3)
    pmask = patch_mask(mask, s).to(dev)                                # (P, S, 1, 3, 3)
    pixels = observed.reshape(c, -1).T.to(dev)
    pix_mask = mask.reshape(1, -1).T.float().to(dev)
    real_pool = target[pmask.flatten(1).all(1)]                        # fully observed patch stacks
    if gamma > 0 and len(real_pool) == 0:
        raise ValueError("no fully observed patch to show the discriminator: the mask hides too much (or set gamma=0)")
    coords = grid(h, w, device=dev)
    opt_g = torch.optim.Adam(list(model.generator.parameters()) + list(model.reconstructor.parameters()), lr=lr)
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    hist = KnitworkHistory()
    n = h * w
    for step in tqdm(range(1, steps + 1), desc="knitwork", disable=not progress):
        pred = model.generator(coords)
        idx = torch.randperm(n, generator=gen)[:batch].to(dev) if batch else torch.arange(n, device=dev)
        l_rec = recon_loss(pred[idx], target[idx], pmask[idx])
        l_x = xpatch_loss(pred, h, w) if alpha > 0 else pred.new_zeros(())
        l_pix = pixel_loss(model.reconstructor, pred[idx], pixels[idx], pix_mask[idx]) if beta > 0 else pred.new_zeros(())
        l_adv = adversarial_loss(model.discriminator(pred[idx]), real=True, smoothing=0.0) if gamma > 0 else pred.new_zeros(())
        total = l_rec + alpha * l_x + beta * l_pix + gamma * l_adv
        for name, v in (("reconstruction", l_rec), ("cross-patch", l_x), ("pixel", l_pix), ("adversarial", l_adv)):
            if not torch.isfinite(v):
                raise DivergedError(f"step {step}: the {name} loss became {v.item()}; lower lr (now {lr}) or gamma")
        opt_g.zero_grad(set_to_none=True)
        total.backward()
        opt_g.step()
        l_d = _discriminator_step(model, opt_d, real_pool, pred[idx], gen, smoothing, step, lr) if gamma > 0 \
            else pred.new_zeros(())
        if step % eval_every == 0 or step == steps:
            hist.step.append(step)
            for lst, v in ((hist.recon, l_rec), (hist.xpatch, l_x), (hist.pixel, l_pix), (hist.adv, l_adv), (hist.disc, l_d)):
                lst.append(float(v.detach()))
            if reference is not None:
                out = model.render(h, w)
                hist.psnr.append(10 * math.log10(1 / max(float((out - reference.cpu()).pow(2).mean()), 1e-12)))
    return hist


class DeepLinearKernel(nn.Module):
    """A blur kernel as a product of linear convolutions (no nonlinearity), as in KernelGAN / the Knitwork's blind SR.

    ``sizes`` are the layers' kernel sizes (odd); the effective kernel has size ``sum(sizes) - len(sizes) + 1``.
    Over-parameterising a linear map this way makes gradient descent prefer simple kernels.
    :meth:`kernel` returns it normalised to sum to 1; :meth:`forward` blurs a ``(C, H, W)`` image
    with it (reflect padding) and keeps every ``factor``-th pixel, starting at the cell centres.
    """

    def __init__(self, factor: int = 2, sizes: tuple[int, ...] = (7, 5, 3, 1), width: int = 16):
        super().__init__()
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
            raise ValueError(f"factor must be a positive integer, got {factor!r}")
        if any(k % 2 == 0 for k in sizes):
            raise ValueError(f"kernel sizes must be odd, got {sizes}")
        chans = [1] + [width] * (len(sizes) - 1) + [1]
        self.layers = nn.ModuleList(nn.Conv2d(a, b, k, bias=False) for a, b, k in zip(chans[:-1], chans[1:], sizes))
        self.factor, self.size = factor, sum(sizes) - len(sizes) + 1
        with torch.no_grad():   # start from a (slightly perturbed) delta: no blur assumed, kernel sum far from 0
            for layer in self.layers:
                cin, k = layer.weight.shape[1], layer.weight.shape[-1]
                layer.weight.normal_(0.0, 1e-3 / cin)
                layer.weight[:, :, k // 2, k // 2] += 1.0 / cin

    def kernel(self) -> torch.Tensor:
        """The effective ``(size, size)`` kernel (the layers applied to a centred delta), normalised to sum 1."""
        delta = torch.zeros(1, 1, 2 * self.size - 1, 2 * self.size - 1, device=self.layers[0].weight.device)
        delta[..., self.size - 1, self.size - 1] = 1.0
        k = delta
        for layer in self.layers:
            k = layer(k)
        k = k[0, 0].flip(0, 1)     # correlation layers applied to a delta give the flipped kernel
        return k / k.sum()

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        return kernel_downscale(img, self.kernel(), self.factor)


def kernel_downscale(img: torch.Tensor, kernel: torch.Tensor, factor: int) -> torch.Tensor:
    """The SR forward model: blur ``(C, H, W)`` with ``kernel`` (true convolution, reflect padding), keep every
    ``factor``-th pixel starting at ``factor // 2`` (the centre of each ``factor x factor`` cell for odd factors)."""
    if isinstance(factor, bool) or not isinstance(factor, int) or factor < 1:
        raise ValueError(f"factor must be a positive integer, got {factor!r}")
    return blur(img, kernel, padding="reflect")[:, factor // 2 :: factor, factor // 2 :: factor]


class PatchDiscriminator(nn.Module):
    """KernelGAN's discriminator: fully convolutional, one ``field x field`` spectrally normalised convolution then
    1x1 layers (BatchNorm + ReLU), a sigmoid per location: a map of "is this patch real?" scores."""

    def __init__(self, channels: int = 1, width: int = 32, depth: int = 4, field: int = 7):
        super().__init__()
        layers: list[nn.Module] = [nn.utils.parametrizations.spectral_norm(nn.Conv2d(channels, width, field))]
        for _ in range(depth):
            layers += [nn.Conv2d(width, width, 1), nn.BatchNorm2d(width), nn.ReLU()]
        layers += [nn.Conv2d(width, 1, 1), nn.Sigmoid()]
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


@dataclass
class KernelEstimate:
    """What :func:`estimate_kernel` returns: the normalised kernel and the per-step discriminator/generator losses."""

    kernel: torch.Tensor
    disc: list[float] = field(default_factory=list)
    gen: list[float] = field(default_factory=list)


def kernel_penalties(k: torch.Tensor) -> dict[str, torch.Tensor]:
    """KernelGAN's priors on a kernel ``(s, s)`` summing to 1: mass far from the centre (``boundary``), centre of mass
    away from the centre (``centre``), negative entries (``negative``) and a sparsity term (``sparse``, mean |k|^0.2)."""
    s = k.shape[-1]
    ax = torch.arange(s, dtype=k.dtype, device=k.device) - s // 2
    dist = torch.sqrt(ax[:, None] ** 2 + ax[None] ** 2)
    com = torch.stack([(k.sum(1) * ax).sum(), (k.sum(0) * ax).sum()])
    return {"boundary": (k.abs() * (dist / dist.max()) ** 2).sum(), "centre": com.abs().sum(),
            "negative": F.relu(-k).sum(), "sparse": (k.abs() + 1e-8).pow(0.2).mean()}


def estimate_kernel(low: torch.Tensor, factor: int = 2, steps: int = 1000, crop: int = 24, lr: float = 2e-4,
                    width: int = 32, weights: dict | None = None, seed: int = 0, progress: bool = False) -> KernelEstimate:
    """Blind estimate of the SR kernel from the low-resolution image alone (KernelGAN, Bell-Kligler et al. 2019).

    Idea: the right kernel ``k`` keeps the image's patch statistics across scales, so patches of
    ``kernel_downscale(low, k, factor)`` should look like patches of ``low`` itself. A
    :class:`DeepLinearKernel` (the generator) downscales random ``factor * crop`` crops of ``low``; a
    :class:`PatchDiscriminator` (LSGAN loss) compares them with random ``crop`` crops of ``low``. Crops are
    drawn where the image has edges (4 candidates, chosen with probability proportional to their mean
    gradient). For the first sixth of the steps the generator is also pulled towards bicubic downscaling
    (a sensible start); afterwards the kernel priors of :func:`kernel_penalties` apply with ``weights``
    (defaults: boundary 0.5, centre 1, negative 1, sparse 0.5). Grey images: colour is averaged.
    Returns the normalised kernel (size 13 for the default deep linear network) and the loss curves.
    Measured on astronaut with a diagonal Gaussian blur at x2: a 128x128 LR image, 3,000 steps and
    ``crop=32`` give an L1 error of 0.48 (a generic Gaussian guess: 0.72); with a 64x64 LR image the
    discriminator memorises the few real crops and the kernel drifts towards a delta (L1 0.84-0.92).
    """
    check_image(low)
    w = {"boundary": 0.5, "centre": 1.0, "negative": 1.0, "sparse": 0.5, **(weights or {})}
    c, h, wd = low.shape
    if min(h, wd) < factor * crop:
        raise ValueError(f"low is {h}x{wd}; estimate_kernel needs at least factor * crop = {factor * crop} pixels a side "
                         "(lower crop)")
    dev = low.device
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    gray = low.mean(0, keepdim=True)
    g_net = DeepLinearKernel(factor, sizes=(7, 5, 3, 1, 1, 1), width=width).to(dev)
    d_net = PatchDiscriminator(1, width).to(dev)
    opt_g = torch.optim.Adam(g_net.parameters(), lr, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(d_net.parameters(), lr, betas=(0.5, 0.999))
    gy, gx = torch.gradient(gray[0])
    edges = (gy**2 + gx**2).sqrt()

    def sample(size: int) -> torch.Tensor:
        ys = torch.randint(0, h - size + 1, (4,), generator=gen)
        xs = torch.randint(0, wd - size + 1, (4,), generator=gen)
        score = torch.stack([edges[y:y + size, x:x + size].mean() for y, x in zip(ys, xs)]).cpu() + 1e-6
        i = int(torch.multinomial(score, 1, generator=gen))
        return gray[:, ys[i]:ys[i] + size, xs[i]:xs[i] + size]

    out = KernelEstimate(kernel=torch.empty(0))
    warmup = steps // 6
    for step in tqdm(range(steps), desc="kernel", disable=not progress):
        src = sample(factor * crop)
        fake = g_net(src)[None]
        real = sample(crop)[None]
        l_d = (d_net(real) - 1).pow(2).mean() + d_net(fake.detach()).pow(2).mean()
        opt_d.zero_grad(set_to_none=True)
        l_d.backward()
        opt_d.step()
        k = g_net.kernel()
        l_g = (d_net(fake) - 1).pow(2).mean()
        if step < warmup:
            bic = F.interpolate(src[None], scale_factor=1 / factor, mode="bicubic", antialias=True, align_corners=False)
            reg = 5.0 * (fake - bic).pow(2).mean() + w["negative"] * kernel_penalties(k)["negative"]
        else:
            reg = sum(w[name] * v for name, v in kernel_penalties(k).items())
        if not torch.isfinite(l_d + l_g + reg):
            raise DivergedError(f"step {step}: a kernel-estimation loss became non-finite; lower lr (now {lr})")
        opt_g.zero_grad(set_to_none=True)
        (l_g + reg).backward()
        opt_g.step()
        out.disc.append(float(l_d.detach()))
        out.gen.append(float(l_g.detach()))
    with torch.no_grad():
        k = g_net.kernel().clamp_min(0)
        out.kernel = (k / k.sum()).cpu()
    return out


def train_sr(model: Knitwork, low: torch.Tensor, factor: int, kernel: torch.Tensor, steps: int = 400, lr: float = 1e-3,
             alpha: float = 1.0, gamma: float = 0.0, smoothing: float = 0.1, reference: torch.Tensor | None = None,
             seed: int = 0, eval_every: int = 50, crop_margin: bool = True) -> KnitworkHistory:
    """Super-resolve ``low`` ``(C, h, w)`` by ``factor`` with a Knitwork, given a downscaling ``kernel``.

    The generator predicts 3x3 patches on the ``factor``-times finer grid; the image is their centres.
    Losses: ``recon`` = MSE between :func:`kernel_downscale` of that image and ``low``, ``alpha *``
    cross-patch consistency, and ``gamma *`` adversarial, where the discriminator compares predicted
    high-resolution patches with 3x3 patches of ``low`` (patches recur across scales in natural images,
    the internal prior of blind SR). ``gamma`` defaults to 0: in our x2 runs an adversarial weight of
    0.02-0.05 made the result swing by more than 1 dB between checkpoints. Scale 0 only
    (``model.n_scales`` must be 1); no Reconstructor. With ``crop_margin`` (default) the reconstruction loss skips the ``ceil(radius / factor)`` low-resolution
    pixels at each border: when ``low`` is a crop of a larger image, those pixels saw blurred content from
    outside the crop, which no padding of the estimate can reproduce.
    """
    check_image(low)
    if model.n_scales != 1:
        raise ValueError(f"train_sr uses one patch scale; build the Knitwork with n_scales=1, got {model.n_scales}")
    c, h, w = low.shape
    if c != model.channels:
        raise ValueError(f"low has {c} channels; this Knitwork was built for {model.channels}")
    dev = next(model.parameters()).device
    H, W = h * factor, w * factor
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    low, kernel = low.to(dev), kernel.to(dev)
    real_pool = extract_patches(low, 1)
    m = math.ceil((kernel.shape[-1] // 2) / factor) if crop_margin else 0
    if min(h, w) <= 2 * m:
        raise ValueError(f"low is {h}x{w}: too small for a {kernel.shape[-1]}x{kernel.shape[-1]} kernel with crop_margin")
    coords = grid(H, W, device=dev)
    opt_g = torch.optim.Adam(model.generator.parameters(), lr=lr)
    opt_d = torch.optim.Adam(model.discriminator.parameters(), lr=lr, betas=(0.5, 0.999))
    hist = KnitworkHistory()
    batch = min(len(real_pool), 1024)
    for step in range(1, steps + 1):
        pred = model.generator(coords)
        img = pred[:, 0, :, 1, 1].T.reshape(c, H, W)
        l_rec = (kernel_downscale(img, kernel, factor) - low)[:, m:h - m, m:w - m].pow(2).mean()
        l_x = xpatch_loss(pred, H, W) if alpha > 0 else pred.new_zeros(())
        idx = torch.randperm(H * W, generator=gen)[:batch].to(dev)
        l_adv = adversarial_loss(model.discriminator(pred[idx]), real=True, smoothing=0.0) if gamma > 0 else pred.new_zeros(())
        total = l_rec + alpha * l_x + gamma * l_adv
        if not torch.isfinite(total):
            raise DivergedError(f"step {step}: the SR loss became {total.item()}; lower lr (now {lr}) or gamma")
        opt_g.zero_grad(set_to_none=True)
        total.backward()
        opt_g.step()
        l_d = _discriminator_step(model, opt_d, real_pool, pred[idx], gen, smoothing, step, lr) if gamma > 0 \
            else pred.new_zeros(())
        if step % eval_every == 0 or step == steps:
            hist.step.append(step)
            for lst, v in ((hist.recon, l_rec), (hist.xpatch, l_x), (hist.adv, l_adv), (hist.disc, l_d)):
                lst.append(float(v.detach()))
            if reference is not None:
                out = img.detach().clamp(0, 1).cpu()
                hist.psnr.append(10 * math.log10(1 / max(float((out - reference.cpu()).pow(2).mean()), 1e-12)))
    return hist


__all__ = ["scale_sigmas", "image_pyramid", "extract_patches", "patch_mask", "PatchMLP", "Reconstructor",
           "Discriminator", "recon_loss", "neighbour_index", "xpatch_loss", "pixel_loss", "adversarial_loss",
           "Knitwork", "KnitworkHistory", "DivergedError", "train", "DeepLinearKernel", "kernel_downscale",
           "PatchDiscriminator", "KernelEstimate", "kernel_penalties", "estimate_kernel", "train_sr"]
