"""The guards that every notebook's checks share.

``_passed`` prints the success line, ``_as_tensor`` insists on a tensor, and
``_reject_library_call`` / ``_reject_insp_library`` refuse an answer that calls the library
function the exercise asks the learner to write (found by name, by alias, inside
``functools.partial`` or, given probe arguments, by watching what runs); ``_names_used``,
``_unwrap`` and ``_bound_values`` are their helpers.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

import torch


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
