"""LINR restoration: fits through the forward model, the stopping rule, reporting never leaks into
fitting."""

import pytest
import torch

from inrutils import degrade, linr
from inrutils.data import load_image
from inrutils.encodings import PositionalEncoding
from inrutils.metrics import psnr
from inrutils.models import MLP, SineLayer, Siren, count_params


@pytest.fixture(scope="module")
def camera():
    return load_image("camera", 48, gray=True)


def small_siren(c=1, seed=0):
    torch.manual_seed(seed)
    return Siren(2, c, hidden=64, layers=3)


def test_estimate_noise_sigma():
    gen = torch.Generator().manual_seed(0)
    smooth = load_image("camera", 128, gray=True)
    noisy = smooth + 0.08 * torch.randn(smooth.shape, generator=gen)
    assert abs(linr.estimate_noise_sigma(noisy) / 0.08 - 1) < 0.08
    assert linr.estimate_noise_sigma(smooth) < 0.02
    rgb = (
        torch.rand(3, 64, 64, generator=gen) * 0
        + 0.5
        + 0.05 * torch.randn(3, 64, 64, generator=gen)
    )
    assert abs(linr.estimate_noise_sigma(rgb) / 0.05 - 1) < 0.1


def test_denoising_fits_signal_before_noise_and_discrepancy_stops_near_the_peak(camera):
    sigma = 0.1
    noisy = degrade.gaussian_noise(camera, sigma, seed=0)
    full = linr.restore(
        noisy,
        steps=300,
        model=small_siren(),
        lr=1e-3,
        reference=camera,
        eval_every=5,
        progress=False,
        device="cpu",
    )
    noisy_psnr = psnr(noisy, camera)
    assert full.best_psnr > noisy_psnr + 3, (full.best_psnr, noisy_psnr)
    assert full.curve["psnr"][-1] < full.best_psnr - 1, (
        "with 300 steps the prior must start fitting the noise"
    )
    stopped = linr.restore(
        noisy,
        steps=300,
        model=small_siren(),
        lr=1e-3,
        stop="discrepancy",
        noise_sigma=sigma,
        progress=False,
        device="cpu",
    )
    assert stopped.history.stopped_early and stopped.stopped_at < 300
    assert stopped.history.loss[-1] <= sigma**2 < stopped.history.loss[-2]
    assert psnr(stopped.image, camera) > full.best_psnr - 1.5
    # the estimated noise level (no clean image, no sigma) stops too
    est = linr.restore(
        noisy,
        steps=300,
        model=small_siren(),
        lr=1e-3,
        stop="discrepancy",
        progress=False,
        device="cpu",
    )
    assert est.history.stopped_early


def test_reference_only_reports(camera):
    noisy = degrade.gaussian_noise(camera, 0.1, seed=0)
    a = linr.restore(noisy, steps=20, model=small_siren(), lr=1e-3, progress=False, device="cpu")
    b = linr.restore(
        noisy,
        steps=20,
        model=small_siren(),
        lr=1e-3,
        reference=camera,
        keep_snapshots=True,
        eval_every=5,
        progress=False,
        device="cpu",
    )
    assert torch.equal(a.image, b.image)
    assert b.curve["step"] == [1, 5, 10, 15, 20] and sorted(b.snapshots) == [1, 5, 10, 15, 20]
    assert torch.equal(b.snapshots[20], b.image)
    assert abs(b.curve["psnr"][-1] - psnr(b.image, camera)) < 1e-9


def test_super_resolution_renders_at_the_high_resolution_and_explains_the_observation():
    hr = load_image("astronaut", 64)
    lr_img = degrade.downsample(hr, 4, "lanczos2").clamp(0, 1)
    op = lambda x: degrade.downsample(x, 4, "lanczos2")  # noqa: E731
    r = linr.restore(
        lr_img,
        op,
        size=(64, 64),
        steps=150,
        model=small_siren(3),
        lr=1e-3,
        reference=hr,
        progress=False,
        device="cpu",
    )
    assert r.image.shape == (3, 64, 64)
    assert psnr(op(r.image), lr_img) > 33, (
        "the restoration must reproduce the observation through the operator"
    )
    assert r.curve["psnr"][-1] > 18


def test_inpainting_reproduces_observed_pixels_and_fills_the_rest(camera):
    mask = degrade.random_mask(48, 48, 0.3, seed=0)
    obs = degrade.apply_mask(camera, mask)
    r = linr.restore(
        obs,
        lambda x: degrade.apply_mask(x, mask),
        steps=200,
        model=small_siren(),
        lr=1e-3,
        progress=False,
        device="cpu",
    )
    seen = mask[0].bool()
    assert psnr(r.image, camera, mask=seen) > 30
    assert psnr(r.image, camera, mask=~seen) > psnr(obs, camera, mask=~seen) + 8


