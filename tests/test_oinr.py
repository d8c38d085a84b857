"""O-INR: the encoding field, its derivative, and derivatives through the conv operator (vs finite
differences)."""

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from inrutils import oinr
from inrutils.coords import grid
from inrutils.models import count_params


def lin_pos(h, w, dtype=torch.float32):
    """(h, w, 2) positions (y, x) at linspace(-1, 1, n) per axis: the official code's grid, our
    default."""
    ys, xs = torch.linspace(-1, 1, h, dtype=dtype), torch.linspace(-1, 1, w, dtype=dtype)
    return torch.stack(torch.meshgrid(ys, xs, indexing="ij"), -1)


def test_encoding_channels_and_layout():
    enc = oinr.encoding_grid(4, 6, n_freq=3)
    assert enc.shape == (12, 4, 6)
    pos = lin_pos(4, 6)
    assert torch.allclose(enc[0], torch.sin(math.pi * pos[..., 0]))  # sin(2^0 pi y)
    assert torch.allclose(enc[3], torch.cos(2 * math.pi * pos[..., 0]))  # cos(2^1 pi y)
    assert torch.allclose(enc[6 + 4], torch.sin(4 * math.pi * pos[..., 1]))  # sin(2^2 pi x)
    assert float(pos[0, 0, 0]) == -1 and float(pos[-1, -1, 1]) == 1  # the samples include both ends
    centres = oinr.encoding_grid(4, 6, n_freq=3, sampling="centres")
    assert torch.allclose(centres[6 + 4], torch.sin(4 * math.pi * grid(4, 6).view(4, 6, 2)[..., 1]))
    with pytest.raises(ValueError, match="sampling must be one of"):
        oinr.encoding_grid(4, 6, sampling="corners")
    assert oinr.spacing(5) == 0.5 and oinr.spacing(4, "centres") == 0.5


def test_degenerate_channels_counts_constant_and_aliased_channels():
    # pixel centres on 64 samples: sin(2^i pi t) = 0 and cos = +-1 for 2^i >= 64 (8 channels),
    # cos(2^5 pi t) = 0
    assert oinr.degenerate_channels(64, 10, "centres") == (9, 0)
    # linspace on 64 samples: spacing 2/63 and 2^6 = 1 (mod 63), so frequencies 6..9 repeat 0..3 up
    # to sign
    assert oinr.degenerate_channels(64, 10) == (0, 16)
    assert oinr.degenerate_channels(60, 10) == (0, 0)
    assert oinr.clean_size(64) == 62 and oinr.clean_size(60) == 60


@pytest.mark.parametrize("scale", [0.15, 0.08])  # notebook 07's default and fast tiers
def test_notebook_sizes_have_no_constant_or_duplicated_channels(scale):
    """Every image size of notebook 07's comparison (and its validation image) gives 40 distinct
    channels."""
    from inrutils.data import load_image

    sizes = set()
    for name in ("coffee", "rocket", "astronaut", "chelsea"):
        h, w = load_image(name).shape[1:]
        sizes |= {oinr.clean_size(round(h * scale)), oinr.clean_size(round(w * scale))}
    sizes |= {
        48,
        60,
        90,
    }  # section 8's 48x48 camera (up to 10 frequencies), the validation image's 60x90
    for n in sizes:
        assert oinr.degenerate_channels(n, 10) == (0, 0), n
    assert oinr.clean_size(60) == 60 and oinr.clean_size(90) == 90  # coffee 60x90 unchanged
    for n in (60, 30):  # section 7's sequence (8 frequencies), default and fast
        assert oinr.degenerate_channels(n, 8) == (0, 0)


