"""Student versions: solutions stripped (nbgrader convention); their check cells fail, the full ones pass."""
import importlib.util
import pathlib

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))

_spec = importlib.util.spec_from_file_location("make_student", ROOT / "scripts" / "make_student.py")
make_student_mod = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_student_mod)
strip_source, make_student = make_student_mod.strip_source, make_student_mod.make_student


def test_strip_source_keeps_indentation_and_drops_hidden_tests():
    src = (
        "def f(x):\n"
        "    ### BEGIN SOLUTION\n"
        "    y = x + 1\n"
        "    return y\n"
        "    ### END SOLUTION\n"
        "### BEGIN HIDDEN TESTS\n"
        "assert f(1) == 2\n"
        "### END HIDDEN TESTS\n"
        "print('done')\n"
    )
    assert strip_source(src) == "def f(x):\n    # YOUR CODE HERE\n    raise NotImplementedError()\nprint('done')\n"
    assert strip_source("a = 1\n") == "a = 1\n"
    with pytest.raises(ValueError, match="unbalanced"):
        strip_source("### BEGIN SOLUTION\nx = 1\n")


def test_make_student_clears_outputs_and_widget_state():
    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("x = 1\n### BEGIN SOLUTION\nx = 2\n### END SOLUTION\n")
    cell.outputs = [nbformat.v4.new_output("stream", text="hi")]
    cell.execution_count = 3
    nb.cells = [cell]
    nb.metadata["widgets"] = {"state": {}}
    out = make_student(nb)
    assert out.cells[0].outputs == [] and out.cells[0].execution_count is None
    assert "widgets" not in out.metadata and "raise NotImplementedError()" in out.cells[0].source
    assert nb.cells[0].execution_count == 3  # input untouched


def _exercise_notebook(nb):
    """The setup cell plus every (solution cell, check cell) pair, in order."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    keep = [code[0]]
    pairs = 0
    for i, c in enumerate(code):
        if "### BEGIN SOLUTION" in c.source:
            check = code[i + 1]
            assert "exercises.check_" in check.source, f"the cell after a solution must call exercises.check_*:\n{check.source}"
            keep += [c, check]
            pairs += 1
    mini = nbformat.v4.new_notebook()
    mini.cells = [nbformat.v4.new_code_cell(c.source) for c in keep]
    mini.metadata = nb.metadata
    return mini, pairs


def _errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_checks_pass_on_full_and_fail_on_student_version(path):
    nb = nbformat.read(path, as_version=4)
    full, pairs = _exercise_notebook(nb)
    assert pairs >= 2, f"{path.name} needs at least two exercises with ### BEGIN SOLUTION"
    student, _ = _exercise_notebook(make_student(nb))
    resources = {"metadata": {"path": str(path.parent)}}
    NotebookClient(full, timeout=300, kernel_name="python3", resources=resources).execute()
    for cell in full.cells[2::2]:
        assert not _errors(cell) and "all checks passed" in "".join(o.get("text", "") for o in cell.outputs)
    NotebookClient(student, timeout=300, kernel_name="python3", allow_errors=True, resources=resources).execute()
    assert not _errors(student.cells[0]), "the setup cell must run in the student version"
    for cell in student.cells[2::2]:
        errs = _errors(cell)
        assert errs and errs[0].ename in {"NotImplementedError", "AssertionError"}, cell.source
