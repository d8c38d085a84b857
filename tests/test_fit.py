import math

import pytest
import torch

from inrutils import config
from inrutils.coords import grid, image_to_samples
from inrutils.data import load_image
from inrutils.fit import FitDivergedError, History, fit, fit_image
from inrutils.metrics import psnr
from inrutils.models import MLP, Siren
from inrutils.render import render


@pytest.fixture(scope="module")
def camera32():
    return load_image("camera", 32)


def test_siren_fits_a_small_image(camera32):
    config.seed_everything(0)
    net = Siren(hidden=64, layers=3)
    h = fit_image(net, camera32, steps=150, lr=1e-3, progress=False)
    assert isinstance(h, History) and len(h) == 150
    assert h.step[0] == 1 and h.step[-1] == 150 and h.time == sorted(h.time)
    assert h.final_psnr > 28.0, h
    # the history's PSNR is the PSNR of the prediction during the last step: close to a fresh
    # render's
    assert psnr(render(net, 32), camera32, clip=False) == pytest.approx(h.final_psnr, abs=1.0)


def test_relu_on_raw_coordinates_is_worse_than_siren(camera32):
    config.seed_everything(0)
    relu = fit_image(MLP(hidden=64, layers=3), camera32, 150, 1e-3, progress=False)
    config.seed_everything(0)
    siren = fit_image(Siren(hidden=64, layers=3), camera32, 150, 1e-3, progress=False)
    assert siren.final_psnr > relu.final_psnr + 5  # spectral bias


def test_minibatch_fit(camera32):
    config.seed_everything(0)
    net = Siren(hidden=64, layers=3)
    fit_image(net, camera32, steps=200, lr=1e-3, batch_size=256, progress=False)
    assert psnr(render(net, 32), camera32) > 22.0


def test_forward_op_fits_through_a_degradation(camera32):
    """Fit a 32x32 image through 2x average pooling: the observation is matched closely."""
    pool = torch.nn.AvgPool2d(2)
    observation = pool(camera32[None])[0]  # (1, 16, 16)
    config.seed_everything(0)
    net = Siren(hidden=64, layers=3)
    h = fit(
        net,
        grid(32, 32),
        observation,
        steps=150,
        lr=1e-3,
        forward_op=lambda im: pool(im[None])[0],
        image_shape=(32, 32),
        reference=camera32,
        progress=False,
    )
    restored = render(net, 32)
    assert psnr(pool(restored[None])[0], observation) > 30.0
    assert h.final_psnr == pytest.approx(
        psnr(restored, camera32, clip=False), abs=1.0
    )  # reference PSNR
    assert psnr(restored, camera32) > 20.0


def test_reference_psnr_differs_from_target_psnr(camera32):
    config.seed_everything(0)
    noisy = camera32 + 0.1 * torch.randn_like(camera32)
    h = fit_image(Siren(hidden=32, layers=2), noisy, 20, 1e-3, reference=camera32, progress=False)
    h2 = fit_image(Siren(hidden=32, layers=2), noisy, 20, 1e-3, progress=False)
    assert h.psnr[0] != pytest.approx(h2.psnr[0], abs=0.01)


def test_same_seed_same_weights_and_losses(camera32):
    def run():
        config.seed_everything(7)
        net = Siren(hidden=32, layers=2)
        h = fit_image(net, camera32, 30, 1e-3, progress=False)
        return net, h

    (a, ha), (b, hb) = run(), run()
    assert max(abs(x - y) for x, y in zip(ha.loss, hb.loss)) < 1e-6
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.allclose(pa, pb, atol=1e-6)


def test_callback_stops_early(camera32):
    h = fit_image(
        Siren(hidden=16, layers=2),
        camera32,
        50,
        1e-3,
        progress=False,
        callback=lambda s, m, h: s == 5,
    )
    assert len(h) == 5 and h.stopped_early


def test_divergence_is_reported_with_step_and_advice(camera32):
    net = MLP(hidden=16, layers=2)
    calls = []

    def loss(pred, target):
        calls.append(1)
        value = torch.mean((pred - target) ** 2)
        return value * float("nan") if len(calls) == 4 else value

    with pytest.raises(
        FitDivergedError,
        match=r"at step 4 of 10 \(lr=0.01\); try a lower learning rate such as lr=0.001",
    ) as e:
        fit_image(net, camera32, 10, 1e-2, loss=loss, progress=False)
    assert len(e.value.history) == 3


def test_real_divergence_with_huge_lr(camera32):
    config.seed_everything(0)
    with pytest.raises(FloatingPointError, match="lower learning rate"):
        fit_image(MLP(hidden=64, layers=3), camera32, 200, 1e6, progress=False)


@pytest.mark.parametrize(
    "target,match",
    [
        (torch.zeros(1024, 1, dtype=torch.int64), "floating-point"),
        (torch.zeros(1000, 1), r"target must have shape \(N, C\) = \(1024, C\)"),
        (torch.zeros(1, 32, 32), r"target must have shape \(N, C\)"),
    ],
)
def test_bad_targets(target, match):
    with pytest.raises(ValueError, match=match):
        fit(Siren(hidden=8, layers=1), grid(32, 32), target, 1, progress=False)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(steps=0), "steps must be a positive integer"),
        (dict(lr=-1.0), "lr must be a positive finite number"),
        (dict(loss="huber"), "loss='huber' is unknown"),
        (dict(batch_size=0), "batch_size must be None"),
        (dict(optimizer="lbfgs"), "optimizer='lbfgs' is unknown"),
        (dict(forward_op=lambda x: x), "image_shape=\\(H, W\\)"),
        (
            dict(forward_op=lambda x: x[:, ::2, ::2], image_shape=(32, 32)),
            r"forward_op maps the \(1, 32, 32\) image to \(1, 16, 16\)",
        ),
    ],
)
def test_bad_arguments(camera32, kwargs, match):
    args = dict(steps=1, lr=1e-3)
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        fit(
            Siren(hidden=8, layers=1),
            grid(32, 32),
            image_to_samples(camera32),
            progress=False,
            **args,
        )


