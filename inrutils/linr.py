"""LINR: an implicit neural representation as a single-image prior for restoration.

Xu and Jiao, "Revisiting Implicit Neural Representations in Low-Level Vision", ICLR 2023 Neural
Fields workshop, https://arxiv.org/abs/2304.10250 (official code: github.com/WenTXuL/LINR).
The method in one line: fit a coordinate network ``Phi_theta`` so that the *degraded* rendering
matches the observation ``g = A(f) + n``: run Adam on ``|| A(Phi_theta(grid)) - g ||^2`` for a
fixed number of steps ``T`` and read the restored image off ``Phi_theta(grid)``. ``A`` is the
known forward model (identity for denoising, blur, downsampling, masking). Nothing is learned from
other images: the restoration comes from the network's own bias (a SIREN fits smooth structure
before fine noise), so ``T`` is the regulariser. The paper stops at a fixed ``T``; :func:`restore`
also offers the discrepancy principle (our addition, not the paper's), which stops without a clean
image once the residual is as small as the noise. :func:`joint_operator` builds the paper's joint
training (several observations of one image, one weighted loss).

``TASKS`` holds the paper's presets: the official prior ``Siren(hidden_layers=6,
outermost_linear=True)``, i.e. 7 sine layers of width 256 and a linear head (396,291 parameters
for RGB) on the [-1, 1] intensity scale (:class:`SignedIntensity`), Adam ``lr = 1e-4``, 500
iterations (4000 for deblurring). The notebook uses smaller
settings on a CPU and says so.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from . import degrade
from .config import device as default_device
from .config import seed_everything
from .coords import grid
from .fit import History, fit
from .metrics import from_numpy, psnr, ssim, to_numpy
from .models import Siren
from .render import render

#: The paper's settings per task (LINR Sec. 4 and the official notebooks): model, optimiser,
#: iterations. ``layers`` counts sine layers: the official ``hidden_layers=6`` is 6 hidden sine
#: layers after the first.
PAPER_LAYERS = 7
TASKS: dict[str, dict] = {
    "denoise": dict(
        hidden=256, layers=PAPER_LAYERS, w0=30.0, lr=1e-4, steps=500, noise_sigma=25 / 255
    ),
    "sr": dict(
        hidden=256, layers=PAPER_LAYERS, w0=30.0, lr=1e-4, steps=500, factor=4, method="lanczos2"
    ),
    "inpaint": dict(hidden=256, layers=PAPER_LAYERS, w0=30.0, lr=1e-4, steps=500, observed=0.1),
    "deblur": dict(
        hidden=256,
        layers=PAPER_LAYERS,
        w0=30.0,
        lr=1e-4,
        steps=4000,
        kernel_size=25,
        blur_sigma=1.6,
    ),
}
STOPS = ("discrepancy",)


@dataclass
class Restoration:
    """What :func:`restore` returns.

    ``image``: the restored ``(C, H, W)`` image (CPU, clipped to [0, 1]) from the model as it
    was when the fit stopped. ``history``: the per-step :class:`inrutils.fit.History`
    (``loss`` = data-fit MSE through the forward model; ``psnr`` against ``reference`` when
    one was given). ``curve``: every ``eval_every`` steps, ``step`` / ``psnr`` / ``ssim`` of the
    clipped rendering against ``reference`` (empty without one). ``snapshots``: step -> image
    at the same steps (when ``keep_snapshots``). ``stopped_at``: the step at which the stopping
    rule fired (the last step run when there is none). With ``run_to_end=True`` the fit
    goes on after the rule fired, to show what stopping avoided: then ``history`` and
    ``curve`` cover every step and ``final_image`` is the rendering after the last one
    (otherwise ``final_image`` is ``image``).
    """

    image: torch.Tensor
    history: History
    model: nn.Module
    stopped_at: int
    curve: dict[str, list] = field(default_factory=lambda: {"step": [], "psnr": [], "ssim": []})
    snapshots: dict[int, torch.Tensor] = field(default_factory=dict)
    final_image: torch.Tensor | None = None

    @property
    def best_psnr(self) -> float:
        """Best PSNR on the evaluation curve (an oracle: it needs the clean image)."""
        return max(self.curve["psnr"]) if self.curve["psnr"] else float("nan")

    @property
    def best_step(self) -> int:
        c = self.curve
        return c["step"][int(np.argmax(c["psnr"]))] if c["psnr"] else 0


def masked_mse(pred: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean squared error over the observed entries only: ``sum(m (p - t)^2) / (sum(m) * C / C_m)``.

    ``pred``, ``target``: ``(C, H, W)``; ``mask``: ``(1, H, W)`` or ``(C, H, W)`` with 1 = observed.
    This is the inpainting data term; ``fit`` with ``forward_op=degrade.apply_mask`` minimises
    the same thing up to the constant factor ``observed fraction``.
    """
    mask = degrade.check_mask(mask, tuple(pred.shape)).to(pred)
    weight = mask.expand_as(pred)
    return (weight * (pred - target) ** 2).sum() / weight.sum()


