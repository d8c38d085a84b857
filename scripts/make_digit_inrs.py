"""Build data/digits_inrs.pt: one small SIREN per scikit-learn digit (notebook 03's dataset of
INRs).

    python scripts/make_digit_inrs.py            # the shipped file (~20 s on a 2-core CPU)
    python scripts/make_digit_inrs.py --out /tmp/x.pt --steps 50

Recipe: inrutils.insp.DIGITS_RECIPE (SIREN 2 x 16, w0 = 5, 500 full-batch Adam steps at lr 1e-3,
network i initialised with seed i: independent initialisations, as when INRs are fitted one at a
time). Parameters are stored as float16 (1.2 MB instead of 2.4 MB); the PSNR recorded in the file
is measured *after* that rounding, on the networks as they are loaded.
"""

from __future__ import annotations

import argparse
import time

import torch

from inrutils import insp


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--out", default=str(insp.DIGITS_PATH), help="output file (default: %(default)s)"
    )
    ap.add_argument(
        "--steps", type=int, default=None, help="override the recipe's steps (for a quick check)"
    )
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    inrs = insp.build_digit_inrs(steps=args.steps, progress=True)
    inrs.save(args.out, dtype=torch.float16)
    loaded = insp.INRSet.load(args.out)  # the networks as they will be used (float16-rounded)
    images, _ = insp.digits()
    mse = (loaded.render(8) - images).pow(2).mean(dim=(1, 2, 3))
    loaded.psnr = -10 * torch.log10(mse.clamp_min(1e-12))
    loaded.save(args.out, dtype=torch.float16)
    print(
        f"{len(loaded)} INRs ({loaded.weights().shape[1]} parameters each) -> {args.out} in "
        f"{time.perf_counter() - t0:.1f} s; PSNR on the 8x8 pixels after float16 rounding: median "
        f"{loaded.psnr.median():.1f} dB, min {loaded.psnr.min():.1f} dB; train/test "
        f"{len(loaded.meta['train'])}/{len(loaded.meta['test'])}"
    )


if __name__ == "__main__":
    main()
