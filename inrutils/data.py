"""Bundled images, loaded as float32 tensors in [0, 1] with shape ``(C, H, W)``.

Nothing is downloaded: every image ships with scikit-image or matplotlib, or lies in this
repository's ``data/`` folder. ``available_images()`` lists the names.
"""

from __future__ import annotations

import csv
import pathlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch

DATA_DIR = pathlib.Path(__file__).resolve().parent.parent / "data"


def _skimage(name: str) -> Callable[[], np.ndarray]:
    def load() -> np.ndarray:
        import skimage.data

        return getattr(skimage.data, name)()

    return load


def _grace_hopper() -> np.ndarray:
    import matplotlib.cbook
    import matplotlib.image

    with matplotlib.cbook.get_sample_data("grace_hopper.jpg") as f:
        return matplotlib.image.imread(f, format="jpg")


# Only images that ship inside the installed packages (no pooch download).
_LOADERS: dict[str, Callable[[], np.ndarray]] = {
    name: _skimage(name)
    for name in (
        "astronaut",
        "brick",
        "camera",
        "checkerboard",
        "chelsea",
        "clock",
        "coffee",
        "coins",
        "colorwheel",
        "grass",
        "gravel",
        "hubble_deep_field",
        "immunohistochemistry",
        "logo",
        "moon",
        "page",
        "rocket",
        "shepp_logan_phantom",
        "text",
    )
}
_LOADERS["cat"] = _skimage("chelsea")  # the name used in the O-INR paper's tables
_LOADERS["cameraman"] = _skimage("camera")
_LOADERS["grace_hopper"] = _grace_hopper


def available_images() -> list[str]:
    """Names accepted by :func:`load_image` (bundled ones plus image files in ``data/images``)."""
    local = sorted(
        p.stem
        for p in (DATA_DIR / "images").glob("*")
        if p.suffix.lower() in {".png", ".jpg", ".jpeg"}
    )
    return sorted(_LOADERS) + local


def _read(name: str) -> np.ndarray:
    if name in _LOADERS:
        return _LOADERS[name]()
    for p in sorted((DATA_DIR / "images").glob(f"{name}.*")):
        if p.suffix.lower() in {".png", ".jpg", ".jpeg"}:
            import skimage.io

            return skimage.io.imread(p)
    raise ValueError(f"unknown image name {name!r}; valid names: {', '.join(available_images())}")


def _to_float(img: np.ndarray) -> np.ndarray:
    if img.dtype == bool:
        return img.astype(np.float32)
    if np.issubdtype(img.dtype, np.integer):
        return img.astype(np.float32) / np.iinfo(img.dtype).max
    img = img.astype(np.float32)
    return np.clip(img, 0.0, 1.0)


def _parse_size(size: int | tuple[int, int] | None) -> tuple[int, int] | None:
    if size is None:
        return None
    if isinstance(size, (int, np.integer)) and not isinstance(size, bool):
        size = (int(size), int(size))
    if (
        not isinstance(size, (tuple, list))
        or len(size) != 2
        or not all(
            isinstance(s, (int, np.integer)) and not isinstance(s, bool) and s > 0 for s in size
        )
    ):
        raise ValueError(
            f"size must be a positive int or a (height, width) pair of positive ints, got {size!r}"
        )
    return int(size[0]), int(size[1])


def center_crop(img: np.ndarray, aspect: float) -> np.ndarray:
    """Crop an ``(H, W, ...)`` array around its centre to width / height = ``aspect``."""
    h, w = img.shape[:2]
    if w / h > aspect:  # too wide
        new_w = max(1, round(h * aspect))
        x0 = (w - new_w) // 2
        return img[:, x0 : x0 + new_w]
    new_h = max(1, round(w / aspect))
    y0 = (h - new_h) // 2
    return img[y0 : y0 + new_h]


def load_image(
    name: str, size: int | tuple[int, int] | None = None, gray: bool = False
) -> torch.Tensor:
    """Load a bundled image as a float32 tensor in [0, 1] of shape ``(C, H, W)``.

    ``size`` is ``None`` (native size), an int (square) or ``(height, width)``; when the
    aspect ratio changes the image is centre-cropped first, then resized with
    anti-aliasing (scikit-image). ``gray=True`` converts colour images to one luminance
    channel (``skimage.color.rgb2gray``); otherwise the native channels are kept
    (C = 1 for grayscale images, C = 3 for colour; an alpha channel is dropped).
    """
    if not isinstance(name, str):
        raise ValueError(f"name must be a string, one of: {', '.join(available_images())}")
    hw = _parse_size(size)
    img = _to_float(_read(name))
    if img.ndim == 3 and img.shape[2] == 4:
        img = img[..., :3]
    if gray and img.ndim == 3:
        from skimage.color import rgb2gray

        img = rgb2gray(img).astype(np.float32)
    if hw is not None and hw != img.shape[:2]:
        from skimage.transform import resize

        img = center_crop(img, hw[1] / hw[0])
        img = resize(img, hw, order=3, anti_aliasing=True, mode="reflect").astype(np.float32)
        img = np.clip(img, 0.0, 1.0)
    if img.ndim == 2:
        img = img[..., None]
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


