import re

import numpy as np
import pytest
import torch
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from inrutils.coords import grid
from inrutils.data import load_image
from inrutils.metrics import psnr, ssim
from inrutils.models import Siren
from inrutils.render import evaluate, render


class YMinusX(torch.nn.Module):
    """A known function f(y, x) = y - 2 x to check the orientation of rendered images."""

    def __init__(self):
        super().__init__()
        self.dummy = torch.nn.Parameter(torch.zeros(()))

    def forward(self, c):
        return (c[:, :1] - 2 * c[:, 1:]) + self.dummy


def test_render_orientation_and_any_resolution():
    for h, w in [(4, 4), (5, 8), (17, 3)]:
        img = render(YMinusX(), h, w)
        assert img.shape == (1, h, w)
        ys = -1 + (2 * torch.arange(h) + 1) / h
        xs = -1 + (2 * torch.arange(w) + 1) / w
        assert torch.allclose(img[0], ys[:, None] - 2 * xs[None, :], atol=1e-6)


def test_render_is_chunk_invariant_and_matches_model():
    net = Siren(hidden=16, layers=2)
    full = net(grid(20, 30)).detach()
    assert torch.allclose(evaluate(net, grid(20, 30), chunk=7), full, atol=1e-6)
    assert torch.allclose(render(net, 20, 30, chunk=64).reshape(1, -1).T, full, atol=1e-6)
    assert render(net, 45, 45).shape == (1, 45, 45)  # a non-integer factor of 30
    with pytest.raises(ValueError, match="chunk must be a positive integer"):
        render(net, 4, chunk=0)


def test_psnr_known_value_and_against_skimage():
    a = torch.full((1, 8, 8), 0.5)
    assert psnr(a + 0.1, a) == pytest.approx(20.0, abs=1e-4)
    img = load_image("astronaut", 32)
    noisy = (img + 0.05 * torch.randn_like(img)).clamp(0, 1)
    ref = peak_signal_noise_ratio(img.numpy(), noisy.numpy(), data_range=1.0)
    assert psnr(noisy, img) == pytest.approx(ref, rel=1e-6)
    assert psnr(img + 2.0, img, clip=True) == pytest.approx(
        peak_signal_noise_ratio(img.numpy(), np.ones_like(img.numpy()), data_range=1.0), rel=1e-6
    )


def test_ssim_against_skimage():
    img = load_image("camera", 48)
    noisy = (img + 0.1 * torch.randn_like(img)).clamp(0, 1)
    ref = structural_similarity(
        img[0].numpy().astype(np.float64), noisy[0].numpy().astype(np.float64), data_range=1.0
    )
    assert ssim(noisy, img) == pytest.approx(ref, rel=1e-6)
    assert ssim(img, img) == pytest.approx(1.0)
    rgb = load_image("astronaut", 32)
    assert 0 < ssim((rgb * 0.9), rgb) < 1
    # scikit-image's float default (data range 2, used by some papers' code) raises SSIM
    ref2 = structural_similarity(
        img[0].numpy().astype(np.float64), noisy[0].numpy().astype(np.float64), data_range=2.0
    )
    assert ssim(noisy, img, data_range=2) == pytest.approx(ref2, rel=1e-6)
    assert ssim(noisy, img, data_range=2) > ssim(noisy, img) + 0.02
    for bad in (0, -1, True, "2"):
        with pytest.raises(ValueError, match="data_range must be a positive number"):
            ssim(noisy, img, data_range=bad)


def test_metric_shape_mismatch():
    with pytest.raises(ValueError, match="same shape"):
        psnr(torch.zeros(1, 4, 4), torch.zeros(1, 4, 5))


def test_masked_psnr():
    a = torch.full((1, 4, 4), 0.5)
    b = a.clone()
    b[0, :2] += 0.1  # top half off by 0.1, bottom half exact
    mask = torch.zeros(4, 4, dtype=torch.bool)
    mask[:2] = True
    assert psnr(b, a, mask=mask) == pytest.approx(20.0, abs=1e-4)
    assert psnr(b, a, mask=~mask) == float("inf")
    assert psnr(b, a) == pytest.approx(20.0 + 10 * np.log10(2), abs=1e-4)
    with pytest.raises(ValueError, match="boolean"):
        psnr(b, a, mask=mask.float())


def test_from_numpy_inverts_to_numpy():
    from inrutils.metrics import from_numpy, to_numpy

    for shape in [(1, 5, 7), (3, 4, 6)]:
        x = torch.rand(shape)
        back = from_numpy(to_numpy(x))
        assert back.shape == shape and back.dtype == torch.float32 and torch.allclose(back, x)


