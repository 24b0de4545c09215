"""tracejit.lax's functional API (tracejit/_lax_*.py): JAX's names, signatures, dtypes
and values. Always-on checks against NumPy references written here; derivatives by
check_grads; vmap against a Python loop; JAX (float64) as an oracle where installed."""

import itertools
import warnings

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64

L = tj.lax
R = np.random.RandomState(0)
G = np.random.default_rng(0)


def _close(got, want, tol=1e-12):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol, equal_nan=True)


# ---------------------------------------------------------------------------
# operand rules: strict dtypes, equal ranks, JAX's error types


@pytest.mark.parametrize("op", [L.add, L.mul, L.div, L.rem, L.lt, L.eq, L.max])
def test_mismatched_dtypes_are_type_errors(op):
    with pytest.raises(TypeError, match="requires arguments to have the same dtypes"):
        op(0, 0.0)
    with pytest.raises(TypeError, match="same dtypes"):
        op(np.ones(3, np.float32), np.ones(3))


def test_operand_rules():
    x = np.ones((3, 4), np.float32)
    assert L.add(x, 1.0).dtype == np.float32  # a Python scalar takes the array's dtype
    assert L.add(x, np.ones((3, 1), np.float32)).shape == (3, 4)  # size-1 axes stretch
    assert L.add(x, np.float32(2)).shape == (3, 4)  # 0-d operands broadcast
    with pytest.raises(TypeError, match="same number of dimensions"):
        L.add(x, np.ones(4, np.float32))
    with pytest.raises(TypeError, match="does not accept dtype int64"):
        L.sin(np.arange(3))
    with pytest.raises(TypeError, match="does not accept dtype complex"):
        L.lt(2 + 3j, 4 + 5j)
    with pytest.raises(TypeError, match="population_count does not accept dtype bool"):
        L.population_count(True)
    assert L.sin(1.0).dtype == np.float64 and L.abs(-3) == 3


# ---------------------------------------------------------------------------
# elementwise semantics against NumPy references


def test_integer_div_rem_truncate_like_c():
    x = np.array([-7, 7, -7, 7, 5, -5], np.int32)
    y = np.array([2, -2, -2, 2, 0, 0], np.int32)
    _close(L.div(x, y), np.array([-3, -3, 3, 3, -1, -1], np.int32))
    _close(L.rem(x, y), np.array([-1, 1, -1, 1, 5, -5], np.int32))
    _close(L.div(np.uint8([7, 7]), np.uint8([2, 0])), np.uint8([3, 255]))
    xf, yf = R.uniform(-9, 9, 20), R.uniform(0.1, 5, 20) * R.choice([-1, 1], 20)
    _close(L.rem(xf, yf), np.fmod(xf, yf))


@pytest.mark.parametrize("dtype", [np.int8, np.int32, np.int64, np.uint8, np.uint32, np.uint64])
def test_shifts_popcount_clz(dtype):
    bits = np.dtype(dtype).itemsize * 8
    info = np.iinfo(dtype)
    x = G.integers(info.min, info.max, size=50, dtype=dtype, endpoint=True)
    y = G.integers(0, bits + 3, size=50).astype(dtype)
    ux = [int(v) % (1 << bits) for v in x]  # the bits, as an unsigned Python int
    sx = [v - (1 << bits) if v >> (bits - 1) else v for v in ux]  # ... and as signed

    def wrap(values):  # Python ints to dtype, modulo 2**bits
        return np.array([v % (1 << bits) for v in values], np.uint64).astype(dtype)

    ys = [int(v) for v in y]
    _close(L.shift_left(x, y), wrap([a << b if b < bits else 0 for a, b in zip(ux, ys)]))
    _close(L.shift_right_logical(x, y), wrap([a >> b if b < bits else 0 for a, b in zip(ux, ys)]))
    # the arithmetic shift sees the bits as signed, as XLA does for unsigned types too
    _close(L.shift_right_arithmetic(x, y), wrap([a >> min(b, bits - 1) for a, b in zip(sx, ys)]))
    _close(L.population_count(x), np.array([bin(a).count("1") for a in ux]).astype(dtype))
    _close(L.clz(x), np.array([bits - a.bit_length() for a in ux]).astype(dtype))


def test_round_convert_finite_nextafter_erfc():
    x = np.array([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999999999994], np.float64)
    _close(L.round(x), np.array([-3, -2, -1, 1, 2, 3, 0.0]))
    _close(L.round(x, L.RoundingMethod.TO_NEAREST_EVEN), np.rint(x))
    v = np.array([1.7, -1.7, np.nan, 1e20, -1e20, 2.0**31], np.float32)
    _close(
        L.convert_element_type(v, np.int32), np.int32([1, -1, 0, 2**31 - 1, -(2**31), 2**31 - 1])
    )
    _close(L.convert_element_type(np.array([300.7, -1.7]), np.uint8), np.uint8([255, 0]))
    _close(L.convert_element_type(2**32, "int32"), np.int32(0))
    _close(L.is_finite(np.array([1.0, np.inf, -np.inf, np.nan])), np.array([1, 0, 0, 0], bool))
    a, b = R.normal(size=8).astype(np.float32), R.normal(size=8).astype(np.float32)
    _close(L.nextafter(a, b), np.nextafter(a, b))
    from scipy.special import erfc

    t = np.array([-3.0, 0.0, 1.0, 6.0, 10.0, 26.0])
    _close(L.erfc(t), erfc(t), tol=1e-14)
    _close(L.clamp(0.0, np.array([-1.0, 0.5, 2.0]), 1.0), np.array([0.0, 0.5, 1.0]))


