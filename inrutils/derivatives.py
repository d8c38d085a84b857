"""Derivatives of a coordinate network with respect to its input: gradient, Hessian, Laplacian,
divergence, all partials.

An INR ``Phi(x)`` is a differentiable function, so its derivatives at any coordinate are
exact (no finite-difference stencil, no grid). Two ways to get them:

- ``method="autograd"`` works for any model: nested ``torch.autograd.grad`` calls, one per
  channel and lower-order partial, with ``create_graph`` only where a higher order needs it.
- ``method="fast"`` (SIREN only) propagates the value and all partials *forward* through
  the network in closed form. A linear layer maps every partial linearly (one matmul for
  all of them, stacked), and a sine layer ``h = sin(z)`` follows Faa di Bruno's formula:
  ``d_alpha h = sum over set partitions pi of alpha of sin^(|pi|)(z) * prod_{B in pi} d_B z``
  with ``sin^(n)(z) = sin(z + n pi / 2)``. No graph is stored, so memory stays small.

``method="auto"`` picks ``"fast"`` for :class:`inrutils.models.Siren` at order 2 and above (where it
pays off; see ``scripts/bench_derivatives.py``) and ``"autograd"`` otherwise. Both evaluate in
chunks of points, so peak memory does not grow with the number of points. The results are detached
tensors (for analysis and as cached features).

**Order of the partials.** For input dimension ``D`` and maximum order ``K`` the partials are
the sorted multi-indices of :func:`partial_indices`, by order then lexicographically; for
2-D coordinates ``(y, x)`` (the course's convention) and ``K = 3``:
``f, f_y, f_x, f_yy, f_yx, f_xx, f_yyy, f_yyx, f_yxx, f_xxx`` (:func:`partial_names`).
:func:`derivative_features` returns them as ``(N, P * C)`` with column ``p * C + c`` holding
partial ``p`` of output channel ``c``.
"""

from __future__ import annotations

import math
import warnings
from functools import cache
from itertools import combinations_with_replacement

import torch
from torch import nn

from .models import Siren

METHODS = ("auto", "autograd", "fast")


@cache
def partial_indices(in_dim: int, order: int) -> tuple[tuple[int, ...], ...]:
    """All multi-indices up to ``order`` for ``in_dim`` inputs: ``()`` (the value), then order 1, 2,
    ... each sorted."""
    if isinstance(in_dim, bool) or not isinstance(in_dim, int) or in_dim < 1:
        raise ValueError(f"in_dim must be a positive integer, got {in_dim!r}")
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ValueError(f"order must be an integer >= 0, got {order!r}")
    out: list[tuple[int, ...]] = [()]
    for k in range(1, order + 1):
        out += list(combinations_with_replacement(range(in_dim), k))
    return tuple(out)


def partial_names(
    in_dim: int, order: int, names: tuple[str, ...] | None = None, prefix: str = "f"
) -> list[str]:
    """Readable names of :func:`partial_indices`: ``f, f_y, f_x, f_yy, ...`` for 2-D ``(y, x)``
    inputs (``prefix="Phi"`` gives ``Phi, Phi_y, ...``)."""
    if names is None:
        names = (
            ("y", "x")
            if in_dim == 2
            else ("t",)
            if in_dim == 1
            else tuple(f"x{i}" for i in range(in_dim))
        )
    return [
        prefix if not a else f"{prefix}_" + "".join(names[i] for i in a)
        for a in partial_indices(in_dim, order)
    ]


def multi_index(index: tuple[int, ...], in_dim: int) -> tuple[int, ...]:
    """The multi-index ``alpha`` of a partial from :func:`partial_indices`: how many times each
    coordinate is differentiated, e.g. ``(0, 1)`` (d/dy d/dx) -> ``(1, 1)``."""
    return tuple(index.count(i) for i in range(in_dim))


def tensor_norm_sq(partials: torch.Tensor, order: int, in_dim: int = 2) -> torch.Tensor:
    """Squared Frobenius norm of the symmetric tensor of ``order``-th derivatives,
    ``sum_{|alpha| = order} (order! / alpha!) (d^alpha Phi)^2``.

    ``partials``: ``(P, ...)``, every partial up to at least ``order`` in :func:`partial_indices`
    order (as :func:`all_partials` returns them). Each sorted partial stands for
    ``order! / alpha!`` equal entries of the tensor (``f_yx`` and ``f_xy`` are one partial, two
    entries), so the norm is invariant under rotations of the coordinates; the plain sum of
    squares of the sorted partials is not (for ``order >= 2``).
    """
    indices = partial_indices(in_dim, order)
    if partials.shape[0] < len(indices):
        raise ValueError(
            f"partials must hold all {len(indices)} partials up to order {order} along dim 0, "
            f"got {partials.shape[0]}"
        )
    total = torch.zeros_like(partials[0])
    for p, index in enumerate(indices):
        if len(index) == order:
            alpha = multi_index(index, in_dim)
            weight = math.factorial(order) / math.prod(math.factorial(a) for a in alpha)
            total = total + weight * partials[p] ** 2
    return total


