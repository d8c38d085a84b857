"""Keep the notebooks' nbgrader metadata in step with their ``### BEGIN SOLUTION`` markers.

Every code cell holding ``### BEGIN SOLUTION`` ... ``### END SOLUTION`` is an exercise: an
nbgrader *solution* cell. The next code cell must call a ``check_*`` function (normally
``exercises.check_*`` from ``inrutils``); it becomes the autograded *test* cell: graded,
locked, worth some points (1 unless an instructor changed it; ``--write`` keeps points it
finds). Every other cell becomes *read-only* (locked): autograde restores it from the
release, so a submission is graded against the code the instructor shipped. Markdown cells
lose any ``outputs`` key (nbformat rejects it, and so does nbgrader).

The grade ids are stable: they come from the notebook's number and the check function's
name (``nb01_grid_solution`` / ``nb01_grid_check`` for ``exercises.check_grid`` in notebook
01), so reordering or editing cells keeps them; read-only cells use the cell's nbformat id.

    python scripts/nbgrader_meta.py --check [NOTEBOOK ...]   # exit 1 when out of step
    python scripts/nbgrader_meta.py --write [NOTEBOOK ...]   # stamp the metadata in place
    python scripts/nbgrader_meta.py --table [NOTEBOOK ...]   # points per notebook (Markdown)
    python scripts/nbgrader_meta.py --table --doc docs/instructors.md   # ... written into the guide

Without notebook arguments it works on every ``notebooks/[0-9]*.ipynb``.
"""

from __future__ import annotations

import argparse
import copy
import pathlib
import re
import sys

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
BEGIN, END = "### BEGIN SOLUTION", "### END SOLUTION"
SCHEMA_VERSION = 3
DEFAULT_POINTS = 1
_CHECK_CALL = re.compile(r"(?<![\w.])(?:[A-Za-z_]\w*\.)*(check_\w+)\s*\(")
_NUMBER = re.compile(r"^(\d+)")


class MetadataError(ValueError):
    """The markers of a notebook cannot be turned into nbgrader metadata (the message says why)."""


def notebook_key(path: str | pathlib.Path) -> str:
    """``nb01`` for ``01_coordinate_mlps.ipynb``; the stem (made id-safe) when it has no number."""
    stem = pathlib.Path(path).stem
    m = _NUMBER.match(stem)
    return f"nb{m[1]}" if m else re.sub(r"[^A-Za-z0-9_]", "_", stem)


def exercises(nb: nbformat.NotebookNode, name: str = "notebook") -> list[dict]:
    """The notebook's exercises in order: ``{"solution": i, "check": j, "name": "grid"}`` (cell
    indices).

    Raises ``MetadataError`` when a solution cell has unbalanced markers, is not followed by a
    code cell that calls a ``check_*`` function, or two exercises share one check name.
    """
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    found, seen = [], set()
    for k, i in enumerate(code):
        src = nb.cells[i].source
        if BEGIN not in src and END not in src:
            continue
        if src.count(BEGIN) != src.count(END):
            raise MetadataError(f"{name}, cell {i}: unbalanced '{BEGIN}' / '{END}' markers")
        if k + 1 >= len(code):
            raise MetadataError(
                f"{name}, cell {i}: a solution cell must be followed by a code cell calling check_*"
            )
        j = code[k + 1]
        calls = _CHECK_CALL.findall(nb.cells[j].source)
        if not calls:
            raise MetadataError(
                f"{name}, cell {j}: the code cell after the solution in cell {i} must call a "
                "check_* function (e.g. exercises.check_grid(my_grid)); it "
                f"holds:\n{nb.cells[j].source}"
            )
        if BEGIN in nb.cells[j].source:
            raise MetadataError(f"{name}, cell {j}: a check cell cannot hold a solution too")
        ex = calls[0][len("check_") :]
        if ex in seen:
            raise MetadataError(
                f"{name}, cell {j}: two exercises are checked by check_{ex}; give each its own "
                "check"
            )
        seen.add(ex)
        found.append({"solution": i, "check": j, "name": ex})
    return found


def expected(nb: nbformat.NotebookNode, path: str | pathlib.Path) -> list[dict | None]:
    """The nbgrader metadata that every cell of ``nb`` should carry (``None``: none)."""
    key = notebook_key(path)
    want: list[dict | None] = []
    for idx, cell in enumerate(nb.cells):
        cid = re.sub(r"[^A-Za-z0-9_-]", "_", cell.get("id") or f"index{idx}")
        want.append(
            {
                "grade": False,
                "grade_id": f"{key}_cell_{cid}",
                "locked": True,
                "schema_version": SCHEMA_VERSION,
                "solution": False,
            }
        )
    for ex in exercises(nb, pathlib.Path(path).name):
        want[ex["solution"]] = {
            "grade": False,
            "grade_id": f"{key}_{ex['name']}_solution",
            "locked": False,
            "schema_version": SCHEMA_VERSION,
            "solution": True,
        }
        old = nb.cells[ex["check"]].metadata.get("nbgrader", {})
        points = old.get("points", DEFAULT_POINTS) if old.get("grade") else DEFAULT_POINTS
        want[ex["check"]] = {
            "grade": True,
            "grade_id": f"{key}_{ex['name']}_check",
            "locked": True,
            "points": points,
            "schema_version": SCHEMA_VERSION,
            "solution": False,
        }
    return want