# ---------------------------------------------------------------------------
# structural functions against NumPy


def _pad_ref(x, value, config):
    lo_pos = [max(lo, 0) for lo, _, _ in config]
    hi_pos = [max(hi, 0) for _, hi, _ in config]
    shape = [
        lo + hi + n + max(n - 1, 0) * i
        for n, lo, hi, (_, _, i) in zip(x.shape, lo_pos, hi_pos, config)
    ]
    out = np.full(shape, value, x.dtype)
    out[
        tuple(
            slice(lo, lo + (n - 1) * (i + 1) + 1 if n else lo, i + 1)
            for n, lo, (_, _, i) in zip(x.shape, lo_pos, config)
        )
    ] = x
    return out[tuple(slice(-min(lo, 0), m + min(hi, 0)) for m, (lo, hi, _) in zip(shape, config))]


@pytest.mark.parametrize(
    "shape, config",
    [
        ((2, 3), [(1, 2, 1), (0, 1, 0)]),
        ((4, 2), [(-1, -2, 1), (1, 2, 2)]),
        ((5,), [(-1, -2, 2)]),
        ((2, 3), [(0, 0, 0), (-2, -3, 1)]),
        ((0, 2), [(1, 2, 1), (0, 1, 0)]),
    ],
)
def test_pad(shape, config):
    x = R.normal(size=shape)
    _close(L.pad(x, np.float64(0.5), config), _pad_ref(x, 0.5, config))


def test_structural_errors():
    with pytest.raises(ValueError, match="padding_value must be a scalar"):
        L.pad(np.zeros(2), np.zeros(2), [(0, 0, 0)])
    with pytest.raises(ValueError, match="interior padding in padding_config must be nonnegative"):
        L.pad(np.zeros(2), 0.0, [(0, 1, -1)])
    with pytest.raises(ValueError, match="Dimension size after padding is not at least 0"):
        L.pad(np.zeros(2), 0.0, [(-3, 0, 0)])
    with pytest.raises(TypeError, match="must be strictly increasing"):
        L.broadcast_in_dim(np.ones((2, 2)), (2, 2), (1, 0))
    with pytest.raises(ValueError, match="cannot select an axis to squeeze out"):
        L.squeeze(np.ones((1, 2, 3)), (1,))
    with pytest.raises(TypeError, match="Shapes must be 1D sequences of concrete values"):
        L.reshape(np.ones(3), (1.5, 2.0))
    with pytest.raises(TypeError, match="must be integers of the same type"):
        L.dynamic_slice(np.ones((3, 4)), (np.int32(1), np.int16(2)), (2, 2))
    with pytest.raises(ValueError, match="Sum of sizes 6 must be equal"):
        L.split(np.arange(5), [6])
    with pytest.raises(TypeError, match="index_dtype must be an integer type"):
        L.argmax(np.ones((2, 2)), 0, np.float32)


def test_slicing_selection_tiling():
    x = R.normal(size=(7, 5, 3))
    _close(L.slice(x, (4, 0, 1), (7, 5, 3), (1, 2, 1)), x[4:7, 0:5:2, 1:3])
    _close(L.slice_in_dim(x, -3, None, 2, axis=0), x[-3::2])
    _close(L.dynamic_slice(x, (-3, 1, 10), (2, 2, 2)), x[4:6, 1:3, 1:3])  # negative wraps, clamped
    _close(L.dynamic_index_in_dim(x, -8, 0, keepdims=False), x[0])
    u = R.normal(size=(2, 2, 1))
    want = x.copy()
    want[5:7, 0:2, 2:3] = u
    _close(L.dynamic_update_slice(x, u, np.array([9, 0, -1])), want)
    _close(L.tile(x[0], (2, 3)), np.tile(x[0], (2, 3)))
    _close(L.collapse(x, 1), x.reshape(7, 15))
    _close(L.reshape(x, (15, 7), (2, 1, 0)), x.transpose(2, 1, 0).reshape(15, 7))
    parts = L.split(x, (1, 0, 4), axis=1)
    assert [p.shape for p in parts] == [(7, 1, 3), (7, 0, 3), (7, 4, 3)]
    which = np.array([0, 3, -1, 1, 2])
    cases = [np.full(5, float(k)) for k in range(3)]
    _close(L.select_n(which, *cases), np.choose(which, cases, mode="clip").astype(float))
    _close(
        L.broadcasted_iota(np.int32, (2, 3), 1),
        np.broadcast_to(np.arange(3, dtype=np.int32), (2, 3)),
    )
    _close(L.full((2,), 1.5, np.int32), np.int32([1, 1]))


