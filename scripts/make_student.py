"""Student versions of the course notebooks for self-study: the nbgrader release, made editable.

There is one way to strip solutions: ``nbgrader generate_assignment`` (``make assignments``,
``scripts/nbgrader_course.py release``), which replaces every ``### BEGIN SOLUTION`` ...
``### END SOLUTION`` block by ``# YOUR CODE HERE`` / ``raise NotImplementedError()``, drops
``### BEGIN HIDDEN TESTS`` blocks and clears outputs. This script copies the released
notebooks to one flat folder and lifts nbgrader's cell locks (``editable`` / ``deletable``),
so a learner working alone can change any cell; the nbgrader metadata stays, so the copy can
still be submitted and autograded (autograde restores the locked cells from the release).

    python scripts/make_student.py build/course/release build/student    # make student

With notebooks instead of a release folder it releases them first (needs nbgrader):

    python scripts/make_student.py notebooks build/student
"""

from __future__ import annotations

import importlib.util
import pathlib
import shutil
import sys
import tempfile

import nbformat


def unlock(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop the ``editable: false`` / ``deletable: false`` flags of nbgrader's locked cells (in
    place)."""
    for cell in nb.cells:
        for key in ("editable", "deletable"):
            if cell.metadata.get(key) is False:
                del cell.metadata[key]
    return nb


def released_notebooks(release: pathlib.Path) -> list[pathlib.Path]:
    """``release/<assignment>/<notebook>.ipynb`` files, sorted; hidden folders are skipped.

    pathlib's ``*`` matches hidden names too: without the filter, ``notebooks/`` looks like a
    release once JupyterLab has saved ``notebooks/.ipynb_checkpoints/01_...-checkpoint.ipynb``,
    and those checkpoint copies, solutions included, would become the "student versions".
    """
    release = pathlib.Path(release)
    return sorted(
        p
        for p in release.glob("*/[0-9]*.ipynb")
        if not any(part.startswith(".") for part in p.relative_to(release).parts)
    )


def main(src: str, dst: str) -> int:
    src_dir, out_dir = pathlib.Path(src), pathlib.Path(dst)
    tmp = None
    if not released_notebooks(src_dir):
        notebooks = sorted(src_dir.glob("[0-9]*.ipynb"))
        if not notebooks:
            print(
                f"no released assignments (<dir>/<name>/<name>.ipynb) or notebooks found in {src}",
                file=sys.stderr,
            )
            return 1
        spec = importlib.util.spec_from_file_location(
            "nbgrader_course", pathlib.Path(__file__).with_name("nbgrader_course.py")
        )
        course_mod = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(course_mod)
        tmp = pathlib.Path(tempfile.mkdtemp(prefix="inr-course-"))
        course_mod.release(notebooks, tmp)
        src_dir = tmp / "release"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        for path in released_notebooks(src_dir):
            nb = unlock(nbformat.read(path, as_version=4))
            nbformat.write(nb, out_dir / path.name)
            n = sum(
                "raise NotImplementedError()" in c.source for c in nb.cells if c.cell_type == "code"
            )
            print(f"{path} -> {out_dir / path.name} ({n} exercise(s) to solve)")
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
