import math

import pytest
import torch

from inrutils import compare, degrade
from inrutils.data import load_image
from inrutils.metrics import psnr, ssim
from inrutils.models import budget_for, count_params


def test_dominance_with_a_time_tolerance():
    assert compare.dominates((1.0, 22.0), (1.0, 20.0))
    assert not compare.dominates((1.0, 20.0), (1.0, 20.0))  # equal points: neither
    assert not compare.dominates((1.1, 22.0), (1.0, 20.0))  # slower, exact times
    assert compare.dominates((1.1, 22.0), (1.0, 20.0), time_tol=0.25)  # as fast within 25 %
    assert not compare.dominates((1.0, 22.0), (1.1, 22.0), time_tol=0.25)  # a tie within it
    assert compare.dominates((1.0, 22.0), (1.5, 22.0), time_tol=0.25)  # faster beyond it
    pts = {"fast": (0.01, 25.0), "good": (2.0, 30.0), "close": (1.8, 29.0), "slow": (5.0, 28.0)}
    assert compare.pareto_front(pts) == ["close", "fast", "good"]
    assert compare.pareto_front(pts, time_tol=0.25) == ["fast", "good"]
    with pytest.raises(ValueError, match="time_tol"):
        compare.pareto_front(pts, time_tol=-1)


def test_local_mean_fill_uses_the_ring_only():
    img = torch.zeros(1, 20, 20)
    img[:, :, 10:] = 1.0  # left half 0, right half 1
    mask = degrade.box_mask(20, 20, 0.04, center=(0.5, 0.5))  # a 4x4 hole around the centre
    filled = compare.local_mean_fill(degrade.apply_mask(img, mask), mask, band=2)
    hole = mask[0] == 0
    ring_mean = img[0][
        (torch.nn.functional.max_pool2d((~mask.bool()).float()[None], 5, 1, 2)[0, 0] > 0) & ~hole
    ].mean()
    assert torch.allclose(filled[0][hole], ring_mean.expand(int(hole.sum())))
    assert abs(float(ring_mean) - 0.5) < 1e-6  # the ring straddles the edge symmetrically
    assert torch.equal(filled[0][~hole], img[0][~hole])
    with pytest.raises(ValueError, match="band"):
        compare.local_mean_fill(img, mask, band=0)


def test_ssim_on_a_region():
    gen = torch.Generator().manual_seed(0)
    a = torch.rand(1, 32, 32, generator=gen)
    b = (a + 0.1 * torch.randn(1, 32, 32, generator=gen)).clamp(0, 1)
    everywhere = torch.ones(32, 32, dtype=torch.bool)
    assert ssim(b, a, mask=everywhere) == pytest.approx(ssim(b, a), abs=2e-3)
    region = torch.zeros(32, 32, dtype=torch.bool)
    region[8:20, 8:20] = True
    c = b.clone()
    c[:, 4:24, 4:24] = a[:, 4:24, 4:24]  # exact around the region (the 7x7 windows included)
    assert ssim(c, a, mask=region) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(ValueError, match="mask"):
        ssim(b, a, mask=torch.ones(8, 8, dtype=torch.bool))


def test_representers_meet_the_density():
    img = torch.zeros(1, 64, 64)
    for density in (0.5, 0.24):
        budget = budget_for(density, img.shape)
        for name in compare.REPRESENTERS:
            n = count_params(compare.representer(name, 1, 64, 64, budget, sigma=2.0, n_features=16))
            # all but O-INR (coarse widths) within 6 % of the budget
            assert abs(n - budget) / budget < (0.75 if name == "O-INR" else 0.06), (name, n)
    ff = compare.representer("ReLU + Fourier features", 1, 64, 64, 2048, sigma=4.0, n_features=16)
    assert (ff.encoding.n_features, ff.encoding.sigma) == (16, 4.0)
    siren = compare.representer("SIREN", 1, 64, 64, 2048, w0=15.0)
    assert siren.config["w0"] == 15.0
    with pytest.raises(ValueError, match="name must be one of"):
        compare.representer("ReLU", 1, 64, 64, 2048)
    with pytest.raises(ValueError, match="'lr'"):
        compare.fit_representer("SIREN", img, 2048, 2)


def test_selection_and_its_settings():
    val = load_image("grace_hopper", 16, gray=True)
    grid = dict(compare.REP_GRID)
    rows = compare.select_representation(val, [0.5], 2, names=("SIREN", "MFN"), log=None)
    assert len(rows) == len(compare.grid_points("SIREN")) + len(compare.grid_points("MFN"))
    for name in ("SIREN", "MFN"):
        mine = [r for r in rows if r["method"] == name]
        assert sum(r["chosen"] for r in mine) == 1
        best = max(mine, key=lambda r: r["psnr"])
        assert best["chosen"] == 1
    settings = compare.chosen_settings(rows, 0.5)
    assert set(settings) == {"SIREN", "MFN"} and "w0" in settings["SIREN"]
    assert compare.REP_GRID == grid
    with pytest.raises(ValueError, match="density"):
        compare.chosen_settings(rows, 0.24)


