"""Forward models: against scipy / scikit-image / torch equivalents, linearity and adjoints, clear
errors."""

import math

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F

from inrutils import degrade as D
from inrutils.data import load_image


@pytest.fixture(scope="module")
def camera():
    return load_image("camera", 64, gray=True)


@pytest.fixture(scope="module")
def astronaut():
    return load_image("astronaut", 48)


def test_gaussian_noise_is_seeded_and_has_the_right_std(camera):
    a = D.gaussian_noise(camera, 0.1, seed=3, clip=False)
    b = D.gaussian_noise(camera, 0.1, seed=3, clip=False)
    assert torch.equal(a, b)
    assert not torch.equal(a, D.gaussian_noise(camera, 0.1, seed=4, clip=False))
    assert abs(float((a - camera).std()) - 0.1) < 0.004
    state = torch.get_rng_state()
    D.gaussian_noise(camera, 0.1)
    assert torch.equal(state, torch.get_rng_state()), "noise must not consume the global RNG"
    clipped = D.gaussian_noise(camera, 0.3)
    assert clipped.min() >= 0 and clipped.max() <= 1


def test_poisson_noise_mean_and_variance():
    img = torch.full((1, 200, 200), 0.5)
    peak, readout = 30.0, 2.0
    y = D.poisson_noise(img, peak, readout, seed=0, clip=False)
    assert abs(float(y.mean()) - 0.5) < 0.01
    want_var = 0.5 / peak + readout**2 / peak**2
    assert abs(float(y.var()) / want_var - 1) < 0.05
    assert torch.equal(y, D.poisson_noise(img, peak, readout, seed=0, clip=False))


def test_gaussian_kernel_and_blur_match_scipy(camera):
    k = D.gaussian_kernel(9, 1.6)
    assert k.shape == (9, 9) and abs(float(k.sum()) - 1) < 1e-6
    ours = D.blur(camera, k, padding="reflect")[0].double().numpy()
    # scipy's "mirror" = reflect without repeating the edge pixel; radius 4 = truncate * sigma
    theirs = ndi.gaussian_filter(camera[0].double().numpy(), 1.6, mode="mirror", truncate=4 / 1.6)
    assert np.abs(ours - theirs).max() < 1e-5


def test_blur_is_a_true_convolution_with_any_kernel(camera):
    gen = torch.Generator().manual_seed(0)
    k = torch.rand(5, 5, generator=gen)
    k = k / k.sum()
    for padding, mode in [
        ("reflect", "mirror"),
        ("circular", "wrap"),
        ("zeros", "constant"),
        ("replicate", "nearest"),
    ]:
        ours = D.blur(camera, k, padding=padding)[0].double().numpy()
        theirs = ndi.convolve(camera[0].double().numpy(), k.double().numpy(), mode=mode)
        assert np.abs(ours - theirs).max() < 1e-5, padding


def _adjoint_gap(op, x, y):
    """<A x, y> - <x, A^T y> with A^T y from autograd (vjp): zero iff op is linear."""
    _, vjp = torch.func.vjp(op, x)
    (aty,) = vjp(y)
    lhs, rhs = float((op(x) * y).sum()), float((x * aty).sum())
    return abs(lhs - rhs) / max(abs(lhs), 1e-12)


def test_operators_are_linear_and_adjoint_consistent(astronaut):
    gen = torch.Generator().manual_seed(1)
    x = torch.rand(astronaut.shape, generator=gen, dtype=torch.float64)
    mask = D.random_mask(48, 48, 0.3, seed=1).double()
    k = D.gaussian_kernel(7, 1.2).double()
    ops = {
        "blur": lambda v: D.blur(v, k),
        "bicubic": lambda v: D.downsample(v, 4, "bicubic"),
        "lanczos2": lambda v: D.downsample(v, 4, "lanczos2"),
        "box": lambda v: D.downsample(v, 3, "box"),
        "mask": lambda v: D.apply_mask(v, mask),
    }
    for name, op in ops.items():
        y = torch.rand(op(x).shape, generator=gen, dtype=torch.float64)
        assert _adjoint_gap(op, x, y) < 1e-12, name
    # a circular blur with a symmetric kernel is self-adjoint: <A x, y> = <x, A y>
    y = torch.rand(x.shape, generator=gen, dtype=torch.float64)
    ax, ay = D.blur(x, k, "circular"), D.blur(y, k, "circular")
    assert abs(float((ax * y).sum() - (x * ay).sum())) < 1e-9


