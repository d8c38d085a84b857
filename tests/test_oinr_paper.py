"""scripts/oinr_paper.py runs end to end (smoke mode) and writes both tables' files."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_oinr_paper_script_smoke(tmp_path):
    out = tmp_path / "t.md"
    res = subprocess.run(
        [sys.executable, "scripts/oinr_paper.py", "--smoke", "--tables", "1", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    text = out.read_text()
    assert (
        "Table 1" in text and "| coffee" in text and "32.04" in text
    )  # ours beside the paper's O-INR number
    rows = out.with_suffix(".csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 4  # 2 images x 4 models


def test_oinr_paper_script_learning_rates(tmp_path):
    out = tmp_path / "t.md"
    res = subprocess.run(
        [
            sys.executable,
            "scripts/oinr_paper.py",
            "--smoke",
            "--tables",
            "1",
            "--out",
            str(out),
            "--lr",
            "O-INR=3e-2",
            "MFN=0.01",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    from inrutils.oinr import LEARNING_RATES

    siren, wire = (
        LEARNING_RATES["represent"]["SIREN"],
        LEARNING_RATES["represent"]["WIRE"],
    )  # the defaults
    assert (
        f"learning rates: SIREN {siren:g}, WIRE {wire:g}, MFN 0.01, O-INR 0.03" in out.read_text()
    )
    lrs = {
        line.split(",")[2]: float(line.split(",")[5])
        for line in out.with_suffix(".csv").read_text().splitlines()[1:]
    }
    assert lrs == {"SIREN": siren, "WIRE": wire, "MFN": 0.01, "O-INR": 0.03}


def test_oinr_paper_script_sweep_and_ablation_smoke(tmp_path):
    """--sweep (the validation run behind oinr.LEARNING_RATES) and --ablation write their tables."""
    for args, want in (
        (["--sweep", "--tasks", "denoise"], "| denoise | O-INR |"),
        (["--ablation"], "| centres |"),
    ):
        out = tmp_path / "s.md"
        res = subprocess.run(
            [sys.executable, "scripts/oinr_paper.py", "--smoke", "--out", str(out), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert res.returncode == 0, res.stderr[-2000:]
        assert want in out.read_text()


@pytest.mark.parametrize(
    "arg, match",
    [
        ("OINR=1e-3", "MODEL one of SIREN, WIRE, MFN, O-INR"),
        ("SIREN", "MODEL one of"),
        ("SIREN=-1", "positive finite"),
        ("SIREN=abc", "positive finite"),
        ("SIREN=nan", "positive finite"),
    ],
)
def test_oinr_paper_script_bad_learning_rate(tmp_path, arg, match):
    res = subprocess.run(
        [
            sys.executable,
            "scripts/oinr_paper.py",
            "--smoke",
            "--out",
            str(tmp_path / "t.md"),
            "--lr",
            arg,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 2 and match in res.stderr, res.stderr[-500:]


def test_oinr_paper_table2_oracle_is_never_below_the_fixed_step(tmp_path):
    """Table 2 reports the fixed last step and the best step ("oracle"); the oracle includes the
    last step."""
    import csv

    out = tmp_path / "t2.md"
    res = subprocess.run(
        [sys.executable, "scripts/oinr_paper.py", "--smoke", "--tables", "2", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr[-2000:]
    assert "oracle" in out.read_text()
    rows = list(csv.DictReader(out.with_suffix(".csv").open()))
    assert rows
    for row in rows:
        assert float(row["best"]) >= float(row["final"]) - 1e-9, row
        assert 0 <= int(row["best_step"]) <= int(row.get("steps", 10**9)), row
