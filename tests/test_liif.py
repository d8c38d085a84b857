"""LIIF: coordinate/cell conventions, the local ensemble's continuity, exact output sizes,
checkpoints, errors."""

import re
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from scripts_loader import load_script

from inrutils import liif
from inrutils.coords import grid

ROOT = Path(__file__).resolve().parent.parent


def tiny(**switches):
    torch.manual_seed(0)
    return liif.LIIF(channels=1, n_resblocks=1, n_feats=8, hidden=32, layers=3, **switches).eval()


def test_query_shapes_and_nearest_code_offsets():
    m = tiny(local_ensemble=False, feat_unfold=False, cell_decode=False)
    seen = {}
    m.decoder.register_forward_hook(
        lambda mod, inp, out: seen.update(inp=inp[0])
    )  # returns None: output kept
    lr = torch.rand(1, 1, 4, 6)
    feat = m.encode(lr)
    coord = grid(4, 6)[None]  # exactly the LR pixel centres
    out = m.query(feat, coord)
    assert out.shape == (1, 24, 1)
    rel = seen["inp"][0, :, -2:]
    assert rel.abs().max() < 1e-5  # each centre decodes from its own code with zero offset
    codes = seen["inp"][0, :, :-2]
    assert torch.allclose(
        codes, feat[0].flatten(1).T, atol=1e-6
    )  # and that code is the pixel's own (row-major, (y, x))


def test_local_ensemble_weights_sum_to_one_and_reproduce_a_constant_decoder():
    m = tiny()
    with torch.no_grad():  # decoder = constant 0.3 (after the 0.5 offset/scale)
        for layer in m.decoder:
            if isinstance(layer, torch.nn.Linear):
                layer.weight.zero_()
        m.decoder[-1].bias.fill_((0.3 - 0.5) / 0.5)
    out = liif.upsample(m, torch.rand(1, 5, 5), scale=3.3)
    assert torch.allclose(out, torch.full_like(out, 0.3), atol=1e-5)


def _boundary_jumps(model):
    """Largest jump between neighbouring samples across LR code-cell borders vs inside cells, along
    one row."""
    torch.manual_seed(1)
    lr = torch.rand(1, 1, 8, 8)
    n = 800
    xs = torch.linspace(-0.99, 0.99, n)
    coord = torch.stack([torch.full((n,), 0.1), xs], -1)[None]
    cell = liif.cell_for(8 * 100, 8 * 100, n)[None]
    with torch.no_grad():
        v = model.query(model.encode(lr), coord, cell)[0, :, 0]
    d = (v[1:] - v[:-1]).abs()
    cell_index = ((xs + 1) / 2 * 8).floor()
    crosses = cell_index[1:] != cell_index[:-1]
    return float(d[crosses].max()), float(d[~crosses].median())


def test_local_ensemble_removes_the_seams():
    full = tiny()
    nearest = tiny(local_ensemble=False)
    nearest.load_state_dict(full.state_dict())  # same weights: the switch is the only difference
    jump_e, typical_e = _boundary_jumps(full)
    jump_n, typical_n = _boundary_jumps(nearest)
    assert jump_n > 20 * typical_n  # nearest code: a step at every cell border
    assert jump_e < 5 * typical_e  # local ensemble: continuous
    assert jump_n > 5 * jump_e


@pytest.mark.parametrize("scale, hw", [(2.37, (5, 7)), (1.0, (9, 4)), (0.5, (8, 8)), (30, (3, 2))])
def test_upsample_size_is_exact_for_any_scale(scale, hw):
    img = torch.rand(1, *hw)
    out = liif.upsample(tiny(), img, scale=scale)
    assert out.shape == (1, max(1, round(hw[0] * scale)), max(1, round(hw[1] * scale)))
    assert out.min() >= 0 and out.max() <= 1
    assert liif.upsample(tiny(), img, size=(11, 13)).shape == (1, 11, 13)
    assert liif.upsample(tiny(), torch.rand(3, 4, 4), scale=2).shape == (3, 8, 8)  # per channel