def test_any_model_can_be_the_prior(camera):
    relu_pe = MLP(2, 1, hidden=32, layers=2, encoding=PositionalEncoding(2, 4))
    r = linr.restore(camera, steps=5, model=relu_pe, progress=False, device="cpu")
    assert r.image.shape == camera.shape and r.model is relu_pe


def test_default_model_is_the_official_siren():
    # the official prior: Siren(2, 256, hidden_layers=6, 3, outermost_linear=True) = 7 sine layers +
    # linear head
    m = linr.default_model(3)
    assert isinstance(m, linr.SignedIntensity) and isinstance(m.net, Siren)
    assert m.net.config["hidden"] == 256 and m.net.config["layers"] == 7
    assert isinstance(linr.default_model(3, signed=False), Siren)
    assert sum(isinstance(layer, SineLayer) for layer in m.modules()) == 7
    assert count_params(m) == 396_291 and count_params(linr.default_model(1)) == 395_777
    assert all(
        t["layers"] == 7 and t["hidden"] == 256 and t["lr"] == 1e-4 for t in linr.TASKS.values()
    )
    assert linr.TASKS["deblur"]["steps"] == 4000 and linr.TASKS["denoise"]["steps"] == 500


def test_joint_operator_is_the_papers_weighted_sum():
    gen = torch.Generator().manual_seed(0)
    img = torch.rand(3, 16, 16, generator=gen)
    down = lambda x: degrade.downsample(x, 4, "lanczos2")  # noqa: E731
    g_lr, g_noisy = torch.rand(3, 4, 4, generator=gen), torch.rand(3, 16, 16, generator=gen)
    op, target = linr.joint_operator([down, None], [g_lr, g_noisy], [1.0, 0.1])
    assert target.shape == op(img).shape == (3, 1, 16 + 256)
    mse = torch.mean((op(img) - target) ** 2)
    want = torch.mean((down(img) - g_lr) ** 2) + 0.1 * torch.mean((img - g_noisy) ** 2)
    assert float(mse) == pytest.approx(float(want) * 16 / (16 + 256), rel=1e-5)
    # the gradient of the concatenated loss is the paper's, up to the same constant
    x = img.clone().requires_grad_(True)
    torch.mean((op(x) - target) ** 2).backward()
    y = img.clone().requires_grad_(True)
    (torch.mean((down(y) - g_lr) ** 2) + 0.1 * torch.mean((y - g_noisy) ** 2)).backward()
    assert torch.allclose(x.grad, y.grad * 16 / 272, atol=1e-7)


def test_discrepancy_stop_refuses_a_joint_operator():
    hr = load_image("camera", 16, gray=True)
    down = lambda f: degrade.downsample(f, 2, "lanczos2")
    op, target = linr.joint_operator([down, None], [down(hr), hr], [1.0, 0.1])
    with pytest.raises(ValueError, match="joint_operator"):
        linr.restore(target, op, size=(16, 16), steps=1, stop="discrepancy", noise_sigma=0.1)


@pytest.mark.parametrize(
    "args, match",
    [
        (([None], [torch.rand(1, 4, 4)], [1.0, 0.1]), "same length"),
        (([None, None], [torch.rand(1, 4, 4), torch.rand(3, 4, 4)], [1.0, 0.1]), "channels"),
        (([None], [torch.rand(1, 4, 4)], [0.0]), r"weights\[0\]"),
        ((["blur"], [torch.rand(1, 4, 4)], [1.0]), r"ops\[0\]"),
    ],
)
def test_joint_operator_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        linr.joint_operator(*args)


def test_joint_fit_restores_from_two_observations():
    hr = load_image("astronaut", 32)
    down = lambda x: degrade.downsample(x, 4, "lanczos2")  # noqa: E731
    noisy = degrade.gaussian_noise(hr, 25 / 255, seed=0)
    op, target = linr.joint_operator([down, None], [down(hr).clamp(0, 1), noisy], [1.0, 0.1])
    r = linr.restore(
        target,
        op,
        size=(32, 32),
        steps=150,
        model=small_siren(3),
        lr=1e-3,
        reference=hr,
        progress=False,
        device="cpu",
    )
    assert r.image.shape == (3, 32, 32) and psnr(r.image, hr) > psnr(noisy, hr) + 2


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(size=(96, 96)), "forward_op"),
        (dict(stop="early"), "stop="),
        (dict(reference=torch.rand(1, 10, 10)), "reference must have"),
        (dict(eval_every=0), "eval_every"),
        (dict(stop="discrepancy", noise_sigma=-1.0), "noise_sigma"),
    ],
)
def test_bad_input(camera, kwargs, match):
    with pytest.raises(ValueError, match=match):
        linr.restore(camera, steps=2, model=small_siren(), progress=False, device="cpu", **kwargs)


