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