def test_chunking_does_not_change_the_output():
    img = torch.rand(1, 6, 6)
    m = tiny()
    assert torch.allclose(
        liif.upsample(m, img, scale=3, chunk=50), liif.upsample(m, img, scale=3), atol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(scale=0), "scale must be a finite real number > 0"),
        (dict(scale=float("nan")), "scale must be a finite real number > 0"),
        (dict(scale=-2), "scale must be a finite real number > 0"),
        (dict(), "exactly one of scale"),
        (dict(scale=2, size=8), "exactly one of scale"),
        (dict(size=(0, 4)), "size must be"),
    ],
)
def test_upsample_bad_scale(kwargs, match):
    with pytest.raises(ValueError, match=match):
        liif.upsample(tiny(), torch.rand(1, 4, 4), **kwargs)


def test_upsample_bad_image():
    with pytest.raises(ValueError, match=r"\(C, H, W\)"):
        liif.upsample(tiny(), torch.rand(4, 4), scale=2)
    with pytest.raises(ValueError, match=r"\[0, 1\].*255"):
        liif.upsample(tiny(), torch.rand(1, 4, 4) * 255, scale=2)
    with pytest.raises(ValueError, match="2 channels"):
        liif.upsample(tiny(), torch.rand(2, 4, 4), scale=2)


def test_checkpoint_roundtrip_and_switch_mismatch(tmp_path):
    m = tiny(cell_decode=False)
    liif.save(m, tmp_path / "m.pt", note="x")
    back = liif.load(tmp_path / "m.pt")
    img = torch.rand(1, 5, 5)
    assert torch.equal(liif.upsample(back, img, scale=2), liif.upsample(m, img, scale=2))
    assert back.checkpoint_meta == {"note": "x"}
    with pytest.raises(ValueError, match="cell_decode: checkpoint False, wanted True"):
        liif.load(tmp_path / "m.pt", cell_decode=True)
    with pytest.raises(ValueError, match="local_ensemble: checkpoint True, wanted False"):
        liif.load(tmp_path / "m.pt", model=tiny(local_ensemble=False, cell_decode=False))
    with pytest.raises(ValueError, match="unknown LIIF setting"):
        liif.load(tmp_path / "m.pt", colour=True)
    with pytest.raises(FileNotFoundError, match="data/README"):
        liif.load(tmp_path / "none.pt")
    with pytest.raises(ValueError, match="unknown pretrained"):
        liif.pretrained("gpu")


def test_training_never_sees_held_out_images_and_batches_are_consistent():
    with pytest.raises(ValueError, match="held out"):
        liif.training_images(("brick", "camera"))
    imgs = liif.training_images(("brick", "coins"))
    g = torch.Generator().manual_seed(0)
    b = liif.sample_batch(imgs, 3, 10, 20, generator=g)
    assert (
        b.lr.shape == (3, 1, 10, 10)
        and b.coord.shape == (3, 20, 2)
        and b.target.shape == (3, 20, 1)
    )
    assert b.coord.abs().max() < 1 and (b.cell > 0).all() and (b.cell <= 0.2 + 1e-6).all()
    b2 = liif.sample_batch(imgs, 3, 10, 20, generator=torch.Generator().manual_seed(0))
    assert torch.equal(b.lr, b2.lr) and torch.equal(b.target, b2.target)  # seeded, reproducible


def test_downscale_matches_the_course_bicubic_operator():
    from inrutils.degrade import downsample

    img = torch.rand(1, 24, 24)
    assert torch.allclose(
        liif.downscale(img, (8, 8)), downsample(img, 3, "bicubic").clamp(0, 1), atol=1e-6
    )