def test_l1_loss_through_forward_op_reports_observation_psnr(camera32):
    """Without a reference, History.psnr compares forward_op(prediction) with the observation."""
    pool = torch.nn.AvgPool2d(2)
    observation = pool(camera32[None])[0]
    config.seed_everything(0)
    net = Siren(hidden=32, layers=2)
    h = fit(
        net,
        grid(32, 32),
        observation,
        steps=40,
        lr=1e-3,
        loss="l1",
        forward_op=lambda im: pool(im[None])[0],
        image_shape=(32, 32),
        progress=False,
    )
    assert h.final_psnr == pytest.approx(
        psnr(pool(render(net, 32)[None])[0], observation, clip=False), abs=1.0
    )


def _nan_at(step_bad):
    calls = []

    def loss(pred, target):
        calls.append(1)
        value = torch.mean((pred - target) ** 2)
        return value * float("nan") if len(calls) == step_bad else value

    return loss


@pytest.mark.parametrize("check_every", [1, 5, 7, 25])
def test_checks_every_k_steps_give_the_same_fit(camera32, check_every):
    """Deferring the host copy changes nothing in the numbers: history and weights as with k = 1."""

    def run(k):
        config.seed_everything(3)
        net = Siren(hidden=16, layers=2)
        h = fit_image(net, camera32, 23, 1e-3, progress=False, check_every=k)
        return net, h

    (a, ha), (b, hb) = run(1), run(check_every)
    assert ha.step == hb.step == list(range(1, 24))
    assert ha.loss == hb.loss and ha.psnr == hb.psnr
    assert hb.time == sorted(hb.time) and len(hb.time) == 23
    for pa, pb in zip(a.parameters(), b.parameters()):
        assert torch.equal(pa, pb)


def test_divergence_between_checks_restores_the_last_checked_weights(camera32):
    """NaN at step 12 with a check every 5 steps: error names step 12, 11 finite steps are kept,
    and the model holds exactly the weights of a clean 10-step fit (the last checked state)."""
    config.seed_everything(1)
    net = MLP(hidden=16, layers=2)
    with pytest.raises(FitDivergedError, match=r"at step 12 of 20 .*after step 10") as e:
        fit_image(net, camera32, 20, 1e-2, loss=_nan_at(12), progress=False, check_every=5)
    assert e.value.history.step == list(range(1, 12))
    assert all(map(math.isfinite, e.value.history.loss))
    config.seed_everything(1)
    clean = MLP(hidden=16, layers=2)
    fit_image(clean, camera32, 10, 1e-2, progress=False, check_every=5)
    for pa, pb in zip(net.parameters(), clean.parameters()):
        assert torch.equal(pa, pb)


def test_divergence_before_the_first_check_restores_the_initial_weights(camera32):
    config.seed_everything(2)
    net = MLP(hidden=16, layers=2)
    initial = [p.detach().clone() for p in net.parameters()]
    with pytest.raises(FitDivergedError, match=r"at step 2 of 9 .*before step 1"):
        fit_image(net, camera32, 9, 1e-2, loss=_nan_at(2), progress=False, check_every=50)
    for p, p0 in zip(net.parameters(), initial):
        assert torch.equal(p, p0)


def test_scheduler_is_stepped_like_a_callback_would(camera32):
    """``scheduler=`` gives the fit a callback-stepped scheduler gives, without a sync per step."""

    def run(use_scheduler):
        config.seed_everything(4)
        net = Siren(hidden=16, layers=2)
        opt = torch.optim.Adam(net.parameters(), lr=1e-3)
        sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda t: 0.5 ** (t / 10))
        kwargs = (
            dict(scheduler=sched)
            if use_scheduler
            else dict(callback=lambda s, m, h: bool(sched.step()))
        )
        h = fit_image(net, camera32, 15, 1e-3, optimizer=opt, progress=False, **kwargs)
        return h, opt.param_groups[0]["lr"]

    (h1, lr1), (h2, lr2) = run(True), run(False)
    assert h1.loss == h2.loss and lr1 == pytest.approx(lr2) == pytest.approx(1e-3 * 0.5**1.5)


def test_callback_sees_every_step_in_the_history(camera32):
    seen = []
    fit_image(
        Siren(hidden=8, layers=1),
        camera32,
        12,
        1e-3,
        progress=False,
        check_every=5,
        callback=lambda s, m, h: seen.append((s, len(h))),
    )
    assert seen == [(s, s) for s in range(1, 13)]


@pytest.mark.parametrize("bad", [0, -3, 2.5, True])
def test_check_every_must_be_a_positive_integer(camera32, bad):
    with pytest.raises(ValueError, match="check_every must be a positive integer"):
        fit_image(Siren(hidden=8, layers=1), camera32, 2, 1e-3, progress=False, check_every=bad)