def test_sorting():
    x = R.normal(size=(4, 6))
    _close(L.sort(x, dimension=0), np.sort(x, axis=0))
    keys = R.randint(0, 3, size=(3, 9)).astype(np.float64)
    got = L.sort(tuple(keys), num_keys=2)
    want = tuple(keys[:, np.lexsort(keys[:2][::-1])])
    for g, w in zip(got, want):
        _close(g, w)
    v = np.array([3, 1, 3, 2], np.uint32)
    vals, idx = L.top_k(v, 2)
    _close(vals, np.uint32([3, 3]))
    _close(idx, np.int32([0, 2]))  # ties go to the lower index
    vals, idx = L.top_k(x, 2, axis=0)
    _close(vals, -np.sort(-x, axis=0)[:2])
    nan_order = L.sort_key_val(np.array([np.nan, 1.0, -np.inf, 0.0, -0.0]), np.arange(5))[1]
    _close(nan_order, np.array([2, 3, 4, 1, 0]))


def test_reductions_and_scans():
    x = R.normal(size=(3, 4, 5))
    _close(L.reduce_sum(x, (0, 2)), x.sum((0, 2)))
    _close(L.reduce_max(np.ones((0, 3)), (0,)), np.full(3, -np.inf))
    xi = R.randint(-50, 50, size=(3, 4, 5))
    _close(L.reduce_xor(xi, (1,)), np.bitwise_xor.reduce(xi, axis=1))
    _close(L.reduce_and(xi, (0, 2)), np.bitwise_and.reduce(np.bitwise_and.reduce(xi, 2), 0))
    _close(L.argmax(np.array([0.0, np.nan, 1.0]), 0, np.int32), np.int32(1))
    _close(L.reduce(np.arange(5.0), 0.0, lambda a, b: a - b, (0,)), np.float64(-10))
    _close(L.reduce(x, np.float64(3), L.add, (1,)), x.sum(1) + 3)
    out = L.reduce(
        {"x": [np.ones(5), np.arange(5)]},
        {"x": [0.0, 0]},
        lambda a, b: tj.tree.map(L.add, a, b),
        [0],
    )
    assert out["x"][0] == 5.0 and out["x"][1] == 10
    _close(L.cumsum(x, 1, reverse=True), np.flip(np.cumsum(np.flip(x, 1), 1), 1))
    y = np.array([-1000.0, 0.0, 1.0, -np.inf])
    _close(L.cumlogsumexp(y), np.logaddexp.accumulate(y))
    _close(L.cumlogsumexp(x, 1, True), np.flip(np.logaddexp.accumulate(np.flip(x, 1), 1), 1))
    _close(L.associative_scan(L.add, np.arange(6), reverse=True), np.int64([15, 15, 14, 12, 9, 5]))
    mats = R.normal(size=(5, 2, 2))
    want = list(itertools.accumulate(mats, lambda a, b: a @ b))
    _close(L.associative_scan(tnp.matmul, mats), np.stack(want))
    _close(L.reduce_precision(np.float64(np.pi), 5, 10), np.float64(np.float16(np.pi)))


# ---------------------------------------------------------------------------
# convolution and reduce_window against direct NumPy loops


def _dilate(x, factors, fill=0.0):
    """Insert factor - 1 fill values between elements of the trailing axes."""
    lead = x.ndim - len(factors)
    shape = x.shape[:lead] + tuple(
        (n - 1) * f + 1 if n else 0 for n, f in zip(x.shape[lead:], factors)
    )
    out = np.full(shape, fill, x.dtype)
    out[(slice(None),) * lead + tuple(slice(None, None, f) for f in factors)] = x
    return out


