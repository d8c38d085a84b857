"""Checks for notebook 05, LINR: the masked data term, box downsampling, the
discrepancy-principle stopping step."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..degrade import downsample, random_mask
from ..linr import discrepancy_stop, masked_mse, restore
from ._common import _as_tensor, _passed, _reject_library_call


def check_masked_mse(
    fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """``fn(pred, target, mask)`` must return the MSE over observed entries (mask ``(1, H, W)``, 1 =
    observed)."""
    _reject_library_call(
        fn,
        {"masked_mse": masked_mse},
        "write the masked data term",
        probe=(torch.zeros(1, 4, 4), torch.ones(1, 4, 4), torch.ones(1, 4, 4)),
    )
    gen = torch.Generator().manual_seed(2)
    for c, h, w, frac in [(1, 8, 8, 0.25), (3, 6, 10, 0.5), (3, 16, 16, 0.1)]:
        pred, target = torch.rand(c, h, w, generator=gen), torch.rand(c, h, w, generator=gen)
        mask = random_mask(h, w, frac, seed=c + h)
        pred_copy = pred.clone().requires_grad_(True)
        got = _as_tensor("your masked loss", fn(pred_copy, target, mask))
        want = masked_mse(pred, target, mask)
        if got.numel() != 1:
            raise AssertionError(f"the loss must be a scalar, got shape {tuple(got.shape)}")
        if torch.allclose(got, torch.mean((pred - target) ** 2), atol=1e-6):
            raise AssertionError(
                "this is the plain MSE over all pixels: multiply the error by the mask"
            )
        if torch.allclose(got, torch.mean(mask * (pred - target) ** 2), atol=1e-6):
            raise AssertionError(
                "divide by the number of observed values (mask.sum() * channels), not by all pixels"
            )
        if not torch.allclose(got, want, atol=1e-6):
            raise AssertionError(
                f"for a {c}x{h}x{w} image the loss should be {want.item():.6f}, got "
                f"{got.item():.6f}"
            )
        if not got.requires_grad:
            raise AssertionError(
                "the loss must stay differentiable (no .item(), .numpy() or torch.no_grad())"
            )
        # the hidden pixels must not matter
        changed = target + (1 - mask) * 5.0
        if not torch.allclose(fn(pred, changed, mask), want, atol=1e-6):
            raise AssertionError(
                "changing hidden pixels of the target changed the loss: only observed pixels may "
                "count"
            )
    _passed("masked data term")


def check_box_downsample(fn: Callable[[torch.Tensor, int], torch.Tensor]) -> None:
    """``fn(img, factor)`` must average each ``factor x factor`` block of a ``(C, H, W)`` image,
    differentiably."""
    _reject_library_call(
        fn, {"downsample": downsample}, "write the block average", probe=(torch.zeros(1, 4, 4), 2)
    )
    gen = torch.Generator().manual_seed(3)
    for c, h, w, f in [(1, 8, 8, 2), (3, 12, 6, 3), (3, 16, 16, 4), (1, 5, 5, 1)]:
        img = torch.rand(c, h, w, generator=gen, requires_grad=True)
        got = _as_tensor("your downsampling", fn(img, f))
        want = downsample(img.detach(), f, "box")
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(
                f"a {c}x{h}x{w} image downsampled by {f} should be {tuple(want.shape)}, got "
                f"{tuple(got.shape)}"
            )
        if f > 1 and torch.allclose(got, img.detach()[:, ::f, ::f], atol=1e-6):
            raise AssertionError(
                "this keeps every f-th pixel (decimation, which aliases): average each f x f block"
            )
        if not torch.allclose(got, want, atol=1e-6):
            raise AssertionError(
                f"values differ from the block means by up to {(got - want).abs().max():.3g}"
            )
        if not got.requires_grad:
            raise AssertionError("the operator must be differentiable: it sits inside the loss")
    _passed("box downsampling forward model")


def check_discrepancy_step(fn: Callable[[list, float, float], int]) -> None:
    """``fn(losses, noise_sigma, tau)``: the 1-based step at which the data-fit MSE first reaches
    ``tau * sigma^2``.

    ``losses[k]`` is the residual MSE of step ``k + 1``; when the threshold is never reached the
    answer is the last step, ``len(losses)`` (the fit ran to the end). The discrepancy principle
    (Morozov) needs the noise level only, never the clean image.
    """
    _reject_library_call(
        fn,
        {"discrepancy_stop": discrepancy_stop, "restore": restore},
        "find the step from the losses and the noise level",
        probe=([0.05, 0.02, 0.005], 0.1, 1.0),
    )
    cases = [
        ([0.05, 0.02, 0.011, 0.0099, 0.008], 0.1, 1.0, 4),
        (
            [0.05, 0.02, 0.015625, 0.009],
            0.125,
            1.0,
            3,
        ),  # equal to the threshold (exact in binary) stops
        ([0.05, 0.03, 0.02], 0.1, 1.0, 3),  # never reached: the last step
        ([0.05, 0.03, 0.02, 0.01], 0.1, 2.0, 3),  # tau scales the threshold
        ([0.004, 0.003], 0.05, 1.0, 2),  # 0.003 > 0.05^2: compare with the variance, not sigma
    ]
    for losses, sigma, tau, want in cases:
        got = fn(list(losses), sigma, tau)
        if isinstance(got, bool) or not isinstance(got, int):
            raise AssertionError(f"return the step as an int, got {type(got).__name__}")
        if losses == [0.05, 0.02, 0.015625, 0.009] and got == 4:
            raise AssertionError(
                "a residual equal to tau * sigma^2 already meets the rule: compare with <="
            )
        if losses == [0.05, 0.03, 0.02, 0.01] and got == 4:
            raise AssertionError(
                "the threshold is tau * noise_sigma**2: tau multiplies the variance"
            )
        if got == want - 1 and got < len(losses):
            raise AssertionError(
                "steps are counted from 1 (history.step starts at 1): add one to the index"
            )
        if got != want:
            raise AssertionError(
                f"losses {losses}, noise_sigma {sigma}, tau {tau}: the rule fires at step {want}, "
                f"got {got} (threshold tau * sigma^2 = {tau * sigma**2:.4g})"
            )
    _passed("discrepancy-principle stopping step")