def test_observation_outside_unit_range_is_refused():
    with pytest.raises(ValueError, match="observation"):
        linr.restore(torch.rand(1, 8, 8) * 255, steps=1, progress=False)


def test_run_to_end_keeps_the_image_at_the_stop(camera):
    noisy = degrade.gaussian_noise(camera, 0.1, seed=0)
    kw = dict(steps=200, lr=1e-3, stop="discrepancy", noise_sigma=0.1, progress=False, device="cpu")
    stopped = linr.restore(noisy, model=small_siren(), **kw)
    longer = linr.restore(
        noisy, model=small_siren(), run_to_end=True, reference=camera, eval_every=5, **kw
    )
    assert longer.stopped_at == stopped.stopped_at < 200 and len(longer.history) == 200
    assert torch.allclose(longer.image, stopped.image, atol=1e-6)
    assert not torch.equal(longer.final_image, longer.image) and torch.equal(
        stopped.final_image, stopped.image
    )
    assert longer.curve["step"][-1] == 200


def test_masked_mse_counts_observed_entries_only():
    pred, target = torch.zeros(3, 4, 4), torch.ones(3, 4, 4)
    mask = torch.zeros(1, 4, 4)
    mask[0, 0, :2] = 1
    target[:, 1:] = 100.0  # hidden pixels: must not matter
    assert float(linr.masked_mse(pred, target, mask)) == pytest.approx(1.0)


def test_classical_baselines_improve_on_their_input():
    clean = load_image("astronaut", 64)
    noisy = degrade.gaussian_noise(clean, 0.1, seed=0)
    for out in (linr.tv_denoise(noisy), linr.nlm_denoise(noisy)):
        assert out.shape == clean.shape and psnr(out, clean) > psnr(noisy, clean) + 3
    mask = degrade.random_mask(64, 64, 0.3, seed=0)
    obs = degrade.apply_mask(clean, mask)
    filled = linr.biharmonic_inpaint(obs, mask)
    assert torch.equal(filled * mask, obs * mask) or psnr(filled * mask, obs) > 40
    assert psnr(filled, clean) > psnr(obs, clean) + 8
    k = degrade.gaussian_kernel(9, 1.6)
    gray = load_image("camera", 64, gray=True)
    blurred = degrade.gaussian_noise(degrade.blur(gray, k), 1 / 255, seed=0)
    for out in (linr.richardson_lucy(blurred, k), linr.wiener(blurred, k)):
        assert out.shape == gray.shape and psnr(out, gray) > psnr(blurred, gray) + 0.5


def test_discrepancy_exercise_check_accepts_an_answer_and_rejects_the_library_call():
    from inrutils import exercises

    def answer(losses, noise_sigma, tau=1.0):
        return next((k + 1 for k, v in enumerate(losses) if v <= tau * noise_sigma**2), len(losses))

    exercises.check_discrepancy_step(answer)

    def one_line(losses, noise_sigma, tau=1.0):
        return linr.discrepancy_stop(noise_sigma, tau)

    with pytest.raises(AssertionError, match="discrepancy_stop"):
        exercises.check_discrepancy_step(one_line)
    with pytest.raises(AssertionError, match="counted from 1"):
        exercises.check_discrepancy_step(lambda losses, s, tau=1.0: answer(losses, s, tau) - 1)
    with pytest.raises(AssertionError, match="masked_mse"):
        exercises.check_masked_mse(lambda p, t, m: linr.masked_mse(p, t, m))


def test_signed_intensity_is_the_official_scale():
    # the official code fits Phi to 2 g - 1 and shows (Phi + 1) / 2: the same image and gradients
    # (up to 1/4)
    torch.manual_seed(0)
    net = Siren(2, 1, hidden=16, layers=2)
    wrapped = linr.SignedIntensity(net)
    x, g = torch.rand(50, 2) * 2 - 1, torch.rand(50, 1)
    assert torch.allclose(wrapped(x), (net(x) + 1) / 2)
    ours = torch.autograd.grad(torch.mean((wrapped(x) - g) ** 2), list(net.parameters()))
    official = torch.autograd.grad(torch.mean((net(x) - (2 * g - 1)) ** 2), list(net.parameters()))
    assert all(torch.allclose(a * 4, b, atol=1e-6) for a, b in zip(ours, official))
    with pytest.raises(ValueError, match="net must be"):
        linr.SignedIntensity("siren")
