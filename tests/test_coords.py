import pytest
import torch

from inrutils.coords import centres, grid, image_to_samples, samples_to_image


def test_grid_2x2_is_the_documented_convention():
    want = torch.tensor([[-0.5, -0.5], [-0.5, 0.5], [0.5, -0.5], [0.5, 0.5]])
    assert torch.equal(grid(2, 2), want)


def test_grid_is_row_major_y_first_and_matches_image_indexing():
    h, w = 3, 5
    g = grid(h, w).reshape(h, w, 2)
    for i in range(h):
        for j in range(w):
            assert g[i, j, 0].item() == pytest.approx(-1 + (2 * i + 1) / h)
            assert g[i, j, 1].item() == pytest.approx(-1 + (2 * j + 1) / w)
    # samples order: the k-th grid row is pixel (k // w, k % w)
    img = torch.arange(h * w, dtype=torch.float32).reshape(1, h, w)
    s = image_to_samples(img)
    assert s[7, 0].item() == img[0, 7 // w, 7 % w].item()


def test_centres_symmetric_and_inside():
    c = centres(7, dtype=torch.float64)
    assert torch.allclose(c, -c.flip(0))
    assert c.min() > -1 and c.max() < 1
    assert torch.allclose(c[1:] - c[:-1], torch.full((6,), 2 / 7, dtype=torch.float64))


def test_grid_any_dimension():
    assert grid(4).shape == (4, 1)
    assert grid(2, 3, 4).shape == (24, 3)
    assert grid(2, 3, 4)[1].tolist() == pytest.approx([-0.5, -2 / 3, -0.25])


def test_samples_round_trip():
    img = torch.rand(3, 4, 6)
    assert torch.equal(samples_to_image(image_to_samples(img), 4, 6), img)


@pytest.mark.parametrize("args", [(0, 2), (2, -1), (2.5, 2)])
def test_grid_rejects_bad_sizes(args):
    with pytest.raises(ValueError, match="must be a positive integer"):
        grid(*args)


def test_samples_to_image_checks_shape():
    with pytest.raises(ValueError, match=r"\(h\*w, C\) = \(12, C\)"):
        samples_to_image(torch.rand(10, 1), 3, 4)
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        image_to_samples(torch.rand(4, 4))
