"""Write student versions of the course notebooks: solutions stripped, outputs cleared.

nbgrader's conventions, without nbgrader: every block from ``### BEGIN SOLUTION`` to
``### END SOLUTION`` (markers included) becomes ``# YOUR CODE HERE`` +
``raise NotImplementedError()`` at the marker's indentation, and every
``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` block is removed. Outputs,
execution counts and saved widget state are cleared. Usage:

    python scripts/make_student.py notebooks build/student
"""
from __future__ import annotations

import copy
import pathlib
import re
import sys

import nbformat

_BLOCK = {
    "SOLUTION": re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)", re.M | re.S),
    "HIDDEN TESTS": re.compile(r"^[ \t]*### BEGIN HIDDEN TESTS[^\n]*\n.*?^[ \t]*### END HIDDEN TESTS[^\n]*(\n|$)", re.M | re.S),
}


def strip_source(source: str) -> str:
    """Replace solution blocks by ``raise NotImplementedError()`` and drop hidden-test blocks."""
    begins = source.count("### BEGIN SOLUTION")
    if begins != source.count("### END SOLUTION"):
        raise ValueError("unbalanced ### BEGIN SOLUTION / ### END SOLUTION markers in cell:\n" + source)
    out = _BLOCK["SOLUTION"].sub(lambda m: f"{m[1]}# YOUR CODE HERE\n{m[1]}raise NotImplementedError()\n", source)
    out = _BLOCK["HIDDEN TESTS"].sub("", out)
    return out


def make_student(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Return a student copy of ``nb`` (the input is not modified)."""
    nb = copy.deepcopy(nb)
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.source = strip_source(cell.source)
        cell.outputs = []
        cell.execution_count = None
    nb.metadata.pop("widgets", None)
    return nb


def main(src: str, dst: str) -> int:
    out_dir = pathlib.Path(dst)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = sorted(pathlib.Path(src).glob("[0-9]*.ipynb"))
    if not paths:
        print(f"no notebooks found in {src}", file=sys.stderr)
        return 1
    for path in paths:
        nb = nbformat.read(path, as_version=4)
        n = sum(c.source.count("### BEGIN SOLUTION") for c in nb.cells if c.cell_type == "code")
        nbformat.write(make_student(nb), out_dir / path.name)
        print(f"{path} -> {out_dir / path.name} ({n} solution block(s) stripped)")
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
