"""Laws every registered primitive obeys, checked over the sample inputs in tests/cases.

shape rule ≡ impl; JVP ≡ central differences; ⟨u, J v⟩ ≡ ⟨Jᵀu, v⟩ (VJP vs JVP);
⟨u, L v⟩ ≡ ⟨Lᵀu, v⟩ for linear primitives; vmap ≡ a Python loop.
"""

import importlib
import pkgutil

import numpy as np
import pytest

import tests.cases as cases_pkg
import tracejit as tj
from tracejit.ir import aval_of
from tracejit.trace import PRIMITIVES, bind


def _all_cases():
    out = []
    for mod in pkgutil.iter_modules(cases_pkg.__path__):
        out += importlib.import_module(f"tests.cases.{mod.name}").CASES
    return out


CASES = _all_cases()
BY_NAME = {}
for _c in CASES:
    BY_NAME.setdefault(_c.prim, []).append(_c)

# primitives whose laws are tested elsewhere (they hold programs, not arrays)
STRUCTURAL = {
    "while_record",
    "jit",
    "cond",
    "while",
    "scan",
    "custom_jvp_call",
    "custom_vjp_call",
    "custom_lin",
    "checkpoint",
}


def _outs(prim, args, params):
    out = bind(PRIMITIVES[prim], *args, **params)
    return list(out) if PRIMITIVES[prim].multiple_results else [out]


def _is_f64(a):
    return np.asarray(a).dtype == np.float64


def _diff_idx(case, args):
    if case.diff is not None:
        return list(case.diff)
    return [i for i, a in enumerate(args) if np.issubdtype(np.asarray(a).dtype, np.inexact)]


def _close(a, b, rtol, atol=None):
    a, b = np.asarray(a), np.asarray(b)
    atol = rtol if atol is None else atol
    np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)


def test_every_primitive_has_cases():
    missing = sorted(set(PRIMITIVES) - set(BY_NAME) - STRUCTURAL)
    assert not missing, f"primitives without cases in tests/cases: {missing}"


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_shape_rule_matches_impl(case):
    args = case.make()
    prim = PRIMITIVES[case.prim]
    avals = prim.shape_rule([aval_of(a) for a in args], case.params)
    outs = _outs(case.prim, args, case.params)
    assert avals == [aval_of(o) for o in outs]


def _partial(case, args, idx):
    def f(*dyn):
        full = list(args)
        for i, d in zip(idx, dyn):
            full[i] = d
        return tuple(_outs(case.prim, full, case.params))

    return f


def _float_outs(outs):
    return [i for i, o in enumerate(outs) if np.issubdtype(np.asarray(o).dtype, np.inexact)]


@pytest.mark.parametrize("case", [c for c in CASES if c.jvp], ids=repr)
def test_jvp_matches_finite_differences(case):
    args = case.make()
    idx = _diff_idx(case, args)
    if not idx or not all(_is_f64(args[i]) for i in idx):
        pytest.skip("finite differences need float64 inputs")
    rng = np.random.default_rng(1)
    tans = [rng.normal(size=np.shape(args[i])) for i in idx]
    f = _partial(case, args, idx)
    prim = [args[i] for i in idx]
    out, tout = tj.jvp(f, prim, tans)
    eps = case.eps
    plus = f(*[p + eps * t for p, t in zip(prim, tans)])
    minus = f(*[p - eps * t for p, t in zip(prim, tans)])
    for k in _float_outs(out):
        fd = (np.asarray(plus[k]) - np.asarray(minus[k])) / (2 * eps)
        _close(tout[k], fd, rtol=max(case.rtol, 1e-5), atol=1e-5)


@pytest.mark.parametrize("case", [c for c in CASES if c.jvp], ids=repr)
def test_vjp_is_transpose_of_jvp(case):
    args = case.make()
    idx = _diff_idx(case, args)
    if not idx:
        pytest.skip("nothing to differentiate")
    rng = np.random.default_rng(2)
    f = _partial(case, args, idx)
    prim = [args[i] for i in idx]
    tans = [rng.normal(size=np.shape(p)).astype(np.asarray(p).dtype) for p in prim]
    out, tout = tj.jvp(f, prim, tans)
    fl = _float_outs(out)
    cts = tuple(
        rng.normal(size=np.shape(o)).astype(np.asarray(o).dtype)
        if k in fl
        else np.zeros(np.shape(o), np.asarray(o).dtype)
        for k, o in enumerate(out)
    )
    _, vjp_fn = tj.vjp(f, *prim)
    cts_in = vjp_fn(cts)
    lhs = sum(np.vdot(cts[k], tout[k]) for k in fl)
    rhs = sum(np.vdot(c, t) for c, t in zip(cts_in, tans))
    tol = 1e-4 if any(np.asarray(p).dtype == np.float32 for p in prim) else 1e-9
    _close(lhs, rhs, rtol=tol, atol=tol * (1 + abs(lhs)))