@pytest.mark.parametrize("dim", [0, 1])
def test_encoding_derivative_matches_finite_differences(dim):
    h, n = 1e-5, 4

    def enc_at(p):  # the encoding of arbitrary points, in encoding_grid's channel layout
        f = (2.0 ** torch.arange(n, dtype=torch.float64)) * math.pi
        return torch.cat(
            [
                torch.stack(
                    [torch.sin(p[:, d : d + 1] * f), torch.cos(p[:, d : d + 1] * f)], -1
                ).reshape(len(p), -1)
                for d in range(2)
            ],
            1,
        )

    pts = lin_pos(8, 8, torch.float64).reshape(-1, 2)
    e = torch.zeros(2, dtype=torch.float64)
    e[dim] = h
    fd = (enc_at(pts + e) - enc_at(pts - e)) / (2 * h)
    assert torch.allclose(
        enc_at(pts), oinr.encoding_grid(8, 8, n, dtype=torch.float64).reshape(4 * n, -1).T
    )
    analytic = oinr.encoding_grid(8, 8, n, derivative=dim, dtype=torch.float64).reshape(4 * n, -1).T
    assert torch.allclose(analytic, fd, rtol=1e-6, atol=1e-6)


def test_network_derivative_matches_finite_differences_of_the_operator():
    """d/dx of the O-INR output = jvp with the encoding's derivative; check against shifting the
    encoding field."""
    torch.manual_seed(0)
    net = oinr.OINR(out_channels=2, n_freq=4, widths=(8, 8)).double()
    h, w, step = 10, 12, 1e-5
    for dim in (0, 1):
        d = net.derivative(h, w, dim=dim)

        def shifted(s, dim=dim):  # the encoding of the grid moved by s along dim, through the net
            pos = lin_pos(h, w, torch.float64).clone()
            pos[..., dim] += s
            f = (2.0 ** torch.arange(4, dtype=torch.float64)) * math.pi
            chans = []
            for k in range(2):
                t = pos[..., k][None] * f[:, None, None]
                chans.append(torch.stack([torch.sin(t), torch.cos(t)], 1).reshape(8, h, w))
            return net(torch.cat(chans)[None])[0]

        fd = (shifted(step) - shifted(-step)) / (2 * step)
        assert torch.allclose(d, fd, rtol=1e-5, atol=1e-6), dim


def test_oinr_fits_an_image_and_bad_input():
    from inrutils.data import load_image

    img = load_image("camera", 32, gray=True)
    torch.manual_seed(0)
    net = oinr.OINR(1, n_freq=5, widths=(32, 32))
    enc = oinr.encoding_grid(32, 32, 5)[None]
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    for _ in range(150):
        opt.zero_grad()
        loss = (net(enc)[0] - img).pow(2).mean()
        loss.backward()
        opt.step()
    assert -10 * math.log10(loss.item()) > 25
    with pytest.raises(ValueError, match="odd"):
        oinr.OINR(kernel_size=4)
    with pytest.raises(ValueError, match=r"\(B, 20, H, W\)"):
        oinr.OINR(n_freq=5)(torch.zeros(1, 3, 8, 8))
    with pytest.raises(ValueError, match="derivative must be"):
        oinr.encoding_grid(4, 4, derivative=2)


