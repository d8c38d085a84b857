"""scripts/knitwork_study.py: hyper-parameters are chosen on the validation image only, and every
part runs end to end (smoke mode) into a table that load_results reads."""

import pathlib

from scripts_loader import load_script

from inrutils.data import load_results

ROOT = pathlib.Path(__file__).resolve().parent.parent


def load_study():
    return load_script("knitwork_study")


def test_selection_sees_only_the_validation_image(tmp_path, monkeypatch):
    mod = load_study()
    seen = []
    real = mod.load_image

    def spy(name, *a, **kw):
        seen.append(name)
        return real(name, *a, **kw)

    monkeypatch.setattr(mod, "load_image", spy)
    rows = mod.select(mod.Study(smoke=True, out=tmp_path))
    assert set(seen) == {mod.VALIDATION} and mod.VALIDATION not in mod.TEST_IMAGES
    # exactly one choice per task, model and noise level, the best of its candidates
    groups = {}
    for r in rows:
        groups.setdefault((r["task"], r["model"], r["sigma_n"]), []).append(r)
    assert len(groups) == 2 + 2 * len(mod.LEVELS) + 3
    # the inpainting search covers lr and alpha too, at the best sigma and dilations
    knit = groups[("inpaint", "knitwork", "")]
    assert {(r["lr"], r["alpha"]) for r in knit} == {(a, b) for a in mod.LRS for b in mod.ALPHAS}
    for cands in groups.values():
        (best,) = [r for r in cands if r["chosen"] == 1]
        assert best["psnr"] == max(r["psnr"] for r in cands)


def test_smoke_run_writes_tables_that_load(tmp_path):
    mod = load_study()
    mod.main(["--part", "select", "ablation", "sr", "--smoke", "--out", str(tmp_path)])
    abl = load_results(tmp_path / "knitwork_ablation.csv")
    methods = {r["method"] for r in abl.rows}
    assert {"plain MLP", "full", "patches only", "no pixel loss", "biharmonic"} <= methods
    sr = load_results(tmp_path / "knitwork_sr.csv")
    assert {"official kernel", "official kernel, gamma 0", "true kernel (oracle)"} <= {
        r["method"] for r in sr.rows
    }
    assert sr.meta["command"].startswith("python scripts/knitwork_study.py --part sr")