@pytest.mark.parametrize("case", [c for c in CASES if c.linear], ids=repr)
def test_transpose_dot_product(case):
    args = case.make()
    rng = np.random.default_rng(3)
    for i in case.linear:

        def f(v, i=i):
            # jointly linear primitives (add) are affine in one operand unless the others are 0
            full = [np.zeros_like(a) if j in case.linear else a for j, a in enumerate(args)]
            full[i] = v
            return _outs(case.prim, full, case.params)[0]

        v = rng.normal(size=np.shape(args[i])).astype(np.asarray(args[i]).dtype)
        out = f(v)
        u = rng.normal(size=np.shape(out)).astype(np.asarray(out).dtype)
        (ft_u,) = tj.linear_transpose(f, args[i])(u)
        f32 = np.float32 in (np.asarray(v).dtype, np.asarray(out).dtype)
        tol = 1e-4 if f32 else 1e-9
        _close(np.vdot(u, out), np.vdot(ft_u, v), rtol=tol, atol=tol)


def _axis_options(args):
    """in_axes tuples to try: all 0, all last, all 1, and each arg unbatched in turn."""
    opts = [tuple(0 for _ in args), tuple(-1 for _ in args)]
    if all(np.ndim(a) >= 1 for a in args):
        opts.append(tuple(1 for _ in args))
    if len(args) > 1:
        opts += [tuple(None if j == i else 0 for j in range(len(args))) for i in range(len(args))]
    return opts


@pytest.mark.parametrize("case", [c for c in CASES if c.vmap], ids=repr)
def test_vmap_matches_loop(case):
    nb = 3
    samples = [case.make(seed) for seed in range(nb)]
    for in_axes in _axis_options(samples[0]):
        batched = []
        for j, a in enumerate(samples[0]):
            ax = in_axes[j]
            if ax is None:
                batched.append(a)
            else:
                batched.append(np.stack([s[j] for s in samples], axis=ax))

        def f(*a):
            return tuple(_outs(case.prim, a, case.params))

        got = tj.vmap(f, in_axes=in_axes)(*batched)
        for b in range(nb):
            ex = [
                samples[b][j] if in_axes[j] is not None else samples[0][j]
                for j in range(len(batched))
            ]
            want = f(*ex)
            for g, w in zip(got, want):
                np.testing.assert_allclose(
                    np.asarray(g)[b],
                    np.asarray(w),
                    rtol=1e-6,
                    atol=1e-6,
                    err_msg=f"in_axes={in_axes}",
                )


# --- impl vs an independent NumPy/SciPy reference, on hypothesis-drawn shapes and dtypes ---

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from scipy import special  # noqa: E402

UNARY_REF = {
    "neg": np.negative,
    "abs": np.abs,
    "sign": np.sign,
    "floor": np.floor,
    "ceil": np.ceil,
    "round": np.rint,
    "exp": np.exp,
    "exp2": np.exp2,
    "expm1": np.expm1,
    "log": np.log,
    "log1p": np.log1p,
    "log2": np.log2,
    "sqrt": np.sqrt,
    "rsqrt": lambda x: 1 / np.sqrt(x),
    "cbrt": np.cbrt,
    "sin": np.sin,
    "cos": np.cos,
    "tan": np.tan,
    "asin": np.arcsin,
    "acos": np.arccos,
    "atan": np.arctan,
    "sinh": np.sinh,
    "cosh": np.cosh,
    "tanh": np.tanh,
    "asinh": np.arcsinh,
    "acosh": np.arccosh,
    "atanh": np.arctanh,
    "logistic": special.expit,
    "erf": special.erf,
    "erf_inv": special.erfinv,
}
BINARY_REF = {
    "add": np.add,
    "sub": np.subtract,
    "mul": np.multiply,
    "div": np.true_divide,
    "max": np.maximum,
    "min": np.minimum,
    "atan2": np.arctan2,
    "pow": np.power,
    "rem": np.remainder,
    "eq": np.equal,
    "lt": np.less,
    "ge": np.greater_equal,
}
_shapes = st.lists(st.integers(1, 4), min_size=0, max_size=3).map(tuple)
_dtypes = st.sampled_from([np.float32, np.float64])


@given(
    name=st.sampled_from(sorted(UNARY_REF)),
    shape=_shapes,
    dtype=_dtypes,
    seed=st.integers(0, 2**16),
)
def test_unary_impl_matches_reference(name, shape, dtype, seed):
    x = np.random.default_rng(seed).uniform(-0.95, 0.95, size=shape).astype(dtype)
    if name in ("acosh",):
        x = x + dtype(2.0)
    with np.errstate(all="ignore"):
        want = np.asarray(UNARY_REF[name](x))
        got = bind(PRIMITIVES[name], x)
    assert got.dtype == dtype and got.shape == shape
    np.testing.assert_allclose(got, want.astype(dtype), rtol=2e-6 if dtype == np.float32 else 1e-14)


@given(
    name=st.sampled_from(sorted(BINARY_REF)),
    shape=_shapes,
    dtype=_dtypes,
    scalar=st.sampled_from([None, 0, 1]),
    seed=st.integers(0, 2**16),
)
def test_binary_impl_matches_reference_with_scalar_broadcasting(name, shape, dtype, scalar, seed):
    rng = np.random.default_rng(seed)
    x, y = (rng.uniform(0.5, 2.0, size=shape).astype(dtype) for _ in range(2))
    if scalar == 0:
        x = x.reshape(-1)[:1].reshape(()) if x.size else np.asarray(1, dtype)
    elif scalar == 1:
        y = np.asarray(dtype(1.5))
    with np.errstate(all="ignore"):
        want = np.asarray(BINARY_REF[name](x, y))
        got = bind(PRIMITIVES[name], x, y)
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=1e-6)
