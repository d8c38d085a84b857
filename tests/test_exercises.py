import importlib
import json
import math
import pathlib
import pkgutil
import re

import numpy as np
import pytest
import torch
from scripts_loader import load_script

from inrutils import compare, exercises
from inrutils.coords import grid
from inrutils.encodings import fourier_features
from inrutils.models import siren_init_bound


def _my_grid(h, w):
    ys = -1 + (2 * torch.arange(h) + 1) / h
    xs = -1 + (2 * torch.arange(w) + 1) / w
    return torch.stack(torch.meshgrid(ys, xs, indexing="ij"), -1).reshape(-1, 2)


def _my_bound(fan_in, w0, is_first):
    return 1 / fan_in if is_first else math.sqrt(6 / fan_in) / w0


def _my_features(x, B):
    proj = 2 * torch.pi * x @ B.T
    return torch.cat([proj.cos(), proj.sin()], -1)


def _my_kernel(d, sigma_ff):
    return torch.exp(-2 * torch.pi**2 * sigma_ff**2 * (d**2).sum(-1))


def _my_kernel_monte_carlo(d, sigma_ff):
    B = torch.randn(200_000, d.shape[1], generator=torch.Generator().manual_seed(0)) * sigma_ff
    return torch.cos(2 * torch.pi * d @ B.T).mean(1)


def test_reference_solutions_pass(capsys):
    exercises.check_grid(_my_grid)
    exercises.check_siren_init_bound(_my_bound)
    exercises.check_fourier_features(_my_features)
    exercises.check_ff_kernel(_my_kernel)
    exercises.check_ff_kernel(_my_kernel_monte_carlo)
    assert capsys.readouterr().out.count("all checks passed") == 5


def test_notebook01_checks_reject_a_library_call():
    # the library's own function, or a one-line wrapper around it, is not a solution
    cases = [
        (exercises.check_grid, grid, lambda h, w: grid(h, w), "grid"),
        (
            exercises.check_siren_init_bound,
            siren_init_bound,
            lambda n, w0, f: siren_init_bound(n, w0, f),
            "siren_init_bound",
        ),
        (
            exercises.check_fourier_features,
            fourier_features,
            lambda x, B: fourier_features(x, B),
            "fourier_features",
        ),
    ]
    for check, lib_fn, wrapper, name in cases:
        for fn in (lib_fn, wrapper):
            with pytest.raises(AssertionError, match=f"calls the library's `{name}`"):
                check(fn)

    def via_module(d, sigma_ff):
        from inrutils.encodings import FourierFeatures

        return FourierFeatures(d.shape[1], 4096, sigma_ff)(d).mean(1)

    with pytest.raises(AssertionError, match="FourierFeatures"):
        exercises.check_ff_kernel(via_module)


def test_pareto_front_check():
    from inrutils.exercises.nb08_which_inr_when import _pareto_reference

    def mine(points, time_tol):
        def beats(a, b):
            (ta, pa), (tb, pb) = a, b
            return ta <= tb * (1 + time_tol) and pa >= pb and (pa > pb or ta * (1 + time_tol) < tb)

        return sorted(n for n, p in points.items() if not any(beats(q, p) for q in points.values()))

    exercises.check_pareto_front(mine)
    with pytest.raises(AssertionError, match="library"):
        exercises.check_pareto_front(lambda pts, tol: _pareto_reference(pts, tol))
    with pytest.raises(AssertionError, match="library"):
        exercises.check_pareto_front(compare.pareto_front)
    with pytest.raises(AssertionError, match="dominated by"):
        exercises.check_pareto_front(lambda pts, tol: sorted(pts))
    with pytest.raises(AssertionError, match="equal points"):  # strict dominance forgotten
        exercises.check_pareto_front(
            lambda pts, tol: sorted(
                n
                for n, (t, p) in pts.items()
                if not any(o != n and t2 <= t and p2 >= p for o, (t2, p2) in pts.items())
            )
        )
    with pytest.raises(AssertionError, match="time_tol = 0.25"):  # the tolerance ignored
        exercises.check_pareto_front(lambda pts, tol: mine(pts, 0.0))


