"""Neural Knitworks: patch extraction vs direct indexing, the consistency loss, reproducible GAN training, errors."""
import math

import pytest
import torch

from inrutils import knitwork as K
from inrutils.data import load_image
from inrutils.degrade import box_mask


def test_patches_match_direct_indexing_at_every_scale():
    torch.manual_seed(0)
    img = torch.rand(2, 11, 13)
    patches = K.extract_patches(img, n_scales=3)
    assert patches.shape == (11 * 13, 3, 2, 3, 3)
    pyramid = K.image_pyramid(img, 3)
    for k, layer in enumerate(pyramid):
        d = 2**k
        for p in [0, 5, 40, 77, 11 * 13 - 1]:
            y, x = divmod(p, 13)
            for i in range(3):
                for j in range(3):
                    yy = min(max(y + (i - 1) * d, 0), 10)      # replicate borders
                    xx = min(max(x + (j - 1) * d, 0), 12)
                    assert torch.allclose(patches[p, k, :, i, j], layer[:, yy, xx]), (k, p, i, j)
    assert torch.equal(pyramid[0], img)
    assert pyramid[1].std() < img.std()                         # the larger scales are filtered copies


def test_consistency_loss_is_zero_for_real_patches_and_positive_otherwise():
    img = load_image("camera", 16, gray=True)
    real = K.extract_patches(img, 2)
    assert K.xpatch_loss(real, 16, 16) < 1e-12
    noisy = real + 0.05 * torch.randn_like(real)
    assert K.xpatch_loss(noisy, 16, 16) > 1e-4
    with pytest.raises(ValueError, match="whole 16x16 grid"):
        K.xpatch_loss(real[:10], 16, 16)


def test_patch_mask_erodes_larger_scales():
    mask = box_mask(20, 20, 0.04)                               # a hole in the middle
    pm = K.patch_mask(mask, 2)
    assert pm.shape == (400, 2, 1, 3, 3)
    assert pm[:, 1].sum() < pm[:, 0].sum()                       # blurred copies touch hidden pixels earlier
    assert pm[0].all()                                           # a corner patch is fully observed


def test_label_smoothing_is_one_sided():
    logits = torch.zeros(4)
    real = K.adversarial_loss(logits, real=True, smoothing=0.1)
    fake = K.adversarial_loss(logits, real=False, smoothing=0.1)
    # targets 0.9 for real, 0 for fake: at logit 0 both BCEs equal log 2
    assert math.isclose(float(real), math.log(2), rel_tol=1e-6) and math.isclose(float(fake), math.log(2), rel_tol=1e-6)
    big = torch.full((4,), 10.0)
    assert float(K.adversarial_loss(big, True, 0.1)) > float(K.adversarial_loss(big, True, 0.0))   # 0.9, not 1


def small(**kw):
    torch.manual_seed(0)
    return K.Knitwork(channels=1, n_scales=2, hidden=32, layers=2, n_features=16, sigma=3.0, disc_hidden=16,
                      recon_hidden=16, **kw)


def test_training_is_seeded_reproducible_and_learns():
    img = load_image("camera", 16, gray=True)
    mask = box_mask(16, 16, 0.04)
    runs = []
    for _ in range(2):
        m = small()
        h = K.train(m, img * mask, mask, steps=30, lr=3e-3, batch=64, reference=img, eval_every=10, seed=3)
        runs.append((m.render(16, 16), h))
    assert torch.equal(runs[0][0], runs[1][0])
    assert runs[0][1].recon[-1] < runs[0][1].recon[0]
    assert len(runs[0][1].psnr) == 3


def test_diverging_discriminator_stops_with_a_clear_message():
    img = load_image("camera", 12, gray=True)
    m = small()
    with torch.no_grad():
        m.discriminator.net[-1].bias.fill_(float("nan"))
    with pytest.raises(K.DivergedError, match="adversarial loss became nan"):
        K.train(m, img, steps=3, gamma=0.1)


def test_bad_input():
    img = load_image("camera", 12, gray=True)
    with pytest.raises(ValueError, match="mask has shape"):
        K.train(small(), img, torch.ones(1, 10, 12), steps=1)
    with pytest.raises(ValueError, match="gamma must be a finite weight"):
        K.train(small(), img, steps=1, gamma=-1)
    with pytest.raises(ValueError, match="3 channels|1"):
        K.train(small(), torch.rand(3, 12, 12), steps=1)
    with pytest.raises(ValueError):
        box_mask(12, 12, 1.5)                                    # a hole larger than the image


