"""Fitting a coordinate network to samples, full-batch or mini-batch, with a training history.

``fit`` is a plain PyTorch loop (Adam by default) with three additions a course needs: a
``History`` of loss, PSNR and wall time per step, a clear error when the loss turns
NaN/inf, and an optional ``forward_op`` so that a network can be fitted *through* a
degradation (blur, downsampling, masking) in the restoration notebooks.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn
from tqdm.auto import tqdm

from .coords import grid, image_to_samples, samples_to_image

LOSSES: dict[str, Callable[[torch.Tensor, torch.Tensor], torch.Tensor]] = {
    "mse": nn.functional.mse_loss,
    "l1": nn.functional.l1_loss,
}


@dataclass
class History:
    """Per-step record of a fit: ``step`` (1-based), ``loss``, ``psnr`` (dB), ``time`` (s,
    cumulative).

    ``psnr[k]`` is measured on the prediction made *during* step ``k`` (before that
    step's update), against ``reference`` when one was given to :func:`fit`, otherwise
    against the target. Mini-batch fits measure it on the batch. ``time[k]`` is read on the
    host once step ``k``'s update has been issued; on a GPU the device may still be working on
    it (``fit`` waits for the GPU only every ``check_every`` steps, which keeps it close to a
    bare loop).
    """

    step: list[int] = field(default_factory=list)
    loss: list[float] = field(default_factory=list)
    psnr: list[float] = field(default_factory=list)
    time: list[float] = field(default_factory=list)
    stopped_early: bool = False

    def __len__(self) -> int:
        return len(self.step)

    def record(self, step: int, loss: float, psnr: float, elapsed: float) -> None:
        self.step.append(step)
        self.loss.append(loss)
        self.psnr.append(psnr)
        self.time.append(elapsed)

    @property
    def final_psnr(self) -> float:
        return self.psnr[-1] if self.psnr else float("nan")

    @property
    def best_psnr(self) -> float:
        return max(self.psnr) if self.psnr else float("nan")

    @property
    def best_step(self) -> int:
        return self.step[max(range(len(self.psnr)), key=self.psnr.__getitem__)] if self.psnr else 0

    @property
    def seconds(self) -> float:
        return self.time[-1] if self.time else 0.0

    def __repr__(self) -> str:
        if not self.step:
            return "History(empty)"
        return (
            f"History({len(self)} steps, loss {self.loss[-1]:.3g}, PSNR {self.final_psnr:.2f} dB "
            f"(best {self.best_psnr:.2f} at step {self.best_step}), {self.seconds:.1f} s)"
        )


class FitDivergedError(FloatingPointError):
    """Raised when the loss becomes NaN or inf; ``.history`` holds every step before it."""

    def __init__(self, message: str, history: History):
        super().__init__(message)
        self.history = history


def _psnr_from_mse(mse: float) -> float:
    return 10.0 * math.log10(1.0 / mse) if mse > 0 else float("inf")


def _check_tensor(name: str, x: object) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"{name} must be a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise ValueError(
            f"{name} must be a floating-point tensor (e.g. float32 in [0, 1]), got dtype {x.dtype}"
        )
    return x


def _make_optimizer(
    optimizer: str | torch.optim.Optimizer, model: nn.Module, lr: float
) -> torch.optim.Optimizer:
    if isinstance(optimizer, torch.optim.Optimizer):
        return optimizer
    choices = {"adam": torch.optim.Adam, "sgd": torch.optim.SGD}
    if optimizer not in choices:
        raise ValueError(
            f"optimizer={optimizer!r} is unknown; allowed: 'adam', 'sgd' or a torch.optim.Optimizer"
        )
    return choices[optimizer](model.parameters(), lr=lr)


def _snapshot(model: nn.Module, opt: torch.optim.Optimizer, scheduler) -> tuple:
    """Copies of the model's, the optimizer's and the scheduler's state (on their device)."""
    return (
        {k: v.detach().clone() for k, v in model.state_dict().items()},
        copy.deepcopy(opt.state_dict()),
        None if scheduler is None else copy.deepcopy(scheduler.state_dict()),
    )


def _restore(snapshot: tuple, model: nn.Module, opt: torch.optim.Optimizer, scheduler) -> None:
    model.load_state_dict(snapshot[0])
    opt.load_state_dict(snapshot[1])
    if scheduler is not None:
        scheduler.load_state_dict(snapshot[2])


def fit(
    model: nn.Module,
    coords: torch.Tensor,
    target: torch.Tensor,
    steps: int,
    lr: float = 1e-4,
    *,
    loss: str | Callable[[torch.Tensor, torch.Tensor], torch.Tensor] = "mse",
    batch_size: int | None = None,
    forward_op: Callable[[torch.Tensor], torch.Tensor] | None = None,
    image_shape: tuple[int, int] | None = None,
    reference: torch.Tensor | None = None,
    optimizer: str | torch.optim.Optimizer = "adam",
    scheduler: torch.optim.lr_scheduler.LRScheduler | None = None,
    callback: Callable[[int, nn.Module, History], bool | None] | None = None,
    check_every: int = 25,
    progress: bool = True,
    desc: str = "fit",
) -> History:
    """Train ``model`` in place so that ``model(coords)`` matches ``target``; return the
    :class:`History`.

    Shapes: ``coords`` ``(N, D)``; without ``forward_op`` ``target`` is ``(N, C)``. With
    ``batch_size`` each step uses a fresh random subset of that many samples (mini-batch),
    otherwise all ``N`` (full batch). With ``forward_op`` the prediction is first turned
    into an image ``(C, H, W)`` with ``image_shape=(H, W)`` (``N = H * W``, full batch
    only), then ``forward_op(image)`` is compared with ``target`` of the same shape as
    that output: this fits the clean image through a known degradation.
    ``reference`` (same shape as the prediction, samples ``(N, C)`` or image
    ``(C, H, W)``) makes ``History.psnr`` report quality against a clean signal instead of
    the training target. ``loss`` is ``"mse"``, ``"l1"`` or ``f(pred, target)``.
    ``optimizer`` is ``"adam"``, ``"sgd"`` or a ready optimizer (whose own learning rate then
    applies, and whose state carries over between calls); ``scheduler`` (built on that
    optimizer) is stepped after every optimizer step. ``callback(step, model, history)`` runs
    after every step with the history up to that step; returning ``True`` stops the fit early.
    Data are moved to the model's device.

    The loop keeps each step's loss and error on the device and copies them to the host every
    ``check_every`` steps, at the last step, and at every step when a ``callback`` is given
    (a copy waits for the GPU; the CPU does not wait). If the loss became NaN/inf the fit stops
    with :class:`FitDivergedError` naming the first bad step and a lower learning rate; the
    model, optimizer and scheduler are first restored to their state after the last checked
    step (with ``check_every=1`` or a callback: the step before the bad one).
    """
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if isinstance(steps, bool) or not isinstance(steps, int) or steps <= 0:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    if not (isinstance(lr, (int, float)) and math.isfinite(lr) and lr > 0):
        raise ValueError(f"lr must be a positive finite number, got {lr!r}")
    if isinstance(check_every, bool) or not isinstance(check_every, int) or check_every <= 0:
        raise ValueError(f"check_every must be a positive integer, got {check_every!r}")
    coords = _check_tensor("coords", coords)
    target = _check_tensor("target", target)
    if coords.ndim != 2:
        raise ValueError(f"coords must have shape (N, D), got {tuple(coords.shape)}")
    loss_fn = LOSSES.get(loss) if isinstance(loss, str) else loss
    if loss_fn is None or not callable(loss_fn):
        raise ValueError(
            f"loss={loss!r} is unknown; allowed: {', '.join(map(repr, LOSSES))} or a "
            "callable(pred, target)"
        )

    n = coords.shape[0]
    if forward_op is None:
        if target.ndim != 2 or target.shape[0] != n:
            raise ValueError(
                f"target must have shape (N, C) = ({n}, C) to match coords {tuple(coords.shape)}, "
                f"got {tuple(target.shape)} (for a (C, H, W) image use coords.image_to_samples or "
                "fit_image)"
            )
        if reference is not None and tuple(reference.shape) != tuple(target.shape):
            raise ValueError(
                f"reference must have the target's shape {tuple(target.shape)}, got "
                f"{tuple(reference.shape)}"
            )
    else:
        if not callable(forward_op):
            raise ValueError(
                "forward_op must be a callable mapping a (C, H, W) image to the observation"
            )
        if batch_size is not None:
            raise ValueError(
                "batch_size must be None with forward_op: an image operator needs the whole image"
            )
        if not (
            isinstance(image_shape, (tuple, list))
            and len(image_shape) == 2
            and image_shape[0] * image_shape[1] == n
        ):
            raise ValueError(
                f"image_shape=(H, W) with H * W = N = {n} is required with forward_op, got "
                f"{image_shape!r}"
            )
    if batch_size is not None and (
        isinstance(batch_size, bool) or not isinstance(batch_size, int) or not 0 < batch_size <= n
    ):
        raise ValueError(
            f"batch_size must be None (full batch) or an integer in 1..{n}, got {batch_size!r}"
        )

    dev = next(model.parameters()).device
    coords, target = coords.to(dev), target.to(dev)
    reference = None if reference is None else _check_tensor("reference", reference).to(dev)
    opt = _make_optimizer(optimizer, model, lr)
    every = 1 if callback is not None else check_every
    # Per-step loss and mean squared error (for the PSNR) stay on the device between checks.
    losses = torch.empty(steps, device=dev)
    errors = torch.empty(steps, device=dev)
    snapshot = _snapshot(model, opt, scheduler) if every > 1 else None
    history = History()
    stamps: list[float] = []  # host time after each step's update was issued
    start = time.perf_counter()
    bar = tqdm(range(1, steps + 1), desc=desc, disable=not progress, leave=False, mininterval=0.5)
    for step in bar:
        if batch_size is None:
            x, y, ref = coords, target, reference
        else:
            idx = torch.randint(0, n, (batch_size,), device=dev)
            x, y = coords[idx], target[idx]
            ref = None if reference is None else reference[idx]
        pred = model(x)
        if forward_op is not None:
            pred = samples_to_image(pred, *image_shape)
            observed = forward_op(pred)
            if observed.shape != y.shape:
                bar.close()
                raise ValueError(
                    f"forward_op maps the {tuple(pred.shape)} image to {tuple(observed.shape)}, "
                    f"but target has shape {tuple(y.shape)}; they must match"
                )
        else:
            observed = pred
        if ref is not None and ref.shape != pred.shape:
            bar.close()
            raise ValueError(
                f"reference must have the prediction's shape {tuple(pred.shape)}, got "
                f"{tuple(ref.shape)}"
            )
        value = loss_fn(observed, y)
        opt.zero_grad(set_to_none=True)
        value.backward()
        with torch.no_grad():
            losses[step - 1] = value.detach()
            if ref is not None:
                errors[step - 1] = torch.mean((pred.detach() - ref) ** 2)
            elif loss == "mse":
                errors[step - 1] = value.detach()
            else:  # against the target, of the prediction already pushed through forward_op
                errors[step - 1] = torch.mean((observed.detach() - y) ** 2)
        checked = None
        if step % every == 0 or step == steps:
            # The one host sync of `every` steps, before this step's update is applied.
            first = len(history)
            checked = list(zip(losses[first:step].tolist(), errors[first:step].tolist()))
            for k, (loss_value, _) in enumerate(checked):
                if not math.isfinite(loss_value):
                    bar.close()
                    bad = first + k + 1
                    kept = ""
                    if snapshot is not None:
                        _restore(snapshot, model, opt, scheduler)
                        after = f"after step {first}" if first else "before step 1"
                        kept = f"; the model is restored to its weights {after}"
                    lr_now = opt.param_groups[0]["lr"]
                    for j, (lv, mse) in enumerate(checked[:k]):
                        history.record(first + j + 1, lv, _psnr_from_mse(mse), stamps[first + j])
                    raise FitDivergedError(
                        f"fit diverged: the loss is {loss_value} at step {bad} of {steps} "
                        f"(lr={lr_now:g}); try a lower learning rate such as lr={lr_now / 10:g}. "
                        f"History of the {bad - 1} finite steps is in .history{kept}",
                        history,
                    )
        opt.step()
        if scheduler is not None:
            scheduler.step()
        stamps.append(time.perf_counter() - start)
        if checked is not None:
            first = len(history)
            for j, (loss_value, mse) in enumerate(checked):
                history.record(first + j + 1, loss_value, _psnr_from_mse(mse), stamps[first + j])
            bar.set_postfix(
                loss=f"{history.loss[-1]:.2e}", psnr=f"{history.psnr[-1]:.2f}", refresh=False
            )
        if every > 1 and step % every == 0 and step < steps:
            snapshot = _snapshot(model, opt, scheduler)
        if callback is not None and callback(step, model, history):
            history.stopped_early = True
            break
    bar.close()
    return history


def fit_image(
    model: nn.Module,
    image: torch.Tensor,
    steps: int,
    lr: float = 1e-4,
    **kwargs,
) -> History:
    """Fit ``model`` to a ``(C, H, W)`` image on its pixel-centre grid; return the :class:`History`.

    Shorthand for ``fit(model, grid(H, W), image_to_samples(image), steps, lr, **kwargs)``.
    """
    image = _check_tensor("image", image)
    if image.ndim != 3:
        raise ValueError(f"image must have shape (C, H, W), got {tuple(image.shape)}")
    reference = kwargs.pop("reference", None)
    if reference is not None:
        reference = image_to_samples(_check_tensor("reference", reference))
    h, w = image.shape[1:]
    return fit(model, grid(h, w), image_to_samples(image), steps, lr, reference=reference, **kwargs)