def load_tagged(path, fmt: str, what: str) -> dict:
    """Read a ``torch.save``'d dict whose ``"format"`` is ``fmt`` (shipped datasets and
    checkpoints), safely.

    ``torch.load(weights_only=True)``; a missing file names ``what`` and points to data/README.md,
    another format is refused.
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"no {what} at {path}; data/README.md gives the command that makes it"
        )
    blob = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(blob, dict) or blob.get("format") != fmt:
        found = blob.get("format") if isinstance(blob, dict) else type(blob).__name__
        raise ValueError(f"{path} is not an {fmt} file (format={found!r})")
    return blob


RESULTS_DIR = pathlib.Path(__file__).resolve().parent.parent / "docs" / "results"
_META_KEYS = ("command", "commit", "cpu_minutes")


@dataclass
class Results:
    """A cached results table (``docs/results/*.csv``): ``meta`` holds the ``# key: value`` lines
    above the header (at least ``command``, ``commit``, ``cpu_minutes``), ``rows`` one dict per
    row, numbers as floats (integers as ints) and everything else as strings."""

    meta: dict[str, str]
    rows: list[dict]

    def where(self, **match) -> list[dict]:
        """The rows whose columns equal every ``column=value`` given."""
        return [r for r in self.rows if all(r.get(k) == v for k, v in match.items())]

    def one(self, **match) -> dict:
        """The single row whose columns equal every ``column=value`` given; a clear error when
        none or several match."""
        rows = self.where(**match)
        if len(rows) != 1:
            raise ValueError(
                f"{len(rows)} rows match {match} in the results of `{self.meta.get('command')}`; "
                "give more columns to pick one"
            )
        return rows[0]

    def label(self) -> str:
        """'computed by `<command>`, N CPU-minutes' for a figure or a printed table."""
        return f"computed by `{self.meta['command']}`, {self.meta['cpu_minutes']} CPU-minutes"


def _cell(text: str) -> object:
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            pass
    return text


def load_results(name_or_path: str | pathlib.Path) -> Results:
    """Read a cached results CSV: a name such as ``"oinr_table1"`` (from ``docs/results/``) or a
    path. Its first lines are ``# command: ...``, ``# commit: ...``, ``# cpu_minutes: ...`` (the
    course's rule for cached evidence); a file without them, or with no row, is refused with the
    script that remakes it named in its command line."""
    path = pathlib.Path(name_or_path)
    if path.suffix != ".csv":
        path = RESULTS_DIR / f"{name_or_path}.csv"
    if not path.is_file():
        known = sorted(p.stem for p in RESULTS_DIR.glob("*.csv"))
        raise FileNotFoundError(f"no results file {path}; cached results: {', '.join(known)}")
    lines = path.read_text().splitlines()
    meta = {}
    while lines and lines[0].startswith("#"):
        key, _, value = lines.pop(0)[1:].partition(":")
        meta[key.strip()] = value.strip()
    missing = [k for k in _META_KEYS if k not in meta]
    if missing:
        raise ValueError(
            f"{path} lacks the header line(s) {', '.join('# ' + k + ': ...' for k in missing)}; "
            "cached results must say how they were made"
        )
    rows = [{k: _cell(v) for k, v in r.items()} for r in csv.DictReader(lines)]
    if not rows:
        raise ValueError(f"{path} has a header but no rows; re-run: {meta['command']}")
    return Results(meta, rows)


def save_results(
    path: str | pathlib.Path, rows: list[dict], command: str, cpu_seconds: float, **meta
) -> pathlib.Path:
    """Write ``rows`` (dicts with the same keys) as a cached results CSV that
    :func:`load_results` reads: ``# command``, ``# commit`` (git's HEAD, or "unknown"),
    ``# cpu_minutes`` and any other ``meta`` as ``# key: value`` lines, then the table."""
    import subprocess

    if not rows:
        raise ValueError("rows is empty: nothing to save")
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=DATA_DIR.parent,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    head = {"command": command, "commit": commit, "cpu_minutes": f"{cpu_seconds / 60:.1f}", **meta}
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as f:
        for k, v in head.items():
            f.write(f"# {k}: {v}\n")
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def curve_text(values: list[float], every: int) -> str:
    """A training curve as one CSV cell: ``"step:value;..."`` every ``every`` steps (step k is
    ``values[k - 1]``), the last step included."""
    if isinstance(every, bool) or not isinstance(every, int) or every < 1:
        raise ValueError(f"every must be a positive integer, got {every!r}")
    n = len(values)
    return ";".join(f"{s}:{values[s - 1]:.3f}" for s in sorted({*range(every, n + 1, every), n}))


def parse_curve(text: str) -> tuple[list[int], list[float]]:
    """The inverse of :func:`curve_text`: the steps and the values."""
    pairs = [p.split(":") for p in str(text).split(";") if p]
    return [int(s) for s, _ in pairs], [float(v) for _, v in pairs]
