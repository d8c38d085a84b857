"""Feed each exercise check a typical wrong answer and print what the check says.

The table "Common wrong answers" of docs/instructors.md comes from this script's output
(one line per wrong answer: check, wrong answer, message). A wrong answer that a check
accepts is printed as ``PASSED``: a hole in the check.

    python scripts/wrong_answers.py [CHECK_NAME ...]     # e.g. grid masked_mse
    python scripts/wrong_answers.py --doc docs/instructors.md   # rewrite the guide's table
"""

from __future__ import annotations

import contextlib
import copy
import io
import sys

import torch

from inrutils import exercises
from inrutils.coords import grid

WRONG: dict[str, list[tuple[str, object]]] = {}


def wrong(check: str, what: str):
    """Register ``fn`` as a wrong answer to ``check_<check>``, described by ``what``."""

    def deco(fn):
        WRONG.setdefault(check, []).append((what, fn))
        return fn

    return deco


def _cat_grid(ys, xs, order=(0, 1)):
    yy, xx = torch.meshgrid(ys, xs, indexing="ij")
    cols = [yy, xx]
    return torch.stack([cols[i] for i in order], -1).reshape(-1, 2)


def _centres(n):
    return -1 + (2 * torch.arange(n) + 1) / n


@wrong("grid", "pixel edges: `torch.linspace(-1, 1, n)`")
def grid_edges(h, w):
    return _cat_grid(torch.linspace(-1, 1, h), torch.linspace(-1, 1, w))


@wrong("grid", "columns (x, y)")
def grid_xy(h, w):
    return _cat_grid(_centres(h), _centres(w), order=(1, 0))


@wrong("grid", "a one-line call to the library: `return grid(h, w)`")
def grid_library(h, w):
    return grid(h, w)


@wrong("siren_init_bound", "hidden layers without the `/ w0`")
def bound_no_w0(fan_in, w0, is_first):
    return 1.0 / fan_in if is_first else (6.0 / fan_in) ** 0.5


@wrong("fourier_features", "no 2 pi")
def ff_no_2pi(x, B):
    p = x @ B.T
    return torch.cat([torch.cos(p), torch.sin(p)], -1)


@wrong("fourier_features", "[sin, cos] order")
def ff_sin_first(x, B):
    p = 2 * torch.pi * x @ B.T
    return torch.cat([torch.sin(p), torch.cos(p)], -1)


@wrong("ff_kernel", "sigma_ff instead of sigma_ff**2")
def kernel_sigma(d, s):
    return torch.exp(-2 * torch.pi**2 * s * (d**2).sum(-1))


@wrong("ff_kernel", "forgot the 2 pi^2 (Gaussian in |d|^2 only)")
def kernel_no_pi(d, s):
    return torch.exp(-(s**2) * (d**2).sum(-1))


@wrong("pareto_front", "a point tied with another counted as dominated (strict test missing)")
def pareto_ties(pts, time_tol):
    return sorted(
        n
        for n, (t, p) in pts.items()
        if not any(o != n and t2 <= t and p2 >= p for o, (t2, p2) in pts.items())
    )


@wrong("pareto_front", "the time tolerance ignored (exact times compared)")
def pareto_no_tolerance(pts, time_tol):
    return sorted(
        n
        for n, (t, p) in pts.items()
        if not any(
            o != n and t2 <= t and p2 >= p and (t2 < t or p2 > p) for o, (t2, p2) in pts.items()
        )
    )


@wrong("masked_mse", "mean over all pixels of mask * error")
def mse_all_pixels(pred, target, mask):
    return torch.mean(mask * (pred - target) ** 2)


@wrong("masked_mse", "plain MSE")
def mse_plain(pred, target, mask):
    return torch.mean((pred - target) ** 2)


@wrong("box_downsample", "decimation `img[:, ::f, ::f]`")
def box_decimate(img, f):
    return img[:, ::f, ::f]


def _first_step(losses, threshold, offset):
    for k, loss in enumerate(losses):
        if loss <= threshold:
            return k + offset
    return len(losses)


@wrong("discrepancy_step", "0-based index")
def step_zero_based(losses, sigma, tau=1.0):
    return _first_step(losses, tau * sigma**2, 0)


@wrong("discrepancy_step", "strict `<` (a residual equal to the threshold does not stop)")
def step_strict(losses, sigma, tau=1.0):
    for k, loss in enumerate(losses):
        if loss < tau * sigma**2:
            return k + 1
    return len(losses)


@wrong("discrepancy_step", "threshold tau * sigma (not the variance)")
def step_sigma(losses, sigma, tau=1.0):
    return _first_step(losses, tau * sigma, 1)


@wrong("laplacian_from_hessian", "sum of every entry of H")
def lap_all(H):
    return H.sum(dim=(-1, -2))


