"""Measurements behind docs/fidelity/04_liif_local_ensembles.md (the shipped LIIF checkpoints, CPU).

    OMP_NUM_THREADS=1 python scripts/liif_fidelity.py            # about 10 min on one idle core

Prints, on native crops of the held-out images (``inrutils.liif.eval_pair``, a central window of
``--size`` stored pixels, cut to a multiple of the scale):

1. the evaluation protocol's effect at x2 / x4 (grey vs RGB, shave = scale vs scale + 6, bicubic
   baseline Keys a = -0.75 vs the antialiased a = -0.5 kernel);
2. the border fix: PSNR at x3 with the official area rule (uniform weights where it degenerates)
   vs :func:`inrutils.liif.ensemble_weights`, and the largest |I(x) - I(x - 1e-5)|;
3. cell decoding: the full model told the right cell vs the cell of the LR pixel, per image;
4. the four 1,500-iteration ablation checkpoints (one seed each);
5. torch's antialiased bicubic downsampling against PIL's BICUBIC resize.
"""
from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch
import torch.nn.functional as F

from inrutils import liif
from inrutils.coords import grid
from inrutils.data import load_image
from inrutils.degrade import upsample_bicubic


def mean_std(values) -> str:
    values = list(values)
    return f"{statistics.mean(values):6.2f} +- {statistics.stdev(values):.2f}"


def table(model, scales, size, gray=True, shave="scale", baseline=None):
    out = {}
    for s in scales:
        rows = []
        for name in liif.HELD_OUT:
            p = liif.eval_pair(name, s, size, gray)
            cut = liif.shave_for(s, shave)
            hw = tuple(p.hr.shape[1:])
            base = baseline(p.lr, hw) if baseline else upsample_bicubic(p.lr, size=hw)
            rows.append((liif.psnr_shaved(base, p.hr, cut), liif.psnr_shaved(liif.upsample(model, p.lr, size=hw), p.hr, cut)))
        out[s] = (np.mean([r[0] for r in rows]), np.mean([r[1] for r in rows]))
    return out


def bicubic_aa(lr, hw):
    """Bicubic with torch's antialias path: the a = -0.5 kernel (PIL's), also when upsampling."""
    return F.interpolate(lr[None], size=hw, mode="bicubic", antialias=True, align_corners=False)[0].clamp(0, 1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", type=int, default=360, help="central window of stored pixels (default 360)")
    args = ap.parse_args()
    torch.set_num_threads(1)
    full = liif.pretrained("cpu")

    print(f"== 1. protocol (full model, native {args.size} windows, mean of 5 held-out images; bicubic / LIIF / gain)")
    for label, kw in [("grey, shave=scale (notebook)", {}), ("grey, shave=scale+6", {"shave": "scale+6"}),
                      ("RGB, shave=scale+6 (paper's DIV2K)", {"gray": False, "shave": "scale+6"}),
                      ("grey, shave=scale, bicubic a=-0.5", {"baseline": bicubic_aa})]:
        t = table(full, (2, 4), args.size, **kw)
        print(f"{label:36s} " + "  ".join(f"x{s}: {b:.2f} / {o:.2f} / {o - b:+.2f}" for s, (b, o) in t.items()), flush=True)

    print("== 2. border fix at x3 (full model, grey, shave=3)")
    fixed = liif.ensemble_weights

    def area_rule(rel, eps=1e-9):
        a = (rel[..., 0] * rel[..., 1]).abs() + 1e-9
        return a.flip(-1) / a.sum(-1, keepdim=True)

    for label, fn in [("official area rule", area_rule), ("ours (per-axis weights)", fixed)]:
        liif.ensemble_weights = fn
        t = table(full, (3,), args.size)
        p = liif.eval_pair("camera", 3, args.size)
        h, w = p.hr.shape[1:]
        with torch.no_grad():
            feat = full.encode(p.lr[None])
            c = grid(h, w)[None]
            cell = liif.cell_for(h, w, c.shape[1])[None]
            jump = (full.query(feat, c, cell) - full.query(feat, c - 1e-5, cell)).abs().view(h, w)
        row = int(jump.amax(1).argmax())
        print(f"{label:26s} PSNR {t[3][1]:.3f} dB; max |I(x) - I(x - 1e-5)| on camera {float(jump.max()):.2e} "
              f"(row {row} of {h})", flush=True)
    liif.ensemble_weights = fixed

    print("== 3. cell decoding at x12 (full model, grey, shave=12): right cell, cell of the LR pixel, difference")
    diffs = []
    for name in liif.HELD_OUT:
        p = liif.eval_pair(name, 12, args.size)
        h, w = p.hr.shape[1:]
        with torch.no_grad():
            feat = full.encode(p.lr[None])
            c = grid(h, w)[None]
            res = []
            for ch, cw in [(h, w), p.lr.shape[1:]]:
                out = full.query(feat, c, liif.cell_for(ch, cw, c.shape[1])[None])[0].T.reshape(1, h, w).clamp(0, 1)
                res.append(liif.psnr_shaved(out, p.hr, 12))
        diffs.append(res[0] - res[1])
        print(f"  {name:10s} {res[0]:.2f} {res[1]:.2f} {res[0] - res[1]:+.3f}", flush=True)
    print(f"  mean difference {mean_std(diffs)} dB over the 5 images")

    print("== 4. ablation checkpoints (1,500 iterations, seed 0 each; native 240 windows, grey, shave=scale)")
    for name in ("cpu-short", "cpu-no-ensemble", "cpu-no-unfold", "cpu-no-cell"):
        t = table(liif.pretrained(name), (2, 3, 4, 12), 240)
        print(f"  {name:16s} " + " ".join(f"x{s} {o:.2f}" for s, (b, o) in t.items())
              + "   bicubic " + " ".join(f"{b:.2f}" for s, (b, o) in t.items()), flush=True)

    print("== 5. torch antialiased bicubic vs PIL BICUBIC (downsampling camera 512 -> 128)")
    from PIL import Image

    img = load_image("camera", gray=True)
    ours = liif.downscale(img, (128, 128))[0].numpy()
    pil = np.asarray(Image.fromarray(img[0].numpy().astype(np.float32), mode="F").resize((128, 128), Image.BICUBIC))
    print(f"  max |torch - PIL| = {np.abs(ours - np.clip(pil, 0, 1)).max():.2e}")


if __name__ == "__main__":
    main()
