"""The paper-tier script runs end to end (smoke mode) and writes its table."""

import csv
import math
import pathlib

import torch
from scripts_loader import load_script

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_paper():
    return load_script("linr_paper")


def test_smoke_run_writes_every_task_and_baseline(tmp_path):
    out = tmp_path / "linr.md"
    mod = load_paper()
    assert (
        mod.main(["--smoke", "--quiet", "--images", "camera", "astronaut", "--out", str(out)]) == 0
    )
    rows = list(csv.DictReader(open(out.with_suffix(".csv"))))
    methods = {(r["task"], r["method"]) for r in rows}
    for want in [
        ("denoise", "TV (weight 0.1)"),
        ("sr", "bicubic x4"),
        ("sr", "LINR x4"),
        ("inpaint", "biharmonic"),
        ("deblur", "Richardson-Lucy (30 it.)"),
        ("ablation", "ReLU"),
        ("joint", "LINR, noisy image only"),
        ("joint", "LINR joint, L_LR + 0.1 L_noisy"),
        ("denoise", "LINR, discrepancy stop (ours, not the paper's)"),
    ]:
        assert want in methods
    assert {r["image"] for r in rows} == {"camera", "astronaut", "grace_hopper"}
    # the octaves are swept on the validation image only; each test image gets the chosen L
    val = [r["method"] for r in rows if r["image"] == "grace_hopper"]
    assert sum("positional" in m for m in val) == len(mod.OCTAVES)
    test_pe = [r["method"] for r in rows if r["image"] == "camera" and "positional" in r["method"]]
    assert len(test_pe) == 1 and "chosen on the validation image" in test_pe[0]
    assert all(0 < float(r["psnr"]) < 100 for r in rows)
    table = out.read_text()
    assert "| paper |" in table and "Table 2: 28.60" in table
    deblur = [r for r in rows if r["task"] == "deblur"]
    assert all(0 < float(r["psnr_y"]) < 100 for r in deblur)


def test_the_script_runs_the_papers_network():
    mod = load_paper()
    net = mod.paper_siren(3, mod.linr.TASKS["sr"], seed=0)
    assert sum(p.numel() for p in net.parameters()) == 396_291 and net.net.config["layers"] == 7


def test_psnr_y_is_the_official_y_channel_metric():
    mod = load_paper()
    clean, brighter = torch.full((3, 8, 8), 100 / 255), torch.full((3, 8, 8), 110 / 255)
    # 8-bit grey 100 -> Y = 219 * 100 / 255 + 16 = 101.9 -> 102; grey 110 -> 110.5 -> 110: 8 levels
    # apart
    assert abs(mod.psnr_y(brighter, clean) - 20 * math.log10(255 / 8)) < 1e-9
    assert (
        abs(mod.psnr_y(brighter[:1], clean[:1]) - 20 * math.log10(255 / 10)) < 1e-9
    )  # grey: no conversion
