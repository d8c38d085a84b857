"""inrutils: the small library under the implicit neural representations course.

One concept per module (see the repository's DESIGN notes): ``config`` (device, seeds,
tiers), ``coords`` (pixel-centre grids), ``data`` (bundled images), ``encodings``,
``models``, ``fit``, ``render``, ``metrics``, ``plot``, ``widgets``, ``degrade`` (forward
models), ``derivatives`` (partials of a coordinate network), ``insp`` (operators on INRs
through their derivatives), ``linr`` (an INR as a single-image prior), ``checkpoints``,
``exercises``. Notebooks import what they use (``from inrutils import linr``).
"""

from . import (
    checkpoints,
    config,
    coords,
    data,
    degrade,
    derivatives,
    encodings,
    exercises,
    fit,
    insp,
    linr,
    metrics,
    models,
    plot,
    render,
    widgets,
)
from .config import FAST, device, seed_everything, steps, tier
from .coords import grid, image_to_samples, samples_to_image
from .data import load_image
from .fit import History, fit_image
from .metrics import psnr, ssim
from .models import MLP, Siren, count_params

__version__ = "0.1.0"

__all__ = [
    "FAST",
    "History",
    "MLP",
    "Siren",
    "checkpoints",
    "config",
    "coords",
    "count_params",
    "data",
    "degrade",
    "derivatives",
    "device",
    "encodings",
    "exercises",
    "fit",
    "fit_image",
    "grid",
    "image_to_samples",
    "insp",
    "linr",
    "load_image",
    "metrics",
    "models",
    "plot",
    "psnr",
    "render",
    "samples_to_image",
    "seed_everything",
    "ssim",
    "steps",
    "tier",
    "widgets",
]