def test_ff_kernel_mistakes():
    with pytest.raises(AssertionError, match="variance"):
        exercises.check_ff_kernel(lambda d, s: torch.exp(-2 * torch.pi**2 * s * (d**2).sum(-1)))
    with pytest.raises(AssertionError, match="2 pi"):
        exercises.check_ff_kernel(lambda d, s: torch.exp(-0.5 * s**2 * (d**2).sum(-1)))
    with pytest.raises(AssertionError, match="one value per row"):
        exercises.check_ff_kernel(lambda d, s: torch.exp(-2 * torch.pi**2 * s**2 * d**2))


def test_grid_mistakes_are_explained():
    with pytest.raises(AssertionError, match=r"columns are \(x, y\)"):
        exercises.check_grid(lambda h, w: _my_grid(h, w).flip(-1))

    def edges(h, w):
        ys, xs = torch.linspace(-1, 1, h), torch.linspace(-1, 1, w)
        return torch.stack(torch.meshgrid(ys, xs, indexing="ij"), -1).reshape(-1, 2)

    with pytest.raises(AssertionError, match="pixel centres"):
        exercises.check_grid(edges)
    with pytest.raises(AssertionError, match="shape"):
        exercises.check_grid(lambda h, w: _my_grid(h, w)[:-1])


def test_init_bound_mistake():
    with pytest.raises(AssertionError, match="hidden layer should be"):
        exercises.check_siren_init_bound(lambda n, w0, first: 1 / n if first else math.sqrt(6 / n))


def test_fourier_mistakes():
    with pytest.raises(AssertionError, match="sines come first"):
        exercises.check_fourier_features(lambda x, B: _my_features(x, B).roll(B.shape[0], dims=-1))
    with pytest.raises(AssertionError, match="2 pi factor"):
        exercises.check_fourier_features(
            lambda x, B: torch.cat([(x @ B.T).cos(), (x @ B.T).sin()], -1)
        )
    with pytest.raises(NotImplementedError):
        exercises.check_fourier_features(lambda x, B: (_ for _ in ()).throw(NotImplementedError()))


