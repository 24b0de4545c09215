"""Laws for dot_general and the linalg primitives, over every case in cases/dot.py and
cases/linalg.py: shape rule vs impl, JVP vs central differences, VJP vs JVP and transpose
by the dot-product test, second derivatives, vmap vs a Python loop, and jax as an oracle.

Eigenvectors and singular vectors have arbitrary signs, so outputs are compared through
sign-invariant quantities (`canonical`): the projectors v_j v_jᵀ and the products u_j vh_j.
"""

import numpy as np
import pytest

import tracejit
from tests.cases import dot as dot_cases
from tests.cases import linalg as linalg_cases
from tracejit.ir import aval_of
from tracejit.ops.common import is_float
from tracejit.ops.dot import dot_general
from tracejit.trace import PRIMITIVES, TraceError, bind

CASES = dot_cases.CASES + linalg_cases.CASES
IDS = [repr(c) for c in CASES]
F64_JVP = [c for c in CASES if c.jvp and all(a.dtype == np.float64 for a in c.make())]
F64_IDS = [repr(c) for c in F64_JVP]


# ---------------------------------------------------------------------------
# helpers


def _outer_cols(u, vh, dg, u_axis=-1, vh_axis=-2):
    """x[..., j, a, b] = u[..., a, j] * vh[..., j, b] (pairs column j of u with row j of
    vh, or with column j of vh when vh_axis=-1): invariant to flipping both signs."""
    nd = np.ndim(u) if not hasattr(u, "aval") else u.aval.ndim
    batch = tuple(range(nd - 2))
    dn = (((), ()), (batch + (nd + u_axis,), batch + (nd + vh_axis,)))
    return dg(u, vh, dn)


def canonical(case, out, dg=None, keep_int=False):
    """The outputs of `case.prim` as a list, eigen/singular vectors made sign-invariant."""
    dg = dg or (lambda x, y, dn: dot_general(x, y, dimension_numbers=dn))
    prim = PRIMITIVES[case.prim]
    outs = list(out) if prim.multiple_results else [out]
    if case.prim == "eigh":
        w, v = outs
        outs = [w, _outer_cols(v, v, dg, -1, -1)]
    elif case.prim == "svd" and case.params["compute_uv"]:
        u, s, vh = outs
        outs = [s, _outer_cols(u, u, dg, -1, -1), _outer_cols(vh, vh, dg, -2, -2)]
        if not case.params["full_matrices"]:
            outs.append(_outer_cols(u, vh, dg))
    dtype = lambda o: o.aval.dtype if hasattr(o, "aval") else np.asarray(o).dtype  # noqa: E731
    return [o for o in outs if keep_int or is_float(dtype(o))]


def _fn(case, args, idx):
    """The case's primitive as a function of the args at `idx`, canonical outputs."""

    def f(*dyn):
        full = list(args)
        for i, d in zip(idx, dyn, strict=True):
            full[i] = d
        return canonical(case, bind(PRIMITIVES[case.prim], *full, **case.params))

    return f


def _diff_idx(case, args):
    if case.diff is not None:
        return case.diff
    return tuple(i for i, a in enumerate(args) if is_float(a.dtype))


def _like(rng, x):
    return rng.normal(size=np.shape(x)).astype(np.asarray(x).dtype)


def _vdot(xs, ys):
    return sum(
        float(np.vdot(np.asarray(x, np.float64), np.asarray(y, np.float64)))
        for x, y in zip(xs, ys, strict=True)
    )


def _close(got, want, rtol):
    for g, w in zip(got, want, strict=True):
        w = np.asarray(w)
        scale = max(1.0, float(np.max(np.abs(w)))) if w.size else 1.0
        np.testing.assert_allclose(np.asarray(g), w, rtol=rtol, atol=rtol * scale)


# ---------------------------------------------------------------------------
# shape rule vs impl


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_shape_rule_matches_impl(case):
    prim = PRIMITIVES[case.prim]
    args = case.make()
    out = prim.impl(*args, **case.params)
    outs = list(out) if prim.multiple_results else [out]
    assert all(type(o) is np.ndarray for o in outs), "impl must return arrays, not scalars"
    assert [aval_of(o) for o in outs] == prim.shape_rule([aval_of(a) for a in args], case.params)


