import math

import pytest
import torch

from inrutils import config
from inrutils.encodings import FourierFeatures, PositionalEncoding
from inrutils.models import MLP, SineLayer, Siren, count_params, from_config, siren_init_bound


def test_siren_init_bounds_are_respected():
    config.seed_everything(0)
    net = Siren(in_dim=2, hidden=256, layers=4, w0=30.0)
    first = net.net[0].linear.weight
    assert first.abs().max() <= 1 / 2
    assert first.std().item() == pytest.approx(
        (1 / 2) / math.sqrt(3), rel=0.1
    )  # U(-c, c) has std c / sqrt(3)
    c = math.sqrt(6 / 256) / 30
    for layer in list(net.net[1:]):
        w = layer.linear.weight
        assert w.abs().max() <= c
        assert w.std().item() == pytest.approx(c / math.sqrt(3), rel=0.02)
    assert net.head.weight.abs().max() <= c


def test_siren_activation_statistics_match_the_paper():
    """Sec. 3.2 of Sitzmann et al.: with this init, pre-activations w0 * (W x + b) of hidden layers
    have unit std (bias aside) and the outputs sin(.) follow the arcsine distribution (variance
    1/2), at any depth."""
    config.seed_everything(0)
    hidden = 512
    layers = [SineLayer(1, hidden, w0=30.0, is_first=True)] + [
        SineLayer(hidden, hidden) for _ in range(6)
    ]
    x = torch.rand(4096, 1) * 2 - 1
    with torch.no_grad():
        h = layers[0](x)
        for layer in layers[1:]:
            pre = layer.w0 * (
                h @ layer.linear.weight.T
            )  # without the bias, whose init is PyTorch's
            assert pre.std().item() == pytest.approx(1.0, abs=0.08)
            h = layer(h)
            assert h.var().item() == pytest.approx(0.5, abs=0.05)
            # arcsine law: P(|sin| > 0.9) = 1 - 2/pi * asin(0.9) = 0.287
            assert (h.abs() > 0.9).float().mean().item() == pytest.approx(0.287, abs=0.03)


def test_siren_init_bound_function():
    assert siren_init_bound(2, 30.0, True) == 0.5
    assert siren_init_bound(256, 30.0, False) == pytest.approx(math.sqrt(6 / 256) / 30)


def test_count_params_formula():
    net = MLP(in_dim=2, out_dim=3, hidden=64, layers=3)
    assert count_params(net) == (2 * 64 + 64) + 2 * (64 * 64 + 64) + (64 * 3 + 3)
    assert count_params(Siren(2, 1, hidden=32, layers=2)) == (2 * 32 + 32) + (32 * 32 + 32) + (
        32 + 1
    )
    enc = FourierFeatures(2, 16, 1.0)
    assert count_params(MLP(2, 1, 8, 1, encoding=enc)) == (32 * 8 + 8) + (8 + 1)  # B is a buffer


def test_model_shapes_and_encoding_check():
    x = torch.rand(10, 2)
    assert MLP(2, 3, 16, 2, encoding=PositionalEncoding(2, 4))(x).shape == (10, 3)
    assert Siren(2, 3, 16, 2)(x).shape == (10, 3)
    with pytest.raises(ValueError, match="encoding.in_dim=3 does not match in_dim=2"):
        MLP(2, 1, encoding=FourierFeatures(3, 4, 1.0))


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(activation="swish"), "allowed: relu"),
        (dict(hidden=0), "hidden must be a positive integer"),
        (dict(layers=2.0), "layers must be a positive integer"),
    ],
)
def test_mlp_bad_args(kwargs, match):
    with pytest.raises(ValueError, match=match):
        MLP(**kwargs)


def test_siren_bad_w0():
    with pytest.raises(ValueError, match="w0 must be a positive finite number"):
        Siren(w0=0)


def test_from_config_rebuilds_same_architecture():
    net = MLP(2, 1, 16, 2, encoding=FourierFeatures(2, 8, 3.0, seed=4))
    clone = from_config("MLP", net.config)
    assert torch.equal(clone.encoding.B, net.encoding.B)
    assert count_params(clone) == count_params(net)
    with pytest.raises(ValueError, match="unknown model kind"):
        from_config("Transformer", {})


def test_wire_and_mfn_shapes_params_and_fit():
    from inrutils.data import load_image
    from inrutils.fit import fit_image
    from inrutils.models import MFN, Wire, count_params

    x = torch.rand(10, 2) * 2 - 1
    w = Wire(2, 3, hidden=32, layers=2)
    assert w(x).shape == (10, 3) and not w(x).is_complex()
    width = int(32 / 2**0.5)  # complex units: hidden / sqrt(2)
    assert count_params(w) == (2 * width + width) + 2 * (width * width + width) + 2 * (
        width * 3 + 3
    )
    m = MFN(2, 3, hidden=16, layers=2)
    assert m(x).shape == (10, 3)
    assert count_params(m) == 3 * (2 * 16 + 16) + 2 * (16 * 16 + 16) + (16 * 3 + 3)
    img = load_image("camera", 24, gray=True)
    for model, lr in (
        (Wire(2, 1, hidden=48, layers=2), 5e-3),
        (MFN(2, 1, hidden=48, layers=2), 1e-3),
    ):
        torch.manual_seed(0)
        assert fit_image(model, img, steps=150, lr=lr, progress=False).final_psnr > 25, type(
            model
        ).__name__


def test_size_to_budget_within_5_percent_and_errors():
    from inrutils.models import MFN, Siren, Wire, count_params, size_to_budget

    for build in (
        lambda w: Siren(2, 3, hidden=w, layers=3),
        lambda w: Wire(2, 3, hidden=w, layers=3),
        lambda w: MFN(2, 3, hidden=w, layers=3),
        lambda w: MLP(2, 3, hidden=w, layers=4),
    ):
        for budget in (20_000, 172_000):
            assert abs(count_params(size_to_budget(build, budget)) - budget) <= 0.05 * budget
    with pytest.raises(ValueError, match="too small for this architecture"):
        size_to_budget(lambda w: Siren(2, 3, hidden=w + 100, layers=3), 500)
    with pytest.raises(ValueError, match="positive number of parameters"):
        size_to_budget(lambda w: Siren(2, 3, hidden=w), 0)