def test_metrics_refuse_images_on_another_scale():
    img = load_image("camera", 32)
    noisy = (img + 0.05 * torch.randn(img.shape, generator=torch.Generator().manual_seed(0))).clamp(
        0, 1
    )
    for metric in (psnr, ssim):
        # an 8-bit reference: the message names the argument, its range and the fix
        lo, hi = float(img.min() * 255), float(img.max() * 255)
        with pytest.raises(
            ValueError, match=re.escape(f"[0, 1], got min {lo:.4g}, max {hi:.4g}")
        ) as e:
            metric(noisy * 255, img * 255)
        assert str(e.value).startswith("target must be")
        assert "divide 8-bit images by 255" in str(e.value) and "data_range=" in str(e.value)
        with pytest.raises(ValueError, match="target must be"):
            metric(noisy, img * 2 - 1)  # a [-1, 1] reference
        with pytest.raises(ValueError, match="target .* NaN"):
            metric(noisy, torch.full_like(img, float("nan")))
        # an 8-bit prediction against a [0, 1] reference, clipped or not
        for clip in (True, False):
            with pytest.raises(ValueError, match=r"pred must be on target's \[0, 1\] scale") as e:
                metric(noisy * 255, img, clip=clip)
            got = f"got min {float(noisy.min() * 255):.4g}, max {float(noisy.max() * 255):.4g}"
            assert got in str(e.value) and "divide an 8-bit pred by 255" in str(e.value)


def test_metrics_accept_overshoot_on_the_unit_scale():
    img = load_image("camera", 64)
    gen = torch.Generator().manual_seed(0)
    noisy = img + 0.4 * torch.randn(img.shape, generator=gen)  # unclipped: about -1.5 .. 2.5
    assert noisy.min() < -1 and noisy.max() > 2
    assert psnr(noisy, img) == pytest.approx(
        peak_signal_noise_ratio(img.numpy(), noisy.clamp(0, 1).numpy(), data_range=1.0), rel=1e-6
    )
    assert np.isfinite(psnr(noisy, img, clip=False)) and np.isfinite(ssim(noisy, img))
    # the limits: PRED_OVERSHOOT outside [0, 1] is accepted, beyond it refused
    edge = img.clone()
    edge[0, 0, :2] = torch.tensor([-4.0, 5.0])
    psnr(edge, img)
    edge[0, 0, 0] = -4.01
    with pytest.raises(ValueError, match="pred must be"):
        psnr(edge, img)
    # rounding just outside [0, 1] in the reference is fine, a clear overshoot is not
    ref = img.clone()
    ref[0, 0, :2] = torch.tensor([-0.005, 1.005])
    psnr(img, ref)
    ref[0, 0, 0] = -0.05
    with pytest.raises(ValueError, match="target must be"):
        psnr(img, ref)


def test_data_range_declares_another_scale():
    img = load_image("astronaut", 32)
    gen = torch.Generator().manual_seed(1)
    noisy = (img + 0.1 * torch.randn(img.shape, generator=gen)).clamp(0, 1)
    for kw in ({}, {"clip": False}, {"mask": torch.rand(32, 32, generator=gen) > 0.5}):
        assert psnr(noisy * 255, img * 255, data_range=255, **kw) == pytest.approx(
            psnr(noisy, img, **kw), rel=1e-9
        )
    assert psnr(noisy * 255, img * 255, data_range=255) == pytest.approx(
        peak_signal_noise_ratio((img * 255).numpy(), (noisy * 255).numpy(), data_range=255)
    )
    assert ssim(noisy * 255, img * 255, data_range=255) == pytest.approx(ssim(noisy, img), rel=1e-6)
    # clip=True clips pred to [0, data_range]
    over = noisy * 255 + 100
    assert psnr(over, img * 255, data_range=255) == pytest.approx(
        psnr(over.clamp(0, 255), img * 255, data_range=255, clip=False)
    )
    # a signed [-1, 1] scale: clipping to [0, 2] would cut its negative half, so it is refused;
    # with clip=False the result equals the [0, 1] one (same data range relative to the values)
    with pytest.raises(ValueError, match="clip=False"):
        psnr(noisy * 2 - 1, img * 2 - 1, data_range=2)
    assert psnr(noisy * 2 - 1, img * 2 - 1, data_range=2, clip=False) == pytest.approx(
        psnr(noisy, img, clip=False), rel=1e-6
    )
    for bad in (0, -1, True, "2", float("inf")):
        with pytest.raises(ValueError, match="data_range must be a positive number"):
            psnr(noisy, img, data_range=bad)