def joint_operator(
    ops: list[Callable[[torch.Tensor], torch.Tensor] | None],
    observations: list[torch.Tensor],
    weights: list[float],
) -> tuple[Callable[[torch.Tensor], torch.Tensor], torch.Tensor]:
    """Several observations of one image as one forward model: the paper's joint training.

    ``ops[i]`` maps the restored ``(C, H, W)`` image to ``observations[i]`` (``(C, h_i, w_i)``;
    ``None`` = identity). Returns ``(forward_op, observation)`` for :func:`restore`: both are
    the per-channel concatenations ``(C, 1, sum_i h_i w_i)`` of ``s_i * ops[i](image)`` and
    ``s_i * observations[i]``, with ``s_i = sqrt(weights[i] * n_0 / n_i)`` (``n_i`` = values of
    observation ``i``). Its mean squared error is then ``n_0 / sum(n) * sum_i weights[i] L_i``
    with ``L_i`` the per-observation MSE: the paper's ``L_LR + 0.1 L_noisy`` for
    ``weights=[1, 0.1]`` up to a constant factor, which Adam ignores.
    """
    if not (len(ops) == len(observations) == len(weights) >= 1):
        raise ValueError(
            f"ops, observations and weights must have the same length >= 1, got {len(ops)}, "
            f"{len(observations)}, {len(weights)}"
        )
    obs = [
        degrade.check_image(o, f"observations[{i}]", range01=False)
        for i, o in enumerate(observations)
    ]
    c = obs[0].shape[0]
    if any(o.shape[0] != c for o in obs):
        raise ValueError(
            f"observations must have the same number of channels, got {[o.shape[0] for o in obs]}"
        )
    for i, w in enumerate(weights):
        if isinstance(w, bool) or not isinstance(w, (int, float)) or not w > 0:
            raise ValueError(f"weights[{i}] must be a positive number, got {w!r}")
    for i, op in enumerate(ops):
        if op is not None and not callable(op):
            raise ValueError(
                f"ops[{i}] must be a callable (C, H, W) -> observation or None, got "
                f"{type(op).__name__}"
            )
    counts = [o[0].numel() for o in obs]
    scales = [float(w * counts[0] / n) ** 0.5 for w, n in zip(weights, counts)]
    target = torch.cat([s * o.reshape(c, -1) for s, o in zip(scales, obs)], dim=1)[:, None, :]

    def forward_op(img: torch.Tensor) -> torch.Tensor:
        parts = [s * (img if op is None else op(img)).reshape(c, -1) for s, op in zip(scales, ops)]
        return torch.cat(parts, dim=1)[:, None, :]

    forward_op.joint = (
        True  # its residual mixes observations: restore refuses a discrepancy stop on it
    )
    return forward_op, target


class SignedIntensity(nn.Module):
    """Render ``0.5 * net(x) + 0.5``: ``net`` works on the official code's [-1, 1] intensity scale.

    The official notebooks fit the network to ``2 g - 1`` and show ``(Phi + 1) / 2``. Fitting
    ``0.5 Phi + 0.5`` to ``g`` is the same problem (the loss differs by the factor 4, which Adam
    ignores) and keeps every observation, metric and stopping rule on the [0, 1] scale. It is not
    cosmetic: the network starts at mid-grey and a step moves the image half as far (measured in
    ``docs/fidelity/05_linr_single_image_priors.md``). ``net``: any ``(N, 2) -> (N, C)`` network.
    """

    def __init__(self, net: nn.Module):
        super().__init__()
        if not isinstance(net, nn.Module):
            raise ValueError(f"net must be a torch.nn.Module, got {type(net).__name__}")
        self.net = net

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return 0.5 * self.net(x) + 0.5


