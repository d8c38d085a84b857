"""Release the course notebooks as nbgrader assignments and autograde submissions.

``release`` builds an nbgrader course directory (one assignment per notebook, named after
it): the notebooks, stamped with their nbgrader metadata (``scripts/nbgrader_meta.py``), go
to ``source/<name>/``; ``nbgrader generate_assignment`` writes the student versions to
``release/<name>/`` (solutions replaced by ``raise NotImplementedError()``, outputs cleared,
read-only cells locked). ``grade`` copies a folder of submissions into ``submitted/``, runs
``nbgrader autograde`` on each (every notebook re-executed top to bottom, each cell
interrupted after ``--timeout`` seconds, errors do not stop the later cells) and writes a CSV
with one row per student and exercise.

    python scripts/nbgrader_course.py release --course build/course notebooks/0*.ipynb
    python scripts/nbgrader_course.py grade --course build/course SUBMISSIONS [--csv grades.csv]

SUBMISSIONS holds one folder per student with that student's notebooks, under their released
names, at any depth (``alice/01_coordinate_mlps.ipynb`` or nbgrader's own
``alice/01_coordinate_mlps/01_coordinate_mlps.ipynb``).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import pathlib
import re
import shutil
import sys
import warnings

import nbformat

ROOT = pathlib.Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location(
    "nbgrader_meta", pathlib.Path(__file__).with_name("nbgrader_meta.py")
)
nbgrader_meta = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(nbgrader_meta)

CONFIG = """\
# nbgrader configuration of this course directory (written by scripts/nbgrader_course.py).
c = get_config()  # noqa: F821
c.CourseDirectory.course_id = "inr-course"
c.CourseDirectory.root = {root!r}
# Each cell of a submission gets this many seconds at autograde, then it is interrupted.
c.Execute.timeout = {timeout}
c.Execute.interrupt_on_timeout = True
# A check cell that a student deleted is put back (and run) at autograde.
c.OverwriteCells.add_missing_cells = True
"""
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]*$")


def _api(course: pathlib.Path, timeout: int = 300):
    """An in-process ``NbGraderAPI`` on ``course`` (one interpreter for every step: no start-up per
    call)."""
    try:
        from nbgrader.apps import NbGraderAPI
        from nbgrader.coursedir import CourseDirectory
        from traitlets.config import Config
    except ImportError as err:  # pragma: no cover - depends on the environment
        raise SystemExit(
            "nbgrader is not installed: pip install -e '.[instructor]' (or make assignments)"
        ) from err
    # nbgrader runs the `alembic` program of its environment by name: put this interpreter's bin
    # first on PATH.
    bindir = str(pathlib.Path(sys.executable).parent)
    if os.environ.get("PATH", "").split(os.pathsep)[0] != bindir:
        os.environ["PATH"] = bindir + os.pathsep + os.environ.get("PATH", "")
    cfg = Config()
    cfg.CourseDirectory.root = str(course)
    cfg.CourseDirectory.course_id = "inr-course"
    cfg.Execute.timeout = int(timeout)
    cfg.Execute.interrupt_on_timeout = True
    cfg.OverwriteCells.add_missing_cells = True  # a deleted check cell is put back and run
    cfg.NbGraderAPI.log_level = "WARN"
    return NbGraderAPI(coursedir=CourseDirectory(config=cfg), config=cfg)


def _run(result: dict, what: str) -> None:
    if not result.get("success"):
        raise RuntimeError(
            f"nbgrader {what} failed:\n{result.get('error', '')}\n{result.get('log', '')}"
        )


def release(
    notebooks: list[pathlib.Path], course: pathlib.Path, timeout: int = 300
) -> dict[str, pathlib.Path]:
    """Build ``course`` from ``notebooks``; return ``{assignment: released notebook path}``."""
    course = pathlib.Path(course).resolve()
    course.mkdir(parents=True, exist_ok=True)
    (course / "nbgrader_config.py").write_text(
        CONFIG.format(root=str(course), timeout=int(timeout))
    )
    api = _api(course, timeout)
    out = {}
    for path in map(pathlib.Path, notebooks):
        name = path.stem
        nb = nbgrader_meta.stamp(nbformat.read(path, as_version=4), path)
        nb.metadata.pop("widgets", None)
        src = course / "source" / name
        shutil.rmtree(src, ignore_errors=True)
        src.mkdir(parents=True)
        nbformat.write(nb, src / path.name)
        _run(api.generate_assignment(name, force=True, create=True), f"generate_assignment {name}")
        rel = course / "release" / name / path.name
        student = nbformat.read(rel, as_version=4)
        student.metadata.pop("widgets", None)
        nbformat.write(student, rel)
        out[name] = rel
    return out


def released(course: pathlib.Path) -> dict[str, str]:
    """``{notebook file name: assignment}`` of every assignment released in ``course``."""
    return {p.name: p.parent.name for p in sorted(pathlib.Path(course).glob("release/*/*.ipynb"))}


def collect(submissions: pathlib.Path, course: pathlib.Path) -> list[tuple[str, str]]:
    """Copy ``submissions/<student>/**/<released name>.ipynb`` into ``course/submitted``.

    Returns the ``(student, assignment)`` pairs found. Raises ``ValueError`` naming the file
    when a student folder has a bad name or holds a notebook that was never released.
    """
    names = released(course)
    if not names:
        raise ValueError(f"no released assignment in {course}: run `make assignments` first")
    pairs = []
    students = sorted(
        p for p in pathlib.Path(submissions).iterdir() if p.is_dir() and not p.name.startswith(".")
    )
    if not students:
        raise ValueError(
            f"submissions={submissions} holds no student folder (expected "
            "SUBMISSIONS/<student>/<notebook>.ipynb)"
        )
    for sdir in students:
        if not _ID.match(sdir.name):
            raise ValueError(f"student folder {sdir}: use letters, digits, '_', '-', '.', '@' only")
        for nb_path in sorted(sdir.rglob("*.ipynb")):
            if ".ipynb_checkpoints" in nb_path.parts:
                continue
            if nb_path.name not in names:
                raise ValueError(
                    f"{nb_path}: not a released notebook; expected one of {sorted(names)}"
                )
            assignment = names[nb_path.name]
            if (sdir.name, assignment) in pairs:
                raise ValueError(f"{sdir}: two submissions of {nb_path.name}")
            dst = course / "submitted" / sdir.name / assignment
            shutil.rmtree(dst, ignore_errors=True)
            dst.mkdir(parents=True)
            shutil.copy(nb_path, dst / nb_path.name)
            pairs.append((sdir.name, assignment))
    return pairs


def scores(course: pathlib.Path, pairs: list[tuple[str, str]]) -> list[dict]:
    """Points per student and exercise from the course's gradebook."""
    from nbgrader.api import Gradebook

    course = pathlib.Path(course).resolve()
    rows = []
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        for student, assignment in pairs:
            sub = gb.find_submission(assignment, student)
            for nb in sorted(sub.notebooks, key=lambda n: n.name):
                source = nbformat.read(
                    course / "source" / assignment / f"{nb.name}.ipynb", as_version=4
                )
                order = [c.metadata.get("nbgrader", {}).get("grade_id") for c in source.cells]
                for g in sorted(
                    nb.grades, key=lambda g: order.index(g.name) if g.name in order else len(order)
                ):
                    rows.append(
                        {
                            "student": student,
                            "notebook": nb.name,
                            "exercise": g.name,
                            "points": float(g.score),
                            "max_points": float(g.max_score),
                        }
                    )
    return rows


