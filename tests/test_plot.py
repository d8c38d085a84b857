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


def test_spread_labels_keeps_order_gap_and_bounds():
    from inrutils.plot import spread_labels

    out = spread_labels([0.5, 0.51, 0.49, 0.9], 0.1, 0.0, 1.0)
    order = sorted(range(4), key=lambda i: [0.5, 0.51, 0.49, 0.9][i])
    ys = [out[i] for i in order]
    assert all(b - a >= 0.1 - 1e-12 for a, b in zip(ys, ys[1:]))
    assert 0.0 <= min(out) and max(out) <= 1.0
    assert spread_labels([0.1, 0.5], 0.1, 0.0, 1.0) == [0.1, 0.5]  # far apart: unmoved
    assert spread_labels([0.99, 0.99], 0.1, 0.0, 1.0) == pytest.approx([0.9, 1.0])  # pushed down


def test_label_points_and_zoom_draw_without_overlap():
    import matplotlib.pyplot as plt
    import torch
    from matplotlib.text import Text

    from inrutils.plot import label_points, show_zoomed

    fig, ax = plt.subplots()
    ax.scatter([1, 1.01, 1.02], [20, 20.01, 20.02])
    label_points(ax, [1, 1.01, 1.02], [20, 20.01, 20.02], ["a", "b", "c"])
    fig.canvas.draw()
    boxes = [Text.get_window_extent(t) for t in ax.texts]  # the names, not their lines
    assert len(boxes) == 3
    assert not any(a.overlaps(b) for i, a in enumerate(boxes) for b in boxes[i + 1 :])
    plt.close(fig)
    region = torch.zeros(16, 16, dtype=torch.bool)
    region[6:9, 6:9] = True
    show_zoomed({"a": torch.rand(1, 16, 16), "b": torch.rand(3, 16, 16)}, region, pad=2)
    axes = plt.gcf().axes
    assert len(axes) == 4 and axes[2].images[0].get_array().shape[:2] == (7, 7)
    plt.close("all")
    with pytest.raises(ValueError, match="region"):
        show_zoomed({"a": torch.rand(1, 16, 16)}, torch.zeros(16, 16, dtype=torch.bool))