def problems(nb: nbformat.NotebookNode, path: str | pathlib.Path) -> list[str]:
    """Every way in which ``nb``'s metadata is out of step with its markers (empty: in step)."""
    name = pathlib.Path(path).name
    try:
        want = expected(nb, path)
    except MetadataError as err:
        return [str(err)]
    out, read_only = [], []  # exercises' problems first: they matter most
    for idx, (cell, w) in enumerate(zip(nb.cells, want)):
        have = {k: v for k, v in cell.metadata.get("nbgrader", {}).items() if k != "checksum"}
        if w.get("points") is not None and not (
            isinstance(w["points"], (int, float)) and w["points"] > 0
        ):
            out.append(f"{name}, cell {idx}: points must be a positive number, got {w['points']!r}")
        if have != w:
            role = "solution" if w["solution"] else "check" if w["grade"] else "read-only"
            (out if role != "read-only" else read_only).append(
                f"{name}, cell {idx} ({role} cell {w['grade_id']}): nbgrader metadata "
                f"{have or 'missing'}, expected {w}"
            )
        if cell.cell_type != "code" and ("outputs" in cell or "execution_count" in cell):
            out.append(
                f"{name}, cell {idx}: a {cell.cell_type} cell must carry no "
                "outputs/execution_count key"
            )
    out += read_only
    ids = [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]
    dupes = sorted({i for i in ids if i and ids.count(i) > 1})
    if dupes:
        out.append(f"{name}: duplicate grade ids {dupes}")
    return out


def stamp(nb: nbformat.NotebookNode, path: str | pathlib.Path) -> nbformat.NotebookNode:
    """Return a copy of ``nb`` with the expected nbgrader metadata (``nb`` is not modified)."""
    want = expected(nb, path)
    nb = copy.deepcopy(nb)
    for cell, w in zip(nb.cells, want):
        cell.metadata["nbgrader"] = nbformat.from_dict(w)
        if cell.cell_type != "code":
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
    return nb


def points(nb: nbformat.NotebookNode, path: str | pathlib.Path) -> list[tuple[str, float]]:
    """``[(grade_id, points), ...]`` of the check cells, after stamping."""
    cells = stamp(nb, path).cells
    return [
        (c.metadata.nbgrader.grade_id, c.metadata.nbgrader.points)
        for c in cells
        if c.metadata.nbgrader.grade
    ]


def table(paths: list[pathlib.Path]) -> str:
    """A Markdown table: notebook | exercises (check functions) | points."""
    rows = ["| notebook | exercises (autograded check cells) | points |", "|---|---|---|"]
    total = 0.0
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        pts = points(nb, p)
        total += sum(v for _, v in pts)
        names = ", ".join(f"`{g}` ({v:g})" for g, v in pts)
        rows.append(f"| {p.name} | {names} | {sum(v for _, v in pts):g} |")
    rows.append(f"| **total** | | **{total:g}** |")
    return "\n".join(rows)


def replace_block(doc: pathlib.Path, name: str, text: str) -> None:
    """Replace the text between ``<!-- name -->`` and ``<!-- /name -->`` in ``doc`` by ``text``."""
    src = doc.read_text()
    begin, end = f"<!-- {name} -->", f"<!-- /{name} -->"
    if src.count(begin) != 1 or src.count(end) != 1:
        raise MetadataError(f"{doc} needs one '{begin}' ... '{end}' block")
    head, rest = src.split(begin)
    doc.write_text(f"{head}{begin}\n{text}\n{end}{rest.split(end)[1]}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument(
        "--check",
        action="store_true",
        help="report cells whose metadata is out of step; exit 1 if any",
    )
    mode.add_argument(
        "--write", action="store_true", help="stamp the metadata into the notebooks in place"
    )
    mode.add_argument(
        "--table", action="store_true", help="print the points per notebook as a Markdown table"
    )
    parser.add_argument(
        "--doc",
        type=pathlib.Path,
        help="with --table: write it into this file's points-table block",
    )
    parser.add_argument("notebooks", nargs="*", type=pathlib.Path)
    args = parser.parse_args(argv)
    paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
    if args.table:
        if args.doc:
            replace_block(args.doc, "points-table", table(paths))
            print(f"{args.doc}: points table updated")
        else:
            print(table(paths))
        return 0
    bad = 0
    for p in paths:
        nb = nbformat.read(p, as_version=4)
        found = problems(nb, p)
        if args.check:
            for msg in found:
                print(msg)
            bad += bool(found)
        elif found:
            nbformat.write(stamp(nb, p), p)
            print(f"{p}: stamped ({len(exercises(nb, p.name))} exercises)")
        else:
            print(f"{p}: already in step")
    if args.check and bad:
        print(f"{bad} notebook(s) out of step: run `python scripts/nbgrader_meta.py --write`")
    return 1 if bad else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except MetadataError as err:
        sys.exit(f"error: {err}")