def grade(
    submissions: pathlib.Path,
    course: pathlib.Path,
    timeout: int = 300,
    csv_path: pathlib.Path | None = None,
    fast: bool = True,
) -> list[dict]:
    """Autograde every submission in ``submissions`` (see ``collect``); write and return the
    points."""
    course = pathlib.Path(course).resolve()
    pairs = collect(pathlib.Path(submissions), course)
    api = _api(course, timeout)
    saved = os.environ.get("INRUTILS_FAST")
    if fast:
        os.environ["INRUTILS_FAST"] = "1"  # the kernels inherit it: grading re-runs every notebook
    else:
        os.environ.pop("INRUTILS_FAST", None)
    try:
        for student, assignment in pairs:
            with (
                warnings.catch_warnings()
            ):  # SQLAlchemy's autoflush notes from inside nbgrader, not ours to fix
                warnings.filterwarnings("ignore", message=".*not in session.*")
                result = api.autograde(assignment, student, force=True, create=True)
            _run(result, f"autograde {assignment} {student}")
    finally:
        if saved is None:
            os.environ.pop("INRUTILS_FAST", None)
        else:
            os.environ["INRUTILS_FAST"] = saved
    rows = scores(course, pairs)
    if csv_path is not None:
        csv_path = pathlib.Path(csv_path)
        csv_path.parent.mkdir(parents=True, exist_ok=True)
        with open(csv_path, "w", newline="") as f:
            w = csv.DictWriter(
                f, fieldnames=["student", "notebook", "exercise", "points", "max_points"]
            )
            w.writeheader()
            w.writerows(rows)
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("release", help="build the course directory and the student versions")
    r.add_argument("notebooks", nargs="*", type=pathlib.Path)
    g = sub.add_parser(
        "grade", help="autograde a folder of submissions (one sub-folder per student)"
    )
    g.add_argument("submissions", type=pathlib.Path)
    g.add_argument(
        "--csv", type=pathlib.Path, help="where to write the points (default COURSE/grades.csv)"
    )
    g.add_argument(
        "--default-tier",
        action="store_true",
        help="grade in the default tier (default: INRUTILS_FAST=1)",
    )
    for p in (r, g):
        p.add_argument("--course", type=pathlib.Path, default=ROOT / "build" / "course")
        p.add_argument(
            "--timeout", type=int, default=300, help="seconds per cell at autograde (default 300)"
        )
    args = parser.parse_args(argv)
    if args.timeout <= 0:
        parser.error(f"--timeout must be a positive number of seconds, got {args.timeout}")
    if args.cmd == "release":
        paths = args.notebooks or sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
        for name, rel in release(paths, args.course, args.timeout).items():
            print(f"{name}: released {rel}")
        return 0
    if not args.submissions.is_dir():
        parser.error(f"SUBMISSIONS={args.submissions} is not a folder")
    csv_path = args.csv or args.course / "grades.csv"
    rows = grade(args.submissions, args.course, args.timeout, csv_path, fast=not args.default_tier)
    totals: dict[tuple[str, str], list[float]] = {}
    for row in rows:
        t = totals.setdefault((row["student"], row["notebook"]), [0.0, 0.0])
        t[0] += row["points"]
        t[1] += row["max_points"]
    for (student, notebook), (got, of) in sorted(totals.items()):
        print(f"{student:>16} {notebook}: {got:g} / {of:g}")
    print(f"points per student and exercise: {csv_path}")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except (ValueError, RuntimeError) as err:
        sys.exit(f"error: {err}")
