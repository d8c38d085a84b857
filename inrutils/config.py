"""Run-time configuration: the compute device, seeding and the fast/default tier switch.

This is the only module with global state. ``FAST`` is read once from the environment
variable ``INRUTILS_FAST`` when the package is imported; ``steps`` and ``tier`` choose a
value for the current tier so that notebooks never branch on it themselves.
"""

from __future__ import annotations

import os
import random
import re
from typing import TypeVar

import numpy as np
import torch

T = TypeVar("T")

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


def _env_flag(name: str) -> bool:
    raw = os.environ.get(name, "").strip().lower()
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ValueError(
        f"{name}={raw!r} is not understood; use one of 1/0, true/false, yes/no, on/off"
    )


#: True when the environment sets ``INRUTILS_FAST=1`` (CI and ``make test``): sizes and
#: step counts shrink, code paths stay the same.
FAST: bool = _env_flag("INRUTILS_FAST")

_DEVICE_RE = re.compile(r"^(cpu|mps|cuda(:\d+)?)$")


def device(name: str | None = None) -> torch.device:
    """Return the compute device: ``name``, else ``$INRUTILS_DEVICE``, else cuda > mps > cpu.

    Accepted names are ``"auto"``, ``"cpu"``, ``"mps"``, ``"cuda"`` and ``"cuda:N"``. A
    requested accelerator that is not available raises a ``ValueError`` instead of falling
    back silently, so a run never reports CPU timings as GPU ones.
    """
    requested = name if name is not None else os.environ.get("INRUTILS_DEVICE", "auto")
    requested = str(requested).strip().lower()
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        mps = getattr(torch.backends, "mps", None)
        if mps is not None and mps.is_available():
            return torch.device("mps")
        return torch.device("cpu")
    if not _DEVICE_RE.match(requested):
        source = "device" if name is not None else "INRUTILS_DEVICE"
        raise ValueError(
            f"{source}={requested!r} is not a device name; allowed: 'auto', 'cpu', 'mps', 'cuda', "
            "'cuda:N'"
        )
    if requested.startswith("cuda"):
        if not torch.cuda.is_available():
            raise ValueError(
                f"device={requested!r} was requested but CUDA is not available; use 'cpu' or 'auto'"
            )
        index = int(requested.split(":")[1]) if ":" in requested else 0
        if index >= torch.cuda.device_count():
            raise ValueError(
                f"device={requested!r}: only {torch.cuda.device_count()} CUDA device(s) present "
                f"(allowed: cuda:0 .. cuda:{torch.cuda.device_count() - 1})"
            )
    if requested == "mps":
        mps = getattr(torch.backends, "mps", None)
        if mps is None or not mps.is_available():
            raise ValueError(
                "device='mps' was requested but MPS is not available; use 'cpu' or 'auto'"
            )
    return torch.device(requested)


def seed_everything(seed: int = 0) -> int:
    """Seed Python's ``random``, NumPy and PyTorch (CPU and every CUDA device); return the seed.

    On the CPU the same seed then gives the same initial weights and the same training
    losses; on a GPU some kernels stay non-deterministic (differences around 1e-6).
    """
    if not isinstance(seed, (int, np.integer)) or isinstance(seed, bool) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        torch.cuda.manual_seed_all(seed)
    return seed


def tier(default: T, fast: T) -> T:
    """Return ``fast`` when ``FAST`` is set, else ``default`` (any value: a size, a list...)."""
    return fast if FAST else default


def steps(default: int, fast: int | None = None) -> int:
    """Number of optimisation steps for the current tier.

    ``fast`` defaults to a tenth of ``default`` (at least 1). Fast mode shrinks work only;
    it never changes which code runs.
    """
    if not isinstance(default, int) or default < 1:
        raise ValueError(f"steps: default must be a positive integer, got {default!r}")
    if fast is None:
        fast = max(1, default // 10)
    if not isinstance(fast, int) or fast < 1:
        raise ValueError(f"steps: fast must be a positive integer, got {fast!r}")
    return tier(default, fast)
