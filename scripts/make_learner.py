"""Answer-free working copies of the course notebooks for self-learners (``make learner``).

For every ``notebooks/NN_*.ipynb`` it writes ``learner/NN_*.ipynb`` (``learner/`` is
gitignored: it is the learner's own work) in which

- each solution block (``### BEGIN SOLUTION`` ... ``### END SOLUTION``, the nbgrader
  convention) is replaced by ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, indented
  like the block, exactly as ``nbgrader generate_assignment`` does; ``### BEGIN HIDDEN TESTS``
  ... ``### END HIDDEN TESTS`` blocks are dropped;
- right after each exercise cell, a markdown cell holds the notebook's solution, collapsed: an
  HTML ``<details><summary>Show a solution</summary>`` block around the whole cell (markers
  removed) in a fenced ``python`` block, with blank lines around the fence so that JupyterLab,
  GitHub and Sphinx render it closed, one click away;
- the outputs of the exercise cells and of their check cells are cleared (no answer shows in an
  output); every other saved output (figures, tables, printed numbers) is kept, so the copy
  reads like the course notebook before a single cell is run. Cells further down that call the
  learner's function show the reference solution's results until it is solved, and raise
  ``NotImplementedError`` when re-run before then;
- the nbgrader cell metadata is kept as it is (the copy can still be autograded); saved widget
  state is dropped; the notebook metadata records the source notebook and its SHA-256.

An existing copy is never overwritten (it holds the learner's work): it is skipped with a
message, which also says when the course notebook has changed since the copy was made. Pass
``--force`` to replace it (rename it first to keep your work).

    python scripts/make_learner.py                        # every notebooks/NN_*.ipynb -> learner/
    python scripts/make_learner.py --force notebooks/05_linr_single_image_priors.ipynb
    python scripts/make_learner.py --out /tmp/copies notebooks/01_coordinate_mlps.ipynb

No nbgrader is needed (only nbformat). ``make learner`` runs the first line (``make learner
FORCE=1`` adds ``--force``); ``make lab`` makes the missing copies and opens JupyterLab on
``learner/``.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import importlib.util
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "nbgrader_meta", pathlib.Path(__file__).with_name("nbgrader_meta.py")
)
nbgrader_meta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbgrader_meta)

BEGIN, END = nbgrader_meta.BEGIN, nbgrader_meta.END
BEGIN_HIDDEN, END_HIDDEN = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
CODE_STUB = ["# YOUR CODE HERE", "raise NotImplementedError()"]  # nbgrader's stub for Python
TEXT_STUB = ["YOUR ANSWER HERE"]  # nbgrader's stub for a written answer
SUMMARY = "Show a solution"
METADATA_KEY = "inrutils_learner_copy"


def _blocks(source: str, begin: str, end: str, stub: list[str] | None) -> str:
    """``source`` with every ``begin`` ... ``end`` block replaced by ``stub`` (indented like the
    ``begin`` line), or dropped when ``stub`` is None. Raises ``ValueError`` on unbalanced
    markers."""
    out, inside = [], False
    for line in source.split("\n"):
        if begin in line:
            if inside:
                raise ValueError(f"nested '{begin}' in:\n{source}")
            inside = True
            indent = re.match(r"\s*", line).group(0)
            out += [indent + s for s in stub or []]
        elif end in line:
            if not inside:
                raise ValueError(f"'{end}' without '{begin}' in:\n{source}")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise ValueError(f"'{begin}' without '{end}' in:\n{source}")
    return "\n".join(out)


def without_markers(source: str) -> str:
    """The solution as a learner would type it: ``source`` with the marker lines removed."""
    return "\n".join(line for line in source.split("\n") if BEGIN not in line and END not in line)


def solution_cell(cell: nbformat.NotebookNode, cell_id: str) -> nbformat.NotebookNode:
    """A markdown cell with ``cell``'s solution in a collapsed ``<details>`` block."""
    answer = without_markers(cell.source).strip("\n")
    if cell.cell_type == "code":
        runs = re.findall(r"`+", answer)
        fence = "`" * max(3, 1 + max(map(len, runs), default=0))
        body = f"{fence}python\n{answer}\n{fence}"
    else:
        body = answer
    return nbformat.v4.new_markdown_cell(
        f"<details><summary>{SUMMARY}</summary>\n\n{body}\n\n</details>", id=cell_id
    )