@wrong("laplacian_from_hessian", "only D = 2: `H[..., 0, 0] + H[..., 1, 1]`")
def lap_two(H):
    return H[..., 0, 0] + H[..., 1, 1]


@wrong("insp_conv", "coefficients ignored: `feats.sum(1, keepdim=True)`")
def conv_no_coef(feats, coef):
    return feats.sum(1, keepdim=True)


@wrong("insp_conv", "a call to the library's `INSPConv`")
def conv_library(feats, coef):
    from inrutils import insp

    return insp.INSPConv(feats, coef)


@wrong("permute_hidden", "next layer's columns not permuted")
def permute_rows_only(model, perm):
    new = copy.deepcopy(model)
    with torch.no_grad():
        new.net[0].linear.weight.copy_(model.net[0].linear.weight[perm])
        new.net[0].linear.bias.copy_(model.net[0].linear.bias[perm])
    return new


@wrong("permute_hidden", "model changed in place")
def permute_in_place(model, perm):
    with torch.no_grad():
        model.net[0].linear.weight.copy_(model.net[0].linear.weight[perm].clone())
        model.net[0].linear.bias.copy_(model.net[0].linear.bias[perm].clone())
        model.net[1].linear.weight.copy_(model.net[1].linear.weight[:, perm].clone())
    return model


@wrong("tanh_jet", "h_xx without the tanh'' u_x^2 term")
def jet_missing_term(u, u_x, u_xx):
    t = torch.tanh(u)
    d1 = 1 - t**2
    return t, d1 * u_x, d1 * u_xx


@wrong("ensemble_weights", "each code weighted by its own area (no flip)")
def weights_own_area(rel):
    a = (rel[:, 0] * rel[:, 1]).abs()
    return a / a.sum()


@wrong("ensemble_weights", "not normalised")
def weights_unnormalised(rel):
    return (rel[:, 0] * rel[:, 1]).abs().flip(0)


def _liif_step(mistake):
    from inrutils import liif

    def step(model, opt, hr, patch):
        h, w = hr.shape[1:]
        lr = liif.downscale(hr, (patch, patch))
        coord = grid(h, w).flip(-1) if mistake == "xy" else grid(h, w)
        n = (patch, patch) if mistake == "lr cell" else (h, w)
        cell = torch.tensor([2 / n[0], 2 / n[1]]).expand_as(coord)
        err = model(lr[None], coord[None], cell[None])[0] - hr.flatten(1).T
        loss = err.pow(2).mean() if mistake == "l2" else err.abs().mean()
        if mistake != "no zero_grad":
            opt.zero_grad()
        loss.backward()
        if mistake != "no step":
            opt.step()
        return loss.item()

    return step


for _mistake, _what in [
    ("lr cell", "the LR patch's cell `(2 / patch, 2 / patch)`"),
    ("xy", "coordinates (x, y)"),
    ("l2", "mean squared error instead of L1"),
    ("no zero_grad", "no `opt.zero_grad()`"),
    ("no step", "no `opt.step()`"),
]:
    wrong("train_step", _what)(_liif_step(_mistake))


def _patches(img, d, m, clamp=True):
    c, h, w = img.shape
    k = torch.arange(2 * m + 1) - m
    ys = torch.arange(h)[:, None, None, None] + d * k[None, None, :, None]
    xs = torch.arange(w)[None, :, None, None] + d * k[None, None, None, :]
    if not clamp:  # wrap around instead of repeating the border
        ys, xs = ys % h, xs % w
    ys, xs = ys.clamp(0, h - 1).expand(h, w, -1, -1), xs.clamp(0, w - 1).expand(h, w, -1, -1)
    return img[:, ys, xs].permute(1, 2, 0, 3, 4).reshape(h * w, c, 2 * m + 1, 2 * m + 1)


@wrong("dilated_patches", "the dilation ignored (neighbours at distance 1)")
def patches_no_dilation(img, d, m):
    return _patches(img, 1, m)


@wrong("dilated_patches", "positions outside the image wrap around (torch.roll-style)")
def patches_wrap(img, d, m):
    return _patches(img, d, m, clamp=False)


def _count(build, k):
    return sum(p.numel() for p in build(k).parameters())


@wrong("budget_width", "the largest width whose count stays under the budget")
def width_under(build, budget):
    k = 1
    while _count(build, k + 1) <= budget:
        k += 1
    return k


@wrong("budget_width", "returns the model, not its width")
def width_model(build, budget):
    return build(8)


@wrong("xpatch", "each patch compared with its own centre")
def xpatch_own_centre(patches, h, w):
    return (patches - patches[:, :, 1:2, 1:2]).pow(2).mean()