def _set_partitions(items: list[int]):
    """All set partitions of ``items`` (positions), as lists of blocks."""
    if not items:
        yield []
        return
    first, rest = items[0], items[1:]
    for part in _set_partitions(rest):
        for i in range(len(part)):
            yield part[:i] + [[first] + part[i]] + part[i + 1 :]
        yield [[first]] + part


@cache
def _faa_di_bruno(
    in_dim: int, order: int
) -> tuple[tuple[int, int, tuple[tuple[int, ...], ...]], ...]:
    """Faa di Bruno's terms with two or more blocks: ``(target, m, products)`` per partial and block
    count.

    ``products`` lists, for each set partition of the target multi-index into ``m >= 2``
    blocks, the positions (in :func:`partial_indices`) of the blocks' partials; the term is
    ``sin^(m)(z) * sum over products of prod z[block]``. (The one-block term of every
    partial is ``cos(z) * z[target]``, done for all partials at once.)
    """
    indices = partial_indices(in_dim, order)
    where = {a: p for p, a in enumerate(indices)}
    out = []
    for p, alpha in enumerate(indices[1:], start=1):
        by_m: dict[int, list[tuple[int, ...]]] = {}
        for part in _set_partitions(list(range(len(alpha)))):
            if len(part) >= 2:
                by_m.setdefault(len(part), []).append(
                    tuple(where[tuple(sorted(alpha[i] for i in b))] for b in part)
                )
        out += [(p, m, tuple(prods)) for m, prods in sorted(by_m.items())]
    return tuple(out)


def shift_index(in_dim: int, order: int, sub_order: int) -> torch.Tensor:
    """Where the partials of a derivative live in a jet: ``(P_{order - sub_order}, P_{sub_order})``
    positions.

    Entry ``[b, a]`` is the position in ``partial_indices(in_dim, order)`` of the multi-index
    ``alpha + beta`` (``alpha`` the ``a``-th of ``partial_indices(in_dim, sub_order)``, ``beta``
    the ``b``-th of ``partial_indices(in_dim, order - sub_order)``): gathering a jet with it gives
    every partial ``d^beta`` of every ``d^alpha f``, i.e. the jet of ``d^alpha f`` truncated to
    order ``order - sub_order``. INSP-ConvNet uses it to apply INSP-Conv to a jet.
    """
    if isinstance(sub_order, bool) or not isinstance(sub_order, int) or not 0 <= sub_order <= order:
        raise ValueError(f"sub_order must be an integer in [0, order={order}], got {sub_order!r}")
    where = {a: p for p, a in enumerate(partial_indices(in_dim, order))}
    return torch.tensor(
        [
            [where[tuple(sorted(a + b))] for a in partial_indices(in_dim, sub_order)]
            for b in partial_indices(in_dim, order - sub_order)
        ],
        dtype=torch.long,
    )


def compose_jet(z: torch.Tensor, sigma_derivs: list[torch.Tensor], in_dim: int) -> torch.Tensor:
    """The jet of ``sigma(z(x))`` from the jet of ``z`` (Faa di Bruno), differentiable (no in-place
    ops).

    ``z``: ``(P, ...)`` all partials of ``z`` up to some order ``K``
    (``P = len(partial_indices(in_dim, K))``, ``z[0]`` the value); ``sigma_derivs[m]``:
    ``sigma^(m)(z[0])`` for ``m = 0..K``, each shaped like ``z[0]``. Returns the ``(P, ...)``
    partials of ``sigma(z)``:
    ``d_alpha sigma(z) = sum over set partitions pi of alpha of sigma^(|pi|)(z) prod_{B in pi} d_B
    z``.
    """
    n_partials = z.shape[0]
    order = 0
    while len(partial_indices(in_dim, order)) < n_partials:
        order += 1
    if len(partial_indices(in_dim, order)) != n_partials:
        raise ValueError(f"z has {n_partials} partials, which is no full jet for in_dim={in_dim}")
    if len(sigma_derivs) < order + 1:
        raise ValueError(
            f"compose_jet needs sigma's derivatives of order 0..{order}, got {len(sigma_derivs)}"
        )
    out = [sigma_derivs[0]] + [sigma_derivs[1] * z[p] for p in range(1, n_partials)]
    for target, m, products in _faa_di_bruno(in_dim, order):
        acc = sum(torch.stack([z[q] for q in blocks]).prod(0) for blocks in products)
        out[target] = out[target] + sigma_derivs[m] * acc
    return torch.stack(out)


