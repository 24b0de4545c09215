"""tracejit.numpy's extra math (_extra_math.py): NumPy's values on concrete inputs, JAX x64
as the oracle for names, signatures, dtypes and conventions (skipped without JAX),
derivatives against finite differences, vmap against a loop."""

from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64

rng = np.random.default_rng(7)
A = rng.normal(size=(3, 4))
V6, V3 = rng.normal(size=6), rng.normal(size=3)
XP = np.sort(rng.normal(size=6))
FP = rng.normal(size=6)
XQ = np.concatenate([rng.normal(size=8) * 1.5, XP, [XP[0] - 1, XP[-1] + 1]])
H = np.cumsum(rng.uniform(0.5, 1.0, size=4))  # uneven coordinates along an axis of A
PHASE = np.cumsum(rng.normal(size=(2, 12)) * 3, axis=1)
INTS = rng.integers(-40, 40, size=12)
SPECIAL = np.array([0.0, -0.0, 1.0, -1.0, 2.0, 0.3, -7.5, 1e-310, 5e-324, 2.2250738585072014e-308,
                    1.7e308, np.inf, -np.inf, np.nan])  # fmt: skip


def _eq(got, want):
    for g, w in zip(
        got if isinstance(got, tuple) else (got,),
        want if isinstance(want, tuple) else (want,),
        strict=True,
    ):
        np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
        assert np.asarray(g).dtype == np.asarray(w).dtype


# ---------------------------------------------------------------------------
# NumPy on concrete inputs


@pytest.mark.parametrize(
    "name, numpy_name",
    [("acos", "arccos"), ("acosh", "arccosh"), ("asin", "arcsin"), ("asinh", "arcsinh"),
     ("atan", "arctan"), ("atanh", "arctanh")],
)  # fmt: skip
def test_array_api_aliases(name, numpy_name):
    x = np.array([0.1, 0.5, 0.9]) if name != "acosh" else np.array([1.5, 2.0, 9.0])
    np.testing.assert_allclose(getattr(tnp, name)(x), getattr(np, numpy_name)(x), rtol=1e-14)
    np.testing.assert_allclose(tnp.atan2(A, A.T[:1].T), np.arctan2(A, A.T[:1].T), rtol=1e-14)
    np.testing.assert_allclose(tnp.pow(np.abs(A), A), np.power(np.abs(A), A), rtol=1e-14)
    assert tnp.pow(np.int8(3), 2).dtype == np.int8


@pytest.mark.parametrize("dtype", [np.int8, np.int16, np.int32, np.int64, np.uint8, np.uint64])
def test_shifts_match_numpy_in_range(dtype):
    info, bits = np.iinfo(dtype), np.iinfo(dtype).bits
    x = rng.integers(info.min // 2, info.max // 2, size=64, dtype=np.int64).astype(dtype)
    n = rng.integers(0, bits, size=64).astype(dtype)
    for ours, theirs in [(tnp.left_shift, np.left_shift), (tnp.right_shift, np.right_shift),
                         (tnp.bitwise_left_shift, np.left_shift),
                         (tnp.bitwise_right_shift, np.right_shift)]:  # fmt: skip
        _eq(ours(x, n), theirs(x, n))
        _eq(tj.vmap(ours)(x, n), theirs(x, n))


def test_shift_beyond_the_width_is_the_fill():
    # NumPy leaves these to the C compiler; JAX (and tracejit) define them
    x = np.array([5, -5, 7], np.int8)
    _eq(tnp.left_shift(x, np.int8(8)), np.zeros(3, np.int8))
    _eq(tnp.right_shift(x, np.int8(9)), np.array([0, -1, 0], np.int8))
    _eq(tnp.right_shift(x, np.int8(-1)), np.array([0, -1, 0], np.int8))
    _eq(tnp.right_shift(np.uint8(200), np.uint8(8)), np.uint8(0))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_float_decomposition_matches_numpy_bit_for_bit(dtype):
    x = np.concatenate([SPECIAL, rng.normal(size=40) * 10.0 ** rng.integers(-30, 30, 40)])
    with np.errstate(over="ignore"):  # 1.7e308 is inf in float32
        x = x.astype(dtype)
    y = np.roll(x, 5)
    with np.errstate(all="ignore"):
        for ours, theirs in [(tnp.frexp, np.frexp), (tnp.modf, np.modf)]:
            for g, w in zip(ours(x), theirs(x), strict=True):
                np.testing.assert_array_equal(g, w)
                assert g.dtype == w.dtype
        np.testing.assert_array_equal(tnp.nextafter(x, y), np.nextafter(x, y))
        np.testing.assert_array_equal(tnp.spacing(x), np.spacing(x))
        n = rng.integers(-1100, 1100, size=x.shape)
        np.testing.assert_array_equal(tnp.ldexp(x, n), np.ldexp(x, n))
    assert tnp.nextafter(dtype(1), dtype(2)).dtype == dtype


def test_gcd_lcm():
    y = rng.integers(-30, 30, size=12)
    _eq(tnp.gcd(INTS, y), np.gcd(INTS, y))
    _eq(tnp.lcm(INTS, 6), np.lcm(INTS, 6))
    _eq(tj.vmap(tnp.gcd)(INTS, y), np.gcd(INTS, y))  # traced: a while_loop
    _eq(tj.vmap(tnp.lcm, in_axes=(0, None))(INTS, np.int64(4)), np.lcm(INTS, 4))
    with pytest.raises(ValueError, match="integers"):
        tnp.gcd(1.5, 2.0)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"left": -3.0, "right": 4.0}, {"period": 2.5}, {"left": 0.0}],
)
def test_interp_matches_numpy(kwargs):
    np.testing.assert_allclose(
        tnp.interp(XQ, XP, FP, **kwargs), np.interp(XQ, XP, FP, **kwargs), rtol=1e-12, atol=1e-13
    )