def _conv_ref(x, w, strides, pads, ld, rd, groups=1):
    """Canonical layouts: x (N, C, S...), w (O, I, K...); feature groups only."""
    x = _dilate(x, ld)
    x = _pad_ref(x, 0.0, [(0, 0, 0)] * 2 + [(lo, hi, 0) for lo, hi in pads])
    w = _dilate(w, rd)
    n, c = x.shape[:2]
    o, i = w.shape[:2]
    k = w.shape[2:]
    space = [(m - kk) // s + 1 for m, kk, s in zip(x.shape[2:], k, strides)]
    out = np.zeros((n, o) + tuple(space))
    og = o // groups
    for pos in itertools.product(*[range(s) for s in space]):
        win = tuple(slice(p * s, p * s + kk) for p, s, kk in zip(pos, strides, k))
        patch = x[(slice(None), slice(None)) + win]  # (N, C, K...)
        for g in range(groups):
            pg = patch[:, g * i : (g + 1) * i]
            wg = w[g * og : (g + 1) * og]
            out[(slice(None), slice(g * og, (g + 1) * og)) + pos] = np.tensordot(
                pg, wg, axes=(list(range(1, pg.ndim)), list(range(1, wg.ndim)))
            )
    return out


@pytest.mark.parametrize(
    "strides, pads, ld, rd, groups",
    [
        ((1, 1), ((0, 0), (0, 0)), (1, 1), (1, 1), 1),
        ((2, 1), ((1, 2), (2, 0)), (1, 2), (2, 1), 1),
        ((1, 2), ((0, -1), (1, 1)), (2, 2), (1, 2), 2),
    ],
)
def test_conv_matches_numpy(strides, pads, ld, rd, groups):
    x, w = R.normal(size=(2, 2 * groups, 6, 7)), R.normal(size=(3 * groups, 2, 2, 3))
    want = _conv_ref(x, w, strides, pads, ld, rd, groups)
    got = L.conv_general_dilated(x, w, strides, pads, ld, rd, feature_group_count=groups)
    _close(got, want, tol=1e-10)
    # the same convolution in NHWC / HWIO layouts
    got = L.conv_general_dilated(
        x.transpose(0, 2, 3, 1),
        w.transpose(2, 3, 1, 0),
        strides,
        pads,
        ld,
        rd,
        ("NHWC", "HWIO", "NHWC"),
        feature_group_count=groups,
    )
    _close(got, want.transpose(0, 2, 3, 1), tol=1e-10)


def test_conv_padding_strings_and_patches():
    x, w = R.normal(size=(1, 1, 5, 6)), R.normal(size=(1, 1, 3, 2))
    assert L.padtype_to_pads((5, 6), (3, 2), (2, 1), "SAME") == [(1, 1), (0, 1)]
    assert L.padtype_to_pads((5, 6), (3, 2), (2, 1), "SAME_LOWER") == [(1, 1), (1, 0)]
    _close(
        L.conv(x, w, (2, 1), "SAME"),
        _conv_ref(x, w, (2, 1), [(1, 1), (0, 1)], (1, 1), (1, 1)),
        1e-10,
    )
    lhs = np.array([1, 2, 3, 4, 5], np.float32).reshape((1, -1, 1))
    patches = L.conv_general_dilated_patches(
        lhs, (3,), (1,), "SAME", rhs_dilation=(2,), dimension_numbers=("NHC", "OIH", "NHC")
    )
    want = np.array([[0, 1, 3], [0, 2, 4], [1, 3, 5], [2, 4, 0], [3, 5, 0]], np.float32)
    _close(patches, want.reshape(1, 5, 3))


def _window_ref(x, init, op, dims, strides, pads, base):
    x = _dilate(x, base, np.nan)  # holes and padding are skipped (NaN marks them)
    x = _pad_ref(x, np.nan, [(lo, hi, 0) for lo, hi in pads])
    view = np.lib.stride_tricks.sliding_window_view(x, dims)
    view = view[tuple(slice(None, None, s) for s in strides)]
    flat = view.reshape(view.shape[: x.ndim] + (-1,))
    out = np.full(flat.shape[:-1], init)
    for idx in np.ndindex(*out.shape):
        for v in flat[idx]:
            if not np.isnan(v):
                out[idx] = op(out[idx], v)
    return out


@pytest.mark.parametrize(
    "op, init", [(np.add, 0.0), (np.maximum, -np.inf), (np.add, 1.0), (np.multiply, 2.0)]
)
@pytest.mark.parametrize(
    "padding, base", [("VALID", (1, 1)), ([(0, 3), (1, 2)], (2, 3)), ("SAME", (1, 2))]
)
def test_reduce_window_matches_numpy(op, init, padding, base):
    x = R.normal(size=(4, 6))
    dims, strides = (2, 2), (1, 2)
    lax_op = {np.add: L.add, np.maximum: L.max, np.multiply: lambda a, b: a * b}[op]
    got = L.reduce_window(x, np.float64(init), lax_op, dims, strides, padding, base)
    # string padding is computed on the undilated operand, as JAX's
    pads = (
        L.padtype_to_pads(x.shape, dims, strides, padding) if isinstance(padding, str) else padding
    )
    _close(got, _window_ref(x, init, op, dims, strides, pads, base))


# ---------------------------------------------------------------------------
# gather and scatter against NumPy loops


def test_gather_scatter_match_numpy():
    x = R.normal(size=(10, 5))
    idx = np.array([[0], [2], [8], [-3]])
    dn = L.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
    want = np.stack([x[min(max(i, 0), 9), 0:3] for i in idx[:, 0]])
    _close(L.gather(x, idx, dn, (1, 3), mode="clip"), want)
    want[3] = -1.0  # the window at -3 does not fit
    _close(L.gather(x, idx, dn, (1, 3), mode="fill", fill_value=-1.0), want)
    sdn = L.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(0,), scatter_dims_to_operand_dims=(0,)
    )
    idx = np.array([[0], [0], [8], [-3]])  # a repeated target and a dropped window
    u = R.normal(size=(4, 5))
    add, big, low = x.copy(), x.copy(), x.copy()
    for i, row in zip(idx[:, 0], u):
        if 0 <= i < 10:
            add[i] += row
            big[i] = np.maximum(big[i], row)
            low[i] = np.minimum(low[i], row)
    _close(L.scatter_add(x, idx, u, sdn), add)
    _close(L.scatter_max(x, idx, u, sdn), big)
    _close(L.scatter_min(x, idx, u, sdn), low)
    _close(L.index_take(x, (np.array([0, -1]),), (0,)), x[[0, 9]])


