"""The paper-tier script runs end to end (smoke mode) and writes its table."""
import csv
import importlib.util
import pathlib

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_script():
    spec = importlib.util.spec_from_file_location("linr_paper", ROOT / "scripts" / "linr_paper.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_smoke_run_writes_every_task_and_baseline(tmp_path):
    out = tmp_path / "linr.md"
    assert load_script().main(["--smoke", "--quiet", "--images", "camera", "astronaut", "--out", str(out)]) == 0
    rows = list(csv.DictReader(open(out.with_suffix(".csv"))))
    methods = {(r["task"], r["method"]) for r in rows}
    for want in [("denoise", "TV (weight 0.1)"), ("sr", "bicubic x4"), ("sr", "LINR x4"), ("inpaint", "biharmonic"),
                 ("deblur", "Richardson-Lucy (30 it.)"), ("ablation", "ReLU")]:
        assert want in methods
    assert {r["image"] for r in rows} == {"camera", "astronaut"}
    assert all(0 < float(r["psnr"]) < 100 for r in rows)
    table = out.read_text()
    assert "| paper (LINR, their baseline) |" in table and "28.60" in table