def test_linr_exercises_pass_the_reference_and_explain_mistakes(capsys):
    from inrutils import degrade, linr

    def my_masked_mse(pred, target, mask):  # the learner's answer, written with torch only
        mask = mask.expand_as(pred)
        return (mask * (pred - target) ** 2).sum() / mask.sum().clamp_min(1)

    def my_box_downsample(x, f):
        c, h, w = x.shape
        return x[:, : h // f * f, : w // f * f].reshape(c, h // f, f, w // f, f).mean((2, 4))

    exercises.check_masked_mse(my_masked_mse)
    exercises.check_box_downsample(my_box_downsample)
    assert capsys.readouterr().out.count("all checks passed") == 2
    # A call to the library function the exercise asks for is refused, and the message says why.
    with pytest.raises(AssertionError, match="calls the library"):
        exercises.check_masked_mse(linr.masked_mse)
    with pytest.raises(AssertionError, match="calls the library"):
        exercises.check_box_downsample(lambda x, f: degrade.downsample(x, f, "box"))
    with pytest.raises(AssertionError, match="calls the library"):  # found only by running it
        exercises.check_masked_mse(lambda p, t, m: getattr(linr, "masked" + "_mse")(p, t, m))
    # '<' instead of '<=' misses a residual exactly at the threshold (0.125^2 is exact in binary)
    with pytest.raises(AssertionError, match="compare with <="):
        exercises.check_discrepancy_step(
            lambda losses, s, t: next(
                (i + 1 for i, v in enumerate(losses) if v < t * s**2), len(losses)
            )
        )
    with pytest.raises(AssertionError, match="plain MSE"):
        exercises.check_masked_mse(lambda p, t, m: torch.mean((p - t) ** 2))
    with pytest.raises(AssertionError, match="number of observed values"):
        exercises.check_masked_mse(lambda p, t, m: torch.mean(m * (p - t) ** 2))
    with pytest.raises(AssertionError, match="differentiable"):
        exercises.check_masked_mse(lambda p, t, m: my_masked_mse(p, t, m).detach())
    with pytest.raises(AssertionError, match="decimation"):
        exercises.check_box_downsample(lambda x, f: x[:, ::f, ::f])
    with pytest.raises(AssertionError, match="should be"):
        exercises.check_box_downsample(lambda x, f: x)


def test_insp_exercises(capsys):
    from inrutils import derivatives, insp

    exercises.check_laplacian_from_hessian(lambda H: torch.diagonal(H, dim1=-2, dim2=-1).sum(-1))
    exercises.check_insp_conv(lambda f, c: f @ c[:, None])
    assert capsys.readouterr().out.count("all checks passed") == 2
    with pytest.raises(AssertionError, match="diagonal only"):
        exercises.check_laplacian_from_hessian(lambda H: H.sum((-1, -2)))
    with pytest.raises(AssertionError, match="differ|shape"):
        exercises.check_insp_conv(
            lambda f, c: (f * c).sum(0)
        )  # summed over the points, not the features
    with pytest.raises(AssertionError, match="for D = 3 this adds only the first two"):
        exercises.check_laplacian_from_hessian(lambda H: H[..., 0, 0] + H[..., 1, 1])
    with pytest.raises(AssertionError, match="work from the Hessian"):
        exercises.check_laplacian_from_hessian(lambda H: derivatives.laplacian(H, H))
    with pytest.raises(AssertionError, match="write the weighted sum"):
        exercises.check_insp_conv(lambda f, c: insp.INSPConv(order=1)(f))


def _taylor(k, order, mistake=None):
    from inrutils.derivatives import multi_index, partial_indices

    k = np.asarray(k, dtype=float)
    r = k.shape[0] // 2
    u = np.arange(-r, r + 1)
    out = []
    for index in partial_indices(2, order):
        ay, ax = multi_index(index, 2)
        if mistake == "swap":
            ay, ax = ax, ay
        m = (k * np.outer(u**ay, u**ax)).sum()
        if mistake != "raw":
            m /= math.factorial(ay) * math.factorial(ax)
        if mistake == "sign":
            m *= (-1) ** (ay + ax)
        out.append(m)
    return torch.tensor(out)


def _norm(d, k, weight=lambda k, a: math.factorial(k) / math.prod(map(math.factorial, a))):
    from inrutils.derivatives import multi_index, partial_indices

    return sum(
        weight(k, multi_index(i, 2)) * d[p] ** 2
        for p, i in enumerate(partial_indices(2, k))
        if len(i) == k
    )


def test_insp_key_idea_exercises(capsys):
    from inrutils import derivatives, insp

    exercises.check_taylor_coefficients(_taylor)
    exercises.check_tensor_norm(_norm)
    assert capsys.readouterr().out.count("all checks passed") == 2
    for mistake, message in [("raw", "raw moments"), ("sign", "convolution"), ("swap", "swapped")]:
        with pytest.raises(AssertionError, match=message):
            exercises.check_taylor_coefficients(lambda k, o, m=mistake: _taylor(k, o, m))
    with pytest.raises(AssertionError, match="calls the library's `taylor_coefficients`"):
        exercises.check_taylor_coefficients(insp.taylor_coefficients)
    with pytest.raises(AssertionError, match="flattened norm"):
        exercises.check_tensor_norm(lambda d, k: _norm(d, k, lambda k, a: 1.0))
    with pytest.raises(AssertionError, match="not alpha! / k!"):
        exercises.check_tensor_norm(
            lambda d, k: _norm(
                d, k, lambda k, a: math.prod(map(math.factorial, a)) / math.factorial(k)
            )
        )
    with pytest.raises(AssertionError, match="calls the library's `tensor_norm_sq`"):
        exercises.check_tensor_norm(lambda d, k: derivatives.tensor_norm_sq(d, k))


def test_tensor_norm_is_rotation_invariant_and_the_flattened_norm_is_not():
    from inrutils import derivatives
    from inrutils.models import Siren

    torch.manual_seed(0)
    phi = Siren(2, 1, hidden=32, layers=2, w0=10.0).double()
    a = torch.tensor(0.5236, dtype=torch.float64)
    rot = torch.stack([torch.stack([a.cos(), -a.sin()]), torch.stack([a.sin(), a.cos()])])
    pts = torch.rand(50, 2, dtype=torch.float64) - 0.5

    class Rotated(torch.nn.Module):
        def forward(self, p):
            return phi(p @ rot)

    d_rot = derivatives.all_partials(Rotated(), pts, 3, method="autograd")[:, :, 0]
    d_ref = derivatives.all_partials(phi, pts @ rot, 3)[:, :, 0]
    for k in (2, 3):
        good = derivatives.tensor_norm_sq(d_rot, k) - derivatives.tensor_norm_sq(d_ref, k)
        assert float(good.abs().max() / derivatives.tensor_norm_sq(d_ref, k).abs().max()) < 1e-10
        flat = _norm(d_rot, k, lambda k, a: 1.0) - _norm(d_ref, k, lambda k, a: 1.0)
        assert float(flat.abs().max() / _norm(d_ref, k, lambda k, a: 1.0).abs().max()) > 1e-3


def test_taylor_coefficients_are_exact_on_polynomials():
    from inrutils import insp
    from inrutils.derivatives import multi_index, partial_indices

    gen = np.random.default_rng(0)
    k = gen.normal(size=(5, 5))
    coef = insp.taylor_coefficients(k, 4).numpy()
    # Phi(y, x) = y^2 x + 3 x^3 - y at p = (0.3, -0.2): a cubic, so the order-4 series is exact
    y0, x0 = 0.3, -0.2

    def phi(y, x):
        return y**2 * x + 3 * x**3 - y

    u = np.arange(-2, 3)
    corr = sum(k[i, j] * phi(y0 + u[i], x0 + u[j]) for i in range(5) for j in range(5))
    partial = {
        (0, 0): phi(y0, x0),
        (1, 0): 2 * y0 * x0 - 1,
        (0, 1): y0**2 + 9 * x0**2,
        (2, 0): 2 * x0,
        (1, 1): 2 * y0,
        (0, 2): 18 * x0,
        (2, 1): 2.0,
        (0, 3): 18.0,
    }
    series = sum(
        c * partial.get(multi_index(i, 2), 0.0) for c, i in zip(coef, partial_indices(2, 4))
    )
    assert abs(corr - series) < 1e-9


def test_insp_checks_reject_the_library_however_it_is_reached():
    import functools

    from inrutils import derivatives, insp
    from inrutils.insp import INSPConv as C  # an alias

    def alias_conv(
        f, c
    ):  # builds the library's layer through an alias and lets its forward do the sum
        m = C.__new__(C)
        torch.nn.Module.__init__(m)
        m.n_features, m.order, m.channels = f.shape[1], 0, 1
        m.linear = torch.nn.Linear(f.shape[1], 1, bias=False)
        m.linear.weight.data = c[None].clone()
        return m(f)

    def by_getattr(f, c):  # looked up at run time: only watching what runs catches it
        m = getattr(insp, "INSP" + "Conv").__new__(getattr(insp, "INSP" + "Conv"))
        torch.nn.Module.__init__(m)
        m.n_features, m.order, m.channels = f.shape[1], 0, 1
        m.linear = torch.nn.Linear(f.shape[1], 1, bias=False)
        m.linear.weight.data = c[None].clone()
        return m(f)

    conv_bypasses = [
        insp.INSPConv,
        functools.partial(insp.INSPConv),
        alias_conv,
        functools.partial(alias_conv),
        by_getattr,
        lambda f, c: insp.INSPNet(order=1)(f),
    ]
    for fn in conv_bypasses:
        with pytest.raises(
            AssertionError, match="calls the library's `INSPConv`|calls the library's `INSPNet`"
        ):
            exercises.check_insp_conv(fn)

    from inrutils.insp import activation_derivatives as AD  # an alias

    def alias_jet(u, ux, uxx):
        d0, d1, d2 = AD("tanh", u, 2)
        return d0, d1 * ux, d2 * ux**2 + d1 * uxx

    def attribute_jet(u, ux, uxx):
        d = insp.activation_derivatives("tanh", u, 2)
        return d[0], d[1] * ux, d[2] * ux**2 + d[1] * uxx

    def getattr_jet(u, ux, uxx):
        d = getattr(insp, "activation_" + "derivatives")("tanh", u, 2)
        return d[0], d[1] * ux, d[2] * ux**2 + d[1] * uxx

    for fn in (
        alias_jet,
        functools.partial(alias_jet),
        attribute_jet,
        getattr_jet,
        lambda u, a, b: (lambda d: (d[0], d[1] * a, d[2] * a**2 + d[1] * b))(
            getattr(insp, "activation_" + "derivatives")("tanh", u, 2)
        ),
    ):
        with pytest.raises(AssertionError, match="calls the library's `activation_derivatives`"):
            exercises.check_tanh_jet(fn)

    from inrutils.derivatives import laplacian as lap

    with pytest.raises(AssertionError, match="calls the library's `laplacian`"):
        exercises.check_laplacian_from_hessian(functools.partial(lambda H: lap(H, H)))
    with pytest.raises(AssertionError, match="calls the library's `hessian`"):
        exercises.check_laplacian_from_hessian(lambda H: derivatives.hessian(H, H))
    # torch's own operations are fine: an einsum trace passes
    exercises.check_laplacian_from_hessian(lambda H: torch.einsum("...ii->...", H))


def test_insp_convnet_exercises(capsys):
    import copy

    from inrutils.insp import activation_derivatives

    def permute(model, perm, fix_next=True):
        new = copy.deepcopy(model)
        with torch.no_grad():
            new.net[0].linear.weight.copy_(model.net[0].linear.weight[perm])
            new.net[0].linear.bias.copy_(model.net[0].linear.bias[perm])
            if fix_next:
                new.net[1].linear.weight.copy_(model.net[1].linear.weight[:, perm])
        return new

    def tanh_jet(u, ux, uxx, drop=None):
        d0 = torch.tanh(u)
        d1 = 1 - d0**2
        d2 = -2 * d0 * d1
        return (
            d0,
            d1 * ux,
            (0 if drop == "first" else d2 * ux**2) + (0 if drop == "second" else d1 * uxx),
        )

    def library_jet(u, ux, uxx):
        d0, d1, d2 = activation_derivatives("tanh", u, 2)
        return d0, d1 * ux, d2 * ux**2 + d1 * uxx

    exercises.check_permute_hidden(permute)
    exercises.check_tanh_jet(tanh_jet)
    assert capsys.readouterr().out.count("all checks passed") == 2
    with pytest.raises(AssertionError, match="columns are not"):
        exercises.check_permute_hidden(lambda m, p: permute(m, p, fix_next=False))
    with pytest.raises(AssertionError, match="weights did not change"):
        exercises.check_permute_hidden(lambda m, p: copy.deepcopy(m))
    with pytest.raises(AssertionError, match="misses tanh''"):
        exercises.check_tanh_jet(lambda u, a, b: tanh_jet(u, a, b, drop="first"))
    with pytest.raises(AssertionError, match="second term"):
        exercises.check_tanh_jet(lambda u, a, b: tanh_jet(u, a, b, drop="second"))
    with pytest.raises(AssertionError, match="chain rule .* yourself"):
        exercises.check_tanh_jet(library_jet)


def _liif_step(mistake=None):
    """One LIIF training step written out, or with one usual mistake: scripts/wrong_answers.py's."""
    return load_script("wrong_answers")._liif_step(mistake)


def test_liif_exercises(capsys):
    def weights(rel, own=False):
        areas = (rel[:, 0] * rel[:, 1]).abs()
        return (areas if own else areas.flip(0)) / areas.sum()

    exercises.check_ensemble_weights(weights)
    exercises.check_train_step(_liif_step())
    assert capsys.readouterr().out.count("all checks passed") == 2
    with pytest.raises(AssertionError, match="its \\*own\\* rectangle"):
        exercises.check_ensemble_weights(lambda rel: weights(rel, own=True))
    with pytest.raises(AssertionError, match="sum to 1"):
        exercises.check_ensemble_weights(lambda rel: (rel[:, 0] * rel[:, 1]).abs().flip(0))
    for mistake, message in [
        ("xy", r"\(y, x\), row first"),
        ("lr cell", "not the LR patch's"),
        ("l2", "mean squared error"),
        ("no zero_grad", "stale gradients"),
        ("no step", "did not change"),
    ]:
        with pytest.raises(AssertionError, match=message):
            exercises.check_train_step(_liif_step(mistake))


def test_knitwork_exercises(capsys):
    from inrutils import knitwork as K

    def consistency(p, h, w):  # written out, excluding neighbours outside the image
        c = p[:, :, 1, 1].reshape(h, w, -1)
        f = p.reshape(h, w, *p.shape[1:])
        total = 0.0
        for i in range(3):
            for j in range(3):
                dy, dx = i - 1, j - 1
                a = f[max(0, -dy) : h - max(0, dy), max(0, -dx) : w - max(0, dx), :, i, j]
                b = c[max(0, dy) : h + min(0, dy), max(0, dx) : w + min(0, dx)]
                total = total + (a - b).pow(2).mean()
        return total

    exercises.check_xpatch(consistency)
    with pytest.raises(AssertionError, match="xpatch_loss"):
        exercises.check_xpatch(lambda p, h, w: K.xpatch_loss(p[:, None], h, w))
    with pytest.raises(AssertionError, match="outside the image"):  # the old, clamped version
        exercises.check_xpatch(
            lambda p, h, w: (
                (
                    p
                    - p[:, :, 1, 1][
                        (
                            (
                                torch.arange(h)[:, None, None, None]
                                + torch.arange(-1, 2)[None, None, :, None]
                            ).clamp(0, h - 1)
                            * w
                            + (
                                torch.arange(w)[None, :, None, None]
                                + torch.arange(-1, 2)[None, None, None, :]
                            ).clamp(0, w - 1)
                        ).reshape(h * w, 3, 3)
                    ].permute(0, 3, 1, 2)
                )
                .pow(2)
                .mean()
                * 9
            )
        )
    assert capsys.readouterr().out.count("all checks passed") == 1
    with pytest.raises(AssertionError, match="its own centre"):
        exercises.check_xpatch(lambda p, h, w: (p - p[:, :, 1:2, 1:2]).pow(2).mean())


def _my_patches(img, d, m):
    c, h, w = img.shape
    k = torch.arange(2 * m + 1) - m
    ys = (torch.arange(h)[:, None, None, None] + d * k[None, None, :, None]).clamp(0, h - 1)
    xs = (torch.arange(w)[None, :, None, None] + d * k[None, None, None, :]).clamp(0, w - 1)
    out = img[:, ys.expand(h, w, -1, -1), xs.expand(h, w, -1, -1)]
    return out.permute(1, 2, 0, 3, 4).reshape(h * w, c, 2 * m + 1, 2 * m + 1)


def test_dilated_patches_check(capsys):
    from inrutils import knitwork

    exercises.check_dilated_patches(_my_patches)
    assert "all checks passed" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="extract_patches"):
        exercises.check_dilated_patches(
            lambda img, d, m: knitwork.extract_patches(img, (d,), m)[:, 0]
        )
    with pytest.raises(AssertionError, match="dilation 1"):
        exercises.check_dilated_patches(lambda img, d, m: _my_patches(img, 1, m))
    with pytest.raises(AssertionError, match="border"):  # zero padding instead of replication

        def zero_padded(img, d, m):
            c, h, w = img.shape
            p = torch.nn.functional.pad(img, (d * m,) * 4)
            k = 2 * m + 1
            rows = [
                torch.stack([p[:, d * i : d * i + h, d * j : d * j + w] for j in range(k)], -1)
                for i in range(k)
            ]
            return torch.stack(rows, -2).permute(1, 2, 0, 3, 4).reshape(h * w, c, k, k)

        exercises.check_dilated_patches(zero_padded)
    with pytest.raises(AssertionError, match="shape"):
        exercises.check_dilated_patches(lambda img, d, m: _my_patches(img, d, m)[:, 0])


