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
