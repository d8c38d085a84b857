"""nbgrader assignments: metadata in step with the solution markers; release and autograde end to
end.

The end-to-end tests build a temporary nbgrader course from a small synthetic notebook (three
exercises with plain-assert checks, so they do not depend on the course's exercises) and from
notebook 01 in the fast tier.
"""

import csv
import importlib.util
import pathlib
import shutil

import nbformat
import pytest
from scripts_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
HAVE_NBGRADER = importlib.util.find_spec("nbgrader") is not None
needs_nbgrader = pytest.mark.skipif(
    not HAVE_NBGRADER,
    reason="nbgrader is not installed: pip install -e '.[instructor]' (make test installs it)",
)


def _load(name):
    return load_script(name)


meta = _load("nbgrader_meta")
course_mod = _load("nbgrader_course")

SETUP = """\
def check_add(fn):
    assert fn(2, 3) == 5, "add(2, 3) should be 5"
    print("add: all checks passed")


def check_square(fn):
    assert fn(4) == 16, "square(4) should be 16"
    print("square: all checks passed")


def check_mean(fn):
    assert fn([1, 2, 6]) == 3, "mean([1, 2, 6]) should be 3"
    print("mean: all checks passed")
"""
SOLVED = {
    "add": "def add(a, b):\n    ### BEGIN SOLUTION\n    return a + b\n    ### END SOLUTION\n",
    "square": "def square(x):\n    ### BEGIN SOLUTION\n    return x * x\n    ### END SOLUTION\n",
    "mean": (
        "def mean(xs):\n    ### BEGIN SOLUTION\n    return sum(xs) / len(xs)\n"
        "    ### END SOLUTION\n"
    ),
}