#: default points per chunk: autograd amortises its Python overhead over big chunks; the fast path
#: streams ~P tensors of (chunk, hidden) through every layer and likes them to stay in cache.
DEFAULT_CHUNK = {"autograd": 4096, "fast": 1024}


def _check(
    model: nn.Module, coords: torch.Tensor, order: int, method: str, chunk: int | None
) -> tuple[str, int]:
    if not isinstance(model, nn.Module):
        raise ValueError(f"model must be a torch.nn.Module, got {type(model).__name__}")
    if not isinstance(coords, torch.Tensor) or coords.ndim != 2 or not coords.is_floating_point():
        raise ValueError(
            "coords must be a floating (N, D) tensor, got "
            f"{getattr(coords, 'shape', type(coords).__name__)}"
        )
    if isinstance(order, bool) or not isinstance(order, int) or order < 0:
        raise ValueError(f"order must be an integer >= 0, got {order!r}")
    if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, int) or chunk < 1):
        raise ValueError(
            f"chunk must be None (a default per method) or a positive integer, got {chunk!r}"
        )
    if method not in METHODS:
        raise ValueError(f"method={method!r} is unknown; allowed: {', '.join(map(repr, METHODS))}")
    if method == "auto":  # first derivatives: one backward pass is as cheap as it gets
        method = "fast" if isinstance(model, Siren) and order >= 2 else "autograd"
    if method == "fast" and not isinstance(model, Siren):
        raise ValueError(
            f"method='fast' needs an inrutils.models.Siren (closed form through sine layers), got "
            f"{type(model).__name__}; use method='autograd' or 'auto'"
        )
    return method, DEFAULT_CHUNK[method] if chunk is None else chunk


def _placed(model: nn.Module, coords: torch.Tensor) -> torch.Tensor:
    """``coords`` on the model's device and in its dtype (a parameter-free model keeps the
    coordinates' own).

    Also checks that the coordinate width ``D`` is one the model accepts: a model that declares an
    integer ``in_dim`` (in its ``config``, as every course model does, or as an attribute) is
    compared directly, any other is tried on one point.
    """
    param = next(iter(model.parameters()), None)
    if param is not None:
        coords = coords.to(device=param.device, dtype=param.dtype)
    d = coords.shape[1]
    config = getattr(model, "config", None)
    in_dim = config.get("in_dim") if isinstance(config, dict) else getattr(model, "in_dim", None)
    if isinstance(in_dim, int) and not isinstance(in_dim, bool):
        if in_dim != d:
            raise ValueError(
                f"coords have {d} columns but this {type(model).__name__} takes in_dim={in_dim} "
                f"coordinates: pass an (N, {in_dim}) tensor"
            )
        return coords
    try:
        with torch.no_grad():
            model(coords[:1])
    except RuntimeError as err:
        raise ValueError(
            f"coords of width D={d} do not fit this {type(model).__name__} (evaluating it on one "
            f"point failed: {str(err).splitlines()[0]}); pass (N, D) coordinates with the D the "
            "model was built for"
        ) from None
    return coords