@pytest.mark.parametrize(
    "args, kwargs",
    [((), {}), ((0.5,), {}), ((2.0, H), {}), ((H,), {"axis": 1}), ((), {"axis": -2}),
     ((0.3,), {"axis": (0,), "edge_order": 1})],
)  # fmt: skip
def test_gradient_matches_numpy(args, kwargs):
    got, want = tnp.gradient(A, *args, **kwargs), np.gradient(A, *args, **kwargs)
    if isinstance(want, tuple):
        assert isinstance(got, list) and len(got) == len(want)  # JAX returns a list
    else:
        got, want = [got], [want]
    for g, w in zip(got, want, strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-12)


@pytest.mark.parametrize(
    "args, kwargs",
    [((), {}), ((H,), {}), ((), {"dx": 0.3, "axis": 0}), ((A,), {"axis": 0}), ((), {"axis": -1})],
)
def test_trapezoid_matches_numpy(args, kwargs):
    np.testing.assert_allclose(
        tnp.trapezoid(A, *args, **kwargs), np.trapezoid(A, *args, **kwargs), rtol=1e-12
    )


def test_ediff1d_matches_numpy():
    np.testing.assert_allclose(tnp.ediff1d(A), np.ediff1d(A))
    np.testing.assert_allclose(tnp.ediff1d(A, to_end=[1, 2], to_begin=-1),
                               np.ediff1d(A, to_end=[1, 2], to_begin=-1))  # fmt: skip
    _eq(tnp.ediff1d(INTS, to_begin=0), np.ediff1d(INTS, to_begin=0))


@pytest.mark.parametrize("mode", ["full", "same", "valid"])
@pytest.mark.parametrize("op", ["convolve", "correlate"])
def test_convolve_correlate_match_numpy(op, mode):
    for a, v in [(V6, V3), (V3, V6), (V6, V6), (V3[:1], V6), (INTS[:5], INTS[5:7])]:
        got, want = getattr(tnp, op)(a, v, mode), getattr(np, op)(a, v, mode)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
        assert got.dtype == np.float64  # floating point, as JAX


def test_unwrap_matches_numpy():
    np.testing.assert_allclose(tnp.unwrap(PHASE), np.unwrap(PHASE), rtol=1e-12)
    np.testing.assert_allclose(
        tnp.unwrap(PHASE, axis=0, discont=4.0), np.unwrap(PHASE, axis=0, discont=4.0), rtol=1e-12
    )
    np.testing.assert_allclose(
        tnp.unwrap(PHASE, period=5.0), np.unwrap(PHASE, period=5.0), rtol=1e-12
    )
    # an even integer period: NumPy and JAX differ at the boundary for an odd one
    np.testing.assert_array_equal(tnp.unwrap(INTS, period=10), np.unwrap(INTS, period=10))


