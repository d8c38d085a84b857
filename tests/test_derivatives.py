"""Derivatives of coordinate networks: both paths agree, match finite differences and closed forms,
chunk, warn."""

import warnings

import numpy as np
import pytest
import torch
from skimage.filters import sobel_h, sobel_v

from inrutils import derivatives as Dv
from inrutils.data import load_image
from inrutils.derivatives import all_partials, partial_names
from inrutils.encodings import FourierFeatures
from inrutils.fit import fit_image
from inrutils.models import MLP, Siren

GEN = torch.Generator().manual_seed(0)
X = torch.rand(40, 2, generator=GEN, dtype=torch.float64) * 2 - 1


def siren(out_dim=2, in_dim=2, dtype=torch.float64, seed=0):
    torch.manual_seed(seed)
    return Siren(in_dim, out_dim, hidden=32, layers=3).to(dtype)


def test_partial_order_and_names():
    assert Dv.partial_indices(2, 3) == (
        (),
        (0,),
        (1,),
        (0, 0),
        (0, 1),
        (1, 1),
        (0, 0, 0),
        (0, 0, 1),
        (0, 1, 1),
        (1, 1, 1),
    )
    assert Dv.partial_names(2, 2) == ["f", "f_y", "f_x", "f_yy", "f_yx", "f_xx"]
    assert len(Dv.partial_indices(3, 3)) == 1 + 3 + 6 + 10


def test_fast_and_autograd_agree_in_float64_up_to_order_4():
    m = siren(out_dim=3)
    a = Dv.all_partials(m, X, 4, "autograd", chunk=16)
    f = Dv.all_partials(m, X, 4, "fast", chunk=7)
    assert a.shape == f.shape == (15, 40, 3)
    assert float((a - f).abs().max() / a.abs().max()) < 1e-9


def test_fast_and_autograd_agree_in_float32():
    m = siren(dtype=torch.float32)
    a = Dv.all_partials(m, X.float(), 3, "autograd")
    f = Dv.all_partials(m, X.float(), 3, "fast")
    for p in range(a.shape[0]):  # relative to each partial's own scale (they grow like w0^k)
        assert float((a[p] - f[p]).abs().max() / a[p].abs().max()) < 1e-4, Dv.partial_names(2, 3)[p]


@pytest.mark.parametrize("method", ["autograd", "fast"])
def test_partials_match_central_finite_differences(method):
    m = siren()
    got = Dv.all_partials(m, X, 3, method)
    fd = Dv.finite_differences(m, X, 3)
    tol = {0: 1e-12, 1: 1e-6, 2: 1e-4, 3: 5e-3}
    for p, alpha in enumerate(Dv.partial_indices(2, 3)):
        rel = float((got[p] - fd[p]).abs().max() / got[p].abs().max())
        assert rel < tol[len(alpha)], (alpha, rel)


def test_closed_form_on_a_one_layer_sine():
    """Phi(x) = a sin(w0 (w x + b)) + c has derivatives a (w0 w)^k sin^(k)(...): check orders 0..3
    in 1-D."""
    torch.manual_seed(1)
    m = Siren(1, 1, hidden=1, layers=1, w0=3.0).double()
    w, b = m.net[0].linear.weight.item(), m.net[0].linear.bias.item()
    a, c = m.head.weight.item(), m.head.bias.item()
    t = torch.linspace(-1, 1, 11, dtype=torch.float64)[:, None]
    z = 3.0 * (w * t + b)
    k = 3.0 * w
    want = [
        a * torch.sin(z) + c,
        a * k * torch.cos(z),
        -a * k**2 * torch.sin(z),
        -a * k**3 * torch.cos(z),
    ]
    for method in ("fast", "autograd"):
        got = Dv.all_partials(m, t, 3, method)
        for order in range(4):
            assert torch.allclose(got[order], want[order], atol=1e-12), (method, order)


def test_gradient_hessian_laplacian_divergence_shapes_and_consistency():
    m = siren(out_dim=2)
    g, H, L = Dv.gradient(m, X), Dv.hessian(m, X), Dv.laplacian(m, X)
    assert g.shape == (40, 2, 2) and H.shape == (40, 2, 2, 2) and L.shape == (40, 2)
    assert torch.allclose(H, H.transpose(-1, -2))
    feats = Dv.derivative_features(m, X, 2)
    assert feats.shape == (40, 6 * 2)
    # column p * C + c = partial p of channel c
    assert torch.allclose(feats[:, 1 * 2 + 1], g[:, 1, 0]) and torch.allclose(
        feats[:, 5 * 2 + 0], H[:, 0, 1, 1]
    )
    assert torch.allclose(L, H[..., 0, 0] + H[..., 1, 1])
    assert torch.allclose(Dv.divergence(m, X), g[:, 0, 0] + g[:, 1, 1])
    with pytest.raises(ValueError, match="vector field"):
        Dv.divergence(siren(out_dim=3), X)


def test_autograd_path_for_other_models_and_auto_choice():
    torch.manual_seed(0)
    ff = MLP(
        2,
        1,
        hidden=16,
        layers=2,
        activation="tanh",
        encoding=FourierFeatures(2, 8, sigma=1.0, seed=0),
    ).double()
    got = Dv.all_partials(ff, X, 3, "auto")
    fd = Dv.finite_differences(ff, X, 3)
    for p, tol in [(1, 1e-7), (3, 1e-5), (6, 1e-3)]:
        assert float((got[p] - fd[p]).abs().max() / got[p].abs().max()) < tol, p
    with pytest.raises(ValueError, match="needs an inrutils.models.Siren"):
        Dv.all_partials(ff, X, 2, "fast")


