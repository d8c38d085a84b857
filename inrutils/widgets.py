"""Interactive parameter widgets that also leave a static figure behind.

Headless runs (nbconvert, nbval, GitHub's viewer) save no figure for an ``interact``
cell: its output lives in widget state. So the course's pattern is two cells: a plain
``draw(...)`` call that always saves a PNG, then ``explore(draw, ...)`` which offers the
same drawing with sliders in a live Jupyter session. Sliders update on release, so a
draw function may re-fit a small network.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import matplotlib.pyplot as plt


def slider(
    value: float,
    min: float,
    max: float,
    step: float | None = None,
    *,
    log: bool = False,
    integer: bool = False,
    description: str = "",
) -> W.Widget:
    """A slider that fires on release: linear (float or ``integer``) or ``log``-spaced (base 10).

    ``min <= value <= max`` is required, and ``min > 0`` for a log slider.
    """
    if not min <= value <= max:
        raise ValueError(f"slider: value={value} must lie in [min, max] = [{min}, {max}]")
    common = dict(
        value=value,
        description=description,
        continuous_update=False,
        style={"description_width": "initial"},
    )
    if log:
        if min <= 0:
            raise ValueError(f"slider: a log slider needs min > 0, got min={min}")
        return W.FloatLogSlider(
            base=10, min=math.log10(min), max=math.log10(max), step=step or 0.1, **common
        )
    if integer:
        return W.IntSlider(min=int(min), max=int(max), step=int(step or 1), **common)
    return W.FloatSlider(min=min, max=max, step=step or (max - min) / 100, **common)


def explore(draw: Callable[..., Any], **controls: Any) -> W.interactive:
    """Return an ``ipywidgets.interactive`` UI that calls ``draw(**values)`` whenever a control
    moves.

    ``controls`` map ``draw``'s keyword arguments to widgets (see :func:`slider`) or to
    fixed values (``ipywidgets.fixed``). Each call's figures are shown in the widget's
    output area. Display the result by leaving it last in a cell.
    """
    if not callable(draw):
        raise ValueError(
            "explore: draw must be a callable taking the controls as keyword arguments"
        )
    for ctl in controls.values():
        if isinstance(ctl, W.Widget) and "continuous_update" in ctl.trait_names():
            ctl.continuous_update = False

    @functools.wraps(draw)
    def run(**values: Any) -> None:
        result = draw(**values)
        plt.show()
        return result

    return W.interactive(run, **controls)
