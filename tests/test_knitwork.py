"""Neural Knitworks: patches vs direct indexing, the official scales, the consistency loss,
training, blind SR."""

import inspect
import math
import types

import pytest
import torch

from inrutils import blindsr as B
from inrutils import knitwork as K
from inrutils.data import load_image
from inrutils.degrade import blur, box_mask, gaussian_kernel
from inrutils.metrics import psnr


def test_patches_match_direct_indexing_and_mask_marks_outside_as_unobserved():
    torch.manual_seed(0)
    img = torch.rand(2, 11, 13)
    mask = torch.ones(1, 11, 13)
    mask[0, 4, 6] = 0
    dil = (1, 3)
    patches, pm = K.extract_patches(img, dil, margin=2), K.patch_mask(mask, dil, margin=2)
    assert patches.shape == (11 * 13, 2, 2, 5, 5) and pm.shape == (11 * 13, 2, 1, 5, 5)
    for s, d in enumerate(dil):
        for p in [0, 5, 40, 77, 11 * 13 - 1]:
            y, x = divmod(p, 13)
            for i in range(5):
                for j in range(5):
                    yy, xx = y + (i - 2) * d, x + (j - 2) * d
                    inside = 0 <= yy < 11 and 0 <= xx < 13
                    want = img[:, min(max(yy, 0), 10), min(max(xx, 0), 12)]  # replicate outside
                    assert torch.allclose(patches[p, s, :, i, j], want), (s, p, i, j)
                    assert float(pm[p, s, 0, i, j]) == (float(mask[0, yy, xx]) if inside else 0.0)
    with pytest.raises(ValueError, match="margin"):
        K.extract_patches(img, (1,), margin=0)
    with pytest.raises(ValueError, match="dilations"):
        K.extract_patches(img, (0, 2))


def test_reconstructor_is_the_official_deep_linear_network():
    torch.manual_seed(0)
    r = K.Reconstructor(channels=3, n_scales=2, margin=2)  # defaults: width 8, depth 8
    linears = [m for m in r.modules() if isinstance(m, torch.nn.Linear)]
    assert len(linears) == 8 and all(m.bias is None for m in linears)
    assert [m.out_features for m in linears] == [8] * 7 + [3] and linears[
        0
    ].in_features == 2 * 3 * 25
    assert not any(isinstance(m, (torch.nn.ReLU, torch.nn.LeakyReLU)) for m in r.modules())
    x, y = torch.rand(4, 2, 3, 5, 5), torch.rand(4, 2, 3, 5, 5)
    logit = lambda z: torch.logit(r(z).double())  # linear before the sigmoid
    assert torch.allclose(logit(0.3 * x + 0.7 * y), 0.3 * logit(x) + 0.7 * logit(y), atol=1e-5)


def test_default_weights_are_the_official_scales():
    p = inspect.signature(K.train).parameters
    assert p["gamma"].default == 1e-4 and p["alpha"].default == 1e-5 and p["beta"].default == 1.0
    q = inspect.signature(B.train_sr).parameters
    assert (
        q["gamma"].default == 1e-2 and q["alpha"].default == 1e-2 and q["kernel_lr"].default == 1e-3
    )
    m = K.Knitwork()
    assert m.dilations == (1, 8) and m.margin == 2
    assert [
        x.out_features for x in m.discriminator.modules() if isinstance(x, torch.nn.Linear)
    ] == [256, 256, 128, 64, 32, 16, 1]
    # the reconstruction and pixel losses sum the squared error over channels (official
    # loss_function)
    pred, target = torch.zeros(2, 1, 3, 3, 3), torch.full((2, 1, 3, 3, 3), 0.1)
    assert math.isclose(
        float(K.recon_loss(pred, target, torch.ones(2, 1, 1, 3, 3))), 3 * 0.01, rel_tol=1e-5
    )
    zero_pixels = lambda stacks: torch.zeros(stacks.shape[0], 3)  # a Reconstructor that outputs 0
    pix = K.pixel_loss(zero_pixels, pred, torch.full((2, 3), 0.1), torch.ones(2, 1))
    assert math.isclose(float(pix), 3 * 0.01, rel_tol=1e-5), float(
        pix
    )  # a channel mean would give 0.01


