"""Measurements behind docs/fidelity/04_liif_local_ensembles.md (the shipped LIIF checkpoints, CPU).

    OMP_NUM_THREADS=1 python scripts/liif_fidelity.py  # all sections, about 15 min on one idle core
    OMP_NUM_THREADS=1 python scripts/liif_fidelity.py --sections 2 6  # only some of them

Prints, on native crops of the held-out images (``inrutils.liif.eval_pair``, a central window of
``--size`` stored pixels, cut to a multiple of the scale):

1. the evaluation protocol's effect at x2 / x4 (grey vs RGB, shave = scale vs scale + 6, bicubic
   baseline Keys a = -0.75 vs the antialiased a = -0.5 kernel);
2. the border fix: PSNR at x3 with the official area rule (uniform weights where it degenerates) vs
   :func:`inrutils.liif.ensemble_weights`, and the largest |I(x) - I(x - d)| for shifts d = 1e-4,
   1e-5, 1e-7 (a slope scales with d, a step does not);
3. cell decoding: the full model told the right cell vs the cell of the LR pixel, per image;
4. the four 1,500-iteration ablation checkpoints (one seed each);
5. torch's antialiased bicubic downsampling against PIL's BICUBIC resize of the same float image
   (the kernel);
6. the official LR path (``resize_fn``: ``ToPILImage`` on a float tensor = ``mul(255).byte()``, i.e.
   8-bit with truncation, PIL BICUBIC on the 8-bit image, ``ToTensor`` = / 255) against ours (float
   throughout): the LR difference and its effect on PSNR at x4 and x12;
7. where the official area rule degenerates: for each LR height h = 8..200 at x3 and x5, the HR
   rows whose float32 ``make_coord`` centre, shifted half an LR pixel up and down (+ 1e-6, clamped,
   nearest code by ``grid_sample``), lands on the last code's row in both shifts with a zero
   offset (all four areas 0, so the official weights fall back to 1/4 each). No model is used.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

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
            rows.append(
                (
                    liif.psnr_shaved(base, p.hr, cut),
                    liif.psnr_shaved(liif.upsample(model, p.lr, size=hw), p.hr, cut),
                )
            )
        out[s] = (np.mean([r[0] for r in rows]), np.mean([r[1] for r in rows]))
    return out


def bicubic_aa(lr, hw):
    """Bicubic with torch's antialias path: the a = -0.5 kernel (PIL's), also when upsampling."""
    return F.interpolate(lr[None], size=hw, mode="bicubic", antialias=True, align_corners=False)[
        0
    ].clamp(0, 1)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--size", type=int, default=360, help="central window of stored pixels (default 360)"
    )
    ap.add_argument(
        "--sections",
        type=int,
        nargs="+",
        default=[1, 2, 3, 4, 5, 6, 7],
        choices=range(1, 8),
        help="which sections to run (default: all)",
    )
    args = ap.parse_args()
    torch.set_num_threads(1)
    full = liif.pretrained("cpu")
    for k in sorted(SECTIONS):
        if k in args.sections:
            SECTIONS[k](full, args.size)


def section1(full, size):
    print(
        f"== 1. protocol (full model, native {size} windows, mean of 5 held-out images; bicubic / "
        "LIIF / gain)"
    )
    for label, kw in [
        ("grey, shave=scale (notebook)", {}),
        ("grey, shave=scale+6", {"shave": "scale+6"}),
        ("RGB, shave=scale+6 (paper's DIV2K)", {"gray": False, "shave": "scale+6"}),
        ("grey, shave=scale, bicubic a=-0.5", {"baseline": bicubic_aa}),
    ]:
        t = table(full, (2, 4), size, **kw)
        print(
            f"{label:36s} "
            + "  ".join(f"x{s}: {b:.2f} / {o:.2f} / {o - b:+.2f}" for s, (b, o) in t.items()),
            flush=True,
        )


def section2(full, size):
    print(
        "== 2. border fix at x3 (full model, grey, shave=3); max |I(x) - I(x - d)| on camera for "
        "d = 1e-4 / 1e-5 / 1e-7"
    )
    fixed = liif.ensemble_weights

    def area_rule(rel, eps=1e-9):
        a = (rel[..., 0] * rel[..., 1]).abs() + 1e-9
        return a.flip(-1) / a.sum(-1, keepdim=True)

    for label, fn in [("official area rule", area_rule), ("ours (per-axis weights)", fixed)]:
        liif.ensemble_weights = fn
        t = table(full, (3,), size)
        p = liif.eval_pair("camera", 3, size)
        h, w = p.hr.shape[1:]
        with torch.no_grad():
            feat = full.encode(p.lr[None])
            c = grid(h, w)[None]
            cell = liif.cell_for(h, w, c.shape[1])[None]
            here = full.query(feat, c, cell)
            jumps = {
                d: (here - full.query(feat, c - d, cell)).abs().view(h, w)
                for d in (1e-4, 1e-5, 1e-7)
            }
        row = int(jumps[1e-5].amax(1).argmax())
        excess = jumps[1e-5] - 0.2 * jumps[1e-4]
        print(
            f"{label:26s} PSNR {t[3][1]:.3f} dB; max jump "
            + " / ".join(f"{float(j.max()):.2e}" for j in jumps.values())
            + f" (d = 1e-5: row {row} of {h}); largest jump(1e-5) - 0.2 jump(1e-4) "
            f"{float(excess.max()):.1e} (a slope: <= 0, a step: about 0.8x its size), pixels "
            f"above 1e-4: {int((excess > 1e-4).sum())}",
            flush=True,
        )
    liif.ensemble_weights = fixed


def section3(full, size):
    print(
        "== 3. cell decoding at x12 (full model, grey, shave=12): right cell, cell of the LR "
        "pixel, difference"
    )
    diffs = []
    for name in liif.HELD_OUT:
        p = liif.eval_pair(name, 12, size)
        h, w = p.hr.shape[1:]
        with torch.no_grad():
            feat = full.encode(p.lr[None])
            c = grid(h, w)[None]
            res = []
            for ch, cw in [(h, w), p.lr.shape[1:]]:
                out = (
                    full.query(feat, c, liif.cell_for(ch, cw, c.shape[1])[None])[0]
                    .T.reshape(1, h, w)
                    .clamp(0, 1)
                )
                res.append(liif.psnr_shaved(out, p.hr, 12))
        diffs.append(res[0] - res[1])
        print(f"  {name:10s} {res[0]:.2f} {res[1]:.2f} {res[0] - res[1]:+.3f}", flush=True)
    print(f"  mean difference {mean_std(diffs)} dB over the 5 images; smallest {min(diffs):+.4f}")


def section4(full, size):
    print(
        "== 4. ablation checkpoints (1,500 iterations, seed 0 each; native 240 windows, grey, "
        "shave=scale)"
    )
    for name in ("cpu-short", "cpu-no-ensemble", "cpu-no-unfold", "cpu-no-cell"):
        t = table(liif.pretrained(name), (2, 3, 4, 12), 240)
        print(
            f"  {name:16s} "
            + " ".join(f"x{s} {o:.2f}" for s, (b, o) in t.items())
            + "   bicubic "
            + " ".join(f"{b:.2f}" for s, (b, o) in t.items()),
            flush=True,
        )


def section5(full, size):
    print(
        "== 5. torch antialiased bicubic vs PIL BICUBIC on the float image (mode F; camera 512 -> "
        "128)"
    )

    img = load_image("camera", gray=True)
    ours = liif.downscale(img, (128, 128))[0].numpy()
    pil = np.asarray(
        Image.fromarray(img[0].numpy().astype(np.float32), mode="F").resize(
            (128, 128), Image.BICUBIC
        )
    )
    print(f"  max |torch - PIL| = {np.abs(ours - np.clip(pil, 0, 1)).max():.2e}")


def official_lr(hr: torch.Tensor, hw: tuple[int, int]) -> torch.Tensor:
    """The official ``resize_fn``: ToPILImage (``mul(255).byte()``: 8 bits, truncated), PIL BICUBIC,
    ToTensor (/ 255)."""
    q = (hr * 255).to(torch.uint8).permute(1, 2, 0).numpy()
    img = (
        Image.fromarray(q[..., 0], mode="L") if q.shape[2] == 1 else Image.fromarray(q, mode="RGB")
    )
    out = np.asarray(img.resize((hw[1], hw[0]), Image.BICUBIC), dtype=np.float32) / 255
    return torch.from_numpy(out.reshape(hw[0], hw[1], -1)).permute(2, 0, 1).contiguous()


def section6(full, size):
    print(
        "== 6. official 8-bit LR path vs ours (float), held-out images: mean / max LR difference "
        "(in 1/255), then bicubic / LIIF / gain with each LR"
    )
    for gray, s in ((True, 4), (True, 12), (False, 4)):
        diff, rows = [], {"ours": [], "official": []}
        for name in liif.HELD_OUT:
            p = liif.eval_pair(name, s, size, gray)
            lr8 = official_lr(p.hr, tuple(p.lr.shape[1:]))
            diff.append(((lr8 - p.lr) * 255).flatten())
            hw, cut = tuple(p.hr.shape[1:]), liif.shave_for(s)
            for label, lr in (("ours", p.lr), ("official", lr8)):
                rows[label].append(
                    (
                        liif.psnr_shaved(upsample_bicubic(lr, size=hw), p.hr, cut),
                        liif.psnr_shaved(liif.upsample(full, lr, size=hw), p.hr, cut),
                    )
                )
        d = torch.cat(diff)
        res = {k: (np.mean([r[0] for r in v]), np.mean([r[1] for r in v])) for k, v in rows.items()}
        print(
            f"  {'grey' if gray else 'RGB ':4s} x{s:<3d} LR official - ours: mean "
            f"{float(d.mean()):+.3f}, max |.| {float(d.abs().max()):.2f};  "
            + ";  ".join(f"{k} LR {b:.2f} / {o:.2f} / {o - b:+.2f}" for k, (b, o) in res.items()),
            flush=True,
        )


def official_make_coord(n: int) -> torch.Tensor:
    """The official ``make_coord`` for one axis: pixel centres in [-1, 1], float32."""
    r = (1 - (-1)) / (2 * n)
    return -1 + r + (2 * r) * torch.arange(n).float()


def degenerate_rows(h: int, s: int) -> list[int]:
    """HR rows of an x``s`` output of an ``h``-row LR image where the official local ensemble's
    four areas are all zero (both vertical shifts pick the same code, the offset exactly 0)."""
    hr, codes = official_make_coord(h * s), official_make_coord(h)
    picked = []
    for vy in (-1, 1):
        q = (hr + vy * (2 / h / 2) + 1e-6).clamp(-1 + 1e-6, 1 - 1e-6)
        where = torch.stack([torch.zeros_like(q), q], -1)[None, :, None]  # (x, y) for grid_sample
        code = F.grid_sample(codes.view(1, 1, h, 1), where, mode="nearest", align_corners=False)
        picked.append(code.flatten())
    rel = [(hr - c) * h for c in picked]
    same = picked[0] == picked[1]
    return ((rel[0] == 0) & (rel[1] == 0) & same).nonzero().flatten().tolist()


def section7(full, size):
    print(
        "== 7. official area rule: LR heights h = 8..200 with a degenerate HR row "
        "(float32 make_coord)"
    )
    heights = range(8, 201)
    for s in (3, 5):
        hits = {h: rows for h in heights if (rows := degenerate_rows(h, s))}
        examples = ", ".join(f"h={h}: row {r[0]} of {h * s}" for h, r in list(hits.items())[:4])
        print(f"  x{s}: {len(hits)} of {len(heights)} heights ({examples}, ...)", flush=True)
    print(f"  camera x5 at h = 72 (360 rows): rows {degenerate_rows(72, 5)}")


SECTIONS = {
    1: section1,
    2: section2,
    3: section3,
    4: section4,
    5: section5,
    6: section6,
    7: section7,
}


if __name__ == "__main__":
    main()