def test_bicubic_downsampling_is_torch_antialiased_bicubic(camera):
    ours = D.downsample(camera, 4, "bicubic")
    theirs = F.interpolate(camera[None], scale_factor=0.25, mode="bicubic", antialias=True)[0]
    assert ours.shape == (1, 16, 16) and torch.allclose(ours, theirs, atol=1e-6)


def _lanczos2_direct(img: np.ndarray, f: int) -> np.ndarray:
    """Direct loop: output pixel j averages input pixels i with weight L2((i - c_j) / f), mirror
    edges."""
    n = img.shape[0]
    out = np.zeros((n // f, img.shape[1]))
    for j in range(n // f):
        c = j * f + (f - 1) / 2
        idx = np.arange(int(np.floor(c - 2 * f)), int(np.ceil(c + 2 * f)) + 1)
        t = (idx - c) / f
        w = np.where(np.abs(t) < 2, np.sinc(t) * np.sinc(t / 2), 0)
        src = np.where(idx < 0, -idx, np.where(idx >= n, 2 * (n - 1) - idx, idx))
        out[j] = (w[:, None] * img[src]).sum(0) / w.sum()
    return out


@pytest.mark.parametrize("factor", [2, 3, 4])
def test_lanczos2_matches_a_direct_implementation(camera, factor):
    arr = camera[0, :60, :60].double().numpy()
    want = _lanczos2_direct(_lanczos2_direct(arr, factor).T, factor).T
    got = D.downsample(camera[:, :60, :60].double(), factor, "lanczos2")[0].numpy()
    assert np.abs(got - want).max() < 1e-9
    # close to the antialiased bicubic (both are windowed-sinc-like low-pass filters)
    bic = D.downsample(camera[:, :60, :60], factor, "bicubic")[0].numpy()
    assert np.abs(got - bic).mean() < 0.01


def test_downsampling_preserves_constants_and_box_is_block_mean():
    c = torch.full((2, 24, 24), 0.3)
    for m in D.DOWNSAMPLERS:
        assert torch.allclose(D.downsample(c, 4, m), torch.full((2, 6, 6), 0.3), atol=1e-6), m
    x = torch.rand(1, 6, 6)
    assert torch.allclose(D.downsample(x, 3, "box")[0, 1, 0], x[0, 3:6, 0:3].mean())


def test_upsample_bicubic_sizes():
    x = torch.rand(3, 10, 12)
    assert D.upsample_bicubic(x, 4).shape == (3, 40, 48)
    assert D.upsample_bicubic(x, size=(17, 19)).shape == (3, 17, 19)


def test_masks():
    m = D.random_mask(32, 40, 0.1, seed=2)
    assert m.shape == (1, 32, 40) and int(m.sum()) == round(0.1 * 32 * 40)
    assert torch.equal(m, D.random_mask(32, 40, 0.1, seed=2))
    b = D.box_mask(100, 100, 0.04)
    assert int((b == 0).sum()) == 400 and b[0, 50, 50] == 0 and b[0, 0, 0] == 1
    corner = D.box_mask(100, 100, 0.04, center=(0.0, 1.0))
    assert corner[0, 0, 99] == 0 and corner[0, 20, 79] == 1
    t = D.text_mask(128, 128)
    hidden = float(1 - t.mean())
    assert t.shape == (1, 128, 128) and 0.03 < hidden < 0.3
    assert set(t.unique().tolist()) == {0.0, 1.0}


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda: D.gaussian_kernel(4, 1.0), "odd"),
        (lambda: D.blur(torch.rand(1, 8, 8), torch.ones(3, 3)), "sum to 1"),
        (lambda: D.blur(torch.rand(1, 8, 8), torch.ones(2, 2) / 4), "odd"),
        (lambda: D.blur(torch.rand(1, 8, 8), torch.ones(1, 1), padding="mirror"), "padding"),
        (lambda: D.gaussian_noise(torch.rand(1, 8, 8) * 255, 0.1), r"\[0, 1\]"),
        (lambda: D.gaussian_noise(torch.rand(8, 8), 0.1), r"\(C, H, W\)"),
        (lambda: D.gaussian_noise(torch.rand(1, 8, 8), 25), "25 / 255"),
        (lambda: D.downsample(torch.rand(1, 30, 30), 4), "divide"),
        (lambda: D.downsample(torch.rand(1, 32, 32), 4, "nearest"), "method"),
        (lambda: D.random_mask(8, 8, 0.001), "no pixel"),
        (lambda: D.apply_mask(torch.rand(1, 8, 8), torch.zeros(1, 8, 8)), "no observed pixel"),
        (lambda: D.apply_mask(torch.rand(3, 8, 8), torch.ones(2, 8, 8)), "mask has shape"),
        (lambda: D.box_mask(10, 10, 0.99), "does not fit"),
        (lambda: D.poisson_noise(torch.rand(1, 4, 4), 0), "peak"),
    ],
)
def test_bad_input_is_refused_clearly(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_anisotropic_gaussian_kernel_moments():

    k = D.gaussian_kernel(25, 3.0, 1.0, angle=math.pi / 4).double()
    assert abs(float(k.sum()) - 1) < 1e-6
    r = torch.arange(25, dtype=torch.float64) - 12
    y, x = torch.meshgrid(r, r, indexing="ij")
    u, v = (x - y) / math.sqrt(2), (x + y) / math.sqrt(2)  # angle pi/4 counter-clockwise, y down
    assert abs(float((k * u**2).sum()) - 9.0) < 0.05  # variance sigma^2 along the major axis
    assert abs(float((k * v**2).sum()) - 1.0) < 0.01
    assert abs(float((k * u * v).sum())) < 1e-6
    k0 = D.gaussian_kernel(25, 3.0, 1.0, angle=0.0).double()
    assert abs(float((k0 * x**2).sum()) - 9.0) < 0.05 and abs(float((k0 * y**2).sum()) - 1.0) < 0.01
    assert torch.allclose(D.gaussian_kernel(9, 1.5, 1.5, 0.7), D.gaussian_kernel(9, 1.5), atol=1e-7)
    with pytest.raises(ValueError, match="sigma_minor"):
        D.gaussian_kernel(9, 1.0, 0.0)
    for angle in (0.0, 30.0, 45.0, 120.0):
        m = D.kernel_moments(D.gaussian_kernel(31, 3.0, 1.0, angle=math.radians(angle)))
        assert (
            abs(m["sigma"] - 3.0) < 0.02
            and abs(m["sigma_minor"] - 1.0) < 0.01
            and abs(m["angle"] - angle) < 0.5
        )


def test_pil_downsample_is_the_official_observation():
    """The official SR.ipynb: 8-bit RGB image, PIL resize with LANCZOS, divided by 255."""
    from PIL import Image

    hr = load_image("chelsea", 96)
    got = D.pil_downsample(hr, 4)
    rgb = Image.fromarray(np.round(hr.permute(1, 2, 0).double().numpy() * 255).astype(np.uint8))
    want = np.asarray(rgb.resize((24, 24), Image.LANCZOS)).astype(np.float32) / 255
    assert got.shape == (3, 24, 24)
    np.testing.assert_array_equal(got.permute(1, 2, 0).numpy(), want)
    assert torch.all(torch.isclose(got * 255, torch.round(got * 255), atol=1e-4))  # 8-bit levels
    # close to, but not the same as, the lanczos2 operator used inside the loss (43 dB apart)
    gap = float(((got - D.downsample(hr, 4, "lanczos2")) ** 2).mean())
    assert 1e-5 < gap < 1e-4


def test_pil_downsample_rejects_bad_input():
    img = torch.rand(1, 32, 32)
    with pytest.raises(ValueError, match="method='box' is unknown; allowed: 'lanczos', 'bicubic'"):
        D.pil_downsample(img, 4, "box")
    with pytest.raises(ValueError, match="factor=3 must divide"):
        D.pil_downsample(img, 3)
