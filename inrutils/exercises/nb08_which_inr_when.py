"""Checks for notebook 08, which INR when: the Pareto front of (time, PSNR) with a tolerance on
time, the width for a parameter budget."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..compare import dominates, pareto_front
from ..models import MLP, Siren, count_params, size_to_budget
from ._common import _passed, _reject_library_call


def _pareto_reference(points: dict, time_tol: float = 0.0) -> list:
    """Names in ``points`` (name -> (seconds, psnr)) that no other point dominates, sorted; times
    within a factor ``1 + time_tol`` count as equal."""
    return pareto_front(points, time_tol)


def _dominators(points: dict, name: str, time_tol: float) -> list:
    return [o for o, q in points.items() if o != name and dominates(q, points[name], time_tol)]


def check_pareto_front(fn: Callable[[dict, float], list]) -> None:
    """``fn(points, time_tol)``: the sorted names of the points (name -> (seconds, psnr)) that no
    other point dominates, times within a factor ``1 + time_tol`` counting as equal."""
    _reject_library_call(
        fn,
        {
            "pareto_front": pareto_front,
            "dominates": dominates,
            "_pareto_reference": _pareto_reference,
        },
        "find the non-dominated methods",
    )
    gen = torch.Generator().manual_seed(3)
    cases = [
        ({"a": (1.0, 20.0), "b": (2.0, 25.0), "c": (3.0, 24.0)}, 0.0),  # c: slower, worse than b
        ({"a": (1.0, 20.0), "b": (1.0, 22.0)}, 0.0),  # a tie in time: b is better
        ({"a": (1.0, 20.0), "b": (1.0, 20.0)}, 0.0),  # identical points dominate neither
        ({"a": (1.0, 20.0), "b": (1.1, 22.0)}, 0.25),  # b is as fast within 25 %, and better
        ({"a": (1.0, 22.0), "b": (1.1, 22.0)}, 0.25),  # equally fast and good: neither dominates
        ({"a": (1.0, 22.0), "b": (1.5, 22.0)}, 0.25),  # a is faster beyond the tolerance
    ]
    for tol in (0.0, 0.3):
        for _ in range(4):
            ts = torch.rand(7, generator=gen) * 10
            ps = torch.rand(7, generator=gen) * 10 + 20
            cases.append(
                ({f"m{i}": (float(t), float(p)) for i, (t, p) in enumerate(zip(ts, ps))}, tol)
            )
    for pts, tol in cases:
        got = fn(dict(pts), tol)
        if not isinstance(got, (list, tuple)):
            raise AssertionError(f"return a list of names, got {type(got).__name__}")
        got = sorted(got)
        want = _pareto_reference(pts, tol)
        if got == want:
            continue
        rule = (
            f" (time_tol = {tol}: times within a factor {1 + tol:g} of each other count as equal)"
            if tol
            else ""
        )
        worse = sorted(set(got) - set(want))
        if worse:
            n = worse[0]
            by = _dominators(pts, n, tol)[0]
            raise AssertionError(
                f"{n} {pts[n]} is dominated by {by} {pts[by]} (as fast and as good, better "
                f"in one){rule} but is in your front"
            )
        n = sorted(set(want) - set(got))[0]
        raise AssertionError(
            f"{n} {pts[n]} is not dominated by any other point (equal points do not dominate each "
            f"other){rule} but is missing from your front"
        )
    _passed("Pareto front")


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