# ---------------------------------------------------------------------------
# derivatives


def test_grads_of_elementwise_composites():
    x, y = R.uniform(-9, 9, (5, 8)), R.uniform(0.1, 5, (1, 8)) * R.choice([-1, 1], (1, 8))
    tj.check_grads(L.rem, (x, y), 2)
    tj.check_grads(L.round, (R.uniform(0.1, 0.4, 3),), 2)
    op = R.normal(size=(2, 3))
    tj.check_grads(L.clamp, (op - 10, op, op + 10), 2, eps=1e-2)
    tj.check_grads(L.erfc, (np.array([0.0, 1.0, 10.0]),), 2)
    tj.check_grads(lambda a: L.pow(a, 2), (R.uniform(0.5, 2, 4),), 2)


@pytest.mark.parametrize("fg, bg", [(1, 1), (2, 1), (1, 2)])
def test_conv_grads(fg, bg):
    lhs, rhs = R.normal(size=(2 * bg, 2 * fg, 5, 6)), R.normal(size=(2 * fg * bg, 2, 2, 2))

    def f(a, b):
        return L.conv_general_dilated(
            a,
            b,
            (1, 2),
            ((1, 0), (0, -1)),
            (2, 1),
            (1, 2),
            feature_group_count=fg,
            batch_group_count=bg,
        )

    tj.check_grads(lambda a: f(a, rhs), (lhs,), 2, eps=1.0)
    tj.check_grads(lambda b: f(lhs, b), (rhs,), 2, eps=1.0)


def test_grads_of_windows_reductions_and_indexing():
    x = R.permutation(24).reshape(4, 6).astype(float)
    tj.check_grads(
        lambda v: L.reduce_window(v, 0.0, L.add, (2, 1), (1, 2), "SAME", (2, 3), (1, 2)),
        (x,),
        2,
        eps=1.0,
    )
    tj.check_grads(
        lambda v: L.reduce_window(v, -np.inf, L.max, (2, 2), (1, 1), "VALID"), (x,), 2, eps=1e-2
    )
    a = R.normal(size=(3, 4, 5))
    tj.check_grads(
        lambda p, q: L.reduce(
            (p, q), (np.float64(0), np.float64(1)), lambda s, t: (s[0] + t[0], s[1] * t[1]), (1,)
        ),
        (a, a),
        2,
    )
    tj.check_grads(lambda v: L.cumlogsumexp(v, 1, True), (a,), 2)
    tj.check_grads(
        lambda v: L.top_k(v, 3, axis=0)[0],
        (R.permutation(25).reshape(5, 5).astype(float),),
        2,
        eps=1e-2,
    )
    tj.check_grads(
        lambda v, u: L.dynamic_update_slice(v, u, np.array([4, 1, 0])),
        (R.normal(size=(7, 5, 3)), R.normal(size=(2, 1, 1))),
        2,
        eps=1.0,
    )
    sdn = L.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(), scatter_dims_to_operand_dims=(0,)
    )
    idx = np.array([[0], [0], [9]])
    tj.check_grads(
        lambda v, u: L.scatter_add(v, idx, u, sdn, mode="clip"),
        (R.normal(size=10), R.normal(size=(3, 2))),
        2,
        eps=1.0,
    )
    tj.check_grads(
        lambda v, u: L.scatter_max(v, idx, u, sdn), (R.normal(size=10), R.normal(size=(3, 2))), 2
    )
    dn = L.GatherDimensionNumbers(offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0,))
    tj.check_grads(
        lambda v: L.gather(v, np.array([[0], [2], [-1]]), dn, (1, 3), mode="fill", fill_value=-1),
        (R.normal(size=(10, 5)),),
        2,
        eps=1.0,
    )


# ---------------------------------------------------------------------------
# vmap against a Python loop