def test_budget_width_check(capsys):
    from inrutils.models import count_params, size_to_budget

    def mine(build, budget):
        lo, hi = 1, 4096
        while hi - lo > 1:
            mid = (lo + hi) // 2
            lo, hi = (mid, hi) if count_params(build(mid)) < budget else (lo, mid)
        return min((lo, hi), key=lambda k: abs(count_params(build(k)) - budget))

    exercises.check_budget_width(mine)
    assert "all checks passed" in capsys.readouterr().out
    with pytest.raises(AssertionError, match="size_to_budget"):
        exercises.check_budget_width(lambda build, budget: size_to_budget(build, budget))
    with pytest.raises(AssertionError, match="not the model"):
        exercises.check_budget_width(lambda build, budget: build(8))
    with pytest.raises(AssertionError, match="both sides"):  # largest width under the budget

        def under(build, budget):
            k = 1
            while count_params(build(k + 1)) <= budget:
                k += 1
            return k

        exercises.check_budget_width(under)


NOTEBOOKS = pathlib.Path(__file__).resolve().parent.parent / "notebooks"
# checks that no notebook cell calls: kept for instructors (a spare exercise on the notebook's
# topic), in the module of the notebook whose topic they test
SPARE_CHECKS = {
    "check_fourier_features": "nb01_coordinate_mlps",
    "check_laplacian_from_hessian": "nb02_insp_derivative_operators",
    "check_insp_conv": "nb02_insp_derivative_operators",
}


