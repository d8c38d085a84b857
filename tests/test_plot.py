import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from inrutils.fit import History
from inrutils.plot import plot_history, show_images


def test_show_images_accepts_tensors_and_arrays_in_their_layouts():
    rgb_tensor = torch.rand(3, 8, 10)
    rgb_array = np.random.rand(8, 10, 3)
    show_images(
        {
            "tensor": rgb_tensor,
            "array": rgb_array,
            "gray": torch.rand(1, 8, 10),
            "gray2d": np.zeros((8, 10)),
        },
        ncols=3,
    )
    fig = plt.gcf()
    shapes = [ax.images[0].get_array().shape for ax in fig.axes if ax.images]
    assert shapes == [(8, 10, 3), (8, 10, 3), (8, 10), (8, 10)]
    assert len(fig.axes) == 6  # 2 rows x 3 columns, the empty ones switched off
    with pytest.raises(ValueError, match="non-empty"):
        show_images({})


def test_plot_history_draws_one_line_per_run():
    h = History()
    for k in range(1, 4):
        h.record(k, 1.0 / k, 10.0 * k, 0.1 * k)
    ax = plot_history({"a": h, "b": h}, key="psnr", x="time")
    assert len(ax.lines) == 2 and list(ax.lines[0].get_xdata()) == pytest.approx([0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="key must be"):
        plot_history({"a": h}, key="ssim")