def test_cumulative_sum_and_prod_match_numpy():
    for include_initial in (False, True):
        kw = {"include_initial": include_initial}
        _eq(tnp.cumulative_sum(INTS, **kw), np.cumulative_sum(INTS, **kw))
        np.testing.assert_allclose(
            tnp.cumulative_prod(A, axis=1, **kw), np.cumulative_prod(A, axis=1, **kw)
        )
        got = tnp.cumulative_sum(A, axis=0, dtype=np.float32, **kw)
        _eq(got, np.cumulative_sum(A, axis=0, dtype=np.float32, **kw))
    with pytest.raises(ValueError, match="axis"):
        tnp.cumulative_sum(A)
    with pytest.raises(ValueError):
        tnp.cumulative_prod(np.float64(2.0))


def test_vector_products_and_array_api_helpers():
    B = rng.normal(size=(2, 3, 4))
    np.testing.assert_allclose(tnp.vecdot(B, A), np.vecdot(B, A), rtol=1e-12)
    np.testing.assert_allclose(tnp.vecdot(B, A, axis=-2), np.vecdot(B, A, axis=-2), rtol=1e-12)
    np.testing.assert_allclose(tnp.matvec(B, A[0]), np.matvec(B, A[0]), rtol=1e-12)
    np.testing.assert_allclose(tnp.vecmat(B[..., 0], B), np.vecmat(B[..., 0], B), rtol=1e-12)
    _eq(tnp.astype(A, np.int16), A.astype(np.int16))
    out = tnp.astype(A, np.float64)
    assert out is not A and np.array_equal(out, A)
    assert tnp.isdtype(np.float32, "real floating") and tnp.isdtype(np.uint8, ("bool", "integral"))
    assert not tnp.isdtype(np.int8, "real floating")
    parts = tnp.unstack(B, axis=1)
    assert isinstance(parts, tuple) and len(parts) == 3
    for k, p in enumerate(parts):
        np.testing.assert_array_equal(p, B[:, k])


# ---------------------------------------------------------------------------
# JAX x64 as the oracle

ORACLE = [
    ("interp", (XQ, XP, FP), {}),
    ("interp", (XQ, XP, FP), {"left": "extrapolate", "right": "extrapolate"}),
    ("interp", (XQ, XP, FP), {"period": 2.0}),
    ("gradient", (A, 2.0, H), {}),
    ("gradient", (A, H), {"axis": 1}),
    ("trapezoid", (A, H), {}),
    ("trapezoid", (A,), {"dx": 0.5, "axis": 0}),
    ("ediff1d", (A,), {"to_end": np.array([1.0, 2.0]), "to_begin": 3.0}),
    ("convolve", (V6, V3), {"mode": "same"}),
    ("convolve", (V3, V6), {}),
    ("correlate", (V3, V6), {"mode": "full"}),
    ("correlate", (V6, V3), {"mode": "same"}),
    ("unwrap", (PHASE,), {}),
    ("unwrap", (PHASE,), {"axis": 0, "period": 4.0, "discont": 3.0}),
    ("cumulative_sum", (A,), {"axis": 1, "include_initial": True}),
    ("cumulative_prod", (A,), {"axis": 0, "include_initial": True}),
    ("vecdot", (A, A), {"axis": 0}),
    ("matvec", (A, A[0]), {}),
    ("vecmat", (A[:, 0], A), {}),
    ("unstack", (A,), {"axis": 1}),
    ("frexp", (A * 1000,), {}),
    ("ldexp", (A, np.arange(4)), {}),
    ("modf", (A * 3,), {}),
    ("nextafter", (A, np.zeros(4)), {}),
    ("spacing", (A,), {}),
    ("gcd", (INTS, np.int64(12)), {}),
    ("lcm", (INTS, np.int64(6)), {}),
    ("left_shift", (np.abs(INTS), np.int64(3)), {}),
    ("right_shift", (INTS, np.int64(2)), {}),
    ("pow", (np.abs(A), A), {}),
    ("atan2", (A, A[::-1]), {}),
]


@pytest.mark.parametrize(
    "name, args, kwargs", ORACLE, ids=[f"{c[0]}-{i}" for i, c in enumerate(ORACLE)]
)
def test_matches_jax_numpy(name, args, kwargs):
    _, jnp = jax_x64()
    assert_trees_close(
        getattr(tnp, name)(*args, **kwargs),
        getattr(jnp, name)(*args, **kwargs),
        rtol=1e-12,
        atol=1e-13,
    )