def _fast_chunk(model: Siren, x: torch.Tensor, order: int) -> torch.Tensor:
    """(P, n, C) partials of a SIREN at points x (n, D), propagated forward in closed form."""
    n, d = x.shape
    n_partials = len(partial_indices(d, order))
    terms = _faa_di_bruno(d, order)
    # partials of the input itself: the value x, first partials the unit vectors, higher ones 0
    u = x.new_zeros(n_partials, n, d)
    u[0] = x
    if order >= 1:
        u[1 : 1 + d] = torch.eye(d, dtype=x.dtype, device=x.device)[:, None, :]
    for layer in model.net:
        w = layer.w0 * layer.linear.weight
        z = (u.reshape(-1, u.shape[-1]) @ w.t()).view(
            n_partials, n, -1
        )  # all partials of the pre-activation
        z[0] += layer.w0 * layer.linear.bias  # the bias only shifts the value
        sin, cos = torch.sin(z[0]), torch.cos(z[0])
        h = torch.empty_like(z)
        h[0] = sin
        torch.mul(z[1:], cos, out=h[1:])  # one-block terms: sin'(z) * z_alpha
        for target, m, products in terms:  # the rest: sin^(m)(z) * sum prod z_B
            acc = None
            for blocks in products:
                prod = torch.mul(z[blocks[0]], z[blocks[1]])
                for q in blocks[2:]:
                    prod.mul_(z[q])
                acc = prod if acc is None else acc.add_(prod)
            base, sign = ((cos, 1.0), (sin, -1.0), (cos, -1.0), (sin, 1.0))[(m - 1) % 4]
            h[target].addcmul_(base, acc, value=sign)
        u = h
    out = (u.reshape(-1, u.shape[-1]) @ model.head.weight.t()).view(n_partials, n, -1)
    out[0] += model.head.bias
    return out


def _autograd_chunk(model: nn.Module, x: torch.Tensor, order: int) -> torch.Tensor:
    """(P, n, C) partials by nested autograd; each gradient call yields one row of the next
    order."""
    d = x.shape[1]
    indices = partial_indices(d, order)
    with torch.enable_grad():
        x = x.detach().requires_grad_(order > 0)
        y = model(x)
        c = y.shape[1]
        feats: dict[tuple[int, ...], list[torch.Tensor]] = {(): [y[:, j] for j in range(c)]}
        for k in range(1, order + 1):
            keep_graph = k < order
            for parent in (a for a in indices if len(a) == k - 1):
                cols = []
                for j in range(c):
                    f = feats[parent][j]
                    if f.requires_grad:
                        (g,) = torch.autograd.grad(
                            f.sum(),
                            x,
                            create_graph=keep_graph,
                            retain_graph=True,
                            allow_unused=True,
                        )
                        g = torch.zeros_like(x) if g is None else g
                    else:  # the lower partial no longer depends on x (e.g. a ReLU net's gradient)
                        g = torch.zeros_like(x)
                    cols.append(g)
                start = parent[-1] if parent else 0
                for i in range(start, d):
                    feats[parent + (i,)] = [col[:, i] for col in cols]
        out = torch.stack([torch.stack(feats[a], dim=1) for a in indices])
    return out.detach()


def all_partials(
    model: nn.Module,
    coords: torch.Tensor,
    order: int = 2,
    method: str = "auto",
    chunk: int | None = None,
) -> torch.Tensor:
    """All partial derivatives up to ``order`` at ``coords`` ``(N, D)``: a detached ``(P, N, C)``
    tensor.

    ``P = len(partial_indices(D, order))`` in that order (``[0]`` is the value itself). Points
    are processed ``chunk`` at a time (default :data:`DEFAULT_CHUNK` per method) on the
    model's device and in its dtype (a parameter-free module, e.g. ``nn.Tanh()``, keeps the
    coordinates' device and dtype); the result stays there. A coordinate width ``D`` that the
    model does not take raises a ``ValueError``.
    """
    method, chunk = _check(model, coords, order, method, chunk)
    coords = _placed(model, coords)
    out = (
        None  # filled chunk by chunk: no list of small pieces interleaved with the big temporaries
    )
    for start in range(0, coords.shape[0], chunk):
        x = coords[start : start + chunk]
        if method == "fast":
            with torch.no_grad():
                piece = _fast_chunk(model, x, order)
        else:
            piece = _autograd_chunk(model, x, order)
        if out is None:
            out = piece.new_empty(piece.shape[0], coords.shape[0], piece.shape[2])
        out[:, start : start + x.shape[0]] = piece
        del piece
    if order >= 2 and not bool(out[1 + coords.shape[1] :].any()):
        warnings.warn(
            f"every derivative of order 2..{order} of this {type(model).__name__} is exactly "
            "zero: a ReLU network on raw coordinates is piecewise linear, so its second "
            "derivatives vanish almost everywhere. Use a smooth network (Siren, or an MLP with "
            "activation='sine'/'tanh' or a Fourier-feature encoding).",
            stacklevel=2,
        )
    return out