def test_cached_selection_covers_every_method_and_density():
    from inrutils.data import load_results

    rows = load_results("compare_select").rows
    for density in (0.5, 0.24):
        settings = compare.chosen_settings(rows, density)
        assert set(settings) == set(compare.REPRESENTERS)
        for name in compare.REPRESENTERS:
            assert len([r for r in rows if r["method"] == name and r["density"] == density]) == len(
                compare.grid_points(name)
            )


def test_inpainting_rows_and_floors():
    clean = load_image("brick", 32, gray=True)
    mask = degrade.box_mask(32, 32, 0.035)
    rows, outs = compare.run_inpainting(clean, mask, linr_steps=1, knit_steps=1)
    names = [r["method"] for r in rows]
    assert names == [
        "left black (floor)",
        "local mean (floor)",
        "biharmonic",
        "exemplar copy",
        "LINR",
        "Knitwork",
    ]
    hole = ~mask[0].bool()
    black = rows[0]
    assert black["psnr"] == pytest.approx(psnr(torch.zeros_like(clean), clean, mask=hole))
    assert black["ssim"] == pytest.approx(ssim(outs["left black (floor)"], clean, mask=hole))
    assert all(math.isfinite(r["psnr"]) and r["seconds"] >= 0 for r in rows)


def test_summarise_mean_and_std():
    rows = [dict(task="t", method="m", psnr=p, ssim=0.5, params=3, seconds=1.0) for p in (1, 2, 3)]
    (s,) = compare.summarise(rows)
    assert s["n"] == 3 and s["psnr"] == 2.0 and s["psnr_std"] == pytest.approx(1.0)


def test_settings_are_the_method_notebooks_choices():
    from inrutils.data import load_results

    sel = load_results("knitwork_select").one(
        task="inpaint", model="knitwork", sigma_n="", chosen=1
    )
    assert (compare.KNITWORK["lr"], compare.KNITWORK["alpha"]) == (sel["lr"], sel["alpha"])
    assert "-".join(map(str, compare.KNITWORK["dilations"])) == sel["dilations"]
    assert compare.knitwork_sigma("inpaint") == sel["sigma"]
    rows = load_results("oinr_denoise").where(part="denoise-validation", model="O-INR")
    best = max(rows, key=lambda r: r["at_stop"])
    assert compare.OINR_DENOISE["lr"] == best["lr"]
    assert best["stop"] > compare.OINR_DENOISE["steps"]  # the chosen stop: the last step
    assert compare.LINR["layers"] == 7 and compare.LINR["lr"] == 1e-4


def test_exemplar_fill_copies_a_periodic_texture_exactly():
    yy, xx = torch.meshgrid(torch.arange(40.0), torch.arange(40.0), indexing="ij")
    img = (0.5 + 0.4 * torch.sin(2 * torch.pi * xx / 8) * torch.cos(2 * torch.pi * yy / 8))[None]
    mask = degrade.box_mask(40, 40, 0.04)
    out = compare.exemplar_fill(degrade.apply_mask(img, mask), mask)
    assert torch.allclose(out, img, atol=1e-6)  # the period divides the offsets: an exact copy
    mean = compare.local_mean_fill(degrade.apply_mask(img, mask), mask)
    hole = ~mask[0].bool()
    assert psnr(out, img, mask=hole) > psnr(mean, img, mask=hole) + 20
    with pytest.raises(ValueError, match="band"):
        compare.exemplar_fill(img, mask, band=0)
    with pytest.raises(ValueError, match="no fully observed window"):
        big = degrade.box_mask(40, 40, 0.6)
        compare.exemplar_fill(degrade.apply_mask(img, big), big)


def test_classical_storage_at_the_budget():
    img = load_image("camera", 64, gray=True)
    out, kept = compare.fewer_pixels(img, 2048)
    assert kept == 45 * 45 and out.shape == img.shape  # 2,025 values, the square nearest 2,048
    dec, size, q = compare.jpeg(img, 983)
    assert size <= 983 and 1 <= q <= 95 and dec.shape == img.shape
    assert psnr(dec, img) > 25  # a real image, decoded
    dec_hi, size_hi, q_hi = compare.jpeg(img, 4000)
    assert q_hi >= q and size_hi >= size
    with pytest.raises(ValueError, match="values"):
        compare.fewer_pixels(img, 0)


def test_inpainting_keeps_the_observed_pixels():
    clean = load_image("brick", 32, gray=True)
    mask = degrade.box_mask(32, 32, 0.035)
    rows, outs = compare.run_inpainting(clean, mask, linr_steps=1, knit_steps=1)
    seen = mask[0].bool()
    for name, out in outs.items():
        assert torch.equal(out[0][seen], clean[0][seen]), name
    fitted = [r for r in rows if r["method"] in ("LINR", "Knitwork")]
    assert all(isinstance(r["visible"], float) for r in fitted)
