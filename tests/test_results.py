"""Cached evidence (docs/results/*.csv): the reader and writer, every committed file parses, the
parameter-density helpers, and scripts/oinr_density.py end to end in its smoke mode."""

import math
import pathlib

import pytest
import torch
from scripts_loader import load_script

from inrutils.data import RESULTS_DIR, curve_text, load_results, parse_curve, save_results
from inrutils.models import Siren, budget_for, count_params, params_per_value

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_save_then_load_keeps_rows_types_and_header(tmp_path):
    rows = [
        dict(model="SIREN", seed=0, final=31.25, curve="100:20.1;200:25.3"),
        dict(model="O-INR", seed=1, final=24.5, curve="100:18.0"),
    ]
    path = save_results(tmp_path / "t.csv", rows, "python scripts/x.py --flag", 95.0, device="cpu")
    got = load_results(path)
    assert got.rows == rows  # ints stay ints, floats floats, text text
    assert got.meta["command"] == "python scripts/x.py --flag"
    assert got.meta["cpu_minutes"] == "1.6" and got.meta["device"] == "cpu"
    assert len(got.meta["commit"]) >= 4
    assert got.where(model="O-INR") == [rows[1]] and got.where(model="MFN") == []
    assert got.label() == "computed by `python scripts/x.py --flag`, 1.6 CPU-minutes"


def test_a_csv_without_its_header_lines_is_refused(tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("a,b\n1,2\n")
    with pytest.raises(ValueError, match=r"lacks the header line\(s\) # command: \.\.\."):
        load_results(path)
    path.write_text("# command: python x.py\n# commit: abc\n# cpu_minutes: 1\na,b\n")
    with pytest.raises(ValueError, match="no rows; re-run: python x.py"):
        load_results(path)
    with pytest.raises(ValueError, match="rows is empty"):
        save_results(tmp_path / "e.csv", [], "cmd", 1.0)


def test_an_unknown_name_lists_the_cached_results():
    with pytest.raises(FileNotFoundError, match="cached results: .*benchmark"):
        load_results("no_such_table")


@pytest.mark.parametrize("path", sorted(RESULTS_DIR.glob("*.csv")), ids=lambda p: p.name)
def test_every_cached_csv_parses_and_says_how_it_was_made(path):
    table = load_results(path.stem)
    assert table.rows and table.meta["command"].startswith("python scripts/")
    assert float(table.meta["cpu_minutes"]) > 0


def test_parameter_density_on_known_shapes():
    # O-INR's Table 1: widths (64, 128, 64) give 172,224 parameters for a 400x600 RGB image
    assert params_per_value(172_224, (3, 400, 600)) == pytest.approx(0.2392)
    assert budget_for(0.24, (3, 60, 90)) == 3888 and budget_for(0.24, (3, 400, 600)) == 172_800
    net = Siren(2, 1, hidden=16, layers=2)
    assert params_per_value(net, (1, 8, 8)) == count_params(net) / 64
    assert params_per_value(net, torch.Size([1, 8, 8])) == count_params(net) / 64
    assert math.isclose(params_per_value(budget_for(0.5, (3, 10, 10)), (3, 10, 10)), 0.5)


@pytest.mark.parametrize(
    "call,match",
    [
        (lambda: params_per_value(100, (3, 0, 5)), "shape must be"),
        (lambda: params_per_value("net", (3, 4, 5)), "model must be an nn.Module"),
        (lambda: budget_for(0, (3, 4, 5)), "density must be a positive"),
        (lambda: budget_for(0.2, 12), "shape must be"),
    ],
)
def test_parameter_density_bad_input(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def _density_script():
    return load_script("oinr_density")


def test_oinr_density_script_smoke(tmp_path):
    """Every part in smoke mode; table1 uses the sweep's choice; merge adds the CPU minutes."""
    mod = _density_script()
    sweep, t1 = tmp_path / "sweep.csv", tmp_path / "t1.csv"
    assert mod.main(["sweep", "--smoke", "--models", "MFN", "O-INR", "--out", str(sweep)]) == 0
    chosen = mod.chosen_lrs(str(sweep))
    assert set(chosen) == {"MFN", "O-INR"}
    args = ["table1", "--smoke", "--models", "O-INR", "--images", "coffee"]
    assert mod.main([*args, "--sweep-csv", str(sweep), "--out", str(t1)]) == 0
    rows = load_results(t1).rows
    assert [r["seed"] for r in rows] == [0, 1] and {r["lr"] for r in rows} == {chosen["O-INR"]}
    steps, values = parse_curve(rows[0]["curve"])
    assert steps[-1] == 5 and values[-1] == pytest.approx(rows[0]["final"], abs=1e-3)
    op = tmp_path / "op.csv"
    assert mod.main(["operator", "--smoke", "--kernels", "1", "--out", str(op)]) == 0
    assert {r["part"] for r in load_results(op).rows} == {"operator-sweep", "operator"}
    dn = tmp_path / "dn.csv"
    args = ["denoise", "--smoke", "--models", "SIREN", "--images", "rocket", "--seeds", "0"]
    assert mod.main([*args, "--out", str(dn)]) == 0
    test_rows = load_results(dn).where(part="denoise")
    assert len(test_rows) == 1 and 1 <= test_rows[0]["stop"] <= 5
    merged = tmp_path / "m.csv"
    assert mod.main(["merge", "--out", str(merged), str(sweep), str(t1)]) == 0
    m = load_results(merged)
    assert len(m.rows) == len(load_results(sweep).rows) + 2 and " && " in m.meta["command"]


def test_curve_text_round_trip():
    values = [10.0 + k for k in range(25)]
    text = curve_text(values, 10)
    assert text == "10:19.000;20:29.000;25:34.000"
    assert parse_curve(text) == ([10, 20, 25], [19.0, 29.0, 34.0])
    with pytest.raises(ValueError, match="every must be a positive integer"):
        curve_text(values, 0)


def test_one_row_or_a_clear_error(tmp_path):
    rows = [dict(task="sr", image=n, psnr=p) for n, p in [("camera", 25.6), ("chelsea", 25.8)]]
    res = load_results(save_results(tmp_path / "r.csv", rows, "python make.py", 6.0))
    assert res.one(image="chelsea")["psnr"] == 25.8
    with pytest.raises(ValueError, match=r"2 rows match \{'task': 'sr'\}.*`python make.py`"):
        res.one(task="sr")
    with pytest.raises(ValueError, match="0 rows match"):
        res.one(image="astronaut")


def test_linr_scale_script_smoke(tmp_path):
    """scripts/linr_scale.py writes tables that load_results reads, with notebook 05's rows."""
    mod = load_script("linr_scale")
    assert mod.main(["--part", "octaves", "--smoke", "--out-dir", str(tmp_path)]) == 0
    res = load_results(tmp_path / "linr_octaves.csv")
    assert res.meta["command"] == "python scripts/linr_scale.py --part octaves --smoke"
    val = res.where(role="validation")
    assert {r["method"] for r in val} >= {"sine (SIREN)", "ReLU", "ReLU + PE L=4"}
    assert len(res.where(role="test")) == len(val) == 2 + len(mod.OCTAVES)
    assert all(0 < r["psnr"] < 100 for r in res.rows)
