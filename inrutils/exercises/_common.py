"""Checks for the notebooks' exercises.

Each ``check_*`` function calls the learner's function on a few inputs, compares the
result with the library's reference implementation and either prints a one-line success
message or raises ``AssertionError`` with a hint about what differs. In the student
version of a notebook the solution raises ``NotImplementedError``, so the check fails.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import torch

from .coords import grid
from .degrade import downsample, random_mask
from .encodings import FourierFeatures, fourier_features
from .insp import activation_derivatives
from .knitwork import _unfold, extract_patches, xpatch_loss
from .linr import discrepancy_stop, masked_mse, restore
from .models import MLP, SineLayer, Siren, count_params, siren_init_bound, size_to_budget


def _passed(what: str) -> None:
    print(f"\N{CHECK MARK} {what}: all checks passed")


def _as_tensor(name: str, value: object) -> torch.Tensor:
    if not isinstance(value, torch.Tensor):
        raise AssertionError(f"{name} should return a torch.Tensor, got {type(value).__name__}")
    return value


def _names_used(fn: Callable) -> set[str]:
    """Global and attribute names that ``fn`` (and any function or lambda defined inside it)
    uses."""
    code = getattr(fn, "__code__", None)
    if code is None:
        return set()
    names: set[str] = set()
    stack = [code]
    while stack:
        c = stack.pop()
        names.update(c.co_names)
        names.update(c.co_freevars)
        stack.extend(k for k in c.co_consts if hasattr(k, "co_names"))
    return names


def _unwrap(fn: Callable) -> Callable:
    """``fn`` without ``functools.partial`` / ``functools.wraps`` layers around it."""
    for _ in range(20):
        inner = fn.func if isinstance(fn, functools.partial) else getattr(fn, "__wrapped__", None)
        if inner is None:
            break
        fn = inner
    return fn


def _bound_values(fn: Callable) -> list[object]:
    """The objects that the names ``fn`` uses are bound to (its globals and its closure)."""
    glob = getattr(fn, "__globals__", {})
    values = [glob[n] for n in _names_used(fn) if n in glob]
    values += [
        c.cell_contents
        for c in (getattr(fn, "__closure__", None) or ())
        if c.cell_contents is not None
    ]
    return values


def _reject_library_call(
    fn: Callable, library: dict[str, Callable], task: str, probe: tuple | None = None
) -> None:
    """Raise if ``fn`` is, or calls, one of the ``library`` functions that the exercise asks to
    write.

    Catches the function itself (also inside ``functools.partial``), a call by name or by an alias
    (``from ... import f as g``) and, when ``probe`` arguments are given, any call made while
    running ``fn(*probe)`` (e.g. one looked up with ``getattr`` at run time).
    """
    message = (
        "your function calls the library's `{}`: the exercise is to {} yourself "
        "(with torch operations), so the check cannot tell whether you know how it works"
    )
    inner = _unwrap(fn)
    bound = _bound_values(inner)
    for name, lib_fn in library.items():
        if (
            fn is lib_fn
            or inner is lib_fn
            or name in _names_used(inner)
            or any(v is lib_fn for v in bound)
        ):
            raise AssertionError(message.format(name, task))
    if probe is None:
        return
    codes = {getattr(_unwrap(f), "__code__", None): name for name, f in library.items()}
    codes.pop(None, None)
    seen: list[str] = []

    def watch(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            seen.append(codes[frame.f_code])

    previous = sys.getprofile()
    sys.setprofile(watch)
    try:
        fn(*probe)
    finally:
        sys.setprofile(previous)
    if seen:
        raise AssertionError(message.format(seen[0], task))


def check_grid(fn: Callable[[int, int], torch.Tensor]) -> None:
    """``fn(h, w)`` must return the ``(h * w, 2)`` pixel-centre grid, ``(y, x)`` row-major, in (-1,
    1)."""
    _reject_library_call(fn, {"grid": grid}, "build the grid from torch.arange / torch.meshgrid")
    for h, w in [(2, 2), (3, 5), (1, 4), (16, 9)]:
        got = _as_tensor("your grid", fn(h, w))
        want = grid(h, w)
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(
                f"grid({h}, {w}) should have shape {tuple(want.shape)}, got {tuple(got.shape)}"
            )
        got = got.double()
        if torch.allclose(got, want.double().flip(-1), atol=1e-6):
            raise AssertionError(
                f"grid({h}, {w}): the columns are (x, y); the course uses (y, x), row first"
            )
        if got.abs().max() >= 1:
            raise AssertionError(
                f"grid({h}, {w}) reaches +-1: use pixel centres -1 + (2i + 1)/n, not the edges"
            )
        if not torch.allclose(got, want.double(), atol=1e-6):
            i = int((got - want.double()).abs().sum(1).argmax())
            raise AssertionError(
                f"grid({h}, {w}) row {i} is {got[i].tolist()}, expected {want[i].tolist()}"
            )
    _passed("pixel-centre grid")


def check_siren_init_bound(fn: Callable[[int, float, bool], float]) -> None:
    """``fn(fan_in, w0, is_first)`` must return SIREN's uniform initialisation half-width."""
    _reject_library_call(
        fn,
        {"siren_init_bound": siren_init_bound, "Siren": Siren, "SineLayer": SineLayer},
        "derive the bound from the variance argument",
    )
    for fan_in, w0, first in [
        (2, 30.0, True),
        (256, 30.0, False),
        (64, 10.0, False),
        (3, 1.0, True),
        (512, 1.0, False),
    ]:
        got = float(fn(fan_in, w0, first))
        want = siren_init_bound(fan_in, w0, first)
        if abs(got - want) > 1e-9 * max(1.0, abs(want)):
            layer = "first layer" if first else "hidden layer"
            raise AssertionError(
                f"bound for fan_in={fan_in}, w0={w0}, {layer} should be {want:.6g}, got {got:.6g}"
            )
    _passed("SIREN initialisation bound")


