"""Laws for the shape, reduce, indexing, cumulative and sort primitives, over their cases.

For every case: the shape rule agrees with the impl; the JVP agrees with central
differences (in float64); a linear primitive passes the dot-product test
<u, L v> = <L^T u, v>; vmap agrees with a Python loop; and the JVP rules, being written
with ops, can themselves be batched, transposed and differentiated. JAX (lax) is the
oracle for the impls where it has the same primitive.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import tracejit as tj
from tests._jax_oracle import jax_x64
from tests.cases import cumulative, indexing, reduce, shape, sort
from tracejit.dtypes import float0 as FLOAT0
from tracejit.ir import aval_of
from tracejit.ops.cumulative import cummax, cumprod
from tracejit.ops.indexing import dynamic_slice, dynamic_update_slice, gather, scatter
from tracejit.ops.reduce import reduce_prod
from tracejit.ops.sort import argsort, top_k
from tracejit.ops.sort import sort as sort_op
from tracejit.trace import PRIMITIVES, TraceError, bind

CASES = [c for m in (shape, reduce, indexing, cumulative, sort) for c in m.CASES]


def _fn(case):
    prim = PRIMITIVES[case.prim]

    def f(*args):
        out = bind(prim, *args, **case.params)
        return list(out) if prim.multiple_results else out

    return f


def _outs(x) -> list:
    xs = list(x) if isinstance(x, (list, tuple)) else [x]
    # the tangent of an integer output is float0 (no data, as in JAX): compare it as zeros
    return [np.zeros(np.shape(v), bool) if np.asarray(v).dtype == FLOAT0 else v for v in xs]


def _is_float(a) -> bool:
    return np.issubdtype(np.asarray(a).dtype, np.floating)


def _diff(case, args) -> tuple:
    if case.diff is not None:
        return case.diff
    return tuple(i for i, a in enumerate(args) if _is_float(a))


def _tangents(args, diff, seed=1):
    rng = np.random.default_rng(seed)
    return [
        rng.normal(size=np.shape(a)).astype(a.dtype) if i in diff else np.zeros_like(a)
        for i, a in enumerate(args)
    ]


def _wide(a):
    return a.astype(np.float64) if _is_float(a) else a


def _close(got, want, rtol):
    got, want = np.asarray(got), np.asarray(want)
    scale = max(1.0, float(np.max(np.abs(want), initial=0.0)))
    np.testing.assert_allclose(got, want, rtol=rtol, atol=rtol * scale)


def _needs(case, what):
    args = case.make()
    if what == "jvp" and (not case.jvp or not _diff(case, args)):
        pytest.skip("nothing to differentiate")
    if what == "linear" and not case.linear:
        pytest.skip("not linear")
    if what == "vmap" and not case.vmap:
        pytest.skip("no operands to batch")
    return args


# ---------------------------------------------------------------------------
# (a) shape rule vs impl


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_shape_rule_matches_impl(case):
    prim = PRIMITIVES[case.prim]
    args = case.make()
    want = prim.shape_rule([aval_of(a) for a in args], case.params)
    outs = _outs(prim.impl(*args, **case.params))
    assert all(type(o) is np.ndarray for o in outs), "impl must return arrays, not scalars"
    assert want == [aval_of(o) for o in outs]


# ---------------------------------------------------------------------------
# (b) JVP vs central differences


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_jvp_matches_finite_differences(case):
    args = _needs(case, "jvp")
    f, diff = _fn(case), _diff(case, args)
    tans = _tangents(args, diff)
    outs, touts = tj.jvp(f, tuple(args), tuple(tans))

    def at(step):
        moved = [
            _wide(a) + step * _wide(t) if i in diff else _wide(a)
            for i, (a, t) in enumerate(zip(args, tans, strict=True))
        ]
        return _outs(f(*moved))

    plus, minus = at(case.eps), at(-case.eps)
    for o, t, p, m in zip(_outs(outs), _outs(touts), plus, minus, strict=True):
        if not _is_float(o):
            continue
        assert np.asarray(t).dtype == np.asarray(o).dtype
        _close(t, (p - m) / (2 * case.eps), case.rtol * 10)


# ---------------------------------------------------------------------------
# (c) transpose: the dot-product test


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_transpose_dot_product(case):
    args = _needs(case, "linear")
    f = _fn(case)
    # all linear operands together, then each alone (the others held fixed)
    for lin in [case.linear] + ([(i,) for i in case.linear] if len(case.linear) > 1 else []):

        def f_lin(*xs, lin=lin):
            full = list(args)
            for i, x in zip(lin, xs, strict=True):
                full[i] = x
            return f(*full)

        rng = np.random.default_rng(2)
        v = [rng.normal(size=np.shape(args[i])).astype(args[i].dtype) for i in lin]
        lv = np.asarray(f_lin(*v))
        if len(lin) < len(case.linear):  # the fixed operands add a constant: remove it
            lv = lv - np.asarray(f_lin(*[np.zeros_like(x) for x in v]))
        u = rng.normal(size=lv.shape).astype(lv.dtype)
        cts = tj.linear_transpose(f_lin, *[args[i] for i in lin])(u)
        for c, x in zip(cts, v, strict=True):
            assert aval_of(np.asarray(c)) == aval_of(x)
        lhs = np.sum(_wide(u) * _wide(lv))
        rhs = sum(np.sum(_wide(np.asarray(c)) * _wide(x)) for c, x in zip(cts, v, strict=True))
        _close(lhs, rhs, case.rtol)


# ---------------------------------------------------------------------------
# (d) vmap vs a Python loop


def _in_axes_patterns(args):
    n = len(args)
    pats = [(0,) * n, tuple(np.ndim(a) for a in args)]  # batch axis first; last
    if n > 1:
        pats += [tuple(0 if j == i else None for j in range(n)) for i in range(n)]
    return pats


def _check_vmap(f, samples, in_axes, rtol):
    got = _outs(
        tj.vmap(f, in_axes=in_axes)(
            *[
                samples[0][i] if ax is None else np.stack([s[i] for s in samples], axis=ax)
                for i, ax in enumerate(in_axes)
            ]
        )
    )
    loop = [
        _outs(f(*[s[i] if ax is not None else samples[0][i] for i, ax in enumerate(in_axes)]))
        for s in samples
    ]
    for k, g in enumerate(got):
        want = np.stack([np.asarray(w[k]) for w in loop])
        assert np.asarray(g).dtype == want.dtype
        _close(g, want, rtol)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_vmap_matches_loop(case):
    _needs(case, "vmap")
    samples = [case.make(seed) for seed in range(3)]
    for in_axes in _in_axes_patterns(samples[0]):
        _check_vmap(_fn(case), samples, in_axes, case.rtol)


# ---------------------------------------------------------------------------
# (e) the JVP rules are ops: they batch, transpose and differentiate again


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_vmap_of_jvp_matches_loop(case):
    args = _needs(case, "jvp")
    _needs(case, "vmap")
    f, diff, n = _fn(case), _diff(case, args), len(args)

    def tangent_out(*xs):
        return tj.jvp(f, tuple(xs[:n]), tuple(xs[n:]))[1]

    samples = []
    for seed in range(3):
        a = case.make(seed)
        samples.append(a + _tangents(a, diff, seed + 10))
    _check_vmap(tangent_out, samples, (0,) * (2 * n), case.rtol)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_vjp_agrees_with_jvp(case):
    args = _needs(case, "jvp")
    f, diff = _fn(case), _diff(case, args)
    tans = _tangents(args, diff)
    outs, touts = tj.jvp(f, tuple(args), tuple(tans))
    rng = np.random.default_rng(3)
    us = [
        rng.normal(size=np.shape(o)).astype(np.asarray(o).dtype)
        if _is_float(o)
        else np.zeros_like(np.asarray(o))
        for o in _outs(outs)
    ]
    _, vjp_fn = tj.vjp(f, *args)
    cts = vjp_fn(us if isinstance(outs, list) else us[0])
    lhs = sum(
        np.sum(_wide(u) * _wide(np.asarray(t))) for u, t in zip(us, _outs(touts), strict=True)
    )
    rhs = sum(np.sum(_wide(np.asarray(cts[i])) * _wide(tans[i])) for i in diff)
    _close(lhs, rhs, case.rtol)


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_second_order_jvp(case):
    """d/dx of the tangent map x -> J(x) t, against central differences of it."""
    args = _needs(case, "jvp")
    if "ties" in case.note:
        pytest.skip("the tangent map jumps where ties break")
    args = [_wide(a) for a in args]
    f, diff = _fn(case), _diff(case, args)
    t1, t2 = _tangents(args, diff, 4), _tangents(args, diff, 5)

    def tangent_map(*xs):
        return tj.jvp(f, tuple(xs), tuple(t1))[1]

    _, second = tj.jvp(tangent_map, tuple(args), tuple(t2))
    eps = 1e-5

    def at(step):
        return _outs(
            tangent_map(
                *[
                    a + step * t if i in diff else a
                    for i, (a, t) in enumerate(zip(args, t2, strict=True))
                ]
            )
        )

    plus, minus = at(eps), at(-eps)
    for s, p, m in zip(_outs(second), plus, minus, strict=True):
        if _is_float(s):
            _close(s, (np.asarray(p) - np.asarray(m)) / (2 * eps), 1e-5)


# ---------------------------------------------------------------------------
# conventions: ties, zeros, clamping


def test_sort_ties_follow_the_stable_permutation():
    x = np.array([2.0, 1.0, 2.0, 1.0])
    t = np.array([10.0, 20.0, 30.0, 40.0])
    (out,), (tout,) = tj.jvp(lambda x: sort_op(x, dimension=0), (x,), (t,))
    np.testing.assert_array_equal(out, [1, 1, 2, 2])
    np.testing.assert_array_equal(tout, [20.0, 40.0, 10.0, 30.0])


def test_cummax_ties_share_the_tangent_equally():
    x = np.array([1.0, 3.0, 3.0, 2.0, 3.0, 5.0])
    t = np.array([1.0, 2.0, 4.0, 8.0, 16.0, 32.0])
    _, tout = tj.jvp(lambda x: cummax(x, axis=0), (x,), (t,))
    np.testing.assert_allclose(tout, [1, 2, 3, 3, 22 / 3, 32])


def test_prod_gradients_with_zeros():
    for x in ([2.0, 0.0, 3.0], [0.0, 0.0, 3.0], [1.0, 2.0, 3.0], [0.0]):
        x = np.array(x)
        g = tj.grad(lambda x: reduce_prod(x, axes=(0,)))(x)
        want = [np.prod(np.delete(x, i)) for i in range(len(x))]
        np.testing.assert_allclose(g, want)
        h = tj.jacfwd(tj.grad(lambda x: reduce_prod(x, axes=(0,))))(x)
        hw = [
            [0.0 if i == j else np.prod(np.delete(x, [i, j])) for j in range(len(x))]
            for i in range(len(x))
        ]
        np.testing.assert_allclose(h, hw)


def test_cumprod_gradient_with_zeros():
    x = np.array([2.0, 0.0, 3.0, 0.0, 5.0])
    jac = tj.jacrev(lambda x: cumprod(x, axis=0))(x)
    want = np.zeros((5, 5))
    for i in range(5):
        for j in range(i + 1):
            want[i, j] = np.prod(np.delete(x[: i + 1], j))
    np.testing.assert_allclose(jac, want)


def test_scatter_set_last_write_wins_and_gets_the_cotangent():
    x, idx, u = np.zeros(3), np.array([1, 1, 0, 1]), np.array([1.0, 2.0, 3.0, 4.0])
    np.testing.assert_array_equal(scatter(x, idx, u, axis=0), [3.0, 4.0, 0.0])
    _, vjp_fn = tj.vjp(lambda x, u: scatter(x, idx, u, axis=0), x, u)
    cx, cu = vjp_fn(np.array([10.0, 20.0, 30.0]))
    np.testing.assert_array_equal(cx, [0.0, 0.0, 30.0])
    np.testing.assert_array_equal(cu, [0.0, 0.0, 10.0, 20.0])


def test_argsort_and_top_k():
    x = np.array([[3.0, 1.0, 3.0, 2.0], [0.0, 5.0, -1.0, 5.0]])
    np.testing.assert_array_equal(argsort(x), np.argsort(x, kind="stable"))
    vals, idx = top_k(x, 2)
    np.testing.assert_array_equal(vals, [[3.0, 3.0], [5.0, 5.0]])
    np.testing.assert_array_equal(idx, [[0, 2], [1, 3]])
    g = tj.grad(lambda x: top_k(x, 2)[0][0, 0] + 2 * top_k(x, 2)[0][1, 1])(x)
    np.testing.assert_array_equal(g, [[1, 0, 0, 0], [0, 0, 0, 2]])


def _trace(f, *args):
    return tj.make_ir(f)(*args)


def test_shape_errors_say_what_failed():
    x = np.zeros(4)
    with pytest.raises(TraceError, match="slice.*start <= limit"):
        _trace(
            lambda x: bind(
                PRIMITIVES["slice"], x, start_indices=(3,), limit_indices=(2,), strides=None
            ),
            x,
        )
    with pytest.raises(TraceError, match="gather.*integers"):
        _trace(lambda x: gather(x, np.zeros(2), axis=0), x)
    with pytest.raises(TraceError, match="dynamic_slice.*slice_sizes"):
        _trace(lambda x: dynamic_slice(x, 0, slice_sizes=(5,)), x)
    with pytest.raises(TraceError, match="dynamic_update_slice"):
        _trace(lambda x: dynamic_update_slice(x, np.zeros(5), 0), x)
    with pytest.raises(TraceError, match="pad.*cropped"):
        _trace(lambda x: bind(PRIMITIVES["pad"], x, np.zeros(()), padding_config=((-4, -1, 0),)), x)
    with pytest.raises(TraceError, match="scatter.*updates"):
        _trace(lambda x: scatter(x, np.zeros(2, int), np.zeros(3), axis=0), x)
    with pytest.raises(TraceError, match="sort.*num_keys"):
        _trace(lambda x: sort_op(x, dimension=0, num_keys=2), x)


# ---------------------------------------------------------------------------
# JAX as the oracle for the impls


def _jax():
    """(jax, jax.numpy, jax.lax) in x64; skips the test without JAX (the tests above this
    section run either way)."""
    jax, jnp = jax_x64()
    return jax, jnp, jax.lax


def _lax_oracle(case, args):
    _, jnp, lax = _jax()
    p = case.params
    name = case.prim
    if name == "slice":
        return [lax.slice(args[0], p["start_indices"], p["limit_indices"], p["strides"])]
    if name == "pad":
        return [lax.pad(args[0], args[1], p["padding_config"])]
    if name == "concatenate":
        return [lax.concatenate(args, p["dimension"])]
    if name == "rev":
        return [lax.rev(args[0], p["dimensions"])]
    if name == "iota":
        return [lax.broadcasted_iota(p["dtype"], p["shape"], p["dimension"])]
    # lax.dynamic_slice wraps a negative start once (adds n) before clamping; the
    # primitive, like XLA's, only clamps: tracejit.numpy normalises negative indices
    if name == "dynamic_slice":
        starts = [np.maximum(s, 0).astype(np.int64) for s in args[1:]]
        return [lax.dynamic_slice(args[0], starts, p["slice_sizes"])]
    if name == "dynamic_update_slice":
        starts = [np.maximum(s, 0).astype(np.int64) for s in args[2:]]
        return [lax.dynamic_update_slice(args[0], args[1], starts)]
    if name == "gather":
        return [jnp.take(args[0], args[1], axis=p["axis"], mode="clip")]
    if name == "scatter_add":
        where = (slice(None),) * p["axis"] + (args[1],)
        return [jnp.asarray(args[0]).at[where].add(args[2], mode="clip")]
    if name in ("cumsum", "cumprod", "cummax", "cummin"):
        return [getattr(lax, name)(args[0], p["axis"], p["reverse"])]
    if name == "sort":
        return list(
            lax.sort(tuple(args), dimension=p["dimension"], is_stable=True, num_keys=p["num_keys"])
        )
    return None


@pytest.mark.parametrize("case", CASES, ids=repr)
def test_impl_matches_lax(case):
    args = case.make()
    want = _lax_oracle(case, args)
    if want is None:
        pytest.skip("no lax counterpart")
    got = _outs(PRIMITIVES[case.prim].impl(*args, **case.params))
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, np.asarray(w), rtol=1e-6)


@st.composite
def _pad_problem(draw):
    shape = tuple(draw(st.lists(st.integers(0, 4), min_size=0, max_size=3)))
    config = []
    for n in shape:
        interior = draw(st.integers(0, 2))
        full = n + max(n - 1, 0) * interior
        lo = draw(st.integers(-full, 3))
        hi = draw(st.integers(-(full + lo) if full + lo > 0 else 0, 3))
        config.append((lo, hi, interior))
    return shape, tuple(config)


@settings(max_examples=25, deadline=None)
@given(_pad_problem())
def test_pad_matches_lax_and_transposes(problem):
    _, _, lax = _jax()
    shape, config = problem
    x = np.arange(int(np.prod(shape)), dtype=np.float64).reshape(shape) + 1
    f = PRIMITIVES["pad"]
    got = f.impl(x, np.asarray(-7.0), padding_config=config)
    np.testing.assert_array_equal(got, lax.pad(x, -7.0, config))
    u = np.random.default_rng(0).normal(size=got.shape)
    ct_x, ct_v = tj.linear_transpose(
        lambda x, v: bind(f, x, v, padding_config=config), x, np.zeros(())
    )(u)
    lhs = np.sum(u * got)
    _close(lhs, np.sum(ct_x * x) + ct_v * -7.0, 1e-10)


@st.composite
def _slice_problem(draw):
    shape = tuple(draw(st.lists(st.integers(0, 5), min_size=1, max_size=3)))
    start, limit, strides = [], [], []
    for n in shape:
        s = draw(st.integers(0, n))
        start.append(s)
        limit.append(draw(st.integers(s, n)))
        strides.append(draw(st.integers(1, 3)))
    return shape, tuple(start), tuple(limit), tuple(strides)


@settings(max_examples=25, deadline=None)
@given(_slice_problem())
def test_slice_matches_lax_and_transposes(problem):
    _, _, lax = _jax()
    shape, start, limit, strides = problem
    x = np.random.default_rng(0).normal(size=shape)
    f = PRIMITIVES["slice"]
    got = f.impl(x, start_indices=start, limit_indices=limit, strides=strides)
    np.testing.assert_array_equal(got, lax.slice(x, start, limit, strides))
    u = np.random.default_rng(1).normal(size=got.shape)
    (ct,) = tj.linear_transpose(
        lambda x: bind(f, x, start_indices=start, limit_indices=limit, strides=strides), x
    )(u)
    _close(np.sum(u * got), np.sum(ct * x), 1e-10)


def test_batched_window_starts_match_jax():
    jax, _, lax = _jax()
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 5, 6))
    starts = rng.integers(0, 7, size=(4, 2))  # lax wraps negative starts; we only clamp
    upd = rng.normal(size=(4, 2, 3))

    i, j = starts[:, 0], starts[:, 1]

    def ds(x, i, j):
        return dynamic_slice(x, i, j, slice_sizes=(3, 2))

    def dus(x, u, i, j):
        return dynamic_update_slice(x, u, i, j)

    jds = jax.vmap(lambda x, i, j: lax.dynamic_slice(x, (i, j), (3, 2)))
    jdus = jax.vmap(lambda x, u, i, j: lax.dynamic_update_slice(x, u, (i, j)))
    np.testing.assert_allclose(tj.vmap(ds)(x, i, j), jds(x, i, j))
    np.testing.assert_allclose(tj.vmap(dus)(x, upd, i, j), jdus(x, upd, i, j))
    # the operand shared, one start batched
    shared = jax.vmap(lambda i: lax.dynamic_slice(x[0], (i, j[0]), (3, 2)))(i)
    np.testing.assert_allclose(tj.vmap(ds, in_axes=(None, 0, None))(x[0], i, j[0]), shared)
