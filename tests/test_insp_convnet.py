"""INSP-ConvNet (Eq. 6) and the dataset of digit INRs: exact jets through layers, batched fitting,
classification."""

import pytest
import torch

from inrutils import insp
from inrutils.coords import grid
from inrutils.derivatives import all_partials
from inrutils.models import Siren


def test_tanh_derivatives_closed_form_match_autograd():
    z = torch.linspace(-2, 2, 9, dtype=torch.float64, requires_grad=True)
    got = insp.activation_derivatives("tanh", z, 4)
    cur = torch.tanh(z)
    for m in range(5):
        assert torch.allclose(got[m], cur, atol=1e-12), m
        (cur,) = torch.autograd.grad(cur.sum(), z, create_graph=True)
    with pytest.raises(ValueError, match="activation='relu' is unknown"):
        insp.activation_derivatives("relu", z, 1)


def test_convnet_hidden_jet_equals_autograd_of_the_composed_field():
    """Layer 1's output jet (pixel units) = derivatives of x -> tanh(INSP-Conv(Phi)(x)) by
    autograd."""
    torch.manual_seed(0)
    phi = Siren(2, 1, hidden=16, layers=2, w0=5).double()
    net = insp.INSPConvNet(widths=(4, 3), orders=(1, 1), grid_hw=(4, 4), unit=0.5).double()
    with torch.no_grad():
        for b in net.biases:
            b.normal_()
    x = grid(4, 4).double()
    jets = all_partials(phi, x, 2)[None]  # (1, P, S, C)
    got = net.fields(jets)[0]  # (3 partials, 16, 4)
    xr = x.clone().requires_grad_(True)
    f = phi(xr)
    (g,) = torch.autograd.grad(f.sum(), xr, create_graph=True)  # (N, 2): f_y, f_x
    w, b = net.weights[0], net.biases[0]  # (4, 3, 1): f, f_y, f_x
    z = b + f * w[:, 0, 0] + 0.5 * g[:, :1] * w[:, 1, 0] + 0.5 * g[:, 1:] * w[:, 2, 0]
    h = torch.tanh(z)
    assert torch.allclose(got[0], h, atol=1e-12)
    for c in range(4):
        (dh,) = torch.autograd.grad(h[:, c].sum(), xr, retain_graph=True)
        assert torch.allclose(
            got[1:, :, c].T, 0.5 * dh, atol=1e-10
        )  # pixel units: d/du = unit * d/dx
    logits = net(jets)
    assert logits.shape == (1, 10)


def test_fit_many_equals_separate_fits():
    imgs = torch.rand(3, 1, 5, 6)
    many = insp.fit_many(imgs, 20, 1e-3, seed=7, hidden=8, layers=2, w0=5)
    for i in range(3):
        torch.manual_seed(7 + i)
        m = Siren(2, 1, hidden=8, layers=2, w0=5)
        opt = torch.optim.Adam(m.parameters(), lr=1e-3)
        target = imgs[i].flatten(1).T
        for _ in range(20):
            opt.zero_grad()
            (m(grid(5, 6)) - target).pow(2).mean().backward()
            opt.step()
        ref = m(grid(5, 6))
        assert torch.allclose(many.model(i)(grid(5, 6)), ref, atol=1e-5)
        assert torch.allclose(many.render(5, 6)[i].flatten(1).T, ref, atol=1e-5)
    same = insp.fit_many(imgs, 0, same_init=True, hidden=8, layers=2)
    assert torch.equal(same.weights()[0], same.weights()[1])
    assert many.weights().shape == (
        3,
        sum(p.numel() for p in Siren(2, 1, hidden=8, layers=2).parameters()),
    )


def test_inrset_save_load_and_errors(tmp_path):
    s = insp.fit_many(torch.rand(2, 1, 4, 4), 5, hidden=8, layers=1)
    s.meta = {"labels": torch.tensor([3, 4])}
    s.save(tmp_path / "a.pt")
    t = insp.INRSet.load(tmp_path / "a.pt")
    assert (
        torch.equal(t.weights(), s.weights())
        and t.meta["labels"].tolist() == [3, 4]
        and len(t) == 2
    )
    torch.save({"format": "other"}, tmp_path / "b.pt")
    with pytest.raises(ValueError, match="not an inrutils.INRSet/1 file"):
        insp.INRSet.load(tmp_path / "b.pt")
    with pytest.raises(FileNotFoundError, match="make_digit_inrs|data/README"):
        insp.INRSet.load(tmp_path / "missing.pt")
    with pytest.raises(IndexError, match="2 INRs"):
        t.model(2)
    with pytest.raises(ValueError, match=r"\(B, C, H, W\)"):
        insp.fit_many(torch.rand(4, 4), 1)