def test_deep_linear_kernel_is_the_composed_convolution():
    from inrutils.degrade import blur

    torch.manual_seed(0)
    dk = K.DeepLinearKernel(factor=2, sizes=(5, 3, 1), width=4)
    k = dk.kernel()
    assert k.shape == (7, 7) and torch.isclose(k.sum(), torch.tensor(1.0))
    img = torch.rand(1, 20, 20)
    direct = blur(img, k.detach(), padding="reflect")[:, 1::2, 1::2]
    assert torch.allclose(dk(img), direct, atol=1e-5)
    with pytest.raises(ValueError, match="odd"):
        K.DeepLinearKernel(sizes=(4, 3))


def test_kernel_downscale_and_penalties():
    from inrutils.degrade import blur, gaussian_kernel

    img = torch.rand(2, 18, 21)
    k = gaussian_kernel(7, 1.2, 0.5, angle=0.3)
    assert torch.allclose(K.kernel_downscale(img, k, 3), blur(img, k)[:, 1::3, 1::3], atol=1e-6)
    assert K.kernel_downscale(img, k, 2).shape == (2, 9, 10)      # pixels 1, 3, ..., 19 of 21
    pen = K.kernel_penalties(gaussian_kernel(13, 1.5))
    assert float(pen["centre"]) < 1e-6 and float(pen["negative"]) == 0
    shifted = torch.roll(gaussian_kernel(13, 1.5), 2, dims=1)
    assert abs(float(K.kernel_penalties(shifted)["centre"]) - 2.0) < 0.05      # centre of mass ~2 pixels off (roll wraps a little)
    assert float(K.kernel_penalties(shifted)["boundary"]) > float(pen["boundary"])
    delta = torch.zeros(13, 13)
    delta[6, 6] = 1
    assert float(K.kernel_penalties(delta)["sparse"]) < float(pen["sparse"])   # sparser kernel, smaller penalty
    with pytest.raises(ValueError, match="factor"):
        K.kernel_downscale(img, k, 0)


def test_estimate_kernel_is_seeded_normalised_and_checks_size():
    img = load_image("astronaut", 48)
    a = K.estimate_kernel(img, 2, steps=12, crop=12, seed=3)
    b = K.estimate_kernel(img, 2, steps=12, crop=12, seed=3)
    assert a.kernel.shape == (13, 13) and torch.equal(a.kernel, b.kernel) and a.disc == b.disc
    assert float(a.kernel.min()) >= 0 and abs(float(a.kernel.sum()) - 1) < 1e-5
    assert len(a.disc) == len(a.gen) == 12
    with pytest.raises(ValueError, match="factor \\* crop"):
        K.estimate_kernel(img, 2, crop=32)


def test_train_sr_with_the_true_kernel_beats_bicubic():
    from inrutils.degrade import gaussian_kernel, upsample_bicubic
    from inrutils.metrics import psnr

    hr_full = load_image("astronaut", 256)
    k = gaussian_kernel(13, 1.6, 0.6, angle=math.pi / 4)
    low_full = K.kernel_downscale(hr_full, k, 2)
    low, hr = low_full[:, 26:46, 46:66], hr_full[:, 52:92, 92:132]          # a 20x20 crop and its 40x40 truth
    inner = lambda im: im[:, 6:-6, 6:-6]
    torch.manual_seed(0)
    model = K.Knitwork(3, n_scales=1, hidden=128, layers=3, n_features=128, sigma=5.0)
    K.train_sr(model, low, 2, k, steps=300)
    out = model.render(40, 40, use_reconstructor=False)
    assert psnr(inner(out), inner(hr)) > psnr(inner(upsample_bicubic(low, 2)), inner(hr)) + 1.0
    m = 3                                                                  # ceil(6 / 2): the margin the loss skips
    assert K.kernel_downscale(out, k, 2)[:, m:-m, m:-m].sub(low[:, m:-m, m:-m]).abs().mean() < 0.03
    with pytest.raises(ValueError, match="n_scales=1"):
        K.train_sr(K.Knitwork(3, n_scales=2), low, 2, k, steps=1)


def test_estimate_kernel_recovers_a_diagonal_blur():
    """The notebook's setting: astronaut 256 -> x2 with a diagonal Gaussian; the estimate beats a generic guess."""
    from inrutils.degrade import gaussian_kernel, kernel_moments

    hr = load_image("astronaut", 256)
    k_true = gaussian_kernel(13, 1.6, 0.6, angle=math.pi / 4)
    low = K.kernel_downscale(hr, k_true, 2)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        k = K.estimate_kernel(low, 2, steps=3000, crop=32, seed=0).kernel.double()
    finally:
        torch.set_num_threads(threads)
    err = float((k - k_true).abs().sum())
    guess = float((gaussian_kernel(13, 0.8) - k_true).abs().sum())
    assert err < 0.6 and err < guess - 0.15, (err, guess)
    m = kernel_moments(k.float() / float(k.sum()))
    assert abs(m["angle"] - 45) < 25, m                            # diagonal, not axis-aligned (measured: 67 degrees)
    assert m["sigma"] > 1.2 * m["sigma_minor"], m                  # and anisotropic
