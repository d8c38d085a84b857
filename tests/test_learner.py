"""Learner copies (scripts/make_learner.py): no answer in any code cell or exercise output, every
other saved output kept, one collapsed solution per exercise; their checks fail where the full
notebook's pass."""

import ast
import importlib.util
import pathlib
import re

import nbformat
import pytest
from nbclient import NotebookClient
from scripts_loader import load_script
from test_student import _check_calls

ROOT = pathlib.Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9]*.ipynb"))
IDS = [p.name for p in NOTEBOOKS]

make_learner = load_script("make_learner")
meta = make_learner.nbgrader_meta
DETAILS = re.compile(
    r"\A<details><summary>Show a solution</summary>\n\n(`{3,})python\n(.*)\n\1\n\n</details>\Z",
    re.S,
)


@pytest.fixture(scope="module")
def copies(tmp_path_factory):
    """Every notebook's learner copy, made the way `make learner` makes them."""
    out = tmp_path_factory.mktemp("learner")
    for path in NOTEBOOKS:
        assert make_learner.make(path, out).startswith("wrote ")
    return out


def _pair(copies, path):
    return nbformat.read(path, as_version=4), nbformat.read(copies / path.name, as_version=4)


def _by_id(nb):
    return {c.id: c for c in nb.cells}


def _exercise_ids(full, path):
    found = meta.exercises(full, path.name)
    assert found, f"{path.name} has no exercise with {meta.BEGIN}"
    return [(full.cells[ex["solution"]].id, full.cells[ex["check"]].id) for ex in found]


def _solution_lines(source):
    """The non-blank lines between the markers of ``source`` (stripped)."""
    inside, lines = False, []
    for line in source.splitlines():
        if meta.BEGIN in line:
            inside = True
        elif meta.END in line:
            inside = False
        elif inside and line.strip():
            lines.append(line.strip())
    return lines


def _images(cells):
    return sum(
        any(k.startswith("image/") for k in o.get("data", {}))
        for c in cells
        if c.cell_type == "code"
        for o in c.outputs
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_no_solution_text_in_any_code_cell(copies, path):
    full, learner = _pair(copies, path)
    code = [c.source for c in learner.cells if c.cell_type == "code"]
    text = "\n".join(code)
    for marker in (meta.BEGIN, meta.END, "BEGIN HIDDEN TESTS"):
        assert marker not in text
    blocks = sum(c.source.count(meta.BEGIN) for c in full.cells)
    before = sum(c.source.count("raise NotImplementedError()") for c in full.cells)
    assert text.count("# YOUR CODE HERE\n") == blocks
    assert text.count("raise NotImplementedError()") == before + blocks
    # Lines of an answer that also occur outside every answer (``c, h, w = img.shape``) give nothing
    # away; every other answer line must be gone from the code cells.
    outside = {
        line.strip()
        for c in full.cells
        if c.cell_type == "code"
        for line in make_learner._blocks(c.source, meta.BEGIN, meta.END, []).splitlines()
    }
    learner_lines = {line.strip() for src in code for line in src.splitlines()}
    for sol_id, _ in _exercise_ids(full, path):
        answer = _solution_lines(_by_id(full)[sol_id].source)
        telling = [line for line in answer if line not in outside]
        assert telling, f"{path.name}, cell {sol_id}: every line of the answer occurs elsewhere"
        assert not set(telling) & learner_lines, f"{path.name}: answer text left in a code cell"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_outputs_cleared_in_exercises_kept_everywhere_else(copies, path):
    full, learner = _pair(copies, path)
    pairs = _exercise_ids(full, path)
    cleared = {i for pair in pairs for i in pair}
    new = _by_id(learner)
    assert len(learner.cells) == len(full.cells) + len(pairs)
    assert _images(learner.cells) == _images(c for c in full.cells if c.id not in cleared) > 0
    for cell in full.cells:
        copy = new[cell.id]
        assert copy.metadata.get("nbgrader") == cell.metadata.get("nbgrader")
        if cell.cell_type != "code":
            assert copy.source == cell.source and "outputs" not in copy
        elif cell.id in cleared:
            assert copy.outputs == [] and copy.execution_count is None
        else:
            assert copy.source == cell.source
            assert copy.outputs == cell.outputs and copy.execution_count == cell.execution_count
    assert all("outputs" not in c for c in learner.cells if c.cell_type == "markdown")
    assert "widgets" not in learner.metadata
    nbformat.validate(learner)
    if importlib.util.find_spec("nbgrader") is not None:
        from nbgrader.nbgraderformat import MetadataValidator

        MetadataValidator().validate_nb(learner)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_one_collapsed_solution_per_exercise(copies, path):
    mistune = pytest.importorskip("mistune")
    full, learner = _pair(copies, path)
    pairs = _exercise_ids(full, path)
    at = {c.id: i for i, c in enumerate(learner.cells)}
    shown = [c for c in learner.cells if "<details>" in c.source]
    assert len(shown) == len(pairs)
    for sol_id, _ in pairs:
        md = learner.cells[at[sol_id] + 1]
        assert md.cell_type == "markdown" and md.metadata == {}
        m = DETAILS.match(md.source)
        assert m, f"not a collapsed solution block:\n{md.source}"
        answer = m[2]
        assert answer == make_learner.without_markers(_by_id(full)[sol_id].source).strip("\n")
        ast.parse(answer)
        html = mistune.html(md.source)
        assert "<details><summary>Show a solution</summary>" in html and " open" not in html
        assert '<pre><code class="language-python">' in html, "the fence must render as code"


def _exercise_cells(nb, setup, pairs):
    """A fresh namespace, the setup cell, then each exercise cell followed by its check call(s)."""
    by_id = _by_id(nb)
    cells = [nbformat.v4.new_code_cell("%reset -f"), nbformat.v4.new_code_cell(setup)]
    for sol_id, check_id in pairs:
        cells += [
            nbformat.v4.new_code_cell(by_id[sol_id].source),
            nbformat.v4.new_code_cell(_check_calls(by_id[check_id].source)),
        ]
    return cells


@pytest.fixture(scope="module")
def executed(copies):
    """Every notebook's setup cell and (exercise, check call) pairs, full then learner copy, run in
    one kernel (``%reset -f`` between the parts; one kernel start and one import of the stack
    instead of sixteen): ``{name: (full cells, learner cells)}``, each part starting with its
    ``%reset -f`` and setup cells."""
    run = nbformat.v4.new_notebook(metadata=nbformat.read(NOTEBOOKS[0], as_version=4).metadata)
    parts = {}
    for path in NOTEBOOKS:
        full, learner = _pair(copies, path)
        pairs = _exercise_ids(full, path)
        setup = next(c.source for c in learner.cells if c.cell_type == "code")
        parts[path.name] = []
        for nb in (full, learner):
            cells = _exercise_cells(nb, setup, pairs)
            parts[path.name].append(cells)
            run.cells += cells
    NotebookClient(
        run,
        timeout=300,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(ROOT / "notebooks")}},
    ).execute()
    return {name: tuple(p) for name, p in parts.items()}


