"""Checks for notebook 03, INSP-ConvNet: a hidden-neuron permutation that keeps the function,
the jet of tanh (the chain rule at order 2)."""

from __future__ import annotations

from collections.abc import Callable

import torch

from ..insp import activation_derivatives
from ..models import Siren
from ._common import _as_tensor, _passed, _reject_insp_library


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
    from .. import derivatives, insp

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
