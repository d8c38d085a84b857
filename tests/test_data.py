import pytest
import torch

from inrutils.data import available_images, load_image


def test_camera_default_tier_size():
    img = load_image("camera", 128)
    assert img.shape == (1, 128, 128) and img.dtype == torch.float32
    assert 0.0 <= img.min() and img.max() <= 1.0 and img.std() > 0.1


def test_native_size_and_rgb():
    img = load_image("astronaut")
    assert img.shape == (3, 512, 512)
    assert load_image("astronaut", 64, gray=True).shape == (1, 64, 64)


def test_non_square_resize_centre_crops():
    img = load_image("coffee", (60, 90))  # coffee is 400x600, same aspect: no crop
    assert img.shape == (3, 60, 90)
    sq = load_image("coffee", 50)  # square: a centre crop of 400x400 then resize
    assert sq.shape == (3, 50, 50)


def test_alpha_dropped_and_bool_images():
    assert load_image("logo", 32).shape == (3, 32, 32)


def test_every_listed_image_loads_without_network():
    for name in available_images():
        img = load_image(name, 16)
        assert img.ndim == 3 and img.shape[1:] == (16, 16), name
        assert float(img.min()) >= 0 and float(img.max()) <= 1, name


def test_unknown_name_lists_valid_names():
    with pytest.raises(ValueError, match="unknown image name 'lena'.*camera"):
        load_image("lena")


@pytest.mark.parametrize("size", [0, -3, (10, 0), (10,), 2.5, True])
def test_bad_size(size):
    with pytest.raises(ValueError, match="size must be"):
        load_image("camera", size)