def test_consistency_leaves_out_neighbours_outside_the_image():
    """A hand-made 3x3 grid, one channel, 3x3 patches at dilation 1."""
    pred = torch.zeros(9, 1, 1, 3, 3)
    for p in range(9):
        y, x = divmod(p, 3)
        for i in range(3):
            for j in range(3):
                if not (0 <= y + i - 1 < 3 and 0 <= x + j - 1 < 3):
                    pred[p, 0, 0, i, j] = 100.0  # claims about pixels outside the image
    assert float(K.xpatch_loss(pred, 3, 3)) == 0.0
    pred[4, 0, 0, 0, 0] = (
        1.0  # the centre pixel's up-left element disagrees with pixel (0, 0)'s centre
    )
    # offset (-1, -1) has 4 valid pixels (rows 1-2, columns 1-2): mean squared difference 1 / 4
    assert math.isclose(float(K.xpatch_loss(pred, 3, 3)), 0.25, rel_tol=1e-6)
    real = K.extract_patches(load_image("camera", 16, gray=True), (1, 4), margin=2)
    assert float(K.xpatch_loss(real, 16, 16, (1, 4))) < 1e-12  # real patches agree at every scale
    noisy = real + 0.05 * torch.randn_like(real)
    assert float(K.xpatch_loss(noisy, 16, 16, (1, 4))) > 1e-3
    with pytest.raises(ValueError, match="whole 16x16 grid"):
        K.xpatch_loss(real[:10], 16, 16, (1, 4))


def test_consistency_compares_every_scale_with_the_scale_0_centre_and_sums_over_scales():
    real = K.extract_patches(
        load_image("camera", 16, gray=True), (1, 4), margin=2
    )  # 5x5 stacks, zero loss
    p = 10 * 16 + 10  # pixel (10, 10)
    # the scale-1 centre claims pixel p itself: compared with the scale-0 centre at p, over all 256
    # pixels. (Compared with the scale-1 centre instead, it would agree with itself and the 24
    # scale-1 elements of other pixels pointing at p would disagree: a different number.)
    bad = real.clone()
    bad[p, 1, 0, 2, 2] += 1.0
    assert math.isclose(float(K.xpatch_loss(bad, 16, 16, (1, 4))), 1 / 256, rel_tol=1e-4)
    # corner elements (0, 0): offset (-2, -2) at scale 0 has 14 x 14 valid pixels, (-8, -8) at scale
    # 1 has 8 x 8; the loss is their sum (a mean over scales would halve it)
    bad = real.clone()
    bad[p, 0, 0, 0, 0] += 1.0
    bad[p, 1, 0, 0, 0] += 1.0
    assert math.isclose(float(K.xpatch_loss(bad, 16, 16, (1, 4))), 1 / 196 + 1 / 64, rel_tol=1e-4)


def test_adversarial_loss_is_plain_bce():
    logits = torch.tensor([-3.0, 0.0, 2.5])
    assert math.isclose(float(K.adversarial_loss(torch.zeros(4), True)), math.log(2), rel_tol=1e-6)
    real = [math.log1p(math.exp(-z)) for z in logits.tolist()]  # -log sigmoid(z)
    fake = [math.log1p(math.exp(z)) for z in logits.tolist()]  # -log(1 - sigmoid(z))
    assert math.isclose(float(K.adversarial_loss(logits, True)), sum(real) / 3, rel_tol=1e-6)
    assert math.isclose(float(K.adversarial_loss(logits, False)), sum(fake) / 3, rel_tol=1e-6)