def derivative_features(
    model: nn.Module,
    coords: torch.Tensor,
    order: int = 2,
    method: str = "auto",
    chunk: int | None = None,
) -> torch.Tensor:
    """The value and all partials up to ``order`` as one ``(N, P * C)`` tensor (column
    ``p * C + c``).

    The input of an INSP-Net operator: ``P`` partials (see :func:`partial_names`) of each of
    the ``C`` output channels, per point. Detached; computed in chunks (see :func:`all_partials`).
    """
    parts = all_partials(model, coords, order, method, chunk)
    p, n, c = parts.shape
    return parts.permute(1, 0, 2).reshape(n, p * c)


def gradient(
    model: nn.Module, coords: torch.Tensor, method: str = "auto", chunk: int | None = None
) -> torch.Tensor:
    """``d Phi_c / d x_i`` at ``coords`` ``(N, D)``: a detached ``(N, C, D)`` tensor."""
    parts = all_partials(model, coords, 1, method, chunk)
    return parts[1:].permute(1, 2, 0)


def hessian(
    model: nn.Module, coords: torch.Tensor, method: str = "auto", chunk: int | None = None
) -> torch.Tensor:
    """``d^2 Phi_c / d x_i d x_j`` at ``coords`` ``(N, D)``: a detached, symmetric ``(N, C, D, D)``
    tensor."""
    d = coords.shape[-1] if isinstance(coords, torch.Tensor) else 0
    parts = all_partials(model, coords, 2, method, chunk)
    n, c = parts.shape[1:]
    out = parts.new_empty(n, c, d, d)
    for p, a in enumerate(partial_indices(d, 2)):
        if len(a) == 2:
            out[:, :, a[0], a[1]] = parts[p]
            out[:, :, a[1], a[0]] = parts[p]
    return out


def laplacian(
    model: nn.Module, coords: torch.Tensor, method: str = "auto", chunk: int | None = None
) -> torch.Tensor:
    """``sum_i d^2 Phi_c / d x_i^2`` at ``coords`` ``(N, D)``: a detached ``(N, C)`` tensor (the
    Hessian's trace)."""
    return torch.diagonal(hessian(model, coords, method, chunk), dim1=-2, dim2=-1).sum(-1)


def divergence(
    model: nn.Module, coords: torch.Tensor, method: str = "auto", chunk: int | None = None
) -> torch.Tensor:
    """``sum_i d Phi_i / d x_i`` of a vector field with ``C == D`` outputs: a detached ``(N,)``
    tensor."""
    g = gradient(model, coords, method, chunk)
    if g.shape[1] != g.shape[2]:
        raise ValueError(
            f"divergence needs a vector field with as many outputs as inputs, got {g.shape[1]} "
            f"outputs for {g.shape[2]}-D coordinates"
        )
    return torch.diagonal(g, dim1=-2, dim2=-1).sum(-1)


def finite_differences(
    model: nn.Module, coords: torch.Tensor, order: int = 2, h: float | None = None
) -> torch.Tensor:
    """Central finite differences of all partials up to ``order`` (at most 3), ``(P, N, C)``: the
    reference for tests.

    Uses the tensor-product central stencil ``prod_i (f(x + h e_i) - f(x - h e_i)) / 2h``
    with ``h = eps^(1 / (k + 2))`` for a partial of order ``k`` (balances truncation and
    round-off) unless ``h`` is given. Evaluate in float64.
    """
    if order > 3:
        raise ValueError(f"finite_differences supports order <= 3, got {order}")
    coords = coords.detach()
    eps = torch.finfo(coords.dtype).eps
    d = coords.shape[1]
    out = []
    with torch.no_grad():
        for alpha in partial_indices(d, order):
            step = h if h is not None else eps ** (1 / (len(alpha) + 2))
            acc = 0.0
            steps = [(0.0,) * d]
            weights = [1.0]
            for i in alpha:  # apply the 1-D central difference along axis i, once per occurrence
                new_steps, new_weights = [], []
                for s, w in zip(steps, weights):
                    for sgn in (1.0, -1.0):
                        t = list(s)
                        t[i] += sgn * step
                        new_steps.append(tuple(t))
                        new_weights.append(w * sgn / (2 * step))
                steps, weights = new_steps, new_weights
            for s, w in zip(steps, weights):
                acc = acc + w * model(
                    coords + torch.tensor(s, dtype=coords.dtype, device=coords.device)
                )
            out.append(acc)
    return torch.stack(out)


__all__ = [
    "METHODS",
    "all_partials",
    "derivative_features",
    "divergence",
    "finite_differences",
    "gradient",
    "hessian",
    "laplacian",
    "partial_indices",
    "partial_names",
    "multi_index",
    "tensor_norm_sq",
    "shift_index",
    "compose_jet",
]