def default_model(
    channels: int,
    hidden: int = 256,
    layers: int = PAPER_LAYERS,
    w0: float = 30.0,
    signed: bool = True,
) -> nn.Module:
    """The paper's prior: a SIREN with ``layers`` sine layers of width ``hidden`` and a linear head.

    The defaults are the official ``Siren(2, 256, hidden_layers=6, out, outermost_linear=True)``:
    7 sine layers, 396,291 parameters for ``channels=3`` (395,777 for 1), on the official [-1, 1]
    intensity scale (wrapped in :class:`SignedIntensity`; ``signed=False`` returns the bare SIREN,
    whose output is the [0, 1] image itself).
    """
    siren = Siren(2, channels, hidden=hidden, layers=layers, w0=w0)
    return SignedIntensity(siren) if signed else siren


def estimate_noise_sigma(img: torch.Tensor) -> float:
    """Noise standard deviation of a ``(C, H, W)`` image: Donoho's MAD estimate on the finest Haar
    diagonal band.

    ``sigma = median(|HH|) / 0.6745`` with ``HH = (a - b - c + d) / 2`` over 2x2 blocks:
    natural images have almost no energy in that band, white noise keeps its full
    variance there. (scikit-image's ``estimate_sigma`` does the same with a db2 wavelet
    but needs PyWavelets.) Averaged over channels.
    """
    x = degrade.check_image(img, "img", range01=False).detach().double().cpu()
    h, w = (x.shape[1] // 2) * 2, (x.shape[2] // 2) * 2
    if h < 2 or w < 2:
        raise ValueError(f"img must be at least 2x2 pixels, got {tuple(x.shape[1:])}")
    x = x[:, :h, :w]
    hh = (x[:, 0::2, 0::2] - x[:, 0::2, 1::2] - x[:, 1::2, 0::2] + x[:, 1::2, 1::2]) / 2
    return float(hh.abs().flatten(1).median(dim=1).values.mean() / 0.6745)


def discrepancy_stop(
    noise_sigma: float, tau: float = 1.0
) -> Callable[[int, nn.Module, History], bool]:
    """A ``fit`` callback that stops once the data-fit MSE drops to ``tau * noise_sigma**2``.

    The discrepancy principle (Morozov): a restoration whose residual is smaller than the
    noise is fitting the noise. It needs the noise level, not the clean image. This stopping
    rule is the course's addition: the LINR paper stops at a fixed number of steps (500) and
    names stopping rules as future work.
    """
    if not (isinstance(noise_sigma, (int, float)) and noise_sigma > 0):
        raise ValueError(f"noise_sigma must be > 0 (on the [0, 1] scale), got {noise_sigma!r}")
    threshold = tau * noise_sigma**2

    def stop(step: int, model: nn.Module, history: History) -> bool:
        return history.loss[-1] <= threshold

    return stop


def restore(
    observation: torch.Tensor,
    forward_op: Callable[[torch.Tensor], torch.Tensor] | None = None,
    size: tuple[int, int] | None = None,
    steps: int = 500,
    model: nn.Module | None = None,
    seed: int = 0,
    stop: str | Callable[[int, nn.Module, History], bool] | None = None,
    *,
    lr: float = 1e-4,
    noise_sigma: float | None = None,
    tau: float = 1.0,
    reference: torch.Tensor | None = None,
    eval_every: int = 10,
    keep_snapshots: bool = False,
    run_to_end: bool = False,
    device: torch.device | str | None = None,
    progress: bool = True,
    desc: str = "LINR",
) -> Restoration:
    """Restore an image by fitting an INR through ``forward_op`` to ``observation``; return a
    :class:`Restoration`.

    ``observation``: the degraded image ``(C, h, w)``. ``forward_op``: a differentiable
    callable mapping the restored ``(C, H, W)`` image to something shaped like the
    observation (``None`` = identity, i.e. denoising). ``size=(H, W)``: the restored image's
    size (default: the observation's; larger for super-resolution). ``model``: any
    coordinate network ``(N, 2) -> (N, C)`` from :mod:`inrutils.models` (default: the paper's
    SIREN, built after seeding with ``seed``). ``stop``: ``None`` (run all ``steps``),
    ``"discrepancy"`` (stop when the residual MSE reaches ``tau * noise_sigma**2``;
    ``noise_sigma`` is estimated from the observation when not given) or a callback
    ``(step, model, history) -> bool``. ``reference`` (clean ``(C, H, W)`` image) is only
    used to *report* PSNR/SSIM along the way, never to fit or to stop. ``run_to_end=True``
    keeps fitting after the rule fired (``image`` is still the one at the stop). The rule sees
    step k's residual, computed before step k's update; ``image`` is the rendering after it.
    """
    observation = degrade.check_image(observation, "observation", range01=False)
    lo, hi = float(observation.min()), float(observation.max())
    if not (-0.5 <= lo and hi <= 1.5):  # unclipped noise may leave [0, 1] a little, 8-bit data far
        raise ValueError(
            "observation must be on the [0, 1] scale (noise may push it slightly outside), got "
            f"min {lo:.3g}, max {hi:.3g}; divide 8-bit images by 255"
        )
    c = observation.shape[0]
    size = tuple(observation.shape[1:]) if size is None else tuple(size)
    if len(size) != 2 or not all(isinstance(s, int) and s > 0 for s in size):
        raise ValueError(f"size must be (H, W) with positive integers, got {size!r}")
    if isinstance(eval_every, bool) or not isinstance(eval_every, int) or eval_every < 1:
        raise ValueError(f"eval_every must be a positive integer, got {eval_every!r}")
    if reference is not None:
        reference = degrade.check_image(reference, "reference")
        if tuple(reference.shape) != (c, *size):
            raise ValueError(
                f"reference must have the restored image's shape {(c, *size)}, got "
                f"{tuple(reference.shape)}"
            )
    op = forward_op if forward_op is not None else (lambda img: img)
    if forward_op is None and size != tuple(observation.shape[1:]):
        raise ValueError(
            f"size={size} differs from the observation's {tuple(observation.shape[1:])}: give the "
            "forward_op that maps the restored image to the observation (e.g. degrade.downsample)"
        )

    dev = torch.device(device) if device is not None else default_device()
    if model is None:
        seed_everything(seed)
        model = default_model(c)
    else:
        torch.manual_seed(seed)
    model = model.to(dev)

    callbacks = []
    if stop == "discrepancy" and getattr(forward_op, "joint", False):
        raise ValueError(
            'stop="discrepancy" needs one noise level, but forward_op is a joint_operator: its '
            "residual mixes observations with different noise and weights; use stop=None (fixed "
            "steps) or a callable"
        )
    if stop == "discrepancy":
        sigma = estimate_noise_sigma(observation) if noise_sigma is None else noise_sigma
        callbacks.append(discrepancy_stop(sigma, tau))
    elif callable(stop):
        callbacks.append(stop)
    elif stop is not None:
        raise ValueError(
            f"stop={stop!r} is unknown; allowed: None, {', '.join(map(repr, STOPS))} or a callable"
        )

    coords = grid(*size).to(dev)
    result = Restoration(image=torch.empty(0), history=History(), model=model, stopped_at=0)

    def record(step: int) -> None:
        img = current()
        result.curve["step"].append(step)
        result.curve["psnr"].append(psnr(img, reference))
        result.curve["ssim"].append(ssim(img, reference))
        if keep_snapshots:
            result.snapshots[step] = img

    def current() -> torch.Tensor:
        return render(model, *size).clamp(0, 1)

    def callback(step: int, m: nn.Module, history: History) -> bool:
        if (reference is not None or keep_snapshots) and (step % eval_every == 0 or step == 1):
            if reference is None:
                result.snapshots[step] = current()
            else:
                record(step)
        if result.stopped_at == 0 and any(cb(step, m, history) for cb in callbacks):
            result.stopped_at, result.image = step, current()
            return not run_to_end
        return False

    target = observation.to(dev)
    history = fit(
        model,
        coords,
        target,
        steps,
        lr,
        forward_op=op,
        image_shape=size,
        callback=callback,
        progress=progress,
        desc=desc,
    )
    result.history = history
    last = history.step[-1]
    result.final_image = current()
    if result.stopped_at == 0:
        result.stopped_at, result.image = last, result.final_image
    if reference is not None and result.curve["step"][-1] != last:
        record(last)
    elif reference is None and keep_snapshots:
        result.snapshots[last] = result.final_image
    return result


# ---------------------------------------------------------------------------------------------
# Classical baselines (scikit-image), with the settings the notebook and the paper script use.
# Each takes and returns (C, H, W) tensors in [0, 1]; none sees the clean image.
# ---------------------------------------------------------------------------------------------
def _channel_axis(img: torch.Tensor) -> int | None:
    return -1 if img.shape[0] > 1 else None


def tv_denoise(obs: torch.Tensor, weight: float = 0.1) -> torch.Tensor:
    """Total-variation denoising (Chambolle's algorithm, scikit-image) with ``weight``."""
    from skimage.restoration import denoise_tv_chambolle

    return from_numpy(
        denoise_tv_chambolle(to_numpy(obs), weight=weight, channel_axis=_channel_axis(obs))
    ).clamp(0, 1)


def nlm_denoise(obs: torch.Tensor, sigma: float | None = None) -> torch.Tensor:
    """Non-local means (5x5 patches, 13x13 search, ``h = 0.8 sigma``, fast mode); ``sigma``
    estimated when ``None``."""
    from skimage.restoration import denoise_nl_means

    sigma = estimate_noise_sigma(obs) if sigma is None else sigma
    out = denoise_nl_means(
        to_numpy(obs),
        h=0.8 * sigma,
        sigma=sigma,
        patch_size=5,
        patch_distance=6,
        fast_mode=True,
        channel_axis=_channel_axis(obs),
    )
    return from_numpy(out).clamp(0, 1)


def biharmonic_inpaint(obs: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Biharmonic inpainting (scikit-image) of the pixels where ``mask`` (``(1, H, W)``, 1 =
    observed) is 0."""
    from skimage.restoration import inpaint_biharmonic

    mask = degrade.check_mask(mask, tuple(obs.shape))
    missing = to_numpy(1 - mask[:1]).astype(bool)
    return from_numpy(
        inpaint_biharmonic(to_numpy(obs), missing, channel_axis=_channel_axis(obs))
    ).clamp(0, 1)


def _padded(fn: Callable[[np.ndarray], np.ndarray], obs: torch.Tensor, pad: int) -> torch.Tensor:
    """Apply ``fn`` to each channel of a reflect-padded copy (deconvolution assumes periodic/zero
    borders) and crop. Reflect without repeating the edge pixel, as ``degrade.blur``'s padding."""
    out = []
    for ch in obs.detach().cpu().double().numpy():
        x = np.pad(ch, pad, mode="reflect")
        out.append(fn(x)[pad:-pad, pad:-pad])
    return torch.tensor(np.stack(out), dtype=torch.float32).clamp(0, 1)


def richardson_lucy(obs: torch.Tensor, kernel: torch.Tensor, iterations: int = 30) -> torch.Tensor:
    """Richardson-Lucy deconvolution (scikit-image, ``iterations``), on a reflect-padded copy."""
    from skimage.restoration import richardson_lucy as rl

    k = degrade.check_kernel(kernel).double().numpy()
    return _padded(lambda x: rl(x, k, num_iter=iterations), obs, 2 * k.shape[0])


def wiener(obs: torch.Tensor, kernel: torch.Tensor, seed: int = 0) -> torch.Tensor:
    """Unsupervised Wiener-Hunt deconvolution (scikit-image; it estimates its own regularisation),
    reflect-padded."""
    from skimage.restoration import unsupervised_wiener

    k = degrade.check_kernel(kernel).double().numpy()
    return _padded(lambda x: unsupervised_wiener(x, k, rng=seed)[0], obs, 2 * k.shape[0])