def test_discriminator_weighs_each_region_equally_as_the_official_code():
    """Official get_d_loss: per region (known, novel) one BCE over its fakes mixed with as many
    reals; summed."""

    class Scale(torch.nn.Module):  # logit = first element of the stack times a learnable scale
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.ones(()))

        def forward(self, x):
            return x.reshape(len(x), -1)[:, :1] * self.w

    model = types.SimpleNamespace(discriminator=Scale())
    opt = torch.optim.SGD(model.discriminator.parameters(), lr=0.0)
    stacks = lambda n, v: torch.full((n, 1, 3, 3, 3), v)
    # region 1: one real and one fake at logit 0 -> log 2; region 2: 30 reals at 0 and 30 fakes at 5
    loss = K.discriminator_step(
        model, opt, [stacks(1, 0.0), stacks(30, 0.0)], [stacks(1, 0.0), stacks(30, 5.0)], step=1
    )
    softplus5 = math.log1p(math.exp(5.0))
    assert math.isclose(loss.item(), math.log(2) + (math.log(2) + softplus5) / 2, rel_tol=1e-6)
    # one region given as tensors: the mixed BCE of that region alone
    one = K.discriminator_step(model, opt, stacks(30, 0.0), stacks(30, 5.0), step=1)
    assert math.isclose(one.item(), (math.log(2) + softplus5) / 2, rel_tol=1e-6)
    with pytest.raises(ValueError, match="one per region"):
        K.discriminator_step(model, opt, [stacks(1, 0.0)], [stacks(1, 0.0)] * 2, step=1)


def small():
    torch.manual_seed(0)
    return K.Knitwork(
        channels=3,
        dilations=(1, 2),
        margin=1,
        hidden=64,
        layers=3,
        n_features=32,
        disc_hidden=(32, 16),
    )


def test_short_fit_is_seeded_and_fits_the_visible_pixels():
    """Guards the colour-cast bug: the visible pixels must be fitted, not shifted by the adversarial
    term."""
    img = load_image("astronaut", 16)
    mask = box_mask(16, 16, 0.04)
    outs = []
    for _ in range(2):
        m = small()
        h = K.train(
            m,
            img * mask,
            mask,
            steps=150,
            lr=1e-2,
            alpha=0.05,
            reference=img,
            eval_every=50,
            seed=0,
        )
        outs.append(m.render(16, 16))
    assert torch.equal(outs[0], outs[1]) and len(h.psnr) == 3
    visible = psnr(outs[0], img, mask=mask[0] == 1)
    # measured (seed 0): 31.2 dB at the default gamma 1e-4, 30.3 at gamma 0; the old gamma 0.05 gave
    # 26.6
    assert visible > 30.0, visible
    m = small()
    K.train(m, img * mask, mask, steps=150, lr=1e-2, alpha=0.05, gamma=0.0, seed=0)
    no_gan = psnr(m.render(16, 16), img, mask=mask[0] == 1)
    assert visible > no_gan - 0.5, (visible, no_gan)  # the official gamma costs no fit


def test_diverging_discriminator_stops_with_a_clear_message():
    img = load_image("astronaut", 12)
    m = small()
    with torch.no_grad():
        m.discriminator.net[-1].bias.fill_(float("nan"))
    with pytest.raises(K.DivergedError, match="adversarial loss became nan"):
        K.train(m, img, steps=3, gamma=0.1)


def test_bad_input():
    img = load_image("astronaut", 12)
    with pytest.raises(ValueError, match="mask has shape"):
        K.train(small(), img, torch.ones(1, 10, 12), steps=1)
    with pytest.raises(ValueError, match="gamma must be a finite weight"):
        K.train(small(), img, steps=1, gamma=-1)
    with pytest.raises(ValueError, match="channels"):
        K.train(small(), torch.rand(1, 12, 12), steps=1)
    with pytest.raises(ValueError, match="no fully observed patch stack"):
        K.train(K.Knitwork(3, dilations=(1, 8)), img, box_mask(12, 12, 0.5), steps=1)