def _errors(cell):
    return [o for o in cell.outputs if o.output_type == "error"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=IDS)
def test_checks_pass_on_full_and_fail_on_learner_copy(executed, path):
    full, learner = executed[path.name]
    for cell in full:
        assert not _errors(cell), f"{cell.source}\n{_errors(cell)}"
    for cell in full[3::2]:
        assert "all checks passed" in "".join(o.get("text", "") for o in cell.outputs)
    assert not _errors(learner[0]) and not _errors(learner[1]), "the setup cell must run"
    for cell in learner[3::2]:
        errs = _errors(cell)
        assert errs and errs[0].ename == "NotImplementedError", cell.source


def _synthetic():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell("import math"),
        nbformat.v4.new_code_cell(
            "def area(r):\n    ### BEGIN SOLUTION\n    return math.pi * r**2\n    ### END SOLUTION",
            outputs=[nbformat.v4.new_output("stream", text="secret\n")],
            execution_count=2,
        ),
        nbformat.v4.new_code_cell(
            "check_area(area)\n### BEGIN HIDDEN TESTS\nassert area(2) > 12\n### END HIDDEN TESTS",
            outputs=[nbformat.v4.new_output("stream", text="all checks passed\n")],
            execution_count=3,
        ),
        nbformat.v4.new_code_cell(
            "print(area(1))",
            outputs=[nbformat.v4.new_output("stream", text="3.14\n")],
            execution_count=4,
        ),
    ]
    return nb


def test_learner_copy_of_a_synthetic_notebook():
    nb = _synthetic()
    copy = make_learner.learner_copy(nb)
    assert [c.cell_type for c in copy.cells] == ["code", "code", "markdown", "code", "code"]
    assert copy.cells[1].source == (
        "def area(r):\n    # YOUR CODE HERE\n    raise NotImplementedError()"
    )
    assert copy.cells[3].source == "check_area(area)"
    assert copy.cells[1].outputs == copy.cells[3].outputs == []
    assert copy.cells[4].outputs == nb.cells[3].outputs, "outputs outside the exercise are kept"
    assert "return math.pi * r**2" in copy.cells[2].source
    assert nb.cells[1].outputs, "the source notebook is not modified"
    bad = _synthetic()
    bad.cells[1].source = bad.cells[1].source.replace("    ### END SOLUTION", "")
    with pytest.raises(ValueError, match="unbalanced"):
        make_learner.learner_copy(bad)


def test_existing_copy_is_kept_unless_forced(tmp_path, capsys):
    src, out = tmp_path / "01_synthetic.ipynb", tmp_path / "learner"
    nbformat.write(_synthetic(), src)
    assert make_learner.main(["--out", str(out), str(src)]) == 0
    assert "wrote" in capsys.readouterr().out
    mine = out / src.name
    work = nbformat.read(mine, as_version=4)
    work.cells[1].source = "def area(r):\n    return 3.14159 * r * r  # my answer"
    nbformat.write(work, mine)
    before = mine.read_bytes()
    assert make_learner.main(["--out", str(out), str(src)]) == 0
    said = capsys.readouterr().out
    assert said.startswith("kept") and "not overwritten" in said and "changed" not in said
    assert mine.read_bytes() == before
    changed = _synthetic()
    changed.cells[0].source = "import math  # edited"
    nbformat.write(changed, src)
    make_learner.main(["--out", str(out), str(src)])
    assert "the course notebook has changed" in capsys.readouterr().out
    assert mine.read_bytes() == before
    make_learner.main(["--out", str(out), "--force", str(src)])
    assert "wrote" in capsys.readouterr().out
    assert "my answer" not in mine.read_text()