def test_isdtype_and_astype_match_jax():
    _, jnp = jax_x64()
    kinds = [
        "bool",
        "signed integer",
        "unsigned integer",
        "integral",
        "real floating",
        "numeric",
        np.int32,
    ]
    for dt in [np.bool_, np.int8, np.uint32, np.float32, np.float64]:
        for kind in kinds:
            assert tnp.isdtype(dt, kind) == jnp.isdtype(dt, kind)
    assert_trees_close(tnp.astype(A, np.int32), jnp.astype(A, np.int32))


# ---------------------------------------------------------------------------
# derivatives and batching

GRADS = {
    "interp": (lambda x, xp, fp: tnp.interp(x, xp, fp), (XQ[:8], XP, FP)),
    "interp_period": (lambda x, fp: tnp.interp(x, XP, fp, period=2.5), (XQ[:8], FP)),
    "convolve_full": (lambda a, v: tnp.convolve(a, v), (V6, V3)),
    "convolve_same": (lambda a, v: tnp.convolve(v, a, "same"), (V6, V3)),
    "correlate_valid": (lambda a, v: tnp.correlate(a, v), (V6, V3)),
    "correlate_full": (lambda a, v: tnp.correlate(v, a, "full"), (V6, V3)),
    "gradient": (lambda f, h: tnp.gradient(f, 1.0, h)[1], (A, H)),
    "trapezoid": (lambda y, x: tnp.trapezoid(y, x), (A, H)),
    "unwrap": (lambda p: tnp.unwrap(p), (PHASE,)),
    "frexp": (lambda x: tnp.frexp(x)[0], (A * 10,)),
    "ldexp": (lambda x: tnp.ldexp(x, np.array([3, -2, 0, 1])), (A,)),
    "modf": (lambda x: tnp.modf(x)[0] + tnp.modf(x)[1], (A * 3,)),
    "vecdot": (lambda x, y: tnp.vecdot(x, y, axis=0), (A, A[::-1])),
    "matvec": (lambda m, v: tnp.matvec(m, v), (A, A[0])),
    "cumulative_prod": (lambda x: tnp.cumulative_prod(x, axis=1, include_initial=True), (A,)),
    "ediff1d": (lambda x: tnp.ediff1d(x, to_begin=1.0), (A,)),
}


@pytest.mark.parametrize("name", list(GRADS))
def test_grads_vs_finite_differences(name):
    f, args = GRADS[name]
    tj.check_grads(f, args, order=1)


@pytest.mark.parametrize(
    "f",
    [lambda a: tnp.convolve(a, V3, "same"), lambda a: tnp.interp(a, XP, FP),
     lambda a: tnp.gradient(a, H), lambda a: tnp.unwrap(a * 3), lambda a: tnp.frexp(a)[0],
     lambda a: tnp.trapezoid(a, H), lambda a: tnp.nextafter(a, 0.0)],
)  # fmt: skip
def test_vmap_matches_loop(f):
    xs = rng.normal(size=(3, 4))
    np.testing.assert_allclose(tj.vmap(f)(xs), np.stack([f(x) for x in xs]), rtol=1e-12)


F32 = A.astype(np.float32)
FLOAT32_CASES = {
    "interp": lambda x: tnp.interp(x, np.sort(x[0]), x[1]),
    "gradient": lambda x: tnp.gradient(x, axis=0),
    "trapezoid": lambda x: tnp.trapezoid(x, dx=0.5),
    "convolve": lambda x: tnp.convolve(x[0], x[1]),
    "unwrap": lambda x: tnp.unwrap(x),
    "ediff1d": lambda x: tnp.ediff1d(x),
    "frexp": lambda x: tnp.frexp(x)[0],
    "ldexp": lambda x: tnp.ldexp(x, 3),
    "modf": lambda x: tnp.modf(x)[0],
    "nextafter": lambda x: tnp.nextafter(x, 0.0),
    "spacing": lambda x: tnp.spacing(x),
    "vecdot": lambda x: tnp.vecdot(x, x),
    "cumulative_sum": lambda x: tnp.cumulative_sum(x, axis=0),
}


@pytest.mark.parametrize("name", list(FLOAT32_CASES))
def test_float32_stays_float32(name):
    assert FLOAT32_CASES[name](F32).dtype == np.float32