def test_deep_linear_kernel_is_the_composed_convolution():
    torch.manual_seed(0)
    dk = B.DeepLinearKernel(sizes=(5, 3, 1), width=4, composition="full")
    with torch.no_grad():
        for layer in dk.layers:
            layer.weight.normal_()
    k = dk.kernel(normalise=False).detach()
    assert k.shape == (7, 7) and torch.isclose(dk.kernel().sum(), torch.tensor(1.0))
    img = torch.rand(1, 1, 20, 20)
    x = img
    for layer in dk.layers:  # the layers, one after the other
        x = torch.nn.functional.conv2d(x, layer.weight, padding=layer.weight.shape[-1] // 2)
    once = torch.nn.functional.conv2d(
        img, k[None, None], padding=3
    )  # one filter: the composed kernel
    inner = (
        slice(None),
        slice(None),
        slice(6, -6),
        slice(6, -6),
    )  # per-layer zero padding differs at borders
    assert torch.allclose(x[inner], once[inner], atol=1e-4)
    with pytest.raises(ValueError, match="odd"):
        B.DeepLinearKernel(sizes=(4, 3))
    with pytest.raises(ValueError, match="composition must be one of"):
        B.DeepLinearKernel(composition="delta")


def test_official_kernel_composition_is_a_5x5_crop_with_default_init():
    """The official ``net_kernel``: a delta through the layers with padding 6, then 1, 1, 1, 1, 1;
    only a 5x5 block survives, the weights keep PyTorch's initialisation."""
    torch.manual_seed(0)
    dk = B.DeepLinearKernel()
    raw = dk.kernel(normalise=False).detach()
    assert dk.size == 5 and raw.shape == (5, 5)
    # re-typed official net_kernel: an 11x11 array whose non-zero entries are rows/cols 3-7
    k = torch.ones(1, 1, 1, 1)
    for i, layer in enumerate(dk.layers):
        k = torch.nn.functional.conv2d(k, layer.weight.detach(), padding=6 if i == 0 else 1)
    k = k[0, 0]
    assert k.shape == (11, 11)
    outside = k.clone()
    outside[3:8, 3:8] = 0
    assert float(outside.abs().max()) == 0.0
    # our convolution with the flipped block = cross-correlation with the block (the official code
    # also transposes the image around it, so its kernel is this one transposed)
    assert torch.allclose(raw, k[3:8, 3:8].flip(0, 1))
    img = torch.rand(3, 16, 16)
    official = torch.nn.functional.conv2d(
        torch.nn.functional.pad(img[:, None], (2, 2, 2, 2), mode="reflect"), k[3:8, 3:8][None, None]
    )[:, 0, 1::2, 1::2]  # cross-correlation with the official block; our samples start at f // 2
    assert torch.allclose(B.kernel_downscale(img, raw, 2), official, atol=1e-6)
    assert torch.isclose(dk.kernel().sum(), torch.tensor(1.0), atol=1e-5)
    assert abs(float(raw.sum())) < 0.2  # default init: far from a delta of mass 1
    assert float(raw.abs().max()) < 0.1


def test_kernel_operator_is_the_matrix_of_the_data_term():
    hr = load_image("astronaut", 20)
    A = B.kernel_operator(hr, 5, 2)
    assert A.shape == (3 * 10 * 10, 25)
    k = torch.randn(5, 5)
    assert torch.allclose(A @ k.flatten(), B.kernel_downscale(hr, k, 2).flatten(), atol=1e-5)
    e = B.embed_kernel(k, 13)
    assert (
        e.shape == (13, 13)
        and torch.equal(e[4:9, 4:9], k)
        and float(e.abs().sum()) == float(k.abs().sum())
    )
    with pytest.raises(ValueError, match="odd sizes"):
        B.embed_kernel(k, 4)


def test_kernel_downscale():
    img = torch.rand(2, 18, 21)
    k = gaussian_kernel(7, 1.2, 0.5, angle=0.3)
    assert torch.allclose(B.kernel_downscale(img, k, 3), blur(img, k)[:, 1::3, 1::3], atol=1e-6)
    assert B.kernel_downscale(img, k, 2).shape == (2, 9, 10)
    with pytest.raises(ValueError, match="factor"):
        B.kernel_downscale(img, k, 0)


def test_blind_sr_learns_image_and_kernel_jointly():
    hr = load_image("astronaut", 48)
    k_true = gaussian_kernel(13, 1.2)
    low = B.kernel_downscale(hr, k_true, 2)
    torch.manual_seed(0)
    m = K.Knitwork(
        3, dilations=(1, 2), margin=1, hidden=64, layers=3, n_features=32, disc_hidden=(32, 16)
    )
    r = B.train_sr(m, low, 2, steps=60, lr=3e-3, adv_batch=128, seed=1, composition="full")
    assert r.image.shape == (3, 48, 48) and r.kernel.shape == (13, 13)
    assert abs(float(r.kernel.sum()) - 1) < 1e-5
    m2 = K.Knitwork(
        3, dilations=(1, 2), margin=1, hidden=64, layers=3, n_features=32, disc_hidden=(32, 16)
    )
    fixed = B.train_sr(m2, low, 2, kernel=k_true, steps=5, seed=1)
    assert torch.allclose(fixed.kernel, k_true / k_true.sum())
    start = B.train_sr(
        K.Knitwork(
            3, dilations=(1, 2), margin=1, hidden=64, layers=3, n_features=32, disc_hidden=(32, 16)
        ),
        low,
        2,
        steps=1,
        lr=3e-3,
        adv_batch=128,
        seed=1,
        composition="full",
    )
    err = lambda res: float(
        (B.kernel_downscale(res.image, res.kernel, 2) - low)[:, 3:-3, 3:-3].abs().mean()
    )
    assert err(r) < err(start), (err(r), err(start))  # the image starts to explain g
    torch.manual_seed(1)
    k0 = B.DeepLinearKernel(composition="full").kernel().detach()  # train_sr's initial kernel
    assert float(k0[6, 6]) > 0.99  # near a delta
    l1 = lambda k: float((k - k_true / k_true.sum()).abs().sum())
    # the kernel is learned: it spreads out towards the truth (measured: centre 1.00 -> 0.20, truth
    # 0.11; L1 to the truth 1.78 -> 1.37)
    assert float(r.kernel[6, 6]) < 0.5 and l1(r.kernel) < l1(k0) - 0.2, (
        float(r.kernel[6, 6]),
        l1(r.kernel),
        l1(k0),
    )
    with pytest.raises(ValueError, match="too small"):
        B.train_sr(m2, low[:, :2, :2], 2, steps=1)


def test_sr_baselines_are_aligned_with_the_forward_model():
    """kernel_downscale keeps HR pixel f*i + f//2; hr_coords and bicubic_baseline put the
    low-resolution pixels there, so a ramp is reproduced (the align_corners=False upsampling is off
    by half a high-resolution pixel at f = 2)."""
    n = 48
    yy, xx = torch.meshgrid(torch.linspace(0.1, 0.9, n), torch.linspace(0.2, 0.7, n), indexing="ij")
    ramp = (0.5 * yy + 0.5 * xx)[None]
    delta = torch.zeros(13, 13)
    delta[6, 6] = 1.0
    low = B.kernel_downscale(ramp, delta, 2)
    inner = (slice(None), slice(4, -4), slice(4, -4))
    assert float((B.bicubic_baseline(low, 2) - ramp)[inner].abs().max()) < 1e-5
    from inrutils.degrade import upsample_bicubic

    assert float((upsample_bicubic(low, 2) - ramp)[inner].abs().max()) > 5e-3
    # factor 3: HR pixels 1, 4, 7 are the LR pixel centres of grid(3, 1)
    ys = B.hr_coords(3, 1, 3).reshape(9, 3, 2)[:, 0, 0]
    from inrutils.coords import grid

    assert torch.allclose(ys[1::3], grid(3, 1)[:, 0], atol=1e-6)
    with pytest.raises(ValueError, match="factor must be a positive integer"):
        B.hr_coords(4, 4, 0)


def test_feature_seed_redraws_the_fourier_matrix():
    a = K.Knitwork(3, hidden=16, n_features=8, feature_seed=0).generator.encoding.B
    b = K.Knitwork(3, hidden=16, n_features=8, feature_seed=1).generator.encoding.B
    c = K.Knitwork(3, hidden=16, n_features=8, feature_seed=0).generator.encoding.B
    assert torch.equal(a, c) and not torch.equal(a, b)


def test_visible_psnr_rises_with_steps_and_history_splits_hole_and_visible():
    img = load_image("astronaut", 24)
    mask = box_mask(24, 24, 0.04)
    m = small()
    h = K.train(
        m, img * mask, mask, steps=200, lr=5e-3, alpha=0.05, reference=img, eval_every=50, seed=0
    )
    assert h.step == [50, 100, 150, 200]
    assert len(h.hole_psnr) == len(h.visible_psnr) == 4
    out = m.render(24, 24)
    assert math.isclose(h.visible_psnr[-1], psnr(out, img, mask=mask[0] == 1), abs_tol=1e-6)
    assert math.isclose(h.hole_psnr[-1], psnr(out, img, mask=mask[0] == 0), abs_tol=1e-6)
    # measured (seed 0): 12.2, 22.3, 26.3, 28.2 dB on the visible pixels (hole 10.9 -> 16.5)
    assert h.visible_psnr[-1] > h.visible_psnr[0] + 10, h.visible_psnr
    assert h.visible_psnr[-1] == max(h.visible_psnr), h.visible_psnr


def test_sr_log_is_the_state_after_each_step_inside_the_border():
    hr = load_image("astronaut", 32)
    low = B.kernel_downscale(hr, gaussian_kernel(13, 1.2), 2)
    torch.manual_seed(0)
    m = K.Knitwork(
        3, dilations=(1, 2), margin=1, hidden=32, layers=3, n_features=16, disc_hidden=(16,)
    )
    r = B.train_sr(m, low, 2, steps=6, reference=hr, border=4, eval_every=3, adv_batch=64)
    assert r.history.step == [3, 6] and len(r.kernels) == len(r.centre_psnr) == 2
    assert r.kernel.shape == (5, 5) and torch.allclose(r.kernels[-1], r.kernel)
    inner = (slice(None), slice(4, -4), slice(4, -4))
    assert math.isclose(r.history.psnr[-1], psnr(r.image[inner], hr[inner]), abs_tol=1e-5)
    assert math.isclose(r.centre_psnr[-1], psnr(r.centres[inner], hr[inner]), abs_tol=1e-5)


def test_fully_observed_marks_stacks_without_a_hidden_pixel():
    mask = torch.ones(1, 9, 9)
    mask[0, 4, 4] = 0
    ok = K.fully_observed(mask, (1, 2), 1).view(9, 9)
    # dilation 1 reaches the 3x3 block around the hole, dilation 2 the grid points 2 away
    bad = {(y, x) for y in range(3, 6) for x in range(3, 6)}
    bad |= {(4 + 2 * i, 4 + 2 * j) for i in (-1, 0, 1) for j in (-1, 0, 1)}
    assert {(y, x) for y in range(9) for x in range(9) if not ok[y, x]} == bad
    assert bool(K.fully_observed(torch.ones(1, 5, 5), (1, 8), 2).all())  # outside is not hidden
