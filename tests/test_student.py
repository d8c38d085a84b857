"""Student versions = the nbgrader release (one way to strip); their check cells fail, the full ones
pass."""

import ast
import importlib.util
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient
from scripts_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
needs_nbgrader = pytest.mark.skipif(
    importlib.util.find_spec("nbgrader") is None,
    reason="nbgrader is not installed: pip install -e '.[instructor]' (make test installs it)",
)


def _load(name):
    return load_script(name)


course_mod, make_student = _load("nbgrader_course"), _load("make_student")


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A temporary nbgrader course with every notebook released (what make assignments builds)."""
    path = tmp_path_factory.mktemp("course")
    course_mod.release(NOTEBOOKS, path)
    return path


def _released(course, path):
    return nbformat.read(course / "release" / path.stem / path.name, as_version=4)


def _source(course, path):
    """The instructor's notebook as released (not notebooks/ itself, which may have changed
    since)."""
    return nbformat.read(course / "source" / path.stem / path.name, as_version=4)


def _check_calls(source):
    """The top-level statements of a check cell that call a ``check_*`` function (the rest may need
    variables from the teaching cells, which the exercise-only notebook below does not run)."""
    lines = source.splitlines()
    keep = []
    for stmt in ast.parse(source).body:
        calls = [n for n in ast.walk(stmt) if isinstance(n, ast.Call)]
        names = [getattr(c.func, "attr", getattr(c.func, "id", "")) for c in calls]
        if any(n.startswith("check_") for n in names):
            keep += lines[stmt.lineno - 1 : stmt.end_lineno]
    return "\n".join(keep)


@needs_nbgrader
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_release_strips_every_solution_and_output(course, path):
    full, student = _source(course, path), _released(course, path)
    assert len(student.cells) == len(full.cells)
    blocks = sum(c.source.count("### BEGIN SOLUTION") for c in full.cells)
    src = "\n".join(c.source for c in student.cells if c.cell_type == "code")
    assert "### BEGIN SOLUTION" not in src and "### BEGIN HIDDEN TESTS" not in src
    assert src.count("raise NotImplementedError()") == blocks
    assert all(
        c.outputs == [] and c.execution_count is None
        for c in student.cells
        if c.cell_type == "code"
    )
    assert "widgets" not in student.metadata


@needs_nbgrader
def test_make_student_copies_the_release_with_cells_editable(course, tmp_path):
    assert make_student.main(str(course / "release"), str(tmp_path)) == 0
    for path in NOTEBOOKS:
        released, copy = _released(course, path), nbformat.read(tmp_path / path.name, as_version=4)
        assert [c.source for c in copy.cells] == [c.source for c in released.cells]
        assert any(c.metadata.get("editable") is False for c in released.cells)
        assert not any(
            c.metadata.get("editable") is False or c.metadata.get("deletable") is False
            for c in copy.cells
        )
        assert all("nbgrader" in c.metadata for c in copy.cells), (
            "kept, so that the copy can be autograded"
        )


def _exercise_notebook(nb, full):
    """The setup cell plus every (solution cell, check cell) pair of ``full``, taken from ``nb``, in
    order."""
    code = [i for i, c in enumerate(full.cells) if c.cell_type == "code"]
    keep = [code[0]]
    for k, i in enumerate(code):
        if "### BEGIN SOLUTION" in full.cells[i].source:
            check = full.cells[code[k + 1]].source
            assert "exercises.check_" in check, (
                f"the cell after a solution must call exercises.check_*:\n{check}"
            )
            keep += [i, code[k + 1]]
    mini = nbformat.v4.new_notebook()
    mini.cells = [nbformat.v4.new_code_cell(nb.cells[i].source) for i in keep[:1]]
    for i, j in zip(keep[1::2], keep[2::2]):
        mini.cells += [
            nbformat.v4.new_code_cell(nb.cells[i].source),
            nbformat.v4.new_code_cell(_check_calls(nb.cells[j].source)),
        ]
    mini.metadata = full.metadata
    return mini, (len(keep) - 1) // 2


def _errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


@needs_nbgrader
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_checks_pass_on_full_and_fail_on_student_version(course, path):
    nb = _source(course, path)
    full, pairs = _exercise_notebook(nb, nb)
    assert pairs >= 1, f"{path.name} has no exercise with ### BEGIN SOLUTION"
    student, _ = _exercise_notebook(_released(course, path), nb)
    resources = {"metadata": {"path": str(path.parent)}}
    NotebookClient(full, timeout=300, kernel_name="python3", resources=resources).execute()
    for cell in full.cells[2::2]:
        assert not _errors(cell) and "all checks passed" in "".join(
            o.get("text", "") for o in cell.outputs
        )
    NotebookClient(
        student, timeout=300, kernel_name="python3", allow_errors=True, resources=resources
    ).execute()
    assert not _errors(student.cells[0]), "the setup cell must run in the student version"
    for cell in student.cells[2::2]:
        errs = _errors(cell)
        assert errs and errs[0].ename in {"NotImplementedError", "AssertionError"}, cell.source


def _tiny_notebook(source):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(source)]
    return nb


def test_make_student_skips_hidden_folders(tmp_path):
    """JupyterLab's ``.ipynb_checkpoints/`` copies (solutions included) are never picked up: neither
    beside released assignments nor in a notebooks folder (which would otherwise look like a
    release)."""
    solved = "def f():\n    ### BEGIN SOLUTION\n    return 42\n    ### END SOLUTION"
    stub = "def f():\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    release, out = tmp_path / "release", tmp_path / "student"
    (release / "01_topic").mkdir(parents=True)
    nbformat.write(_tiny_notebook(stub), release / "01_topic" / "01_topic.ipynb")
    for hidden in (release / ".ipynb_checkpoints", release / "01_topic" / ".ipynb_checkpoints"):
        hidden.mkdir()
        nbformat.write(_tiny_notebook(solved), hidden / "01_topic-checkpoint.ipynb")
    assert make_student.released_notebooks(release) == [release / "01_topic" / "01_topic.ipynb"]
    assert make_student.main(str(release), str(out)) == 0
    assert sorted(p.name for p in out.iterdir()) == ["01_topic.ipynb"]
    assert nbformat.read(out / "01_topic.ipynb", as_version=4).cells[0].source == stub

    notebooks = tmp_path / "notebooks"  # what `make_student.py notebooks OUT` is given
    (notebooks / ".ipynb_checkpoints").mkdir(parents=True)
    nbformat.write(_tiny_notebook(solved), notebooks / "01_topic.ipynb")
    nbformat.write(
        _tiny_notebook(solved), notebooks / ".ipynb_checkpoints" / "01_topic-checkpoint.ipynb"
    )
    assert make_student.released_notebooks(notebooks) == [], (
        "a notebooks folder must be released with nbgrader, not copied as if it were a release"
    )
