import pytest
from scripts_loader import load_script

from inrutils import compare
from inrutils.data import load_results


def _load():
    return load_script("benchmark")


def test_smoke_writes_every_task_and_method(tmp_path):
    bench = _load()
    assert bench.main(["--smoke", "--part", "select", "--out-dir", str(tmp_path)]) == 0
    select = load_results(tmp_path / "compare_select.csv")
    assert {r["method"] for r in select.rows if r["chosen"] == 1} == set(compare.REPRESENTERS)
    assert bench.main(["--smoke", "--out-dir", str(tmp_path)]) == 0
    text = (tmp_path / "benchmark.md").read_text()
    for task in bench.TASKS:
        assert f"| {task} |" in text, task
    methods = (
        *compare.REPRESENTERS,
        "noisy input (floor)",
        "LINR",
        "Knitwork",
        "TV",
        "NLM",
        "LIIF",
        "bicubic",
        "left black (floor)",
        "local mean (floor)",
        "biharmonic",
        "exemplar copy",
        "bicubic from fewer pixels",
        "JPEG, a byte per parameter",
    )
    for method in methods:
        assert f"| {method} |" in text, method
    table = load_results(tmp_path / "benchmark.csv")
    assert len(table.rows) == 2 * (5 + 2) + 6 + 3 + 6
    assert table.meta["command"].startswith("python scripts/benchmark.py --smoke")
    assert {r["image"] for r in table.rows if r["task"] == "inpainting"} == {"brick"}
    assert bench.main(["--smoke", "--part", "steps", "--out-dir", str(tmp_path)]) == 0
    steps = load_results(tmp_path / "benchmark_steps.csv")
    assert sorted({r["steps"] for r in steps.rows}) == [3, 12] and len(steps.rows) == 2 * 2 * 7
    assert bench.main(["--smoke", "--part", "texture", "--out-dir", str(tmp_path)]) == 0
    tex = load_results(tmp_path / "knitwork_texture.csv")
    assert [r["sigma"] for r in tex.rows] == [0.5, 1.0, 2.0, 5.0, 10.0]
    assert {r["image"] for r in tex.rows} == {"gravel"}


def test_bad_arguments_are_named(capsys):
    bench = _load()
    with pytest.raises(SystemExit):
        bench.main(["--images", "no_such_image"])
    assert "unknown images" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--part", "everything"])
    assert "--part" in capsys.readouterr().err