def test_train_script_runs_single_and_under_ddp(tmp_path):
    """The training script on one process, and unchanged under torchrun with 2 gloo processes (in
    sync)."""
    out = subprocess.run(
        [
            sys.executable,
            "scripts/train_liif.py",
            "--preset",
            "smoke",
            "--out",
            str(tmp_path / "a.pt"),
            "--no-eval",
            "--threads",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert liif.load(tmp_path / "a.pt").checkpoint_meta["world_size"] == 1
    import socket

    with (
        socket.socket() as sock
    ):  # a free port: a fixed one can still be held (TIME_WAIT) by a recent run
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            f"--master_port={port}",
            "scripts/train_liif.py",
            "--preset",
            "smoke",
            "--out",
            str(tmp_path / "b.pt"),
            "--no-eval",
            "--threads",
            "1",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, (out.stdout[-1000:], out.stderr[-2000:])
    # the two processes share stdout, so their lines can interleave: find the checksums anywhere in
    # it
    sums = re.findall(r"rank \d/2: parameter checksum (\S+?e[+-]\d+)", out.stdout)
    assert len(sums) == 2 and sums[0] == sums[1], out.stdout  # DDP kept both replicas identical
    assert liif.load(tmp_path / "b.pt").checkpoint_meta["world_size"] == 2


@pytest.mark.skipif(not liif.PRETRAINED["cpu"].is_file(), reason="checkpoint not built yet")
def test_shipped_checkpoint_beats_bicubic_on_a_held_out_image():
    import torch.nn.functional as F

    from inrutils.data import load_image

    model = liif.pretrained("cpu")
    hr = load_image("camera", 96, gray=True)
    lr = liif.downscale(hr, (24, 24))
    bic = F.interpolate(lr[None], size=(96, 96), mode="bicubic", align_corners=False)[0].clamp(0, 1)
    assert liif.psnr_shaved(liif.upsample(model, lr, size=(96, 96)), hr, 4) > liif.psnr_shaved(
        bic, hr, 4
    )


def test_sample_batch_refuses_images_too_small_for_the_patch():
    with pytest.raises(ValueError, match="no training image is large enough"):
        liif.sample_batch([torch.rand(1, 40, 40)], 1, 48, 10)


# ---------------------------------------------------------------------------------------------
# Local-ensemble weights and the border degeneracy (issue 18)
# ---------------------------------------------------------------------------------------------


def _area_rule(rel):
    """The paper's Eq. 3 as the official code writes it: opposite areas (+ 1e-9), normalised."""
    areas = (rel[..., 0] * rel[..., 1]).abs() + 1e-9
    return areas.flip(-1) / areas.sum(-1, keepdim=True)


def test_ensemble_weights_equal_the_opposite_area_rule_inside_the_grid():
    g = torch.Generator().manual_seed(3)
    t = torch.rand(500, 2, generator=g) * 2  # queries in the square of four codes
    codes = torch.tensor([[0.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 2.0]])
    rel = t[:, None] - codes
    w = liif.ensemble_weights(rel)
    assert w.shape == (500, 4)
    assert torch.allclose(w, _area_rule(rel), atol=1e-6)
    assert torch.allclose(w.sum(-1), torch.ones(500), atol=1e-6)
    # bilinear: the weight of the up-left code is (1 - y/2)(1 - x/2)
    assert torch.allclose(w[:, 0], (1 - t[:, 0] / 2) * (1 - t[:, 1] / 2), atol=1e-6)
    with pytest.raises(ValueError, match=r"\(\.\.\., 4, 2\)"):
        liif.ensemble_weights(torch.zeros(4, 3))


def test_ensemble_weights_keep_interpolating_where_both_rows_clamp_onto_one_code():
    # the query sits exactly on the last code row: both vertical shifts give that code, rel_y = 0
    # for all four
    rel = torch.tensor([[0.0, 0.5], [0.0, -1.5], [0.0, 0.5], [0.0, -1.5]])
    w = liif.ensemble_weights(rel)
    assert torch.allclose(
        _area_rule(rel), torch.full((4,), 0.25)
    )  # the area rule degenerates to uniform
    assert torch.allclose(
        w, torch.tensor([0.375, 0.125, 0.375, 0.125]), atol=1e-6
    )  # x stays linear (3/4, 1/4)


@pytest.mark.skipif(not liif.PRETRAINED["cpu"].is_file(), reason="checkpoint not built yet")
def test_upsample_x3_is_continuous_at_every_pixel():
    """At odd integer scales HR rows/columns fall exactly on LR code centres; row H-2 used to lose
    interpolation.

    A continuous output changes in proportion to the shift (|I(x) - I(x - d)| ~ slope * d); a step
    does not. So besides the issue's bound (< 1e-3 for d = 1e-5) the jump for d = 1e-5 must be at
    most 0.2x the jump for d = 1e-4 at every pixel (ratio 0.1 for a slope; about 1 for a step of any
    size above float32 noise). The official area rule fails both (0.10 at row H - 2 for either
    shift).
    """
    from inrutils.data import load_image

    model = liif.pretrained("cpu")
    hr = load_image("camera", gray=True)[:, 100:190, 200:290]
    lr = liif.downscale(hr, (30, 30))
    up = liif.upsample(model, lr, scale=3)
    with torch.no_grad():
        feat = model.encode(lr[None])
        coord = grid(90, 90)[None]
        cell = liif.cell_for(90, 90, coord.shape[1])[None]
        here = model.query(feat, coord, cell)[0, :, 0].view(90, 90)
        jump = {
            d: (here - model.query(feat, coord - d, cell)[0, :, 0].view(90, 90)).abs()
            for d in (1e-4, 1e-5)
        }
    assert torch.allclose(
        up[0], here.clamp(0, 1), atol=1e-6
    )  # upsample decodes exactly these queries
    assert float(jump[1e-5].max()) < 1e-3
    excess = jump[1e-5] - 0.2 * jump[1e-4]
    assert float(excess.max()) < 1e-5, f"a step at pixel {divmod(int(excess.argmax()), 90)}"


@pytest.mark.skipif(not liif.PRETRAINED["cpu"].is_file(), reason="checkpoint not built yet")
def test_continuity_test_catches_the_official_border_step(monkeypatch):
    """The check above fails with the official weights (areas + 1e-9), so it can see the step it
    guards against."""
    from inrutils.data import load_image

    def area_rule(rel, eps=1e-9):
        return _area_rule(rel)

    model = liif.pretrained("cpu")
    lr = liif.downscale(load_image("camera", gray=True)[:, 100:190, 200:290], (30, 30))
    monkeypatch.setattr(liif, "ensemble_weights", area_rule)
    with torch.no_grad():
        feat = model.encode(lr[None])
        coord = grid(90, 90)[None]
        cell = liif.cell_for(90, 90, coord.shape[1])[None]
        here = model.query(feat, coord, cell)[0, :, 0].view(90, 90)
        jump = {
            d: (here - model.query(feat, coord - d, cell)[0, :, 0].view(90, 90)).abs()
            for d in (1e-4, 1e-5)
        }
    excess = jump[1e-5] - 0.2 * jump[1e-4]
    assert float(excess.max()) > 1e-2 and int(excess.amax(1).argmax()) == 88  # row H - 2


# ---------------------------------------------------------------------------------------------
# Evaluation on native crops
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [360, None])
def test_every_evaluation_hr_image_is_a_slice_of_the_stored_image(size):
    from inrutils.data import load_image

    for name in liif.HELD_OUT:
        stored = load_image(name, gray=True)
        for s in (2, 3, 4, 6, 12, 18, 30):
            pair = liif.eval_pair(name, s, size=size)
            h, w = pair.hr.shape[1:]
            y0, x0 = pair.box
            assert h % s == 0 and w % s == 0
            assert torch.equal(pair.hr, stored[:, y0 : y0 + h, x0 : x0 + w]), (name, s)
            assert pair.lr.shape[1:] == (h // s, w // s)
            if size is not None:
                assert h > min(size, stored.shape[1]) - s and w > min(size, stored.shape[2]) - s
            else:
                assert (y0, x0) == (
                    0,
                    0,
                )  # whole image, cut at bottom/right as in the official code


def test_eval_pair_rgb_and_bad_arguments():
    pair = liif.eval_pair("chelsea", 3.5, size=(100, 120), gray=False)
    assert pair.hr.shape == (3, 98, 119) and pair.lr.shape == (
        3,
        28,
        34,
    )  # floor(100 / 3.5) = 28, round(28 * 3.5) = 98
    with pytest.raises(ValueError, match="scale must be"):
        liif.eval_pair("camera", 0.5)
    with pytest.raises(ValueError, match="smaller than one LR pixel"):
        liif.eval_pair("camera", 30, size=20)
    with pytest.raises(ValueError, match="size must be"):
        liif.eval_pair("camera", 2, size=(0, 3))
    assert (
        liif.shave_for(4) == 4 and liif.shave_for(4, "scale+6") == 10 and liif.shave_for(3.5) == 4
    )
    assert liif.shave_for(2, 0) == 0
    with pytest.raises(ValueError, match="'scale', 'scale\\+6'"):
        liif.shave_for(2, "div2k")


def test_evaluate_rows():
    rows = liif.evaluate(tiny(), scales=(2, 3), names=("camera", "coffee"), size=24)
    assert [(r["scale"], r["image"]) for r in rows] == [
        (2, "camera"),
        (2, "coffee"),
        (3, "camera"),
        (3, "coffee"),
    ]
    assert all(r["hr_size"] == (24, 24) for r in rows)
    assert all(5 < r["bicubic"] < 60 and 0 < r["liif"] < 60 for r in rows)


def test_training_images_rgb():
    imgs = liif.training_images(("brick", "grace_hopper"), channels=3)
    assert [i.shape[0] for i in imgs] == [3, 3]
    assert torch.equal(imgs[0][0], imgs[0][2])  # a grey image repeated
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        liif.training_images(("brick",), channels=2)


def test_ensemble_exercise_rejects_a_call_to_the_library():
    import functools

    from inrutils import exercises
    from inrutils.liif import ensemble_weights as ew

    for fn in [
        liif.ensemble_weights,
        functools.partial(liif.ensemble_weights),
        lambda rel: liif.ensemble_weights(rel),
        lambda rel: ew(rel),
        lambda rel: getattr(liif, "ensemble_" + "weights")(rel),
    ]:
        with pytest.raises(AssertionError, match="calls the library's `ensemble_weights`"):
            exercises.check_ensemble_weights(fn)


def test_train_step_exercise_rejects_the_library_batch(capsys):
    import functools

    from inrutils import exercises

    def with_library(model, opt, hr, patch):
        b = liif.sample_batch([hr], 1, patch, 16)
        loss = (model(b.lr, b.coord, b.cell) - b.target).abs().mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        return loss.item()

    for fn in [with_library, functools.partial(with_library)]:
        with pytest.raises(AssertionError, match="calls the library's `sample_batch`"):
            exercises.check_train_step(fn)
    exercises.check_ensemble_weights(functools.partial(lambda rel, eps: _area_rule(rel), eps=0.0))
    assert capsys.readouterr().out.count("all checks passed") == 1


def test_train_script_rgb_paper_preset_smoke(tmp_path):
    """The RGB presets build a 3-channel model; the paper preset is the paper's EDSR-baseline + 5 x
    256 decoder."""
    p = load_script("train_liif").PRESETS["paper"]
    assert (p["channels"], p["n_resblocks"], p["n_feats"], p["hidden"], p["layers"]) == (
        3,
        16,
        64,
        256,
        5,
    )
    assert (p["batch"], p["patch"], p["queries"], p["lr"]) == (16, 48, 2304, 1e-4)
    out = subprocess.run(
        [
            sys.executable,
            "scripts/train_liif.py",
            "--preset",
            "smoke-rgb",
            "--out",
            str(tmp_path / "c.pt"),
            "--no-eval",
            "--threads",
            "1",
        ],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    m = liif.load(tmp_path / "c.pt")
    assert m.channels == 3 and liif.upsample(m, torch.rand(3, 5, 5), scale=2).shape == (3, 10, 10)


def test_ddp_stops_every_rank_on_a_non_finite_loss(tmp_path):
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "torch.distributed.run",
            "--nproc_per_node=2",
            f"--master_port={port}",
            "scripts/train_liif.py",
            "--preset",
            "smoke",
            "--iters",
            "4",
            "--poison-loss-at",
            "2",
            "--out",
            str(tmp_path / "d.pt"),
            "--no-eval",
            "--threads",
            "1",
        ],
        check=False,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert out.returncode != 0
    # both ranks saw the flag (rank 0's own loss was finite) and stopped at the same iteration
    assert "rank 0/2: iteration 2: a non-finite loss" in out.stdout, (
        out.stdout[-2000:],
        out.stderr[-2000:],
    )
    assert "rank 1/2: iteration 2: a non-finite loss" in out.stdout
    assert not (tmp_path / "d.pt").exists()
