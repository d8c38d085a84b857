"""Saving and loading coordinate networks safely (``torch.load(weights_only=True)``).

A checkpoint is a dict ``{"format", "version", "kind", "config", "state_dict", "meta"}``;
``kind`` and ``config`` rebuild the model through :func:`inrutils.models.from_config`, and
loading into an existing model checks every tensor's name and shape first.
"""

from __future__ import annotations

import pathlib
from typing import Any

import torch
from torch import nn

from .models import MODELS, from_config

FORMAT = "inrutils-checkpoint"
VERSION = 1


class CheckpointError(ValueError):
    """A checkpoint that is corrupt, of another format or version, or for another architecture."""


def save(model: nn.Module, path: str | pathlib.Path, **meta: Any) -> pathlib.Path:
    """Save ``model``'s weights, class and config to ``path`` (parent folders created); ``meta``:
    plain values to store."""
    kind = type(model).__name__
    if kind not in MODELS or not hasattr(model, "config"):
        raise ValueError(
            f"save: model must be one of {', '.join(MODELS)} (with a config), got {kind}"
        )
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {
        "format": FORMAT,
        "version": VERSION,
        "kind": kind,
        "config": model.config,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
        "meta": meta,
    }
    torch.save(payload, path)
    return path


def _read(path: pathlib.Path) -> dict:
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint file not found: {path}")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # torch raises several types for corrupt or unsafe files
        raise CheckpointError(
            f"{path} is not a readable checkpoint ({type(exc).__name__}: {exc})"
        ) from exc
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{path} is not an inrutils checkpoint (expected format {FORMAT!r})")
    if payload.get("version") != VERSION:
        raise CheckpointError(
            f"{path} has checkpoint version {payload.get('version')!r}; this inrutils reads "
            f"version {VERSION}"
        )
    return payload


def load(
    path: str | pathlib.Path, model: nn.Module | None = None, device: str | torch.device = "cpu"
) -> nn.Module:
    """Load a checkpoint into ``model`` (checked first) or into a model rebuilt from the stored
    config.

    A different class, a different config or any missing/unexpected/mis-shaped tensor
    raises :class:`CheckpointError` listing the differences. The model is returned on
    ``device``; the stored ``meta`` dict is attached as ``model.checkpoint_meta``.
    """
    path = pathlib.Path(path)
    payload = _read(path)
    if model is None:
        model = from_config(payload["kind"], payload["config"])
    else:
        kind = type(model).__name__
        if kind != payload["kind"]:
            raise CheckpointError(
                f"{path} holds a {payload['kind']}, but the model given is a {kind}"
            )
        mine = getattr(model, "config", None)
        if mine is not None and mine != payload["config"]:
            diff = {
                k: (payload["config"].get(k), mine.get(k))
                for k in set(mine) | set(payload["config"])
                if payload["config"].get(k) != mine.get(k)
            }
            raise CheckpointError(
                f"{path} was saved from another architecture; (stored, given) differ in {diff}"
            )
    state = payload["state_dict"]
    own = model.state_dict()
    problems = [f"missing {k}" for k in own if k not in state]
    problems += [f"unexpected {k}" for k in state if k not in own]
    problems += [
        f"{k}: stored {tuple(state[k].shape)} vs model {tuple(own[k].shape)}"
        for k in own
        if k in state and state[k].shape != own[k].shape
    ]
    if problems:
        raise CheckpointError(f"{path} does not fit this model: " + "; ".join(problems[:8]))
    model.load_state_dict(state)
    model.checkpoint_meta = payload.get("meta", {})
    return model.to(device)
