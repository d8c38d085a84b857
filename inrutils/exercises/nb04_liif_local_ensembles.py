"""Checks for notebook 04, LIIF: the local-ensemble weights and one training step."""

from __future__ import annotations

import numbers
from collections.abc import Callable

import torch

from ._common import _as_tensor, _passed, _reject_library_call


def check_ensemble_weights(fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """``fn(rel)`` must turn the offsets ``(4, 2)`` of a query to its four codes into LIIF's
    blending weights ``(4,)``.

    Codes in the order (up-left, up-right, down-left, down-right); each weight is the area of the
    rectangle spanned by the query and the *diagonally opposite* code, divided by the sum of the
    four areas.
    """
    from .. import liif

    _reject_library_call(
        fn,
        {"ensemble_weights": liif.ensemble_weights},
        "compute the four rectangle areas from rel",
        probe=(torch.tensor([[0.5, 0.5], [0.5, -1.5], [-1.5, 0.5], [-1.5, -1.5]]),),
    )
    gen = torch.Generator().manual_seed(8)
    for _ in range(5):
        t = torch.rand(2, generator=gen) * 2  # the query inside the square of the four codes
        codes = torch.tensor([[0.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 2.0]])
        rel = t - codes
        got = _as_tensor("your weights", fn(rel)).reshape(-1)
        areas = (rel[:, 0] * rel[:, 1]).abs()
        want = areas.flip(0) / areas.sum()
        if got.numel() != 4:
            raise AssertionError(f"return one weight per code, shape (4,), got {tuple(got.shape)}")
        if torch.allclose(got, areas / areas.sum(), atol=1e-5):
            raise AssertionError(
                "each code is weighted by its *own* rectangle: the nearest code then gets the "
                "smallest weight; use the diagonally opposite code's area (reverse the list of "
                "areas)"
            )
        if not torch.allclose(got.sum(), torch.tensor(1.0), atol=1e-5):
            raise AssertionError(
                "the weights should sum to 1 (divide by the total area), got "
                f"{float(got.sum()):.4f}"
            )
        if not torch.allclose(got, want, atol=1e-5):
            raise AssertionError(
                "weights differ from the opposite-area rule by up to "
                f"{(got - want).abs().max():.3g}"
            )
    _passed("local-ensemble weights: opposite areas, normalised")


def _step_reference(model, hr, patch, *, cell_of="hr", order=(0, 1), loss="l1", transpose=True):
    """The loss of one training step on ``hr`` computed the right way, or with one usual mistake."""
    from .. import liif
    from ..coords import grid

    h, w = hr.shape[1:]
    lr = liif.downscale(hr, (patch, patch))
    coord = grid(h, w)[:, list(order)]
    n = (h, w) if cell_of == "hr" else (patch, patch)
    cell = torch.tensor([2.0 / n[0], 2.0 / n[1]]).expand_as(coord)
    pred = model(lr[None], coord[None], cell[None])[0]
    target = hr.flatten(1).T if transpose else hr.flatten(1)
    err = pred - target
    return err.abs().mean() if loss == "l1" else err.pow(2).mean()


def check_train_step(fn: Callable) -> None:
    """``fn(model, opt, hr, patch)`` must run one LIIF training step on the HR crop ``hr``
    ``(C, H, W)`` and return the loss as a float.

    The step: the LR input is ``liif.downscale(hr, (patch, patch))``; the queries are all ``H x W``
    pixel centres of ``hr`` (``grid(H, W)``, ``(y, x)``), each with the cell of the HR grid
    ``(2 / H, 2 / W)``, and the targets the HR values there; the loss is the L1 error (mean absolute
    difference); then ``zero_grad``, ``backward``, ``step``.
    """
    import copy

    from .. import liif

    def fresh(seed=0, channels=1):
        torch.manual_seed(seed)
        return liif.LIIF(channels=channels, n_resblocks=1, n_feats=8, hidden=16, layers=2)

    gen = torch.Generator().manual_seed(4)
    probe_model = fresh()
    _reject_library_call(
        fn,
        {"sample_batch": liif.sample_batch},
        "build the batch (LR input, coordinates, cells, targets) from the HR crop",
        probe=(
            probe_model,
            torch.optim.SGD(probe_model.parameters(), lr=0.0),
            torch.rand(1, 16, 16, generator=gen),
            8,
        ),
    )
    for hr_h, hr_w, patch, channels in [
        (24, 24, 8, 1),
        (20, 20, 8, 1),
        (18, 24, 6, 1),
        (12, 12, 4, 3),
    ]:
        hr = torch.nn.functional.avg_pool2d(
            torch.rand(1, channels, hr_h + 3, hr_w + 3, generator=gen), 4, stride=1
        )[0]  # smooth enough that mistakes change the loss
        model, ref = fresh(channels=channels), fresh(channels=channels)
        opt = torch.optim.SGD(model.parameters(), lr=0.5)
        ref_opt = torch.optim.SGD(ref.parameters(), lr=0.5)
        for m in (model, ref):  # stale gradients from an earlier step: zero_grad must clear them
            for p in m.parameters():
                p.grad = torch.ones_like(p)
        before = copy.deepcopy(ref.state_dict())
        got = fn(model, opt, hr, patch)
        if isinstance(got, torch.Tensor):
            got = got.item() if got.numel() == 1 else got
        if not isinstance(got, numbers.Real):
            raise AssertionError(
                f"return the loss as a number (loss.item()), got {type(got).__name__}"
            )
        got = float(got)
        want = _step_reference(ref, hr, patch)
        ref_opt.zero_grad()
        want.backward()
        ref_opt.step()
        with torch.no_grad():
            mistakes = {
                "cell": _step_reference(fresh(channels=channels), hr, patch, cell_of="lr"),
                "order": _step_reference(fresh(channels=channels), hr, patch, order=(1, 0)),
                "l2": _step_reference(fresh(channels=channels), hr, patch, loss="l2"),
            }
            if channels == 1:  # (Q, 1) - (1, Q) broadcasts to (Q, Q)
                mistakes["transpose"] = _step_reference(fresh(), hr, patch, transpose=False)
        if abs(got - mistakes["l2"].item()) < 1e-6 and abs(got - want.item()) > 1e-6:
            raise AssertionError(
                "that is the mean squared error; LIIF trains with the L1 loss, the mean absolute "
                "difference |pred - target|"
            )
        if abs(got - mistakes["cell"].item()) < 1e-6 and abs(got - want.item()) > 1e-6:
            raise AssertionError(
                "the cell is the size of one pixel of the *output* being predicted, the HR crop: "
                "(2 / H, 2 / W), not the LR patch's (2 / patch)"
            )
        if abs(got - mistakes["order"].item()) < 1e-6 and abs(got - want.item()) > 1e-6:
            raise AssertionError(
                "the coordinates are (y, x), row first, like `grid(H, W)` and `img[y, x]`; yours "
                "are (x, y)"
            )
        if "transpose" in mistakes and abs(got - mistakes["transpose"].item()) < 1e-6:
            raise AssertionError(
                "the targets must be (H * W, C), one row per query like the prediction: "
                "hr.flatten(1).T; an (C, H * W) target broadcasts against the (H * W, C) "
                "prediction into an (H * W, H * W) difference"
            )
        if abs(got - 2 * want.item()) < 1e-5:
            raise AssertionError(
                "that is twice the L1 loss: the model's output is on the [0, 1] scale like hr, so "
                "compare the two directly (the official code's (v - 0.5) / 0.5 scaling doubles it)"
            )
        if channels > 1 and abs(got - want.item()) > 1e-5:
            raise AssertionError(
                f"with {channels} channels the loss should be {want.item():.6f}, got {got:.6f}: "
                "are the targets hr.flatten(1).T, i.e. (H * W, C) with the channels in columns? "
                "hr.reshape(-1, C) mixes channels and pixels"
            )
        if abs(got - want.item()) > 1e-5:
            raise AssertionError(
                f"the loss before the step should be {want.item():.6f} (L1 over all H x W pixel "
                f"centres of hr, decoded from its {patch}x{patch} bicubic downsampling with the HR "
                f"cell), got {got:.6f}"
            )
        params = dict(model.named_parameters())
        unchanged = all(torch.equal(before[k], params[k].detach()) for k in params)
        if unchanged:
            raise AssertionError(
                "the parameters did not change: call opt.step() after loss.backward(), and do not "
                "clear the gradients between the two"
            )
        for k, p in ref.named_parameters():
            if not torch.allclose(params[k].detach(), p.detach(), atol=1e-5):
                stale = before[k] - 0.5 * (p.grad + 1)
                if torch.allclose(params[k].detach(), stale, atol=1e-5):
                    raise AssertionError(
                        "the update used stale gradients: call opt.zero_grad() before "
                        "loss.backward(), or the gradients of earlier steps add up"
                    )
                raise AssertionError(
                    f"after the step, parameter {k} differs from one SGD step on your loss by "
                    f"{(params[k].detach() - p.detach()).abs().max():.3g}"
                )
    _passed("one LIIF training step: batch from the HR crop, L1, update")