# ---------------------------------------------------------------------------
# derivatives


@pytest.mark.parametrize("case", F64_JVP, ids=F64_IDS)
def test_jvp_matches_central_differences(case):
    args = case.make()
    idx = _diff_idx(case, args)
    f = _fn(case, args, idx)
    rng = np.random.default_rng(1)
    primals = [args[i] for i in idx]
    tangents = [_like(rng, p) for p in primals]
    _, jv = tracejit.jvp(f, tuple(primals), tuple(tangents))
    e = case.eps
    plus = f(*[p + e * t for p, t in zip(primals, tangents, strict=True)])
    minus = f(*[p - e * t for p, t in zip(primals, tangents, strict=True)])
    fd = [(a - b) / (2 * e) for a, b in zip(plus, minus, strict=True)]
    _close(jv, fd, max(case.rtol, 1e-6))


@pytest.mark.parametrize("case", F64_JVP, ids=F64_IDS)
def test_vjp_matches_jvp(case):
    """⟨ct, J t⟩ = ⟨Jᵀ ct, t⟩."""
    args = case.make()
    idx = _diff_idx(case, args)
    f = _fn(case, args, idx)
    rng = np.random.default_rng(2)
    primals = [args[i] for i in idx]
    tangents = [_like(rng, p) for p in primals]
    out, jv = tracejit.jvp(f, tuple(primals), tuple(tangents))
    cts = [_like(rng, o) for o in out]
    _, vjp_fn = tracejit.vjp(f, *primals)
    np.testing.assert_allclose(_vdot(cts, jv), _vdot(vjp_fn(cts), tangents), rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("case", F64_JVP, ids=F64_IDS)
def test_second_derivative_matches_central_differences(case):
    """The JVP rules are written with ops, so they differentiate again."""
    args = case.make()
    idx = _diff_idx(case, args)
    f = _fn(case, args, idx)
    rng = np.random.default_rng(3)
    primals = [args[i] for i in idx]
    tangents = [_like(rng, p) for p in primals]
    direction = [_like(rng, p) for p in primals]

    def df(*ps):
        return tracejit.jvp(f, tuple(ps), tuple(tangents))[1]

    _, ddf = tracejit.jvp(df, tuple(primals), tuple(direction))
    e = 1e-5
    plus = df(*[p + e * s for p, s in zip(primals, direction, strict=True)])
    minus = df(*[p - e * s for p, s in zip(primals, direction, strict=True)])
    _close(ddf, [(a - b) / (2 * e) for a, b in zip(plus, minus, strict=True)], 1e-5)


LINEAR = [(c, i) for c in CASES for i in c.linear]


@pytest.mark.parametrize("case,i", LINEAR, ids=[f"{c!r} arg{i}" for c, i in LINEAR])
def test_transpose_dot_product(case, i):
    """⟨u, L v⟩ = ⟨Lᵀ u, v⟩ for the map from arg i to the output."""
    args = case.make()
    prim = PRIMITIVES[case.prim]

    def lin(x):
        return bind(prim, *args[:i], x, *args[i + 1 :], **case.params)

    rng = np.random.default_rng(4)
    v = _like(rng, args[i])
    lv = lin(v)
    u = _like(rng, lv)
    (ltu,) = tracejit.linear_transpose(lin, args[i])(u)
    assert aval_of(ltu) == aval_of(args[i])
    rtol = 1e-4 if args[i].dtype == np.float32 else 1e-10
    np.testing.assert_allclose(_vdot([u], [lv]), _vdot([ltu], [v]), rtol=rtol, atol=rtol)


# ---------------------------------------------------------------------------
# vmap


def _in_axes_patterns(n_args, ndims):
    pats = [(0,) * n_args, tuple(ndims)]  # batch axis first, and last
    if n_args > 1:
        for i in range(n_args):
            pats.append(tuple(0 if j == i else None for j in range(n_args)))
            pats.append(tuple(ndims[j] if j == i else None for j in range(n_args)))
    return pats


VMAP = [
    (c, ax)
    for c in CASES
    if c.vmap
    for ax in _in_axes_patterns(len(c.args), [np.ndim(a) for a in c.make()])
]


@pytest.mark.parametrize("case,in_axes", VMAP, ids=[f"{c!r} {ax}" for c, ax in VMAP])
def test_vmap_matches_loop(case, in_axes):
    size = 3
    draws = [case.make(seed) for seed in range(size)]
    prim = PRIMITIVES[case.prim]

    def f(*xs):
        return canonical(case, bind(prim, *xs, **case.params), keep_int=True)

    batched = [
        np.stack([d[k] for d in draws], axis=ax) if ax is not None else draws[0][k]
        for k, ax in enumerate(in_axes)
    ]
    got = tracejit.vmap(f, in_axes=in_axes)(*batched)
    rows = [
        f(*[d[k] if ax is not None else draws[0][k] for k, ax in enumerate(in_axes)]) for d in draws
    ]
    want = [np.stack(col) for col in zip(*rows, strict=True)]
    rtol = 1e-4 if any(np.asarray(w).dtype == np.float32 for w in want) else 1e-10
    for g, w in zip(got, want, strict=True):
        assert aval_of(g) == aval_of(w)
    _close(got, want, rtol)


@pytest.mark.parametrize("case", F64_JVP, ids=F64_IDS)
def test_vmap_of_jvp_matches_loop(case):
    """Batching the tangent program: every op a JVP rule emits has a vmap rule."""
    args = case.make()
    idx = _diff_idx(case, args)
    f = _fn(case, args, idx)
    rng = np.random.default_rng(5)
    primals = [args[i] for i in idx]
    ts = [np.stack([_like(rng, p) for _ in range(2)]) for p in primals]

    def push(*t):
        return tracejit.jvp(f, tuple(primals), tuple(t))[1]

    got = tracejit.vmap(push)(*ts)
    rows = [push(*[t[b] for t in ts]) for b in range(2)]
    _close(got, [np.stack(col) for col in zip(*rows, strict=True)], 1e-10)


def test_dot_general_vmap_emits_no_transpose():
    """The batch axis becomes a batch dim (both batched) or a free dim (one batched)."""
    from tracejit.transforms import vmap_ir

    def mm(a, b):
        return [dot_general(a, b, dimension_numbers=(((1,), (0,)), ((), ())))]

    ir = tracejit.make_ir(mm)(np.ones((4, 5)), np.ones((5, 6)))
    # out (4, 6): x's free dim first, then y's; a batched operand's axis joins its group
    for in_dims, out_dim in [
        ((0, 1), 0),
        ((2, 0), 0),
        ((1, None), 1),
        ((None, 0), 1),
        ((None, 2), 2),
    ]:
        bir, out_dims = vmap_ir(ir, in_dims, 3)
        assert [e.prim.name for e in bir.eqns] == ["dot_general"], str(bir)
        assert out_dims == [out_dim], (in_dims, out_dims)


def test_solve_vmap_over_b_factors_once():
    """A shared matrix is not broadcast along the batch: the batch joins b's columns."""
    a, b = linalg_cases.WC(3)(np.random.default_rng(0)), np.ones((5, 3, 2))
    ir = tracejit.make_ir(tracejit.vmap(lambda b: tracejit.ops.linalg.solve(a, b)))(b)
    assert [e.prim.name for e in ir.eqns if e.prim.name == "solve"] == ["solve"]
    assert [e.inputs[0].aval.shape for e in ir.eqns if e.prim.name == "solve"] == [(3, 3)]


# ---------------------------------------------------------------------------
# errors


def test_dot_general_errors_are_clear():
    with pytest.raises(TraceError, match="contracting dims differ in size"):
        tracejit.make_ir(
            lambda x, y: dot_general(x, y, dimension_numbers=(((1,), (0,)), ((), ())))
        )(np.ones((2, 3)), np.ones((4, 5)))
    with pytest.raises(TraceError, match="dtypes differ"):
        tracejit.make_ir(
            lambda x, y: dot_general(x, y, dimension_numbers=(((1,), (0,)), ((), ())))
        )(np.ones((2, 3)), np.ones((3, 5), np.float32))


def test_linalg_errors_are_clear():
    from tracejit.ops import linalg

    with pytest.raises(TraceError, match="square"):
        tracejit.make_ir(linalg.inv)(np.ones((2, 3)))
    with pytest.raises(TraceError, match="b must be"):
        tracejit.make_ir(linalg.solve)(np.eye(3), np.ones(3))


def test_singular_gives_nan_not_exception():
    from tracejit.ops import linalg

    a = np.stack([np.eye(2), np.zeros((2, 2))])
    out = linalg.inv(a)
    assert np.allclose(out[0], np.eye(2)) and np.isnan(out[1]).all()
    assert np.isnan(linalg.cholesky(-np.eye(2))).all()


# ---------------------------------------------------------------------------
# jax as an oracle (values and gradients)


@pytest.fixture(scope="module")
def jax():
    jax = pytest.importorskip("jax")
    jax.config.update("jax_enable_x64", True)
    return jax


def _jax_fn(jax, case):
    import jax.numpy as jnp
    from jax import lax

    p = case.params
    return {
        "dot_general": lambda x, y: lax.dot_general(
            x, y, p["dimension_numbers"], preferred_element_type=p.get("preferred_element_type")
        ),
        "cholesky": lambda a: lax.linalg.cholesky(a),
        "triangular_solve": lambda a, b: lax.linalg.triangular_solve(a, b, **p),
        "solve": jnp.linalg.solve,
        "inv": jnp.linalg.inv,
        "det": jnp.linalg.det,
        # the cases are invertible, where adj(a) = det(a) a⁻¹
        "adjugate": lambda a: jnp.linalg.det(a)[..., None, None] * jnp.linalg.inv(a),
        "slogdet": lambda a: tuple(jnp.linalg.slogdet(a)),
        "eigh": lambda a: tuple(jnp.linalg.eigh(a, UPLO="L" if p.get("lower") else "U")),
        "svd": lambda a: (tuple if p["compute_uv"] else lambda s: (s,))(
            jnp.linalg.svd(a, full_matrices=p["full_matrices"], compute_uv=p["compute_uv"])
        ),
        "qr": lambda a: tuple(
            jnp.linalg.qr(a, mode="complete" if p["full_matrices"] else "reduced")
        ),
        "lu": lambda a: tuple(lax.linalg.lu(a)),
    }[case.prim]


@pytest.mark.parametrize("case", CASES, ids=IDS)
def test_values_match_jax(jax, case):
    from jax import lax

    args = case.make()
    jf = _jax_fn(jax, case)
    dg = lambda x, y, dn: lax.dot_general(x, y, dn)  # noqa: E731
    want = canonical(case, jf(*args), dg, keep_int=True)
    got = canonical(case, bind(PRIMITIVES[case.prim], *args, **case.params), keep_int=True)
    rtol = 1e-4 if any(np.asarray(a).dtype == np.float32 for a in args) else 1e-9
    for g, w in zip(got, want, strict=True):
        assert aval_of(g) == aval_of(np.asarray(w)), (aval_of(g), aval_of(np.asarray(w)))
    _close(got, want, rtol)


@pytest.mark.parametrize("case", F64_JVP, ids=F64_IDS)
def test_gradients_match_jax(jax, case):
    from jax import lax

    args = case.make()
    idx = _diff_idx(case, args)
    jf = _jax_fn(jax, case)
    dg = lambda x, y, dn: lax.dot_general(x, y, dn)  # noqa: E731

    def jfn(*dyn):
        full = list(args)
        for i, d in zip(idx, dyn, strict=True):
            full[i] = d
        return canonical(case, jf(*full), dg)

    primals = [args[i] for i in idx]
    out, vjp_fn = tracejit.vjp(_fn(case, args, idx), *primals)
    rng = np.random.default_rng(6)
    cts = [_like(rng, o) for o in out]
    _, jvjp = jax.vjp(jfn, *primals)
    _close(vjp_fn(cts), jvjp(cts), 1e-8)


# ---------------------------------------------------------------------------
# det's derivative is the adjugate, finite at singular matrices (as JAX's)


def test_grad_det_is_the_adjugate_at_singular_matrices():
    import tracejit.numpy as tnp

    g = tracejit.grad(tnp.linalg.det)
    a = np.array([[1.0, 2.0], [2.0, 4.0]])
    np.testing.assert_allclose(g(a), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    np.testing.assert_allclose(tracejit.jit(g)(a), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    # second order of a 2x2 det is constant: d²det/da_ij da_kl = ±1 on the anti-pairs
    want = np.zeros((2, 2, 2, 2))
    want[0, 0, 1, 1] = want[1, 1, 0, 0] = 1.0
    want[0, 1, 1, 0] = want[1, 0, 0, 1] = -1.0
    np.testing.assert_allclose(tracejit.hessian(tnp.linalg.det)(a), want, atol=1e-12)
    z = np.zeros((3, 3))  # rank 0: adjugate and hessian of a cubic are both zero
    np.testing.assert_allclose(g(z), np.zeros((3, 3)), atol=0)
    np.testing.assert_allclose(tracejit.hessian(tnp.linalg.det)(z), np.zeros((3,) * 4), atol=0)
    rank2 = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]])
    cof = np.array([[-3.0, 6.0, -3.0], [6.0, -12.0, 6.0], [-3.0, 6.0, -3.0]])
    np.testing.assert_allclose(g(rank2), cof, atol=1e-12)
    batch = np.stack([rank2, np.eye(3)])
    np.testing.assert_allclose(tracejit.vmap(g)(batch), [cof, np.eye(3)], atol=1e-12)


