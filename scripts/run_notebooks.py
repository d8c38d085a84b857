"""Execute notebooks top to bottom in one fresh kernel each and save them in place
(``make notebooks``).

The default tier runs unless the caller's environment sets ``INRUTILS_FAST=1``. Saved
widget state is dropped (it only bloats the file; the static figure cell next to each
widget carries the picture), and the run time of each notebook is printed.

    python scripts/run_notebooks.py notebooks/01_coordinate_mlps.ipynb [...]
"""

from __future__ import annotations

import pathlib
import sys
import time

import nbformat
from nbclient import NotebookClient


def run(path: pathlib.Path, timeout: int = 3600) -> float:
    nb = nbformat.read(path, as_version=4)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    elapsed = time.perf_counter() - start
    nb.metadata.pop("widgets", None)
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            out.get("data", {}).pop("application/vnd.jupyter.widget-view+json", None)
    nbformat.write(nb, path)
    return elapsed


def main(paths: list[str]) -> int:
    if not paths:
        sys.exit(__doc__)
    for p in map(pathlib.Path, paths):
        t = run(p)
        print(f"{p}: executed in {t:.0f} s, saved ({p.stat().st_size / 1e6:.2f} MB)", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