def _check_vmap(f, args, in_axes, size=3):
    batched = [
        a if ax is None else np.stack([a + k for k in range(size)], axis=ax)
        for a, ax in zip(args, in_axes)
    ]
    got = tj.vmap(f, in_axes=tuple(in_axes))(*batched)
    for k in range(size):
        ex = [b if ax is None else np.take(b, k, axis=ax) for b, ax in zip(batched, in_axes)]
        for g, w in zip(tj.tree.leaves(got), tj.tree.leaves(f(*ex))):
            np.testing.assert_allclose(np.asarray(g)[k], np.asarray(w), rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("in_axes", [(0, None), (None, 3), (2, 1)])
def test_conv_vmap(in_axes):
    lhs, rhs = R.normal(size=(2, 4, 6, 7)), R.normal(size=(2, 4, 1, 2))

    def f(a, b):
        return L.conv_general_dilated(
            a,
            b,
            (1, 2),
            ((1, 0), (0, -1)),
            (2, 1),
            (1, 2),
            feature_group_count=2,
            dimension_numbers=("NCHW", "IOHW", "NCHW"),
        )

    _check_vmap(f, (lhs, rhs), in_axes)


def test_vmap_of_windows_indexing_and_bits():
    a = R.normal(size=(3, 4, 5))
    for ax in (0, 3):
        _check_vmap(
            lambda v: L.reduce_window(
                v, -np.inf, L.max, (2, 1, 2), (1, 2, 1), "SAME", (1, 2, 1), (1, 1, 2)
            ),
            (a,),
            (ax,),
        )
        _check_vmap(lambda v: L.reduce(v, np.float64(0), lambda p, q: p - q, (1,)), (a,), (ax,))
        _check_vmap(lambda v: L.top_k(v, 2, axis=1), (a,), (ax,))
    _check_vmap(lambda v, i: L.dynamic_slice(v, (i, 1, i), (2, 2, 2)), (a, np.int32(-1)), (1, 0))
    sdn = L.ScatterDimensionNumbers(
        update_window_dims=(1,), inserted_window_dims=(), scatter_dims_to_operand_dims=(0,)
    )
    _check_vmap(
        lambda v, i, u: L.scatter_max(v, i, u, sdn),
        (R.normal(size=10), np.array([[0], [0], [9]]), R.normal(size=(3, 2))),
        (0, 0, 1),
    )
    dn = L.GatherDimensionNumbers(
        offset_dims=(1,), collapsed_slice_dims=(0,), start_index_map=(0, 1)
    )
    _check_vmap(
        lambda v, i: L.gather(v, i, dn, (1, 3), mode="fill"),
        (R.normal(size=(10, 5)), np.array([[0, 2], [9, 4]])),
        (1, 0),
    )
    xi = R.randint(-100, 100, size=(3, 4)).astype(np.int32)
    _check_vmap(
        lambda p, q: (L.shift_right_arithmetic(p, q), L.population_count(p), L.clz(p)),
        (xi, np.abs(xi) % 9),
        (1, None),
    )


def test_jit_compiles_bit_ops_and_windows(monkeypatch):
    monkeypatch.setenv("TRACEJIT_SYNC_COMPILE", "1")
    from tracejit.jit import TracejitWarning

    xi = R.randint(-(2**31), 2**31 - 1, size=(3, 4)).astype(np.int32)
    yi = R.randint(-3, 40, size=(3, 4)).astype(np.int32)

    def f(p, q):
        return L.shift_right_logical(p, q), L.population_count(p), L.rem(p, q)

    with warnings.catch_warnings():
        warnings.simplefilter("error", TracejitWarning)  # no fallback to the interpreter
        got = tj.jit(f)(xi, yi)
    for g, w in zip(got, f(xi, yi)):
        _close(g, w)


# ---------------------------------------------------------------------------
# JAX as the oracle (skipped without JAX). JAX compiles every op it runs, so the
# elementwise comparison runs all of one dtype's ops in one jax.jit.

_UNARY = (
    "neg sign floor ceil round is_finite exp exp2 expm1 log log1p sqrt rsqrt cbrt sin cos tan "
    "asin acos atan sinh cosh tanh asinh acosh atanh logistic erf erfc erf_inv square "
    "reciprocal population_count clz bitwise_not abs lgamma digamma bessel_i0e bessel_i1e"
).split()
_BINARY = (
    "add sub mul div rem pow max min atan2 nextafter eq ne lt le gt ge bitwise_and bitwise_or "
    "bitwise_xor shift_left shift_right_arithmetic shift_right_logical igamma igammac"
).split()
_BITS = {"population_count", "clz", "shift_left", "shift_right_arithmetic", "shift_right_logical"}
_POSITIVE = {"log", "log1p", "sqrt", "rsqrt", "acosh", "reciprocal", "pow", "lgamma", "digamma"}
_POSITIVE |= {"igamma", "igammac"}
_UNIT = {"asin", "acos", "atanh", "erf_inv"}


def _sample(dtype, shape, name):
    if dtype == np.bool_:
        return R.uniform(size=shape) < 0.5
    if np.issubdtype(dtype, np.integer):
        info = np.iinfo(dtype)
        if name in _BITS:
            return G.integers(info.min, info.max, size=shape, dtype=dtype, endpoint=True)
        return G.integers(max(info.min, -20), 20, size=shape).astype(dtype)
    x = R.normal(size=shape) * 3
    if name in _POSITIVE:
        x = np.abs(x) + 0.1
    if name in _UNIT:
        x = R.uniform(-0.9, 0.9, size=shape)
    return x.astype(dtype)


def _same_outcome(case, tol=None):
    """case(jax.lax) and case(tracejit.lax) raise the same exception type, or give the
    same pytree of values and dtypes."""
    jax, _ = jax_x64()
    try:
        want = case(jax.lax)
    except Exception as err:  # noqa: BLE001 - the error type is what is compared
        with pytest.raises(type(err)):
            case(L)
        return
    dts = {np.asarray(w).dtype for w in jax.tree_util.tree_leaves(want)}
    t = tol or (2e-6 if np.dtype(np.float32) in dts else 1e-9)
    assert_trees_close(case(L), want, rtol=t, atol=t)


def test_elementwise_dtype_rules_against_jax():
    """The same dtypes are accepted and refused (abstract evaluation: nothing compiles)."""
    jax, _ = jax_x64()
    for dtype in (np.float16, np.int8, np.uint32, np.bool_):
        for name in _UNARY + _BINARY:
            args = [_sample(dtype, (3, 4), name) for _ in range(1 if name in _UNARY else 2)]
            try:
                jax.eval_shape(getattr(jax.lax, name), *args)
            except TypeError:
                with pytest.raises(TypeError):
                    getattr(L, name)(*args)
                continue
            with np.errstate(all="ignore"):
                out = getattr(L, name)(*args)
            assert out.dtype == jax.eval_shape(getattr(jax.lax, name), *args).dtype, name


@pytest.mark.parametrize("dtype", [np.float32, np.int32])
@pytest.mark.parametrize("names", [_UNARY, _BINARY], ids=["unary", "binary"])
def test_elementwise_values_against_jax(dtype, names):
    jax, _ = jax_x64()
    for name in names:
        args = [_sample(dtype, (3, 4), name) for _ in range(1 if name in _UNARY else 2)]
        if name in ("div", "rem") and dtype != np.float32:
            args[1][0, 0] = 0
        try:
            want = getattr(jax.lax, name)(*args)
        except TypeError:  # refused dtypes: test_elementwise_dtype_rules_against_jax
            continue
        with np.errstate(all="ignore"):
            got = getattr(L, name)(*args)
        tol = (2e-5 if name in _POSITIVE else 2e-6) if dtype == np.float32 else 0
        assert_trees_close(got, want, rtol=tol, atol=tol)


def test_structural_against_jax():
    x = R.normal(size=(3, 4, 5))
    y = R.normal(size=(3, 5, 2))
    cases = [
        lambda M: M.broadcast_in_dim(x[:, :1], (2, 3, 4, 5), (1, 2, 3)),
        lambda M: M.broadcast_in_dim(np.ones(2), (3,), (0,)),
        lambda M: M.expand_dims(x, (0, -1)),
        lambda M: M.squeeze(np.ones((2, 1, 3, 1)), (1, -1)),
        lambda M: M.squeeze(np.ones((1, 2, 3)), (-4,)),
        lambda M: M.concatenate([x, x[:, :1]], 1),
        lambda M: M.dynamic_slice(np.arange(10), (np.int32(-30),), (2,)),
        lambda M: M.dynamic_update_slice(np.arange(10), np.array([-1, -1]), (-1,)),
        lambda M: M.dynamic_slice_in_dim(x, np.array([2, 2]), 3),
        lambda M: M.select(np.array([True, False]), np.ones((2,)), np.zeros((1,))),
        lambda M: M.tile(np.arange(3), (2, 2)),
        lambda M: M.split(np.arange(5), (2, 3)),
        lambda M: M.split(np.arange(5), sizes=(), axis=1),
        lambda M: M.top_k(x, 3),
        lambda M: M.argmin(np.ones((2, 3)), -1, np.int32),
        lambda M: M.reduce_and(np.array([3, 7]), (0,)),
        lambda M: M.reduce_sum(np.array([True, False]), (0,)),
        lambda M: M.cumprod(x, 2, True),
        lambda M: M.dot(np.ones(3, np.int8), np.ones(3, np.float32)),
        lambda M: M.dot_general(x, y, (([2], [1]), ([0], [0]))),
        lambda M: M.full_like(x.astype(np.float32), 3),
        lambda M: M.pad(np.arange(3.0), 0, [(1, 1, 0)]),
    ]
    for case in cases:
        _same_outcome(case)


@pytest.mark.parametrize(
    "dn, perms, fg, bg",
    [
        (("NCHW", "OIHW", "NCHW"), ([0, 1, 2, 3], [0, 1, 2, 3]), 1, 1),
        (("NHWC", "HWIO", "NHWC"), ([0, 2, 3, 1], [2, 3, 1, 0]), 2, 1),
        (("NHWC", "OIHW", "NCHW"), ([0, 2, 3, 1], [0, 1, 2, 3]), 1, 2),
    ],
)
def test_conv_against_jax(dn, perms, fg, bg):
    lhs = R.normal(size=(2 * bg, 2 * fg, 6, 7)).transpose(perms[0])
    rhs = R.normal(size=(3 * fg * bg, 2, 2, 3)).transpose(perms[1])
    _same_outcome(
        lambda M: M.conv_general_dilated(
            lhs, rhs, (1, 2), ((1, 2), (2, -1)), (1, 2), (2, 2), dn, fg, bg
        ),
        tol=1e-10,
    )
    _same_outcome(
        lambda M: M.conv_general_dilated(lhs, rhs, (2, 1), "SAME", None, (2, 1), dn, fg, bg),
        tol=1e-10,
    )
    a, b = R.normal(size=(2, 9, 10, 3)), R.normal(size=(3, 3, 3, 2))
    _same_outcome(
        lambda M: M.conv_transpose(
            a,
            b,
            (2, 2),
            ((0, 1), (2, 1)),
            dimension_numbers=("NHWC", "HWIO", "NHWC"),
            transpose_kernel=bool(fg - 1),
            use_consistent_padding=bool(bg - 1),
        ),
        tol=1e-10,
    )


def test_windows_gather_scatter_against_jax():
    x = R.normal(size=(3, 2, 4, 6))
    win = ((2, 1, 2, 1), (1, 2, 2, 1), [(0, 1), (1, 0), (2, 3), (0, 2)], (2, 1, 3, 2), (1, 2, 2, 1))
    _same_outcome(lambda M: M.reduce_window(x, -np.inf, M.max, *win))
    _same_outcome(
        lambda M: M.reduce_window(x, 1.0, lambda a, b: a + b, (2, 1, 2, 1), (1, 1, 1, 1), "SAME")
    )
    _same_outcome(lambda M: M.cumlogsumexp(x, 2, True))
    ops = R.normal(size=(2, 3, 10))
    idx = np.array([[[0], [1]], [[2], [3]], [[9], [-5]]])
    gdn = dict(
        offset_dims=(2,),
        collapsed_slice_dims=(),
        start_index_map=(2,),
        operand_batching_dims=(0, 1),
        start_indices_batching_dims=(1, 0),
    )
    _same_outcome(lambda M: M.gather(ops, idx, M.GatherDimensionNumbers(**gdn), (1, 1, 3)))
    _same_outcome(
        lambda M: M.gather(ops, idx, M.GatherDimensionNumbers(**gdn), (1, 1, 3), mode="fill")
    )
    upd = R.normal(size=(3, 2, 3))
    sdn = dict(
        update_window_dims=(2,),
        inserted_window_dims=(),
        scatter_dims_to_operand_dims=(2,),
        operand_batching_dims=(0, 1),
        scatter_indices_batching_dims=(1, 0),
    )
    _same_outcome(lambda M: M.scatter_add(ops, idx, upd, M.ScatterDimensionNumbers(**sdn)))
    _same_outcome(
        lambda M: M.scatter_max(ops, idx, upd, M.ScatterDimensionNumbers(**sdn), mode="clip")
    )
    dn = dict(offset_dims=(4, 5, 6, 7), collapsed_slice_dims=(1,), start_index_map=(0, 1, 2, 3, 4))
    big, ind = np.ones((10, 9, 8, 7, 6), np.int32), np.ones((5, 4, 3, 2, 5), np.int32)
    _same_outcome(lambda M: M.gather(big, ind, M.GatherDimensionNumbers(**dn), (10, 9, 8, 7, 6)))


# ---------------------------------------------------------------------------
# implicitly differentiated solvers


def test_custom_root_and_linear_solve():
    def newton(f, x0):
        return L.fori_loop(0, 30, lambda i, x: x - f(x) / tj.grad(f)(x), x0)

    def sqrt_cubed(x):
        return L.custom_root(lambda y: y**2 - x**3, 1.0, newton, lambda g, y: y / g(1.0))

    _close(sqrt_cubed(4.0), np.float64(8.0))
    _close(tj.grad(sqrt_cubed)(4.0), np.float64(3.0))  # d x^1.5 = 1.5 x^0.5
    _close(tj.grad(tj.grad(sqrt_cubed))(4.0), np.float64(0.375))
    _close(tj.vmap(sqrt_cubed)(np.array([4.0, 9.0])), np.array([8.0, 27.0]))
    a, b = R.normal(size=(3, 3)) + 3 * np.eye(3), R.normal(size=3)

    def solve(a, b):
        return L.custom_linear_solve(
            lambda x: tnp.dot(a, x), b, lambda mv, r: tnp.linalg.solve(a, r)
        )

    _close(solve(a, b), np.linalg.solve(a, b), tol=1e-10)
    tj.check_grads(solve, (a, b), 2)