def _checks_called(path: pathlib.Path) -> set[str]:
    """The ``check_*`` names that the code cells of a notebook call (read as JSON, not run)."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    calls = set()
    for cell in nb["cells"]:
        if cell["cell_type"] == "code":
            calls.update(re.findall(r"\b(check_\w+)\s*\(", "".join(cell["source"])))
    return calls


def _check_modules() -> dict[str, set[str]]:
    """Each ``nbNN_*`` module of ``inrutils.exercises`` -> the ``check_*`` functions defined in
    it."""
    found = {}
    for info in pkgutil.iter_modules(exercises.__path__):
        if info.name.startswith("nb"):
            mod = importlib.import_module(f"inrutils.exercises.{info.name}")
            found[info.name] = {
                n
                for n, obj in vars(mod).items()
                if n.startswith("check_") and getattr(obj, "__module__", None) == mod.__name__
            }
    return found


def test_each_notebook_has_its_checks_in_its_own_module():
    modules = _check_modules()
    notebooks = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb"))
    assert notebooks
    for path in notebooks:
        module = f"nb{path.stem}"
        called = _checks_called(path)
        if not called:
            continue
        assert module in modules, (
            f"{path.name} calls {sorted(called)}: its checks belong in inrutils/exercises/"
            f"{module}.py"
        )
        for name in sorted(called):
            fn = getattr(exercises, name, None)
            assert fn is not None, f"{path.name} calls {name}, which inrutils.exercises lacks"
            assert fn.__module__ == f"inrutils.exercises.{module}", (
                f"{path.name} calls {name}, defined in {fn.__module__}; move it to "
                f"inrutils/exercises/{module}.py"
            )
        spare = {n for n, m in SPARE_CHECKS.items() if m == module}
        assert modules[module] - spare <= called, (
            f"{module}.py defines {sorted(modules[module] - spare - called)}, which {path.name} "
            "does not call"
        )
    stems = {f"nb{p.stem}" for p in notebooks}
    assert set(modules) <= stems, f"modules without a notebook: {sorted(set(modules) - stems)}"


def test_all_lists_every_check():
    defined = set().union(*_check_modules().values())
    assert set(exercises.__all__) == defined
    assert len(exercises.__all__) == len(set(exercises.__all__))
    for name in exercises.__all__:
        assert callable(getattr(exercises, name))
    assert {n for n in dir(exercises) if n.startswith("check_")} == defined