@pytest.mark.parametrize(
    "a",
    [
        np.array([[1.0, 2.0], [2.0, 4.0]]),
        np.array([[0.0, 1.0], [0.0, 1.0]]),
        np.outer([1.0, 2.0, 3.0], [4.0, 5.0, 6.0]),
        np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 9.0]]),
        np.eye(3),
        np.random.default_rng(3).normal(size=(4, 4)),
    ],
)
def test_det_derivatives_match_jax(jax, a):
    import jax.numpy as jnp

    import tracejit.numpy as tnp

    np.testing.assert_allclose(
        tracejit.grad(tnp.linalg.det)(a), jax.grad(jnp.linalg.det)(a), atol=1e-12
    )
    np.testing.assert_allclose(
        tracejit.hessian(tnp.linalg.det)(a), jax.hessian(jnp.linalg.det)(a), atol=1e-12
    )


def test_solve_shapes_follow_jax(jax):
    import jax.numpy as jnp

    import tracejit.numpy as tnp

    r = np.random.default_rng(5)
    pairs = [((2, 4, 4), (4,)), ((2, 4, 4), (4, 3)), ((2, 4, 4), (2, 4, 3)), ((4, 4), (2, 4, 3))]
    pairs += [((3, 2, 4, 4), (4,)), ((2, 4, 4), (1, 4, 3)), ((4, 4), (4,))]
    for sa, sb in pairs:
        a, b = r.normal(size=sa) + 4 * np.eye(sa[-1]), r.normal(size=sb)
        want = jnp.linalg.solve(a, b)
        for f in (tnp.linalg.solve, tracejit.jit(tnp.linalg.solve)):
            np.testing.assert_allclose(f(a, b), want, rtol=1e-10)
    bad = [((2, 4, 4), (2, 4)), ((4, 4), (2, 4)), ((3, 2, 4, 4), (2, 4)), ((4, 4), (5,))]
    bad += [((2, 4, 4), (3, 4, 2))]
    for sa, sb in bad:
        a, b = np.ones(sa), np.ones(sb)
        with pytest.raises(ValueError):
            jnp.linalg.solve(a, b)
        for f in (tnp.linalg.solve, tracejit.jit(tnp.linalg.solve)):
            with pytest.raises(ValueError, match="Invalid shapes for solve"):
                f(a, b)
