import pathlib

import pytest
from scripts_loader import load_script

from inrutils.data import load_results

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _load():
    return load_script("benchmark")


def test_smoke_writes_every_task_and_method(tmp_path):
    bench = _load()
    out = tmp_path / "benchmark.md"
    assert bench.main(["--smoke", "--out", str(out)]) == 0
    text = out.read_text()
    for task in bench.TASKS:
        assert f"| {task} |" in text
    for method in (
        "SIREN",
        "WIRE",
        "MFN",
        "O-INR",
        "ReLU + Fourier features",
        "LINR",
        "Knitwork",
        "TV",
        "NLM",
        "LIIF (pretrained)",
        "bicubic",
        "biharmonic",
    ):
        assert f"| {method} |" in text, method
    table = load_results(tmp_path / "benchmark.csv")
    assert len(table.rows) == 5 + 5 + 3 + 3
    assert table.meta["command"].startswith("python scripts/benchmark.py --smoke")


def test_bad_arguments_are_named(capsys):
    bench = _load()
    with pytest.raises(SystemExit):
        bench.main(["--images", "no_such_image"])
    assert "unknown images" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        bench.main(["--size", "30"])
    assert "--size" in capsys.readouterr().err