def check_fourier_features(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``fn(x, B)`` must return ``[cos(2 pi x B^T), sin(2 pi x B^T)]`` of shape ``(N, 2 m)``."""
    _reject_library_call(
        fn,
        {"fourier_features": fourier_features, "FourierFeatures": FourierFeatures},
        "write the feature map",
    )
    gen = torch.Generator().manual_seed(1)
    for n, d, m in [(5, 2, 3), (7, 1, 4), (4, 3, 8)]:
        x = torch.rand(n, d, generator=gen) * 2 - 1
        B = torch.randn(m, d, generator=gen) * 3
        got = _as_tensor("your feature map", fn(x, B))
        want = fourier_features(x, B)
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(
                f"for x {tuple(x.shape)} and B {tuple(B.shape)} the output should be "
                f"{tuple(want.shape)}, got {tuple(got.shape)}"
            )
        if torch.allclose(got, want.roll(m, dims=-1), atol=1e-5):
            raise AssertionError("the sines come first: the course's convention is [cos, sin]")
        if torch.allclose(got, fourier_features(x / (2 * torch.pi), B), atol=1e-5):
            raise AssertionError("the 2 pi factor is missing: use cos(2 pi x B^T)")
        if not torch.allclose(got, want, atol=1e-5):
            raise AssertionError(
                "values differ from [cos(2 pi x B^T), sin(2 pi x B^T)] by up to "
                f"{(got - want).abs().max():.3g}"
            )
    _passed("Fourier feature map")


def check_ff_kernel(fn: Callable[[torch.Tensor, float], torch.Tensor]) -> None:
    """``fn(d, sigma_ff)``: the Fourier-feature kernel ``E_B[cos(2 pi B d)]`` for offsets ``d`` of
    shape ``(N, D)``.

    With ``B ~ N(0, sigma_ff^2 I)`` the answer is ``exp(-2 pi^2 sigma_ff^2 |d|^2)``, shape ``(N,)``;
    a Monte-Carlo estimate with many frequencies (error below 0.02) also passes.
    """
    _reject_library_call(
        fn,
        {"FourierFeatures": FourierFeatures},
        "draw the frequencies B (or find the closed form)",
    )
    gen = torch.Generator().manual_seed(2)
    for sigma_ff, dim in [(1.0, 2), (4.0, 2), (10.0, 1), (2.0, 3)]:
        d = (torch.rand(9, dim, generator=gen) * 2 - 1) * 0.3 / sigma_ff
        d[0] = 0
        got = _as_tensor("your kernel", fn(d, sigma_ff)).reshape(-1).double()
        r2 = (d.double() ** 2).sum(1)
        want = torch.exp(-2 * torch.pi**2 * sigma_ff**2 * r2)
        if got.numel() != d.shape[0]:
            raise AssertionError(
                f"for d of shape {tuple(d.shape)} return one value per row ({d.shape[0]}), got "
                f"{got.numel()}"
            )
        if abs(float(got[0]) - 1) > 0.02:
            raise AssertionError(
                f"k(0) should be 1 (a feature vector agrees with itself), got {float(got[0]):.4g}"
            )
        if (
            torch.allclose(got, torch.exp(-2 * torch.pi**2 * sigma_ff * r2), atol=0.02)
            and sigma_ff != 1
        ):
            raise AssertionError(
                "the frequencies have standard deviation sigma_ff, so their variance is sigma_ff "
                "squared"
            )
        if torch.allclose(got, torch.exp(-0.5 * sigma_ff**2 * r2), atol=0.02):
            raise AssertionError(
                "the 2 pi inside cos(2 pi B d) is missing: the exponent is -2 pi^2 sigma_ff^2 |d|^2"
            )
        if not torch.allclose(got, want, atol=0.02):
            i = int((got - want).abs().argmax())
            raise AssertionError(
                f"sigma_ff={sigma_ff}, |d|={float(r2[i].sqrt()):.4g}: expected "
                f"{float(want[i]):.4f}, got {float(got[i]):.4f}"
            )
    _passed("Fourier-feature kernel")


def _pareto_reference(points: dict) -> list:
    """Names in ``points`` (name -> (seconds, psnr)) that no other point dominates, sorted."""
    front = []
    for name, (t, p) in points.items():
        if not any(
            o != name and t2 <= t and p2 >= p and (t2 < t or p2 > p)
            for o, (t2, p2) in points.items()
        ):
            front.append(name)
    return sorted(front)


def check_pareto_front(fn: Callable[[dict], list]) -> None:
    """``fn(points)``: the sorted names of the points (name -> (seconds, psnr)) that no other point
    dominates."""
    _reject_library_call(
        fn, {"_pareto_reference": _pareto_reference}, "find the non-dominated methods"
    )
    gen = torch.Generator().manual_seed(3)
    cases = [
        {"a": (1.0, 20.0), "b": (2.0, 25.0), "c": (3.0, 24.0)},  # c is slower and worse than b
        {"a": (1.0, 20.0), "b": (1.0, 22.0)},  # a tie in time: b is better
        {"a": (1.0, 20.0), "b": (1.0, 20.0)},  # identical points dominate neither
    ]
    for _ in range(5):
        ts = torch.rand(7, generator=gen) * 10
        ps = torch.rand(7, generator=gen) * 10 + 20
        cases.append({f"m{i}": (float(t), float(p)) for i, (t, p) in enumerate(zip(ts, ps))})
    for pts in cases:
        got = fn(dict(pts))
        if not isinstance(got, (list, tuple)):
            raise AssertionError(f"return a list of names, got {type(got).__name__}")
        got = sorted(got)
        want = _pareto_reference(pts)
        if got == want:
            continue
        worse = sorted(set(got) - set(want))
        if worse:
            n = worse[0]
            by = [
                o for o, (t2, p2) in pts.items() if o != n and t2 <= pts[n][0] and p2 >= pts[n][1]
            ]
            raise AssertionError(
                f"{n} {pts[n]} is dominated by {by[0]} {pts[by[0]]} (at least as fast and as good)"
                " but is in your front"
            )
        n = sorted(set(want) - set(got))[0]
        raise AssertionError(
            f"{n} {pts[n]} is not dominated by any other point (equal points do not dominate each "
            "other) but is missing from your front"
        )
    _passed("Pareto front")


def check_dilated_patches(fn: Callable[[torch.Tensor, int, int], torch.Tensor]) -> None:
    """``fn(img, d, m)``: the ``(H * W, C, 2m + 1, 2m + 1)`` patches of ``img`` ``(C, H, W)`` at
    dilation ``d``, pixels row-major, positions outside the image repeating the border pixel."""
    _reject_library_call(
        fn,
        {"extract_patches": extract_patches, "_unfold": _unfold},
        "cut the dilated patches",
        probe=(torch.rand(1, 6, 7), 2, 1),
    )
    gen = torch.Generator().manual_seed(4)
    for c, h, w, d, m in ((1, 6, 7, 1, 1), (3, 9, 8, 2, 1), (2, 11, 10, 3, 2), (1, 5, 5, 4, 1)):
        img = torch.rand(c, h, w, generator=gen)
        got = _as_tensor("your function", fn(img.clone(), d, m))
        k = 2 * m + 1
        if tuple(got.shape) != (h * w, c, k, k):
            raise AssertionError(
                f"for a {(c, h, w)} image and m={m} the result should have shape "
                f"{(h * w, c, k, k)}, got {tuple(got.shape)}"
            )
        want = extract_patches(img, (d,), m)[:, 0]
        if torch.allclose(got, want, atol=1e-6):
            continue
        if d > 1 and torch.allclose(got, extract_patches(img, (1,), m)[:, 0], atol=1e-6):
            raise AssertionError(
                f"at d={d} your patches are those of dilation 1: element (i, j) of pixel p is the "
                "pixel p + d (i - m, j - m)"
            )
        column_major = want.reshape(h, w, c, k, k).transpose(0, 1).reshape(h * w, c, k, k)
        if torch.allclose(got, column_major, atol=1e-6):
            raise AssertionError("order the pixels row-major: pixel (y, x) is row y * W + x")
        ys, xs = torch.meshgrid(torch.arange(h), torch.arange(w), indexing="ij")
        inside = ((ys >= d * m) & (ys < h - d * m) & (xs >= d * m) & (xs < w - d * m)).flatten()
        if inside.any() and torch.allclose(got[inside], want[inside], atol=1e-6):
            raise AssertionError(
                "the patches of interior pixels are right, those near the border are not: a "
                "position outside the image repeats the nearest border pixel (clamp the index)"
            )
        raise AssertionError(
            f"the patches differ from the reference at d={d}, m={m} (largest difference "
            f"{float((got - want).abs().max()):.3g}); element (i, j) of pixel (y, x) is "
            "img[:, y + d (i - m), x + d (j - m)]"
        )
    _passed("dilated patch stacks")


def _nearest_width(
    build: Callable[[int], torch.nn.Module], budget: int, hi: int = 4096
) -> set[int]:
    """The widths whose ``build(width)`` parameter count is nearest ``budget`` (counts grow with
    the width)."""
    lo_w, hi_w = 1, hi
    while hi_w - lo_w > 1:  # smallest width with count >= budget
        mid = (lo_w + hi_w) // 2
        lo_w, hi_w = (mid, hi_w) if count_params(build(mid)) < budget else (lo_w, mid)
    cands = {w: abs(count_params(build(w)) - budget) for w in (lo_w, hi_w) if w >= 1}
    best = min(cands.values())
    return {w for w, gap in cands.items() if gap == best}


def check_budget_width(fn: Callable[[Callable[[int], torch.nn.Module], int], int]) -> None:
    """``fn(build, budget)``: the width ``w`` whose model ``build(w)`` has the parameter count
    nearest ``budget``."""
    _reject_library_call(
        fn,
        {"size_to_budget": size_to_budget},
        "find the width for a parameter budget",
        probe=(lambda k: MLP(2, 1, hidden=k, layers=2), 500),
    )
    cases = [
        ("SIREN, 3 layers", lambda k: Siren(2, 1, hidden=k, layers=3), 9_000),
        ("ReLU MLP, 4 layers, 3 outputs", lambda k: MLP(2, 3, hidden=k, layers=4), 20_000),
        ("SIREN, 5 layers, 3 outputs", lambda k: Siren(2, 3, hidden=k, layers=5), 50_000),
        ("SIREN, 2 layers", lambda k: Siren(2, 1, hidden=k, layers=2), 1_000),
    ]
    for name, build, budget in cases:
        got = fn(build, budget)
        if isinstance(got, torch.nn.Module):
            raise AssertionError("return the width (an int), not the model")
        if isinstance(got, bool) or not isinstance(got, int) or got < 1:
            raise AssertionError(f"return a positive int width, got {got!r}")
        want = _nearest_width(build, budget)
        if got in want:
            continue
        n_got, w0 = count_params(build(got)), min(want)
        n_want = count_params(build(w0))
        hint = (
            "the nearest count may lie above the budget: compare the widths on both sides"
            if abs(got - w0) == 1 and (n_got < budget < n_want or n_want < budget < n_got)
            else "search the widths (the count grows with the width)"
        )
        raise AssertionError(
            f"{name}, budget {budget:,}: width {got} gives {n_got:,} parameters, width {w0} gives "
            f"{n_want:,}, nearer the budget; {hint}"
        )
    _passed("width for a parameter budget")


def check_masked_mse(
    fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor],
) -> None:
    """``fn(pred, target, mask)`` must return the MSE over observed entries (mask ``(1, H, W)``, 1 =
    observed)."""
    _reject_library_call(
        fn,
        {"masked_mse": masked_mse},
        "write the masked data term",
        probe=(torch.zeros(1, 4, 4), torch.ones(1, 4, 4), torch.ones(1, 4, 4)),
    )
    gen = torch.Generator().manual_seed(2)
    for c, h, w, frac in [(1, 8, 8, 0.25), (3, 6, 10, 0.5), (3, 16, 16, 0.1)]:
        pred, target = torch.rand(c, h, w, generator=gen), torch.rand(c, h, w, generator=gen)
        mask = random_mask(h, w, frac, seed=c + h)
        pred_copy = pred.clone().requires_grad_(True)
        got = _as_tensor("your masked loss", fn(pred_copy, target, mask))
        want = masked_mse(pred, target, mask)
        if got.numel() != 1:
            raise AssertionError(f"the loss must be a scalar, got shape {tuple(got.shape)}")
        if torch.allclose(got, torch.mean((pred - target) ** 2), atol=1e-6):
            raise AssertionError(
                "this is the plain MSE over all pixels: multiply the error by the mask"
            )
        if torch.allclose(got, torch.mean(mask * (pred - target) ** 2), atol=1e-6):
            raise AssertionError(
                "divide by the number of observed values (mask.sum() * channels), not by all pixels"
            )
        if not torch.allclose(got, want, atol=1e-6):
            raise AssertionError(
                f"for a {c}x{h}x{w} image the loss should be {want.item():.6f}, got "
                f"{got.item():.6f}"
            )
        if not got.requires_grad:
            raise AssertionError(
                "the loss must stay differentiable (no .item(), .numpy() or torch.no_grad())"
            )
        # the hidden pixels must not matter
        changed = target + (1 - mask) * 5.0
        if not torch.allclose(fn(pred, changed, mask), want, atol=1e-6):
            raise AssertionError(
                "changing hidden pixels of the target changed the loss: only observed pixels may "
                "count"
            )
    _passed("masked data term")


def check_box_downsample(fn: Callable[[torch.Tensor, int], torch.Tensor]) -> None:
    """``fn(img, factor)`` must average each ``factor x factor`` block of a ``(C, H, W)`` image,
    differentiably."""
    _reject_library_call(
        fn, {"downsample": downsample}, "write the block average", probe=(torch.zeros(1, 4, 4), 2)
    )
    gen = torch.Generator().manual_seed(3)
    for c, h, w, f in [(1, 8, 8, 2), (3, 12, 6, 3), (3, 16, 16, 4), (1, 5, 5, 1)]:
        img = torch.rand(c, h, w, generator=gen, requires_grad=True)
        got = _as_tensor("your downsampling", fn(img, f))
        want = downsample(img.detach(), f, "box")
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(
                f"a {c}x{h}x{w} image downsampled by {f} should be {tuple(want.shape)}, got "
                f"{tuple(got.shape)}"
            )
        if f > 1 and torch.allclose(got, img.detach()[:, ::f, ::f], atol=1e-6):
            raise AssertionError(
                "this keeps every f-th pixel (decimation, which aliases): average each f x f block"
            )
        if not torch.allclose(got, want, atol=1e-6):
            raise AssertionError(
                f"values differ from the block means by up to {(got - want).abs().max():.3g}"
            )
        if not got.requires_grad:
            raise AssertionError("the operator must be differentiable: it sits inside the loss")
    _passed("box downsampling forward model")


def check_discrepancy_step(fn: Callable[[list, float, float], int]) -> None:
    """``fn(losses, noise_sigma, tau)``: the 1-based step at which the data-fit MSE first reaches
    ``tau * sigma^2``.

    ``losses[k]`` is the residual MSE of step ``k + 1``; when the threshold is never reached the
    answer is the last step, ``len(losses)`` (the fit ran to the end). The discrepancy principle
    (Morozov) needs the noise level only, never the clean image.
    """
    _reject_library_call(
        fn,
        {"discrepancy_stop": discrepancy_stop, "restore": restore},
        "find the step from the losses and the noise level",
        probe=([0.05, 0.02, 0.005], 0.1, 1.0),
    )
    cases = [
        ([0.05, 0.02, 0.011, 0.0099, 0.008], 0.1, 1.0, 4),
        (
            [0.05, 0.02, 0.015625, 0.009],
            0.125,
            1.0,
            3,
        ),  # equal to the threshold (exact in binary) stops
        ([0.05, 0.03, 0.02], 0.1, 1.0, 3),  # never reached: the last step
        ([0.05, 0.03, 0.02, 0.01], 0.1, 2.0, 3),  # tau scales the threshold
        ([0.004, 0.003], 0.05, 1.0, 2),  # 0.003 > 0.05^2: compare with the variance, not sigma
    ]
    for losses, sigma, tau, want in cases:
        got = fn(list(losses), sigma, tau)
        if isinstance(got, bool) or not isinstance(got, int):
            raise AssertionError(f"return the step as an int, got {type(got).__name__}")
        if losses == [0.05, 0.02, 0.015625, 0.009] and got == 4:
            raise AssertionError(
                "a residual equal to tau * sigma^2 already meets the rule: compare with <="
            )
        if losses == [0.05, 0.03, 0.02, 0.01] and got == 4:
            raise AssertionError(
                "the threshold is tau * noise_sigma**2: tau multiplies the variance"
            )
        if got == want - 1 and got < len(losses):
            raise AssertionError(
                "steps are counted from 1 (history.step starts at 1): add one to the index"
            )
        if got != want:
            raise AssertionError(
                f"losses {losses}, noise_sigma {sigma}, tau {tau}: the rule fires at step {want}, "
                f"got {got} (threshold tau * sigma^2 = {tau * sigma**2:.4g})"
            )
    _passed("discrepancy-principle stopping step")


def _reject_insp_library(fn: Callable, library: dict[str, object], task: str, probe: tuple) -> None:
    """``_reject_library_call`` for a library of functions and ``nn.Module`` classes.

    A class is caught by name, by alias and inside ``functools.partial`` without being called; while
    ``fn(*probe)`` runs, any call of a class's ``forward`` (or of a listed function) is caught as
    well.
    """
    _reject_library_call(fn, library, task)
    watched = {
        name: (obj.forward if isinstance(obj, type) else obj) for name, obj in library.items()
    }
    _reject_library_call(fn, watched, task, probe=probe)


def check_laplacian_from_hessian(fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """``fn(H)`` must turn Hessians ``(N, C, D, D)`` into Laplacians ``(N, C)`` (the trace over the
    last two axes), any ``D``."""
    from . import derivatives

    _reject_library_call(
        fn,
        {
            name: getattr(derivatives, name)
            for name in ("laplacian", "hessian", "all_partials", "derivative_features")
        },
        "work from the Hessian H you are given (the library computes the Laplacian from a model; "
        "the point is to see that it is the trace of H) and take its trace",
    )
    gen = torch.Generator().manual_seed(4)
    for n, c, d in [(5, 1, 2), (7, 3, 2), (4, 2, 3), (3, 1, 1)]:
        a = torch.randn(n, c, d, d, generator=gen)
        hess = a + a.transpose(-1, -2)
        try:
            got = _as_tensor("your Laplacian", fn(hess))
        except IndexError as err:
            raise AssertionError(
                f"Hessians with D = {d} failed ({err}): the Laplacian sums all D diagonal entries, "
                "whatever D is"
            ) from None
        want = torch.diagonal(hess, dim1=-2, dim2=-1).sum(-1)
        if tuple(got.shape) != (n, c):
            raise AssertionError(
                f"Hessians of shape {(n, c, d, d)} should give Laplacians of shape {(n, c)}, got "
                f"{tuple(got.shape)}"
            )
        if torch.allclose(got, hess.sum(dim=(-1, -2)), atol=1e-5) and d > 1:
            raise AssertionError(
                "this sums every entry (the mixed partials too): the Laplacian sums the diagonal "
                "only"
            )
        if d > 2 and torch.allclose(got, hess[..., 0, 0] + hess[..., 1, 1], atol=1e-5):
            raise AssertionError(
                f"for D = {d} this adds only the first two diagonal entries: sum all D of them "
                "(d^2/dx_i^2 for every coordinate), e.g. over torch.diagonal(H, dim1=-2, dim2=-1)"
            )
        if not torch.allclose(got, want, atol=1e-5):
            raise AssertionError(
                f"for D = {d} the values differ from the trace of the Hessian by up to "
                f"{(got - want).abs().max():.3g}"
            )
    _passed("Laplacian = trace of the Hessian")


def check_insp_conv(fn: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]) -> None:
    """``fn(feats, coef)`` must return INSP-Conv's ``sum_p coef[p] * feats[:, p]`` as ``(N, 1)``
    (one channel)."""
    from . import insp

    _reject_insp_library(
        fn,
        {"INSPConv": insp.INSPConv, "INSPNet": insp.INSPNet},
        "write the weighted sum of the partials (INSP-Conv is the library's version of exactly "
        "this: a matrix-vector product or a sum over p)",
        probe=(torch.randn(4, 6, generator=torch.Generator().manual_seed(50)), torch.ones(6)),
    )
    gen = torch.Generator().manual_seed(5)
    for n, p in [(6, 6), (9, 10), (3, 3)]:
        feats = torch.randn(n, p, generator=gen)
        coef = torch.randn(p, generator=gen)
        got = _as_tensor("your INSP-Conv", fn(feats, coef))
        want = (feats @ coef)[:, None]
        if got.numel() != n:
            raise AssertionError(
                f"for {n} points the output should have shape ({n}, 1), got {tuple(got.shape)}"
            )
        if not torch.allclose(got.reshape(n, 1), want, atol=1e-5):
            raise AssertionError(
                "values differ from sum_p coef[p] * feats[:, p] by up to "
                f"{(got.reshape(n, 1) - want).abs().max():.3g}"
            )
    _passed("INSP-Conv: a linear combination of the partials")


def check_permute_hidden(fn: Callable[[Siren, torch.Tensor], Siren]) -> None:
    """``fn(model, perm)`` must return a new SIREN whose first hidden layer's neurons are reordered
    by ``perm``.

    The function must not change (every output equal) while the weight vector does.
    """
    torch.manual_seed(6)
    model = Siren(2, 1, hidden=8, layers=2, w0=5)
    before = [p.detach().clone() for p in model.parameters()]
    x = torch.rand(50, 2) * 2 - 1
    perm = torch.tensor([3, 0, 7, 1, 6, 2, 5, 4])
    new = fn(model, perm)
    if not isinstance(new, torch.nn.Module):
        raise AssertionError(f"permute_hidden should return a model, got {type(new).__name__}")
    if any(not torch.equal(a, b) for a, b in zip(before, model.parameters())):
        raise AssertionError(
            "the original model was modified: copy it first (copy.deepcopy) and permute the copy"
        )
    w_old = torch.cat([p.detach().flatten() for p in model.parameters()])
    w_new = torch.cat([p.detach().flatten() for p in new.parameters()])
    if torch.equal(w_old, w_new):
        raise AssertionError(
            "the weights did not change: permute the rows of net[0] (weight and bias)"
        )
    with torch.no_grad():
        gap = float((new(x) - model(x)).abs().max())
    if gap > 1e-5:
        first = new.net[0].linear.weight.detach()
        if torch.equal(first, model.net[0].linear.weight.detach()[perm]) and not torch.equal(
            new.net[1].linear.weight.detach(), model.net[1].linear.weight.detach()[:, perm]
        ):
            raise AssertionError(
                "net[0]'s rows are permuted but net[1].linear.weight's columns are not: the next "
                "layer must read the neurons in their new order"
            )
        raise AssertionError(
            f"the function changed (max difference {gap:.3g}): permute net[0]'s weight rows and "
            "bias entries, and net[1]'s weight columns, all with the same perm"
        )
    _passed("permuted SIREN: same function, different weights")


def check_tanh_jet(fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], tuple]) -> None:
    """``fn(u, u_x, u_xx)`` must return ``(h, h_x, h_xx)`` for ``h = tanh(u(x))`` (chain rule, 1-D,
    order 2)."""
    from . import derivatives, insp

    _reject_insp_library(
        fn,
        {
            "activation_derivatives": activation_derivatives,
            "compose_jet": derivatives.compose_jet,
            "all_partials": derivatives.all_partials,
            "INSPConvNet": insp.INSPConvNet,
        },
        "write the chain rule (Faa di Bruno at order 2) from tanh and its two derivatives",
        probe=tuple(torch.linspace(-1, 1, 5, dtype=torch.float64) * k for k in (1, 2, 3)),
    )
    gen = torch.Generator().manual_seed(7)
    u, ux, uxx = (torch.randn(20, generator=gen, dtype=torch.float64) for _ in range(3))
    got = fn(u, ux, uxx)
    if not isinstance(got, (tuple, list)) or len(got) != 3:
        raise AssertionError("return a tuple (h, h_x, h_xx)")
    d0, d1, d2 = activation_derivatives("tanh", u, 2)
    want = (d0, d1 * ux, d2 * ux**2 + d1 * uxx)
    for name, g, w in zip(("h", "h_x", "h_xx"), got, want):
        g = _as_tensor(name, g).to(torch.float64)
        if name == "h_xx" and torch.allclose(g, d1 * uxx, atol=1e-6):
            raise AssertionError(
                "h_xx misses tanh''(u) * u_x**2: differentiate tanh'(u(x)) * u_x with the product "
                "rule"
            )
        if name == "h_xx" and torch.allclose(g, d2 * ux**2, atol=1e-6):
            raise AssertionError("h_xx misses tanh'(u) * u_xx, the second term of the product rule")
        if not torch.allclose(g, w, atol=1e-6):
            raise AssertionError(
                f"{name} differs by up to {(g - w).abs().max():.3g}; tanh' = 1 - tanh^2, "
                "tanh'' = -2 tanh (1 - tanh^2)"
            )
    _passed("the jet of tanh(u): Faa di Bruno at order 2")


def check_ensemble_weights(fn: Callable[[torch.Tensor], torch.Tensor]) -> None:
    """``fn(rel)`` must turn the offsets ``(4, 2)`` of a query to its four codes into LIIF's
    blending weights ``(4,)``.

    Codes in the order (up-left, up-right, down-left, down-right); each weight is the area of the
    rectangle spanned by the query and the *diagonally opposite* code, divided by the sum of the
    four areas.
    """
    from . import liif

    _reject_library_call(
        fn,
        {"ensemble_weights": liif.ensemble_weights},
        "compute the four rectangle areas from rel",
        probe=(torch.tensor([[0.5, 0.5], [0.5, -1.5], [-1.5, 0.5], [-1.5, -1.5]]),),
    )
    gen = torch.Generator().manual_seed(8)
    for _ in range(5):
        t = torch.rand(2, generator=gen) * 2  # the query inside the square of the four codes
        codes = torch.tensor([[0.0, 0.0], [0.0, 2.0], [2.0, 0.0], [2.0, 2.0]])
        rel = t - codes
        got = _as_tensor("your weights", fn(rel)).reshape(-1)
        areas = (rel[:, 0] * rel[:, 1]).abs()
        want = areas.flip(0) / areas.sum()
        if got.numel() != 4:
            raise AssertionError(f"return one weight per code, shape (4,), got {tuple(got.shape)}")
        if torch.allclose(got, areas / areas.sum(), atol=1e-5):
            raise AssertionError(
                "each code is weighted by its *own* rectangle: the nearest code then gets the "
                "smallest weight; use the diagonally opposite code's area (reverse the list of "
                "areas)"
            )
        if not torch.allclose(got.sum(), torch.tensor(1.0), atol=1e-5):
            raise AssertionError(
                "the weights should sum to 1 (divide by the total area), got "
                f"{float(got.sum()):.4f}"
            )
        if not torch.allclose(got, want, atol=1e-5):
            raise AssertionError(
                "weights differ from the opposite-area rule by up to "
                f"{(got - want).abs().max():.3g}"
            )
    _passed("local-ensemble weights: opposite areas, normalised")


def check_cell_size(fn: Callable[[int, int], torch.Tensor]) -> None:
    """``fn(h, w)`` must return the cell ``(2 / h, 2 / w)`` of an ``h x w`` output in the [-1, 1]
    frame, ``(y, x)``."""
    from . import liif

    _reject_library_call(
        fn, {"cell_for": liif.cell_for}, "compute the cell from h and w", probe=(64, 48)
    )
    for h, w in [(64, 64), (120, 90), (7, 300)]:
        got = _as_tensor("your cell", fn(h, w)).reshape(-1).double()
        want = torch.tensor([2.0 / h, 2.0 / w], dtype=torch.float64)
        if got.numel() != 2:
            raise AssertionError(
                f"return the two sides (height, width) of one cell, got shape {tuple(got.shape)}"
            )
        if torch.allclose(got, want / 2, rtol=1e-5):
            raise AssertionError(
                "that is half a cell: [-1, 1] is 2 units wide, so a pixel of an h-row image is 2 "
                "/ h"
            )
        if torch.allclose(got, want.flip(0), rtol=1e-5) and h != w:
            raise AssertionError("the order is (height, width), i.e. (y, x) like the coordinates")
        if not torch.allclose(got, want, rtol=1e-5):
            raise AssertionError(f"cell({h}, {w}) should be {want.tolist()}, got {got.tolist()}")
    _passed("cell size for a target resolution")


def check_xpatch(fn: Callable[[torch.Tensor, int, int], torch.Tensor]) -> None:
    """``fn(patches, h, w)`` must return the cross-patch consistency loss of ``(h * w, C, 3, 3)``
    scale-0 patches.

    Element ``(i, j)`` of the patch at pixel ``(y, x)`` is compared with the centre of the patch at
    ``(y + i - 1, x + j - 1)``; pairs whose neighbour lies outside the image are left out; the loss
    sums, over the nine elements, the mean squared difference over the valid pixels and channels.
    """
    from .knitwork import extract_patches

    _reject_library_call(
        fn, {"xpatch_loss": xpatch_loss}, "compare each patch element with its neighbour's centre"
    )
    gen = torch.Generator().manual_seed(9)
    for c, h, w in [(1, 5, 6), (3, 4, 4)]:
        real = extract_patches(torch.rand(c, h, w, generator=gen))[:, 0]
        got = _as_tensor("your loss", fn(real, h, w))
        own_centre = float((real - real[:, :, 1:2, 1:2]).pow(2).mean())
        if got.numel() == 1 and abs(float(got) - own_centre) < 1e-9:
            raise AssertionError(
                "this compares each patch with its own centre; compare element (i, j) with the "
                "centre predicted at the neighbouring pixel (y + i - 1, x + j - 1)"
            )
        if got.numel() != 1 or float(got) > 1e-10:
            raise AssertionError(
                "patches cut from a real image must give a loss of 0, got "
                f"{got.flatten()[:3].tolist()}"
            )
        fake = real + 0.1 * torch.randn(real.shape, generator=gen)
        outside = fake.clone()
        ys, xs = torch.arange(h).repeat_interleave(w), torch.arange(w).repeat(h)
        outside[ys == 0, :, 0, :] += 5.0  # claims about the row above the image
        outside[xs == w - 1, :, :, 2] += 5.0  # and the column right of it
        got, want = float(fn(outside, h, w)), float(xpatch_loss(outside[:, None], h, w))
        if got > 2 * want:
            raise AssertionError(
                "neighbours outside the image were compared too (clamped or padded): leave out the "
                "pairs whose neighbour (y + i - 1, x + j - 1) lies outside the image"
            )
        if abs(got - want) > 1e-6 * max(1.0, want):
            raise AssertionError(
                f"loss {got:.6g} differs from the reference {want:.6g}: check the neighbour "
                "indexing (row-major pixels) and that you sum over the nine elements the mean "
                "over valid pixels"
            )
    _passed("cross-patch consistency")


def check_encoding(fn: Callable[[int, int, int], torch.Tensor]) -> None:
    """``fn(h, w, n_freq)`` must return O-INR's encoding field ``(4 * n_freq, h, w)`` (see
    ``oinr.encoding_grid``)."""
    from .oinr import encoding_coords, encoding_grid

    _reject_library_call(
        fn,
        {"encoding_grid": encoding_grid},
        "build the channels from the sample positions (torch.linspace)",
        probe=(4, 6, 2),
    )
    for h, w, n in [(4, 6, 2), (9, 5, 3), (16, 16, 4)]:
        got = _as_tensor("your encoding", fn(h, w, n)).double()
        want = encoding_grid(h, w, n, dtype=torch.float64)
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(
                f"encoding({h}, {w}, {n}) should have shape {tuple(want.shape)} (4 * n_freq "
                f"channels, then the grid), got {tuple(got.shape)}"
            )
        if torch.allclose(got[: 2 * n], want[2 * n :], atol=1e-5) and h != w:
            raise AssertionError(
                "the y channels come first, then the x channels (the course's (y, x) order)"
            )
        lin = want.clone()
        ys, xs = (encoding_coords(k, dtype=torch.float64) for k in (h, w))
        g = torch.stack(torch.meshgrid(ys, xs, indexing="ij"), -1)
        for d in range(2):
            for i in range(n):
                t = (i + 1) * torch.pi * g[..., d]
                lin[2 * n * d + 2 * i], lin[2 * n * d + 2 * i + 1] = torch.sin(t), torch.cos(t)
        if n > 2 and torch.allclose(got, lin, atol=1e-5):
            raise AssertionError(
                "the frequencies grow geometrically, 2^i * pi (i = 0..n_freq-1), not linearly"
            )
        if not torch.allclose(got, want, atol=1e-5):
            c = int((got - want).abs().flatten(1).amax(1).argmax())
            raise AssertionError(
                f"channel {c} differs (expected order per dimension: sin(2^0 pi t), cos(2^0 pi t), "
                f"sin(2^1 pi t), ...; t = linspace(-1, 1, n) along each axis); max error "
                f"{float((got - want)[c].abs().max()):.3g}"
            )
    _passed("O-INR encoding field")


def check_encoding_derivative(fn: Callable[[int, int, int, int], torch.Tensor]) -> None:
    """``fn(h, w, n_freq, dim)`` must return ``d gamma / d (y, x)[dim]`` on the grid,
    ``(4 * n_freq, h, w)``."""
    from .oinr import encoding_grid

    _reject_library_call(
        fn,
        {"encoding_grid": encoding_grid},
        "differentiate each channel (chain rule)",
        probe=(5, 7, 2, 1),
    )
    for h, w, n, dim in [(5, 7, 2, 1), (6, 4, 3, 0), (8, 8, 3, 1)]:
        got = _as_tensor("your derivative", fn(h, w, n, dim)).double()
        want = encoding_grid(h, w, n, derivative=dim, dtype=torch.float64)
        if tuple(got.shape) != tuple(want.shape):
            raise AssertionError(f"shape should be {tuple(want.shape)}, got {tuple(got.shape)}")
        other = slice(2 * n * (1 - dim), 2 * n * (2 - dim))
        if got[other].abs().max() > 1e-9:
            raise AssertionError(
                "the channels of the other dimension do not depend on this coordinate: their "
                "derivative is 0"
            )
        freqs = (2.0 ** torch.arange(n, dtype=torch.float64) * torch.pi).repeat_interleave(2)
        mine = slice(2 * n * dim, 2 * n * (dim + 1))
        if torch.allclose(got[mine] * freqs[:, None, None], want[mine], atol=1e-5):
            raise AssertionError(
                "the chain rule's factor is missing: d/dt sin(2^i pi t) = 2^i pi cos(2^i pi t)"
            )
        if torch.allclose(got[mine][1::2], -want[mine][1::2], atol=1e-5):
            raise AssertionError(
                "check the sign of the cosine channels: d/dt cos(a t) = -a sin(a t)"
            )
        if not torch.allclose(got, want, atol=1e-5):
            raise AssertionError(
                f"max error {float((got - want).abs().max()):.3g}; differentiate each channel of "
                "encoding_grid with respect to the coordinate of dimension dim"
            )
    _passed("derivative of the encoding")
