"""scripts/oinr_paper.py runs end to end (smoke mode) and writes both tables' files."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_oinr_paper_script_smoke(tmp_path):
    out = tmp_path / "t.md"
    res = subprocess.run([sys.executable, "scripts/oinr_paper.py", "--smoke", "--tables", "1", "--out", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    text = out.read_text()
    assert "Table 1" in text and "| coffee" in text and "32.04" in text      # ours beside the paper's O-INR number
    rows = out.with_suffix(".csv").read_text().splitlines()
    assert len(rows) == 1 + 2 * 4                                          # 2 images x 4 models
