import math

import pytest
import torch

from inrutils.encodings import FourierFeatures, PositionalEncoding, fourier_features


def test_fourier_features_formula_and_shape():
    x = torch.tensor([[0.25, -0.5]])
    B = torch.tensor([[1.0, 0.0], [0.0, 2.0], [1.0, 1.0]])
    out = fourier_features(x, B)
    proj = 2 * math.pi * torch.tensor([0.25, -1.0, -0.25])
    assert torch.allclose(out, torch.cat([proj.cos(), proj.sin()])[None], atol=1e-6)


def test_fourier_features_module_sigma_and_seed():
    enc = FourierFeatures(2, 4096, sigma=7.0, seed=1)
    assert enc(torch.zeros(3, 2)).shape == (3, 8192) and enc.out_dim == 8192
    assert enc.B.std().item() == pytest.approx(7.0, rel=0.03)
    assert torch.equal(enc.B, FourierFeatures(2, 4096, 7.0, seed=1).B)
    assert not torch.equal(enc.B, FourierFeatures(2, 4096, 7.0, seed=2).B)
    # unit-norm rows: |features| ** 2 = m for every input
    assert torch.allclose((enc(torch.rand(5, 2)) ** 2).sum(1), torch.full((5,), 4096.0), rtol=1e-4)


def test_positional_encoding_formula():
    pe = PositionalEncoding(2, n_freqs=3)
    x = torch.tensor([[0.3, -0.7]])
    out = pe(x)
    assert out.shape == (1, pe.out_dim) and pe.out_dim == 2 * (2 * 3 + 1)
    want = [0.3, -0.7]
    for p in (0.3, -0.7):
        for k in range(3):
            want += [math.sin(2**k * math.pi * p), math.cos(2**k * math.pi * p)]
    assert torch.allclose(out[0], torch.tensor(want), atol=1e-6)
    assert PositionalEncoding(1, 4, include_input=False).out_dim == 8


@pytest.mark.parametrize(
    "kwargs", [dict(sigma=0), dict(sigma=-1.0), dict(n_features=0), dict(in_dim=1.5)]
)
def test_fourier_features_bad_args(kwargs):
    with pytest.raises(ValueError, match="FourierFeatures"):
        FourierFeatures(**kwargs)