def test_continuous_conv_is_one_operator_at_every_resolution():
    """The same continuous kernel discretised at 32, 64, 128 pixels: outputs on a smooth field
    converge."""
    torch.manual_seed(0)
    conv = oinr.ContinuousConv2d(
        1, 2, base_size=(32, 32), support=3, sampling="centres"
    )  # cells nest under pooling
    assert conv.kernel(32, 32).shape == (2, 1, 3, 3)  # on the reference grid: a plain 3x3 conv
    assert conv.kernel(96, 96).shape == (2, 1, 9, 9)

    def at_coarse_centres(
        n,
    ):  # the output on an n-grid, averaged back to the 32-grid's cells (interior only)
        g = grid(n, n).view(n, n, 2)
        f = (torch.sin(2 * g[..., 0] + 1) * torch.cos(3 * g[..., 1]))[None, None]
        with torch.no_grad():
            return F.avg_pool2d(conv(f), n // 32)[..., 3:-3, 3:-3]

    fine = at_coarse_centres(128)
    err32 = float((at_coarse_centres(32) - fine).abs().max())
    err64 = float((at_coarse_centres(64) - fine).abs().max())
    assert err64 < err32 / 2  # refining the grid converges
    assert err32 < 0.15 * float(fine.abs().max())  # and the reference grid is already close

    torch.manual_seed(0)
    conv = oinr.ContinuousConv2d(
        1, 2, base_size=(33, 33), support=3
    )  # linspace: 33, 65, 129 samples nest
    assert conv.kernel(33, 33).shape == (2, 1, 3, 3) and conv.kernel(65, 65).shape == (2, 1, 7, 7)

    def at_coarse_samples(
        n,
    ):  # the output on linspace(-1, 1, n), at the 33-grid's samples (interior only)
        g = lin_pos(n, n)
        f = (torch.sin(2 * g[..., 0] + 1) * torch.cos(3 * g[..., 1]))[None, None]
        with torch.no_grad():
            return conv(f)[..., :: (n - 1) // 32, :: (n - 1) // 32][..., 3:-3, 3:-3]

    fine = at_coarse_samples(129)
    err33 = float((at_coarse_samples(33) - fine).abs().max())
    err65 = float((at_coarse_samples(65) - fine).abs().max())
    assert err65 < err33 / 2
    assert err33 < 0.15 * float(fine.abs().max())


def test_offset_gamma_shifts_every_channel_and_bad_input():
    a = oinr.encoding_grid(4, 4, 2)
    assert torch.allclose(oinr.encoding_grid(4, 4, 2, offset=0.05), a + 0.05)
    assert torch.equal(
        oinr.encoding_grid(4, 4, 2, derivative=1, offset=0.05),
        oinr.encoding_grid(4, 4, 2, derivative=1),
    )
    with pytest.raises(ValueError, match="base_size"):
        oinr.OINR(continuous=True)
    with pytest.raises(ValueError, match="odd number"):
        oinr.ContinuousConv2d(1, 1, (8, 8), support=2)


def test_on_grid_lets_fit_image_train_an_oinr():
    from inrutils.data import load_image
    from inrutils.fit import fit_image

    img = load_image("camera", 24, gray=True)
    torch.manual_seed(0)
    net = oinr.OINR(1, n_freq=4, widths=(16, 16))
    hist = fit_image(oinr.OnGrid(net, 24, 24), img, steps=100, lr=3e-3, progress=False)
    assert hist.psnr[-1] > hist.psnr[0] + 5
    with pytest.raises(ValueError, match="whole 24x24 grid"):
        oinr.OnGrid(net, 24, 24)(grid(24, 24)[:100])


def test_kernel_size_one_is_a_pointwise_mlp():
    torch.manual_seed(0)
    net = oinr.OINR(2, n_freq=3, widths=(8, 8), kernel_size=1)
    enc = oinr.encoding_grid(5, 7, 3)
    mlp = oinr.pointwise_mlp(net)
    want = net(enc[None])[0]  # (2, 5, 7)
    got = mlp(enc.flatten(1).T).T.reshape(2, 5, 7)
    assert torch.allclose(got, want, atol=1e-6)
    with pytest.raises(ValueError, match="kernel_size=1"):
        oinr.pointwise_mlp(oinr.OINR(2, n_freq=3, widths=(8, 8)))


def test_fit_fields_multires_and_sequence():
    from inrutils.data import load_image

    img = load_image("camera", 32, gray=True)
    small = load_image("camera", 24, gray=True)
    torch.manual_seed(0)
    net = oinr.OINR(1, n_freq=3, widths=(8, 8), continuous=True, base_size=(28, 28))
    losses = oinr.fit_fields(net, [img, small], steps=60, lr=3e-3)
    assert len(losses) == 60 and np.mean(losses[-10:]) < 0.5 * np.mean(losses[:10])
    torch.manual_seed(0)
    disc = oinr.OINR(1, n_freq=3, widths=(8, 8))
    a = oinr.fit_fields(disc, [img, img.flip(-1)], offsets=[0.0, 0.1], steps=5, seed=1)
    torch.manual_seed(0)
    disc2 = oinr.OINR(1, n_freq=3, widths=(8, 8))
    assert (
        oinr.fit_fields(disc2, [img, img.flip(-1)], offsets=[0.0, 0.1], steps=5, seed=1) == a
    )  # seeded
    with pytest.raises(ValueError, match="continuous O-INR.*allow_discrete=True"):
        oinr.fit_fields(disc, [img, small])
    several = oinr.fit_fields(disc, [img, small], steps=40, allow_discrete=True)
    assert np.mean(several[-10:]) < np.mean(several[:10])  # the official code's CKConv setting
    with pytest.raises(ValueError, match="one per target"):
        oinr.fit_fields(disc, [img], offsets=[0.0, 0.1])
    with pytest.raises(ValueError, match=r"targets\[0\]"):
        oinr.fit_fields(disc, [torch.rand(3, 8, 8)])


def test_encoding_exercise_checks_accept_the_reference_and_catch_mistakes():
    from inrutils import exercises

    def reference(h, w, n, dim=None):  # written out, as a learner would
        g = lin_pos(h, w)
        chans = []
        for d in range(2):
            for i in range(n):
                a = 2.0**i * torch.pi
                if dim is None:
                    chans += [torch.sin(a * g[..., d]), torch.cos(a * g[..., d])]
                elif dim == d:
                    chans += [a * torch.cos(a * g[..., d]), -a * torch.sin(a * g[..., d])]
                else:
                    chans += [torch.zeros(h, w), torch.zeros(h, w)]
        return torch.stack(chans)

    exercises.check_encoding(lambda h, w, n: reference(h, w, n))
    exercises.check_encoding_derivative(reference)
    import functools

    from inrutils.oinr import encoding_grid as alias

    library_calls = [
        lambda h, w, n: oinr.encoding_grid(h, w, n),
        oinr.encoding_grid,  # the function itself
        functools.partial(oinr.encoding_grid),
        lambda h, w, n: alias(h, w, n),
        lambda h, w, n: getattr(oinr, "encoding_" + "grid")(h, w, n),  # found only by running it
    ]
    for fn in library_calls:
        with pytest.raises(AssertionError, match="calls the library's `encoding_grid`"):
            exercises.check_encoding(fn)
    with pytest.raises(AssertionError, match="calls the library's `encoding_grid`"):
        exercises.check_encoding_derivative(
            lambda h, w, n, d: oinr.encoding_grid(h, w, n, derivative=d)
        )
    with pytest.raises(AssertionError, match="calls the library's `encoding_grid`"):
        exercises.check_encoding_derivative(
            lambda h, w, n, d: getattr(oinr, "encoding_" + "grid")(h, w, n, derivative=d)
        )
    with pytest.raises(AssertionError, match="linspace"):
        exercises.check_encoding(
            lambda h, w, n: (
                reference(h, w, n) * 0
                + torch.stack(
                    [
                        f(2.0**i * torch.pi * grid(h, w).view(h, w, 2)[..., d])
                        for d in range(2)
                        for i in range(n)
                        for f in (torch.sin, torch.cos)
                    ]
                )
            )
        )

    def linear_freqs(h, w, n):
        g = lin_pos(h, w)
        return torch.cat(
            [
                torch.stack(
                    [
                        f(torch.pi * (i + 1) * g[..., d])
                        for i in range(n)
                        for f in (torch.sin, torch.cos)
                    ]
                )
                for d in range(2)
            ]
        )

    with pytest.raises(AssertionError, match="geometrically"):
        exercises.check_encoding(linear_freqs)
    with pytest.raises(AssertionError, match="chain rule"):

        def no_factor(h, w, n, d):
            out = reference(h, w, n, d)
            f = (2.0 ** torch.arange(n) * torch.pi).repeat_interleave(2)
            out[2 * n * d : 2 * n * (d + 1)] /= f[:, None, None]
            return out

        exercises.check_encoding_derivative(no_factor)
    with pytest.raises(AssertionError, match="sign"):

        def wrong_sign(h, w, n, d):
            out = reference(h, w, n, d)
            out[2 * n * d + 1 : 2 * n * (d + 1) : 2] *= -1
            return out

        exercises.check_encoding_derivative(wrong_sign)


def test_baseline_models_share_one_budget_and_settings():
    models = oinr.baseline_models(3, 30, 48, 2_700)
    assert list(models) == ["SIREN", "WIRE", "MFN", "O-INR"]
    for name, m in models.items():
        assert abs(count_params(m) - 2_700) <= 0.05 * 2_700, name
    assert models["WIRE"].config["w0"] == oinr.BASELINES["WIRE"]["represent"]["w0"]
    dn = oinr.baseline_models(3, 30, 48, 2_700, task="denoise", names=["WIRE"])
    assert (
        list(dn) == ["WIRE"] and dn["WIRE"].config["w0"] == 4.0 and dn["WIRE"].config["s0"] == 4.0
    )
    assert models["MFN"].config["input_scale"] == 48.0
    assert models["O-INR"].net.config["sampling"] == "linspace"
    for name in oinr.MODEL_NAMES:
        for task in oinr.TASKS:
            assert oinr.LEARNING_RATES[task][name] > 0
    with pytest.raises(ValueError, match="task must be one of"):
        oinr.baseline_models(3, 8, 8, 2_700, task="denoising")
    with pytest.raises(ValueError, match="names must be among"):
        oinr.baseline_models(3, 8, 8, 2_700, names=["FFN"])


def test_fit_decay_schedule():
    """fit_decay's rate goes lr -> lr * 0.1 over the run; final_factor=1 is fit_image at a constant
    rate."""
    from inrutils.data import load_image
    from inrutils.fit import fit_image

    img = load_image("camera", 12, gray=True)
    seen = []
    orig = torch.optim.Adam.step

    def spy(self, *a, **k):
        seen.append(self.param_groups[0]["lr"])
        return orig(self, *a, **k)

    torch.manual_seed(0)
    net = oinr.OINR(1, n_freq=3, widths=(4, 4))
    torch.optim.Adam.step = spy
    try:
        oinr.fit_decay(oinr.OnGrid(net, 12, 12), img, 10, 1e-2)
    finally:
        torch.optim.Adam.step = orig
    assert np.allclose(seen, [1e-2 * 0.1 ** (t / 10) for t in range(10)])
    torch.manual_seed(0)
    a = oinr.fit_decay(
        oinr.OnGrid(oinr.OINR(1, n_freq=3, widths=(4, 4)), 12, 12), img, 5, 1e-2, final_factor=1.0
    )
    torch.manual_seed(0)
    b = fit_image(
        oinr.OnGrid(oinr.OINR(1, n_freq=3, widths=(4, 4)), 12, 12), img, 5, 1e-2, progress=False
    )
    assert np.allclose(a.psnr, b.psnr)
    with pytest.raises(ValueError, match="final_factor"):
        oinr.fit_decay(net, img, 5, 1e-2, final_factor=0)


def test_official_model_sizes():
    """The official code's OINR_2D (64, 128, 128, 64) has 319,680 parameters for RGB; (64, 128, 64)
    ~ the paper's 172k."""
    assert count_params(oinr.OINR(3, n_freq=10)) == 319_680
    assert count_params(oinr.OINR(3, n_freq=10, widths=(64, 128, 64))) == 172_224


def test_forward_written_by_hand_equals_the_library():
    """Notebook 07's by-hand O-INR: convolutions without bias, a sine after all but the last."""

    def by_hand(enc, weights):
        h = enc
        for kernel in weights[:-1]:
            h = torch.sin(F.conv2d(h, kernel, padding=kernel.shape[-1] // 2))
        return F.conv2d(h, weights[-1], padding=weights[-1].shape[-1] // 2)

    for kernel_size in (1, 3, 5):
        torch.manual_seed(kernel_size)
        net = oinr.OINR(3, n_freq=4, widths=(6, 8, 8, 6), kernel_size=kernel_size)
        enc = oinr.encoding_grid(13, 17, n_freq=4)[None]
        with torch.no_grad():
            got = by_hand(enc, [c.weight for c in net.convs])
            assert torch.allclose(got, net(enc), atol=1e-6), kernel_size
            assert torch.allclose(got[0], net.render(13, 17), atol=1e-6)