def _synthetic() -> nbformat.NotebookNode:
    """A notebook with a setup cell and three exercises (solution cell + check cell each)."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.metadata["language_info"] = {"name": "python"}
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    nb.cells = [md("# A synthetic assignment"), code(SETUP)]
    for name, solved in SOLVED.items():
        check = f"check_{name}({name})\n"
        if name == "add":
            check += "### BEGIN HIDDEN TESTS\nassert add(-1, 1) == 0\n### END HIDDEN TESTS\n"
        nb.cells += [md(f"**Exercise:** write `{name}`."), code(solved), code(check)]
    return nb


def _ids(nb):
    return [c.metadata.get("nbgrader", {}).get("grade_id") for c in nb.cells]


# --- the metadata: in step with the markers -------------------------------------------------------


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_metadata_in_step_with_solution_markers(path):
    found = meta.problems(nbformat.read(path, as_version=4), path)
    shown = "\n".join(found[:8]) + (f"\n... and {len(found) - 8} more" if len(found) > 8 else "")
    assert not found, (
        f"nbgrader metadata out of step; run `python scripts/nbgrader_meta.py --write`:\n{shown}"
    )


def test_stamp_marks_solution_check_and_read_only_cells():
    nb = meta.stamp(_synthetic(), "90_synthetic.ipynb")
    assert meta.problems(nb, "90_synthetic.ipynb") == []
    solution, check, first_md = (
        nb.cells[3].metadata.nbgrader,
        nb.cells[4].metadata.nbgrader,
        nb.cells[0].metadata.nbgrader,
    )
    assert solution == {
        "grade": False,
        "grade_id": "nb90_add_solution",
        "locked": False,
        "schema_version": 3,
        "solution": True,
    }
    assert check == {
        "grade": True,
        "grade_id": "nb90_add_check",
        "locked": True,
        "points": 1,
        "schema_version": 3,
        "solution": False,
    }
    assert first_md.locked and not first_md.grade and not first_md.solution
    assert meta.points(nb, "90_synthetic.ipynb") == [
        ("nb90_add_check", 1),
        ("nb90_square_check", 1),
        ("nb90_mean_check", 1),
    ]


def test_a_new_exercise_without_metadata_is_out_of_step():
    nb = meta.stamp(_synthetic(), "90_synthetic.ipynb")
    nb.cells += [
        nbformat.v4.new_code_cell(
            "def cube(x):\n    ### BEGIN SOLUTION\n    return x**3\n    ### END SOLUTION\n"
        ),
        nbformat.v4.new_code_cell("exercises.check_cube(cube)"),
    ]
    found = "\n".join(meta.problems(nb, "90_synthetic.ipynb"))
    assert "nb90_cube_solution" in found and "nb90_cube_check" in found and "missing" in found
    assert meta.problems(meta.stamp(nb, "90_synthetic.ipynb"), "90_synthetic.ipynb") == []
    # removing the markers leaves stale solution metadata: also out of step
    nb = meta.stamp(_synthetic(), "90_synthetic.ipynb")
    nb.cells[3].source = "def add(a, b):\n    return a + b\n"
    assert any("nb90_add_solution" in p for p in meta.problems(nb, "90_synthetic.ipynb"))


def test_grade_ids_survive_reordering_and_inserted_cells():
    nb = meta.stamp(_synthetic(), "90_synthetic.ipynb")
    before = {c.id: c.metadata.nbgrader.grade_id for c in nb.cells}
    nb.cells = nb.cells[:2] + nb.cells[8:11] + nb.cells[2:8]  # the mean exercise moves first
    nb.cells.insert(1, nbformat.v4.new_markdown_cell("A new paragraph."))
    restamped = meta.stamp(nb, "90_synthetic.ipynb")
    after = {c.id: c.metadata.nbgrader.grade_id for c in restamped.cells}
    assert all(after[k] == v for k, v in before.items())
    assert len(set(after.values())) == len(after)


def test_points_set_by_an_instructor_are_kept_and_must_be_positive():
    nb = meta.stamp(_synthetic(), "90_synthetic.ipynb")
    nb.cells[4].metadata.nbgrader["points"] = 3
    assert meta.problems(nb, "x/90_synthetic.ipynb") == []
    assert meta.stamp(nb, "90_synthetic.ipynb").cells[4].metadata.nbgrader.points == 3
    nb.cells[4].metadata.nbgrader["points"] = 0
    assert any(
        "points must be a positive number" in p for p in meta.problems(nb, "90_synthetic.ipynb")
    )


def test_bad_structure_gets_a_clear_error():
    nb = _synthetic()
    nb.cells[4].source = "print(add(2, 3))"  # no check_* call after the solution
    with pytest.raises(meta.MetadataError, match="must call a check_\\* function"):
        meta.stamp(nb, "90_synthetic.ipynb")
    assert "must call a check_*" in meta.problems(nb, "90_synthetic.ipynb")[0]
    nb = _synthetic()
    nb.cells[3].source = "### BEGIN SOLUTION\nx = 1\n"
    with pytest.raises(meta.MetadataError, match="unbalanced"):
        meta.stamp(nb, "90_synthetic.ipynb")


def test_markdown_cells_carry_no_outputs_key():
    nb = meta.stamp(_synthetic(), "90_synthetic.ipynb")
    nb.cells[0]["outputs"] = []
    assert any(
        "markdown cell must carry no outputs" in p for p in meta.problems(nb, "90_synthetic.ipynb")
    )
    assert "outputs" not in meta.stamp(nb, "90_synthetic.ipynb").cells[0]


def test_command_line_check_write_table(tmp_path, capsys):
    path = tmp_path / "90_synthetic.ipynb"
    nbformat.write(_synthetic(), path)
    assert meta.main(["--check", str(path)]) == 1
    assert "run `python scripts/nbgrader_meta.py --write`" in capsys.readouterr().out
    assert meta.main(["--write", str(path)]) == 0
    assert meta.main(["--check", str(path)]) == 0
    nbformat.validate(nbformat.read(path, as_version=4))
    meta.main(["--table", str(path)])
    assert (
        "| 90_synthetic.ipynb | `nb90_add_check` (1), `nb90_square_check` (1), `nb90_mean_check` "
        "(1) | 3 |" in (capsys.readouterr().out)
    )


def test_table_is_written_into_a_document_block(tmp_path):
    path, doc = tmp_path / "90_synthetic.ipynb", tmp_path / "guide.md"
    nbformat.write(_synthetic(), path)
    doc.write_text("intro\n<!-- points-table -->\nold\n<!-- /points-table -->\nend\n")
    assert meta.main(["--table", "--doc", str(doc), str(path)]) == 0
    text = doc.read_text()
    assert text.startswith("intro\n<!-- points-table -->\n| notebook |") and "old" not in text
    assert text.endswith("| **total** | | **3** |\n<!-- /points-table -->\nend\n")


# --- release and autograde in a temporary course directory ----------------------------------------

TIMEOUT = 10  # seconds per cell at autograde; the looping submission costs this once


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """Release the synthetic notebook, grade four submissions; return (course, release path,
    rows)."""
    if not HAVE_NBGRADER:
        pytest.skip(
            "nbgrader is not installed: pip install -e '.[instructor]' (make test installs it)"
        )
    tmp = tmp_path_factory.mktemp("course")
    src = tmp / "notebooks" / "90_synthetic.ipynb"
    src.parent.mkdir()
    nbformat.write(_synthetic(), src)
    course = tmp / "course"
    rel = course_mod.release([src], course, timeout=TIMEOUT)["90_synthetic"]
    subs = tmp / "submissions"
    # the instructor's own notebook, the untouched release, in nbgrader's nested layout and flat
    (subs / "teacher").mkdir(parents=True)
    shutil.copy(course / "source" / "90_synthetic" / "90_synthetic.ipynb", subs / "teacher")
    (subs / "blank" / "90_synthetic").mkdir(parents=True)
    shutil.copy(rel, subs / "blank" / "90_synthetic")
    released = nbformat.read(rel, as_version=4)
    half = nbformat.read(rel, as_version=4)
    half.cells[
        3
    ].source = "def add(a, b):\n    return b + a\n"  # exercise 1 solved, 2 and 3 left as released
    (subs / "half").mkdir()
    nbformat.write(half, subs / "half" / "90_synthetic.ipynb")
    bad = nbformat.read(rel, as_version=4)
    bad.cells[3].source = "def add(a, b):\n    raise ValueError('not today')\n"
    bad.cells[6].source = "def square(x):\n    while True:\n        pass\n"
    bad.cells[9].source = "def mean(xs):\n    return sum(xs) / len(xs)\n"
    bad.cells[
        4
    ].source = "print('check skipped')"  # a locked check cell edited: autograde restores it
    del bad.cells[10]  # the last check cell deleted: autograde puts it back and runs it
    (subs / "bad").mkdir()
    nbformat.write(bad, subs / "bad" / "90_synthetic.ipynb")
    rows = course_mod.grade(subs, course, timeout=TIMEOUT, csv_path=course / "grades.csv")
    return course, released, rows


def _points(rows, student):
    return {r["exercise"].split("_")[1]: r["points"] for r in rows if r["student"] == student}


@needs_nbgrader
def test_release_strips_solutions_and_hidden_tests_and_locks_cells(graded):
    _, released, _ = graded
    code = [c for c in released.cells if c.cell_type == "code"]
    assert (
        code[1].source.rstrip()
        == "def add(a, b):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert "HIDDEN" not in code[2].source and "add(-1, 1)" not in code[2].source
    assert all(c.outputs == [] and c.execution_count is None for c in code)
    assert (
        released.cells[4].metadata.editable is False
        and released.cells[0].metadata.editable is False
    )
    assert "editable" not in released.cells[3].metadata  # the solution cell is the learner's


@needs_nbgrader
def test_autograde_scores_full_zero_and_partial(graded):
    _, _, rows = graded
    assert _points(rows, "teacher") == {"add": 1, "square": 1, "mean": 1}
    assert _points(rows, "blank") == {"add": 0, "square": 0, "mean": 0}
    assert _points(rows, "half") == {"add": 1, "square": 0, "mean": 0}


@needs_nbgrader
def test_a_raising_or_looping_exercise_scores_zero_and_the_others_still_run(graded):
    course, _, rows = graded
    assert _points(rows, "bad") == {"add": 0, "square": 0, "mean": 1}
    nb = nbformat.read(
        course / "autograded" / "bad" / "90_synthetic" / "90_synthetic.ipynb", as_version=4
    )
    errors = {
        c.metadata.nbgrader.grade_id: [o.ename for o in c.outputs if o.output_type == "error"]
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade")
    }
    assert errors["nb90_add_check"] == ["ValueError"]
    assert "CellTimeoutError" in errors["nb90_square_check"]
    assert errors["nb90_mean_check"] == []
    assert nb.cells[4].source.startswith("check_add(add)")  # the edited locked cell was restored
    assert (
        nb.cells[10].source.rstrip().endswith("check_mean(mean)")
    )  # the deleted check cell was put back


@needs_nbgrader
def test_grades_csv_has_one_row_per_student_and_exercise(graded):
    course, _, _ = graded
    with open(course / "grades.csv", newline="") as f:
        table = list(csv.DictReader(f))
    assert len(table) == 12 and set(table[0]) == {
        "student",
        "notebook",
        "exercise",
        "points",
        "max_points",
    }
    teacher = [r for r in table if r["student"] == "teacher"]
    assert [r["exercise"] for r in teacher] == [
        "nb90_add_check",
        "nb90_square_check",
        "nb90_mean_check",
    ]
    assert all(float(r["points"]) == float(r["max_points"]) == 1.0 for r in teacher)


@needs_nbgrader
def test_a_submission_that_was_never_released_gets_a_clear_error(graded, tmp_path):
    course, _, _ = graded
    (tmp_path / "eve").mkdir()
    nbformat.write(_synthetic(), tmp_path / "eve" / "99_other.ipynb")
    with pytest.raises(ValueError, match="99_other.ipynb: not a released notebook"):
        course_mod.collect(tmp_path, course)


def test_command_line_rejects_bad_arguments(tmp_path, capsys):
    with pytest.raises(SystemExit):
        course_mod.main(["grade", "--timeout", "0", str(tmp_path)])
    assert "--timeout must be a positive number of seconds" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        course_mod.main(["grade", str(tmp_path / "missing")])
    assert "is not a folder" in capsys.readouterr().err
    with pytest.raises(ValueError, match="no released assignment"):
        course_mod.collect(tmp_path, tmp_path / "no-course")


# One real notebook through nbgrader in the fast tier: it runs in autograde's working directory
# (build/course/autograded/<student>/<notebook>/) and the instructor's version scores every point.
REAL = next((p for p in NOTEBOOKS if p.name.startswith("02_")), NOTEBOOKS[0] if NOTEBOOKS else None)


@needs_nbgrader
@pytest.mark.skipif(REAL is None, reason="no notebook in notebooks/")
def test_a_real_notebook_scores_full_points_for_the_instructors_answers(tmp_path):
    course = tmp_path / "course"
    course_mod.release([REAL], course, timeout=600)
    (tmp_path / "subs" / "teacher").mkdir(parents=True)
    shutil.copy(course / "source" / REAL.stem / REAL.name, tmp_path / "subs" / "teacher")
    rows = course_mod.grade(tmp_path / "subs", course, timeout=600)
    want = meta.points(nbformat.read(REAL, as_version=4), REAL)
    assert [(r["exercise"], r["max_points"]) for r in rows] == want
    assert all(r["points"] == r["max_points"] for r in rows), rows