def test_relu_network_second_derivatives_warn():
    torch.manual_seed(0)
    relu = MLP(2, 1, hidden=16, layers=2).double()
    with pytest.warns(UserWarning, match="piecewise linear"):
        L = Dv.laplacian(relu, X)
    assert not L.any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Dv.laplacian(siren(), X)
        Dv.gradient(relu, X)  # first derivatives of a ReLU net are fine


def test_chunking_does_not_change_the_result_and_memory_does_not_grow():
    m = siren(dtype=torch.float32)
    x = torch.rand(1000, 2) * 2 - 1
    for method in ("fast", "autograd"):
        a = Dv.derivative_features(m, x, 2, method, chunk=1000)
        b = Dv.derivative_features(m, x, 2, method, chunk=37)
        assert torch.allclose(a, b, atol=1e-5)


def test_siren_gradient_matches_the_images_sobel_gradient():
    img = load_image("camera", 48, gray=True)
    torch.manual_seed(0)
    m = Siren(2, 1, hidden=64, layers=3)
    fit_image(m, img, steps=300, lr=1e-3, progress=False)
    from inrutils.coords import grid

    g = Dv.gradient(m, grid(48, 48))[:, 0].reshape(48, 48, 2).numpy()
    arr = img[0].numpy()
    # sobel_h responds to horizontal edges = derivative along y (rows); sobel_v along x
    inner = (slice(3, -3), slice(3, -3))
    for k, sob in ((0, sobel_h(arr)), (1, sobel_v(arr))):
        r = np.corrcoef(g[..., k][inner].ravel(), sob[inner].ravel())[0, 1]
        assert abs(r) > 0.85, (k, r)


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda m: Dv.all_partials(m, X, 2, "numeric"), "method="),
        (lambda m: Dv.all_partials(m, X[0], 2), r"\(N, D\)"),
        (lambda m: Dv.all_partials(m, X, -1), "order"),
        (lambda m: Dv.all_partials(m, X, 2, chunk=0), "chunk"),
        (lambda m: Dv.finite_differences(m, X, 4), "order <= 3"),
    ],
)
def test_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call(siren())


def test_shift_index_gathers_the_partials_of_a_derivative():
    from inrutils.derivatives import shift_index

    idx = shift_index(
        2, 3, 1
    )  # columns: f, f_y, f_x; rows: their partials up to order 2, in the order-3 jet
    names = partial_names(2, 3)
    assert [names[i] for i in idx[:, 0]] == ["f", "f_y", "f_x", "f_yy", "f_yx", "f_xx"]
    assert [names[i] for i in idx[:, 1]] == ["f_y", "f_yy", "f_yx", "f_yyy", "f_yyx", "f_yxx"]
    assert [names[i] for i in idx[:, 2]] == ["f_x", "f_yx", "f_xx", "f_yyx", "f_yxx", "f_xxx"]
    assert shift_index(2, 2, 0).flatten().tolist() == list(range(6))
    with pytest.raises(ValueError, match="sub_order"):
        shift_index(2, 2, 3)


@pytest.mark.parametrize("act", ["tanh", "sin"])
def test_compose_jet_equals_autograd_of_the_composition(act):
    from inrutils.derivatives import compose_jet
    from inrutils.insp import activation_derivatives

    torch.manual_seed(0)
    phi = Siren(2, 2, hidden=16, layers=2, w0=10).double()
    x = torch.rand(40, 2, dtype=torch.float64) * 2 - 1
    jet = all_partials(phi, x, 4)
    got = compose_jet(jet, activation_derivatives(act, jet[0], 4), 2)
    sigma = (
        torch.nn.Tanh()
        if act == "tanh"
        else type("Sin", (torch.nn.Module,), {"forward": lambda s, v: torch.sin(v)})()
    )
    want = all_partials(torch.nn.Sequential(phi, sigma), x, 4, method="autograd")
    assert (got - want).abs().max() <= 1e-10 * want.abs().max()
    with pytest.raises(ValueError, match="derivatives of order 0..4"):
        compose_jet(jet, activation_derivatives(act, jet[0], 2), 2)


def test_parameter_free_modules_use_the_coordinates_device_and_dtype():
    x = X[:5]
    for method in ("autograd", "auto"):
        parts = Dv.all_partials(torch.nn.Tanh(), x, 2, method=method)
        assert parts.dtype == torch.float64 and parts.shape == (6, 5, 2)
        t = torch.tanh(x)
        torch.testing.assert_close(parts[0], t)
        torch.testing.assert_close(
            parts[1][:, 0], 1 - t[:, 0] ** 2
        )  # d tanh(y) / dy in output channel 0
        torch.testing.assert_close(parts[2][:, 0], torch.zeros(5, dtype=torch.float64))
        torch.testing.assert_close(parts[3][:, 0], -2 * t[:, 0] * (1 - t[:, 0] ** 2))


@pytest.mark.parametrize(
    "model",
    [
        siren(out_dim=1),
        MLP(2, 1, hidden=8, layers=2).double(),
        torch.nn.Sequential(torch.nn.Linear(2, 4), torch.nn.Tanh()).double(),
    ],
)
def test_wrong_coordinate_width_is_a_clear_error(model):
    x3 = torch.rand(4, 3, dtype=torch.float64)
    with pytest.raises(ValueError, match="coords .*3 columns|width D=3"):
        Dv.all_partials(model, x3, 1, method="autograd")
    with pytest.raises(ValueError, match="coords .*3 columns|width D=3"):
        Dv.gradient(model, x3)
