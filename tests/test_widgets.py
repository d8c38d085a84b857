import ipywidgets as W
import matplotlib.pyplot as plt
import pytest

from inrutils.widgets import explore, slider


def test_explore_runs_draw_once_then_on_every_change():
    calls = []

    def draw(sigma, n):
        calls.append((sigma, n))
        fig, ax = plt.subplots()
        ax.plot([0, 1], [0, sigma])

    ui = explore(draw, sigma=slider(1.0, 0.1, 100.0, log=True), n=slider(3, 1, 10, integer=True))
    assert isinstance(ui, W.interactive)
    assert calls == [(1.0, 3)]
    ui.children[0].value = 10.0
    ui.children[1].value = 5
    assert calls[-1] == (10.0, 5) and len(calls) == 3
    assert all(not c.continuous_update for c in ui.children[:2])


def test_slider_kinds_and_errors():
    assert isinstance(slider(10.0, 1.0, 100.0, log=True), W.FloatLogSlider)
    assert isinstance(slider(2, 1, 5, integer=True), W.IntSlider)
    assert isinstance(slider(0.5, 0.0, 1.0), W.FloatSlider)
    with pytest.raises(ValueError, match=r"must lie in \[min, max\]"):
        slider(20.0, 0.0, 10.0)
    with pytest.raises(ValueError, match="log slider needs min > 0"):
        slider(1.0, 0.0, 10.0, log=True)