def test_shipped_digit_inrs_are_faithful_and_split_cleanly():
    s = insp.load_digit_inrs()
    images, labels = insp.digits()
    assert len(s) == 1797 and torch.equal(s.meta["labels"], labels)
    train, test = s.meta["train"], s.meta["test"]
    assert len(set(train.tolist()) & set(test.tolist())) == 0 and len(train) + len(test) == 1797
    assert torch.bincount(labels[test]).min() >= 70  # stratified: every class in the test set
    psnr = -10 * torch.log10((s.render(8) - images).pow(2).mean(dim=(1, 2, 3)))
    assert psnr.median() > 45 and psnr.min() > 30
    assert torch.allclose(psnr, s.psnr, atol=0.05)  # the recorded PSNR is the loaded networks'


def test_convnet_learns_digits_from_their_inrs():
    """A small INSP-ConvNet on 400 training INRs beats chance (10 %) by far on 300 held-out ones."""
    s = insp.load_digit_inrs()
    labels = s.meta["labels"]
    tr, te = s.meta["train"][:400], s.meta["test"][:300]
    jets = insp.inr_jets(
        insp.INRSet({k: v[torch.cat([tr, te])] for k, v in s.params.items()}, s.config, s.psnr),
        8,
        8,
        2,
    )
    torch.manual_seed(0)
    net = insp.INSPConvNet(widths=(8, 16), orders=(1, 1))
    losses = insp.train_classifier(net, jets[:400], labels[tr], epochs=10, lr=3e-3)
    assert losses[-1] < losses[0] / 4
    assert insp.accuracy(net, jets[400:], labels[te]) > 0.75


def test_convnet_bad_input():
    with pytest.raises(ValueError, match="one entry per layer"):
        insp.INSPConvNet(widths=(4, 4), orders=(1,))
    with pytest.raises(ValueError, match="divisible by pool"):
        insp.INSPConvNet(grid_hw=(9, 9), pool=2)
    with pytest.raises(ValueError, match="activation='gelu' is unknown"):
        insp.INSPConvNet(activation="gelu")
    net = insp.INSPConvNet(orders=(1, 1))
    with pytest.raises(ValueError, match=r"jets \(B, 6, S, 1\) up to order 2"):
        net(torch.zeros(2, 10, 64, 1))
    with pytest.raises(ValueError, match="8x8 grid"):
        net(torch.zeros(2, 6, 16, 1))


def test_order_zero_convnet_is_a_pointwise_network_of_the_values():
    """orders (0, 0): no derivatives, each layer mixes channels at a point (a 1x1 convolution of the
    INR's values)."""
    torch.manual_seed(1)
    net = insp.INSPConvNet(widths=(4, 3), orders=(0, 0), grid_hw=(4, 4)).double()
    with torch.no_grad():
        for b in net.biases:
            b.normal_()
    values = torch.randn(2, 1, 16, 1, dtype=torch.float64)  # (B, P=1, S, C): a jet of order 0
    h = values[:, 0]
    for w, b in zip(net.weights, net.biases):
        h = torch.tanh(h @ w[:, 0, :].T + b)  # (B, S, C_out)
    torch.testing.assert_close(net.fields(values)[-1][0], h.reshape(-1, 3))
    conv = torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 1), torch.nn.Tanh(), torch.nn.Conv2d(4, 3, 1), torch.nn.Tanh()
    ).double()
    with torch.no_grad():
        for layer, w, b in zip((conv[0], conv[2]), net.weights, net.biases):
            layer.weight.copy_(w[:, 0, :, None, None])
            layer.bias.copy_(b)
    maps = conv(values[:, 0].reshape(2, 4, 4, 1).permute(0, 3, 1, 2))
    torch.testing.assert_close(maps.permute(0, 2, 3, 1).reshape(-1, 3), h.reshape(-1, 3))
