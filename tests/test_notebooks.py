"""Hygiene of the saved notebooks: one clean run, no errors, small, with the course skeleton."""

import pathlib
import re

import nbformat
import pytest

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))


def test_there_are_notebooks():
    assert NOTEBOOKS, "no notebooks found in notebooks/"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_saved_notebook_hygiene(path):
    assert path.stat().st_size < 3_000_000, (
        f"{path.name} is {path.stat().st_size / 1e6:.1f} MB (limit 3 MB)"
    )
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    code = [c for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), (
        f"not saved from one clean top-to-bottom run: {counts}"
    )
    errors = [c.source[:60] for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors, f"cells saved with errors: {errors}"
    assert "widgets" not in nb.metadata, "saved widget state bloats the notebook: save without it"
    md = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    src = "\n".join(c.source for c in code)
    assert re.search(r"learning goals", md, re.I)
    assert "widgets.explore(" in src, "at least one interactive widget"
    # DESIGN.md skeleton 5: at least one exercise (on the key idea), each followed by its check
    n_solutions = src.count("### BEGIN SOLUTION")
    assert n_solutions >= 1 and src.count("exercises.check_") >= n_solutions, (
        "exercise with its check"
    )
    assert "seed_everything(" in code[0].source and "device()" in code[0].source, (
        "setup cell: seed and device"
    )
    fast = [c.source[:60] for c in code if "INRUTILS_FAST" in c.source]
    assert not fast, "notebooks use config.tier/steps, not the environment variable"