def _new_id(base: str, taken: set[str]) -> str:
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", base)[:50] + "-solution"
    cid, k = stem, 1
    while cid in taken:
        k += 1
        cid = f"{stem}{k}"
    taken.add(cid)
    return cid


def learner_copy(nb: nbformat.NotebookNode, name: str = "notebook") -> nbformat.NotebookNode:
    """The answer-free working copy of ``nb`` (``nb`` itself is not modified); see the module
    docstring. ``name`` is used in error messages. Raises ``nbgrader_meta.MetadataError`` when
    an exercise cell is not followed by a check cell."""
    found = nbgrader_meta.exercises(nb, name)
    solutions = {ex["solution"] for ex in found}
    cleared = solutions | {ex["check"] for ex in found}
    # A markdown cell with a written answer (none yet): nbgrader replaces it by its text stub.
    solutions |= {
        i for i, c in enumerate(nb.cells) if c.cell_type == "markdown" and BEGIN in c.source
    }
    taken = {c.get("id") for c in nb.cells}
    out = copy.deepcopy(nb)
    out.metadata.pop("widgets", None)
    cells = []
    for i, (orig, cell) in enumerate(zip(nb.cells, out.cells)):
        if cell.cell_type == "code":
            cell.source = _blocks(cell.source, BEGIN_HIDDEN, END_HIDDEN, None)
        if i in solutions:
            stub = CODE_STUB if cell.cell_type == "code" else TEXT_STUB
            cell.source = _blocks(cell.source, BEGIN, END, stub)
        if i in cleared and cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
            cell.metadata.pop("execution", None)
        cells.append(cell)
        if i in solutions:
            cells.append(solution_cell(orig, _new_id(orig.get("id") or f"cell{i}", taken)))
    out.cells = cells
    return out


def _sha256(path: pathlib.Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _show(path: pathlib.Path) -> str:
    """``path`` relative to the working directory when it is below it."""
    try:
        return str(path.resolve().relative_to(pathlib.Path.cwd()))
    except ValueError:
        return str(path)


def make(notebook: pathlib.Path, out_dir: pathlib.Path, force: bool = False) -> str:
    """Write the learner copy of ``notebook`` to ``out_dir``; return a one-line report. An
    existing copy is kept unless ``force``."""
    notebook, dst = pathlib.Path(notebook), pathlib.Path(out_dir) / pathlib.Path(notebook).name
    digest = _sha256(notebook)
    if dst.exists() and not force:
        try:
            made_from = nbformat.read(dst, as_version=4).metadata.get(METADATA_KEY, {})
        except Exception:  # noqa: BLE001 - a broken copy is still the learner's: keep it
            made_from = {}
        changed = made_from.get("source_sha256") not in (None, digest)
        return (
            f"kept {_show(dst)}: it exists (your work), not overwritten"
            + ("; the course notebook has changed since it was made" if changed else "")
            + "; --force (make learner FORCE=1) replaces it"
        )
    nb = learner_copy(nbformat.read(notebook, as_version=4), notebook.name)
    nb.metadata[METADATA_KEY] = {"source": notebook.name, "source_sha256": digest}
    nbformat.validate(nb)
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)
    n = sum(SUMMARY in c.source for c in nb.cells if c.cell_type == "markdown")
    return f"wrote {_show(dst)} ({n} exercise(s), solutions collapsed under '{SUMMARY}')"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks",
        nargs="*",
        type=pathlib.Path,
        help="course notebooks (default: every notebooks/NN_*.ipynb)",
    )
    parser.add_argument(
        "--out", type=pathlib.Path, default=ROOT / "learner", help="folder (default: learner/)"
    )
    parser.add_argument(
        "--force", action="store_true", help="overwrite existing copies (their work is lost)"
    )
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if not paths:
        print("no notebooks found", file=sys.stderr)
        return 1
    for path in paths:
        print(make(path, args.out, force=args.force))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (nbgrader_meta.MetadataError, ValueError) as err:
        sys.exit(f"error: {err}")
