"""INSP-Net operators on frozen INRs: feature layout, linear operators recovered, learned operators
generalise."""

import pytest
import torch
from skimage.filters import gaussian

from inrutils import derivatives, insp
from inrutils.coords import grid, image_to_samples
from inrutils.data import load_image
from inrutils.derivatives import laplacian
from inrutils.fit import fit_image
from inrutils.metrics import from_numpy, psnr, to_numpy
from inrutils.models import Siren


def fitted_siren(name, size=32, steps=250):
    img = load_image(name, size, gray=True)
    torch.manual_seed(0)
    m = Siren(2, 1, hidden=64, layers=3)
    fit_image(m, img, steps=steps, lr=1e-3, progress=False)
    for p in m.parameters():
        p.requires_grad_(False)
    return m, img


@pytest.fixture(scope="module")
def two_inrs():
    return fitted_siren("camera"), fitted_siren("astronaut")


def test_insp_conv_represents_the_laplacian_exactly(two_inrs):
    (m, _), _ = two_inrs
    feats = insp.features(m, 24, 24, order=2).double()
    target = laplacian(m, grid(24, 24)).double()
    coef = torch.linalg.lstsq(feats, target).solution[:, 0]
    # f, f_y, f_x, f_yy, f_yx, f_xx: the Laplacian is f_yy + f_xx
    assert torch.allclose(coef, torch.tensor([0, 0, 0, 1, 0, 1], dtype=torch.float64), atol=1e-6)
    conv = insp.INSPConv(1, 1, order=2)
    with torch.no_grad():
        conv.linear.weight.copy_(coef.float()[None])
    out = insp.apply(conv, m, 24)
    assert torch.allclose(out.reshape(-1), target.float().reshape(-1), rtol=1e-4, atol=1e-2)
    assert set(conv.coefficients()) == {"f", "f_y", "f_x", "f_yy", "f_yx", "f_xx"}


def test_untrained_operators_start_at_identity(two_inrs):
    (m, img), _ = two_inrs
    for pi in (insp.INSPConv(1, 1, 2), insp.INSPNet(1, 1, 2)):
        if isinstance(pi, insp.INSPNet):
            pi.set_scale(insp.features(m, 32, order=2))
        out = insp.apply(pi, m, 32)
        assert psnr(out, img) > 25


def test_learned_blur_generalises_to_a_held_out_inr(two_inrs):
    (m_train, img_train), (m_test, img_test) = two_inrs

    def blurred(img):
        return from_numpy(gaussian(to_numpy(img), sigma=1.0))

    f_train = insp.features(m_train, 32, order=2)
    pi = insp.INSPNet(1, 1, order=2, hidden=64, layers=2)
    pi.set_scale(f_train)
    torch.manual_seed(0)
    losses = insp.train_operator(
        pi, [f_train], [image_to_samples(blurred(img_train))], steps=400, lr=3e-3
    )
    assert losses[-1] < 0.3 * losses[0]
    target = blurred(img_test)
    out = insp.apply(pi, m_test, 32)
    # Psi(Phi_test) is closer to the blurred test image than the unprocessed INR is
    assert psnr(out, target) > psnr(insp.apply(insp.INSPConv(1, 1, 2), m_test, 32), target) + 0.5
    # and it renders at another resolution
    assert insp.apply(pi, m_test, 48).shape == (1, 48, 48)


def test_bad_input():
    conv = insp.INSPConv(1, 1, order=2)
    with pytest.raises(ValueError, match=r"\(N, 6\)"):
        conv(torch.zeros(5, 10))
    with pytest.raises(ValueError, match="same N"):
        insp.train_operator(conv, [torch.zeros(5, 6)], [torch.zeros(4, 1)], steps=1)
    with pytest.raises(ValueError, match="channels"):
        insp.INSPConv(0, 1)


def test_inpainting_as_in_the_official_code_repairs_a_held_out_inr():
    # dataio.py: missing pixels set to 0 and the INR fitted to that whole degraded image; Pi learns
    # to repair it
    from inrutils import degrade

    inrs, clean = {}, {}
    for i, name in enumerate(("camera", "coins", "astronaut")):
        clean[name] = load_image(name, 32, gray=True)
        holes = degrade.apply_mask(clean[name], degrade.random_mask(32, 32, observed=0.7, seed=i))
        torch.manual_seed(0)
        inrs[name] = Siren(2, 1, hidden=64, layers=3)
        fit_image(inrs[name], holes, steps=250, lr=1e-3, progress=False)
        inrs[name].requires_grad_(False)
    f_train = [insp.features(inrs[n], 32, order=2) for n in ("camera", "coins")]
    pi = insp.INSPNet(1, 1, order=2, hidden=64, layers=2)
    pi.set_scale(torch.cat(f_train))
    torch.manual_seed(0)
    insp.train_operator(
        pi, f_train, [image_to_samples(clean[n]) for n in ("camera", "coins")], steps=800, lr=2e-3
    )
    before = psnr(insp.apply(insp.INSPConv(), inrs["astronaut"], 32), clean["astronaut"])
    after = psnr(insp.apply(pi, inrs["astronaut"], 32), clean["astronaut"])
    assert before < 15 and after > before + GAIN_DB, (before, after)


GAIN_DB = 5.0


def test_derivative_operators_commute_with_shifts_and_invariants_with_rotations(two_inrs):
    (m, _), _ = two_inrs
    phi = Siren(2, 1, hidden=64, layers=3).double()
    phi.load_state_dict({k: v.double() for k, v in m.state_dict().items()})
    pts = torch.rand(300, 2, dtype=torch.float64) * 1.2 - 0.6
    shift = torch.tensor([0.1, -0.2], dtype=torch.float64)
    a = torch.tensor(0.5236, dtype=torch.float64)  # 30 degrees
    R = torch.stack([torch.stack([a.cos(), -a.sin()]), torch.stack([a.sin(), a.cos()])])

    class Moved(torch.nn.Module):
        def __init__(self, f):
            super().__init__()
            self.f = f

        def forward(self, x):
            return phi(self.f(x))

    shifted = derivatives.derivative_features(Moved(lambda x: x - shift), pts, 2, method="autograd")
    torch.testing.assert_close(
        shifted, derivatives.derivative_features(phi, pts - shift, 2), rtol=1e-9, atol=1e-9
    )
    rot = derivatives.all_partials(Moved(lambda x: x @ R), pts, 2, method="autograd")[:, :, 0]
    ref = derivatives.all_partials(phi, pts @ R, 2)[:, :, 0]

    def gap(q):
        return float((q(rot) - q(ref)).abs().max() / q(ref).abs().max())

    assert gap(lambda d: d[1] ** 2 + d[2] ** 2) < 1e-10  # |grad|^2
    assert gap(lambda d: d[3] + d[5]) < 1e-10  # Laplacian
    assert (
        gap(lambda d: d[3] ** 2 + 2 * d[4] ** 2 + d[5] ** 2) < 1e-10
    )  # Frobenius: f_yx counted twice
    assert (
        gap(lambda d: d[3] ** 2 + d[4] ** 2 + d[5] ** 2) > 1e-2
    )  # flattened features: not invariant


def test_taylor_coefficients_and_tensor_norm_refuse_bad_input():
    with pytest.raises(ValueError, match="square"):
        insp.taylor_coefficients(torch.ones(3, 4), 2)
    with pytest.raises(ValueError, match="square"):
        insp.taylor_coefficients(torch.ones(4, 4), 2)
    with pytest.raises(ValueError, match="all 10 partials up to order 3"):
        derivatives.tensor_norm_sq(torch.zeros(6, 5), 3)