def _encoding(h, w, n, dims=(0, 1), freq=lambda i: 2.0**i):
    pos = grid(h, w).view(h, w, 2)
    chans = []
    for d in dims:
        for i in range(n):
            t = freq(i) * torch.pi * pos[..., d]
            chans += [torch.sin(t), torch.cos(t)]
    return torch.stack(chans)


@wrong("encoding", "x channels first")
def encoding_x_first(h, w, n):
    return _encoding(h, w, n, dims=(1, 0))


@wrong("encoding", "linear frequencies (i + 1) pi")
def encoding_linear(h, w, n):
    return _encoding(h, w, n, freq=lambda i: i + 1)


def _forward(enc, weights, sine_last=False, sines=True, pad=True):
    h = enc
    for i, kernel in enumerate(weights):
        h = torch.nn.functional.conv2d(h, kernel, padding=kernel.shape[-1] // 2 if pad else 0)
        if sines and (i < len(weights) - 1 or sine_last):
            h = torch.sin(h)
    return h


@wrong("oinr_forward", "a sine after the last convolution too")
def forward_sine_last(enc, weights):
    return _forward(enc, weights, sine_last=True)


@wrong("oinr_forward", "no sines")
def forward_linear(enc, weights):
    return _forward(enc, weights, sines=False)


@wrong("oinr_forward", "no padding")
def forward_no_padding(enc, weights):
    return _forward(enc, weights, pad=False)


@wrong("oinr_forward", "a call to the library's OINR")
def forward_library(enc, weights):
    from inrutils.oinr import OINR

    net = OINR(
        weights[-1].shape[0],
        n_freq=enc.shape[1] // 4,
        widths=[k.shape[0] for k in weights[:-1]],
        kernel_size=weights[0].shape[-1],
    ).to(enc.dtype)
    for conv, k in zip(net.convs, weights):
        conv.weight.data.copy_(k)
    return net(enc)


@wrong("encoding_derivative", "chain-rule factor missing")
def derivative_no_factor(h, w, n, dim):
    pos = grid(h, w).view(h, w, 2)
    chans = []
    for d in (0, 1):
        for i in range(n):
            t = 2.0**i * torch.pi * pos[..., d]
            chans += [torch.cos(t), -torch.sin(t)] if d == dim else [torch.zeros_like(t)] * 2
    return torch.stack(chans)


def messages(name: str) -> list[tuple[str, str]]:
    """``[(wrong answer, what check_<name> says), ...]`` for the registered wrong answers."""
    check = getattr(exercises, f"check_{name}", None)
    if check is None:
        return [("-", f"no check_{name} in inrutils.exercises")]
    out = []
    for what, fn in WRONG.get(name, []):
        try:
            with contextlib.redirect_stdout(
                io.StringIO()
            ):  # a passing check prints its success line
                check(fn)
            msg = "PASSED: the check accepts this wrong answer"
        except AssertionError as err:
            msg = str(err)
        except Exception as err:  # noqa: BLE001 - a wrong answer may also crash inside the check
            msg = f"{type(err).__name__}: {err}"
        out.append((what, msg))
    return out


def doc_table() -> str:
    """Markdown table of the wrong answers of every exercise in the notebooks, in course order."""
    import importlib.util
    import pathlib

    import nbformat

    here = pathlib.Path(__file__).resolve().parent
    spec = importlib.util.spec_from_file_location("nbgrader_meta", here / "nbgrader_meta.py")
    meta = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(meta)
    rows = ["| notebook | exercise | wrong answer | what the check says |", "|---|---|---|---|"]
    for path in sorted((here.parent / "notebooks").glob("[0-9]*.ipynb")):
        for ex in meta.exercises(nbformat.read(path, as_version=4), path.name):
            found = [(w, m) for w, m in messages(ex["name"]) if not m.startswith("PASSED")]
            for what, msg in found or [("(none registered in scripts/wrong_answers.py)", "")]:
                cells = [path.name[:2], f"`check_{ex['name']}`", what, msg]
                rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    if argv[:1] == ["--doc"]:
        if len(argv) != 2:
            sys.exit("usage: python scripts/wrong_answers.py --doc docs/instructors.md")
        import pathlib

        doc = pathlib.Path(argv[1])
        src = doc.read_text()
        begin, end = "<!-- wrong-answers -->", "<!-- /wrong-answers -->"
        if src.count(begin) != 1 or src.count(end) != 1:
            sys.exit(f"{doc} needs one '{begin}' ... '{end}' block")
        head, rest = src.split(begin)
        doc.write_text(f"{head}{begin}\n{doc_table()}\n{end}{rest.split(end)[1]}")
        print(f"{doc}: wrong-answers table updated")
        return 0
    for name in argv or sorted(WRONG):
        for what, msg in messages(name):
            print(f"{name}\t{what}\t{msg}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
