"""tracejit.numpy's statistics (_statistics.py) and sets (_sets.py): NumPy's values on
concrete inputs, JAX x64 as the oracle for signatures, dtypes, padding and derivative
conventions (skipped without JAX), finite differences, vmap against a loop."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64
from tracejit.trace import ConcretizationError

rng = np.random.default_rng(11)
A = rng.normal(size=(3, 4, 5))
A_NAN = A.copy()
A_NAN[0, 1, 2] = A_NAN[1, :, 3] = A_NAN[2, 0, 0] = np.nan
M = rng.normal(size=(3, 7))
FW, AW = rng.integers(1, 4, 7), rng.uniform(0.2, 1.0, 7)
X = rng.normal(size=60)
Y = rng.normal(size=60)
BINS = np.array([-1.5, -0.2, 0.0, 0.7, 2.0])
COUNTS = rng.integers(0, 7, 25)
DUPS = rng.integers(0, 5, (4, 6)).astype(float)
ROWS = rng.integers(0, 3, (6, 3))
ROWS[4] = ROWS[1]
S1, S2 = rng.integers(0, 9, 12), rng.integers(4, 14, 8)


def _close(got, want, **kw):
    got, want = tj.tree.leaves(got), tj.tree.leaves(want)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert np.shape(g) == np.shape(w)
        np.testing.assert_allclose(g, w, rtol=1e-12, atol=1e-12, equal_nan=True, **kw)


# ---------------------------------------------------------------------------
# order statistics vs NumPy


@pytest.mark.parametrize("method", ["linear", "lower", "higher", "midpoint", "nearest"])
@pytest.mark.parametrize("axis", [None, 0, -1, (0, 2)])
def test_quantile_matches_numpy(method, axis):
    q = np.array([0.0, 0.3, 0.55, 1.0])  # no q * (n - 1) ends in .5: 'nearest' ties differ
    for keepdims in (False, True):
        kw = dict(axis=axis, method=method, keepdims=keepdims)
        _close(tnp.quantile(A, q, **kw), np.quantile(A, q, **kw))
        _close(tnp.quantile(A, 0.3, **kw), np.quantile(A, 0.3, **kw))
        _close(tnp.nanquantile(A_NAN, q, **kw), np.nanquantile(A_NAN, q, **kw))
        _close(tnp.percentile(A, 100 * q, **kw), np.percentile(A, 100 * q, **kw))
        _close(tnp.nanpercentile(A_NAN, 30, **kw), np.nanpercentile(A_NAN, 30, **kw))


@pytest.mark.filterwarnings("ignore:All-NaN slice:RuntimeWarning")
def test_median_matches_numpy():
    for axis, keepdims in itertools.product([None, 1, (0, 1)], [False, True]):
        _close(tnp.median(A, axis, keepdims=keepdims), np.median(A, axis, keepdims=keepdims))
        _close(
            tnp.median(A_NAN, axis, keepdims=keepdims), np.median(A_NAN, axis, keepdims=keepdims)
        )
        _close(
            tnp.nanmedian(A_NAN, axis, keepdims=keepdims),
            np.nanmedian(A_NAN, axis, keepdims=keepdims),
        )
    assert tnp.median(COUNTS).dtype == np.float64  # integers compute in float64
    assert tnp.median(A.astype(np.float32)).dtype == np.float32
    with pytest.raises(ValueError, match="method"):
        tnp.quantile(A, 0.5, method="hazen")


def test_nan_moments_and_arg_extrema_match_numpy():
    with np.errstate(all="ignore"), pytest.warns(RuntimeWarning):
        for axis, ddof in itertools.product([None, 1, (0, 2)], [0, 1, 4]):
            _close(tnp.nanvar(A_NAN, axis, ddof=ddof), np.nanvar(A_NAN, axis, ddof=ddof))
            _close(
                tnp.nanstd(A_NAN, axis, ddof=ddof, keepdims=True),
                np.nanstd(A_NAN, axis, ddof=ddof, keepdims=True),
            )
    for axis in (None, 0, 2):
        np.testing.assert_array_equal(tnp.nanargmax(A_NAN, axis), np.nanargmax(A_NAN, axis))
        np.testing.assert_array_equal(tnp.nanargmin(A_NAN, axis), np.nanargmin(A_NAN, axis))
        _close(tnp.nancumsum(A_NAN, axis), np.nancumsum(A_NAN, axis))
        _close(tnp.nancumprod(A_NAN, axis), np.nancumprod(A_NAN, axis))
    np.testing.assert_array_equal(
        tnp.nanargmax(np.array([[np.nan, 1.0], [np.nan] * 2]), axis=1), [1, -1]
    )  # JAX's -1


# ---------------------------------------------------------------------------
# covariance, counting, histograms vs NumPy

COV_KW = [{}, {"rowvar": False}, {"bias": True}, {"ddof": 3}, {"fweights": FW}, {"aweights": AW},
          {"fweights": FW, "aweights": AW}, {"aweights": AW, "ddof": 0}]  # fmt: skip


@pytest.mark.parametrize("kw", COV_KW, ids=[",".join(k) or "plain" for k in COV_KW])
def test_cov_matches_numpy(kw):
    m = M if kw.get("rowvar", True) is not False else M[:, :3]
    _close(tnp.cov(m, **kw), np.cov(m, **kw))


def test_cov_corrcoef_shapes_match_numpy():
    _close(tnp.cov(M[0], M[1]), np.cov(M[0], M[1]))
    _close(tnp.cov(M[0]), np.cov(M[0]))
    _close(tnp.corrcoef(M), np.corrcoef(M))
    _close(tnp.corrcoef(M[0], M[1:]), np.corrcoef(M[0], M[1:]))
    _close(tnp.corrcoef(M.T, rowvar=False), np.corrcoef(M.T, rowvar=False))


def test_bincount_and_digitize_match_numpy():
    w = rng.normal(size=25)
    np.testing.assert_array_equal(tnp.bincount(COUNTS), np.bincount(COUNTS))
    np.testing.assert_array_equal(
        tnp.bincount(COUNTS, minlength=10), np.bincount(COUNTS, minlength=10)
    )
    _close(tnp.bincount(COUNTS, w), np.bincount(COUNTS, w))
    np.testing.assert_array_equal(
        tnp.bincount(COUNTS, length=3), np.bincount(COUNTS)[:3]
    )  # JAX: the rest dropped
    x = np.concatenate([X, BINS])
    for right in (False, True):
        for bins in (BINS, BINS[::-1]):
            np.testing.assert_array_equal(tnp.digitize(x, bins, right), np.digitize(x, bins, right))


HIST_KW = [{}, {"bins": 4}, {"bins": BINS}, {"bins": 3, "range": (-1, 1)}, {"density": True},
           {"bins": BINS, "density": True}, {"weights": np.abs(Y)}]  # fmt: skip


@pytest.mark.parametrize("kw", HIST_KW, ids=[",".join(k) or "plain" for k in HIST_KW])
def test_histograms_match_numpy(kw):
    _close(tnp.histogram(X, **kw), np.histogram(X, **kw))
    kw2 = dict(kw, range=[kw["range"]] * 2) if "range" in kw else kw
    _close(tnp.histogram2d(X, Y, **kw2), np.histogram2d(X, Y, **kw2))
    sample = np.stack([X, Y, X * Y], axis=1)
    kw3 = {k: v for k, v in kw.items() if k != "weights"}
    if "range" in kw3:
        kw3["range"] = [kw3["range"]] * 3
    if np.ndim(kw3.get("bins")) == 1:
        kw3["bins"] = [kw3["bins"]] * 3
    _close(tnp.histogramdd(sample, **kw3), np.histogramdd(sample, **kw3))
    _close(
        tnp.histogram_bin_edges(X, kw.get("bins", 10)),
        np.histogram_bin_edges(X, kw.get("bins", 10)),
    )


def test_histogram_edge_cases_match_numpy():
    _close(tnp.histogram(np.ones(4), 3), np.histogram(np.ones(4), 3))  # empty range widened
    _close(tnp.histogram2d(X, Y, bins=[3, 5]), np.histogram2d(X, Y, bins=[3, 5]))
    _close(
        tnp.histogram(np.concatenate([X, [BINS[-1]]]), BINS),
        np.histogram(np.concatenate([X, [BINS[-1]]]), BINS),
    )


# ---------------------------------------------------------------------------
# sets and orderings vs NumPy


@pytest.mark.parametrize("flags", list(itertools.product([False, True], repeat=3)))
def test_unique_matches_numpy(flags):
    kw = dict(zip(["return_index", "return_inverse", "return_counts"], flags, strict=True))
    for ar, axis in [(DUPS, None), (ROWS, 0), (ROWS, 1), (ROWS[:, 0], -1)]:
        got, want = tnp.unique(ar, axis=axis, **kw), np.unique(ar, axis=axis, **kw)
        _close(got, want)
        for g, w in zip(tj.tree.leaves(got), tj.tree.leaves(want), strict=True):
            assert g.dtype == w.dtype


def test_unique_array_api_functions_match_numpy():
    x = DUPS.copy()
    x[0, :2] = np.nan  # NaNs are distinct in the array API functions
    for name in ["unique_all", "unique_counts", "unique_inverse"]:
        got, want = getattr(tnp, name)(x), getattr(np, name)(x)
        assert got._fields == want._fields
        _close(tuple(got), tuple(want))
    _close(tnp.unique_values(x), np.unique_values(x))
    _close(tnp.unique(x), np.unique(x))  # equal_nan=True: one NaN


@pytest.mark.parametrize("name", ["intersect1d", "union1d", "setdiff1d", "setxor1d"])
def test_set_operations_match_numpy(name):
    f, g = getattr(tnp, name), getattr(np, name)
    for a, b in [(S1, S2), (S2, S1), (S1.astype(float), S2), (S1, S1[:0]), (S1[:0], S2)]:
        np.testing.assert_array_equal(f(a, b), g(a, b))
    if name != "union1d":
        u1, u2 = np.unique(S1), np.unique(S2)
        np.testing.assert_array_equal(f(u1, u2, assume_unique=True), g(u1, u2, assume_unique=True))
    if name == "intersect1d":
        for au in (False, True):
            a, b = (np.unique(S1), np.unique(S2)) if au else (S1, S2)
            _close(f(a, b, au, True), g(a, b, au, True))


def test_isin_lexsort_partition_match_numpy():
    e = rng.integers(0, 10, (3, 4))
    np.testing.assert_array_equal(tnp.isin(e, S2), np.isin(e, S2))
    np.testing.assert_array_equal(
        tnp.isin(e, [1.0, 2.5], invert=True), np.isin(e, [1.0, 2.5], invert=True)
    )
    keys = [rng.integers(0, 3, 10), rng.normal(size=10), rng.integers(0, 2, 10)]
    np.testing.assert_array_equal(tnp.lexsort(keys), np.lexsort(keys))
    k2 = rng.integers(0, 3, (2, 4, 5))
    np.testing.assert_array_equal(tnp.lexsort(k2, axis=1), np.lexsort(k2, axis=1))
    P = rng.integers(0, 6, (4, 9)).astype(float)
    for kth, axis in [(0, -1), (4, -1), (8, 1), (-3, -1), (2, 0)]:
        p = tnp.partition(P, kth, axis)
        ip = tnp.argpartition(P, kth, axis)
        for out in (p, np.take_along_axis(P, ip, axis)):  # the partition property
            o = np.moveaxis(out, axis, -1)
            k = kth % P.shape[axis]
            np.testing.assert_array_equal(
                o[..., k], np.moveaxis(np.sort(P, axis), axis, -1)[..., k]
            )
            assert np.all(o[..., :k] <= o[..., k : k + 1]) and np.all(
                o[..., k + 1 :] >= o[..., k : k + 1]
            )
        np.testing.assert_array_equal(
            np.sort(np.moveaxis(ip, axis, -1), -1),
            np.broadcast_to(np.arange(P.shape[axis]), np.moveaxis(ip, axis, -1).shape),
        )


# ---------------------------------------------------------------------------
# JAX x64 as the oracle

ORACLE = [
    ("quantile", (A, np.array([0.1, 0.5])), {"axis": 1, "method": "nearest", "keepdims": True}),
    ("quantile", (A_NAN, 0.25), {"axis": (0, 2), "method": "midpoint"}),
    ("nanquantile", (A_NAN, np.array([0.0, 0.5, 1.0])), {"axis": -1, "method": "linear"}),
    ("nanpercentile", (A_NAN, 40.0), {"method": "higher", "keepdims": True}),
    ("median", (A,), {"axis": 0}),
    ("nanmedian", (A_NAN,), {"axis": (1, 2)}),
    ("nanvar", (A_NAN,), {"axis": 1, "ddof": 1}),
    ("nanstd", (A_NAN,), {"axis": 2, "keepdims": True}),
    ("nanargmin", (A_NAN,), {"axis": 1}),
    ("nancumsum", (A_NAN,), {"axis": 0}),
    ("cov", (M,), {"aweights": AW, "fweights": FW}),
    ("corrcoef", (M,), {}),
    ("bincount", (COUNTS, X[:25]), {"length": 4}),
    ("bincount", (COUNTS,), {"minlength": 9}),
    ("histogram_bin_edges", (X,), {"bins": 5, "range": (-2.0, 2.0)}),
    ("unique_all", (DUPS,), {"size": 9}),  # every return value, padded
    ("intersect1d", (S1, S2), {"size": 6, "return_indices": True}),
    ("isin", (DUPS, S2), {"invert": True}),
    ("lexsort", ([S1, S1 % 3],), {}),
    ("partition", (DUPS, 2), {"axis": 1}),
]


@pytest.mark.parametrize(
    "name, args, kwargs", ORACLE, ids=[f"{c[0]}-{i}" for i, c in enumerate(ORACLE)]
)
def test_matches_jax_numpy(name, args, kwargs):
    _, jnp = jax_x64()
    assert_trees_close(getattr(tnp, name)(*args, **kwargs), getattr(jnp, name)(*args, **kwargs))


def test_index_results_match_jax_up_to_int64():
    # JAX's digitize and argpartition give int32; tracejit's indices are int64 (NumPy's)
    _, jnp = jax_x64()
    assert_trees_close(
        tnp.digitize(X, BINS[::-1], True), jnp.digitize(X, BINS[::-1], True), check_dtypes=False
    )
    assert_trees_close(tnp.argpartition(DUPS, 3), jnp.argpartition(DUPS, 3), check_dtypes=False)


# ---------------------------------------------------------------------------
# derivatives


def test_median_gradient_goes_to_the_middle_elements():
    # JAX's convention: the order statistics read get the gradient (1/2 each for a median)
    even, odd = np.array([3.0, 1.0, 2.0, 4.0]), np.array([3.0, 1.0, 2.0, 4.0, 0.0])
    for f in (tnp.median, tnp.nanmedian):
        np.testing.assert_allclose(tj.grad(f)(even), [0.5, 0.0, 0.5, 0.0])
        np.testing.assert_allclose(tj.grad(f)(odd), [0.0, 0.0, 1.0, 0.0, 0.0])
    g = tj.grad(lambda x: tnp.quantile(x, 0.4))(even)
    np.testing.assert_allclose(g, [0.2, 0.0, 0.8, 0.0])  # position 1.2: weights 0.8, 0.2
    g = tj.grad(lambda x: tnp.nanquantile(x, 0.5))(np.array([np.nan, 1.0, 3.0, 2.0]))
    np.testing.assert_allclose(g, [0.0, 0.0, 0.0, 1.0])


def _padded(values, size, fill):
    """JAX's size= contract: the natural result truncated or padded with fill."""
    values = np.asarray(values)
    pad = np.full((max(size - len(values), 0),) + values.shape[1:], fill, values.dtype)
    return np.concatenate([values[:size], pad])


@pytest.mark.parametrize("size", [2, 9, 20])
def test_static_size_truncates_or_pads(size):
    u = np.unique(DUPS)
    np.testing.assert_array_equal(tnp.unique(DUPS, size=size), _padded(u, size, u[0]))
    np.testing.assert_array_equal(
        tnp.unique_values(DUPS, size=size, fill_value=-1), _padded(u, size, -1)
    )
    rows = np.unique(ROWS, axis=0)
    np.testing.assert_array_equal(
        tnp.unique(ROWS, axis=0, size=size, fill_value=7), _padded(rows, size, 7)
    )
    v, i, inv, c = tnp.unique(DUPS, True, True, True, size=size)
    nv, ni, ninv, nc = np.unique(DUPS, True, True, True)
    np.testing.assert_array_equal(i[: len(ni)], ni[:size])
    np.testing.assert_array_equal(c, _padded(nc, size, 0))
    np.testing.assert_array_equal(inv, ninv)  # the inverse keeps the input's shape
    for name, default in [
        ("union1d", "min"),
        ("setxor1d", "min"),
        ("intersect1d", "min"),
        ("setdiff1d", 0),
    ]:
        want = getattr(np, name)(S1, S2)
        fill = want[0] if default == "min" and len(want) else 0
        np.testing.assert_array_equal(
            getattr(tnp, name)(S1, S2, size=size), _padded(want, size, fill)
        )
        np.testing.assert_array_equal(
            getattr(tnp, name)(S1, S2, size=size, fill_value=-5), _padded(want, size, -5)
        )
    _, i1, i2 = tnp.intersect1d(S1, S2, return_indices=True, size=size)
    _, n1, n2 = np.intersect1d(S1, S2, return_indices=True)
    np.testing.assert_array_equal(i1, _padded(n1, size, len(S1)))
    np.testing.assert_array_equal(i2, _padded(n2, size, len(S2)))


GRADS = {
    "quantile_linear": (lambda a: tnp.quantile(a, np.array([0.3, 0.77]), axis=1), (M,)),
    "quantile_q": (lambda a, q: tnp.quantile(a, q, axis=1), (M, np.array([0.31, 0.62]))),
    "quantile_midpoint": (lambda a: tnp.quantile(a, 0.4, axis=0, method="midpoint"), (M,)),
    "nanquantile": (lambda a: tnp.nanquantile(a, 0.3, axis=1), (A_NAN[0],)),
    "median": (lambda a: tnp.median(a, axis=(0, 1)), (A,)),
    "nanvar": (lambda a: tnp.nanvar(a, axis=1, ddof=1), (A_NAN[1],)),
    "nanstd": (lambda a: tnp.nanstd(a), (A_NAN[2],)),
    "cov": (lambda m, w: tnp.cov(m, aweights=w), (M, AW)),
    "corrcoef": (lambda m: tnp.corrcoef(m), (M,)),
    "bincount_weights": (lambda w: tnp.bincount(COUNTS, w), (X[:25],)),
    "histogram_weights": (lambda w: tnp.histogram(X, BINS, weights=w, density=True)[0], (Y,)),
    "histogram_edges": (lambda x: tnp.histogram_bin_edges(x, 4), (X,)),
    # distinct values: finite differences across a tie would change the set
    "unique_size": (lambda x: tnp.unique(x, size=7, fill_value=0.5), (X[:10],)),
    "union1d": (lambda a: tnp.union1d(a, Y[:4], size=9), (X[:6],)),
    "partition": (lambda a: tnp.partition(a, 2, axis=0), (M,)),
}


@pytest.mark.parametrize("name", list(GRADS))
def test_grads_vs_finite_differences(name):
    f, args = GRADS[name]
    tj.check_grads(f, args, order=1)


# ---------------------------------------------------------------------------
# batching, and sizes that must be static


@pytest.mark.parametrize(
    "f",
    [lambda a: tnp.median(a), lambda a: tnp.nanpercentile(a, [20, 70]), lambda a: tnp.nanvar(a),
     lambda a: tnp.unique(a, size=5, fill_value=-1.0), lambda a: tnp.isin(a, DUPS[0]),
     lambda a: tnp.setdiff1d(a, DUPS[0], size=3), lambda a: tnp.intersect1d(a, DUPS[1], size=3),
     lambda a: tnp.bincount(tnp.astype(a, np.int64), length=6),
     lambda a: tnp.histogram(a, BINS)[0], lambda a: tnp.argpartition(a, 2)],
)  # fmt: skip
def test_vmap_matches_loop(f):
    xs = DUPS.copy()
    xs[1, 2] = np.nan
    want = np.stack([f(x) for x in xs])
    np.testing.assert_array_equal(tj.vmap(f)(xs), want)


def test_data_dependent_sizes_need_a_static_size_under_vmap():
    for f in (
        tnp.unique,
        lambda a: tnp.union1d(a, a),
        lambda a: tnp.bincount(tnp.astype(a, np.int64)),
    ):
        with pytest.raises(ConcretizationError, match="size=|length="):
            tj.vmap(f)(DUPS)
    # under grad tracers carry values, so the natural size is found (JAX would raise)
    g = tj.grad(lambda x: tnp.sum(tnp.unique(x) ** 2))(np.array([2.0, 1.0, 2.0]))
    np.testing.assert_allclose(g, [4.0, 2.0, 0.0])


# ---------------------------------------------------------------------------
# where= on var, std and the NaN-ignoring reductions (JAX's signatures)

_W = np.array([[True, True, False, True], [False, True, True, False], [True, False, True, True]])
_X = np.array([[1.0, 2.0, 7.0, 4.0], [3.0, 0.5, -1.0, 2.0], [0.0, 9.0, 2.0, 5.0]])
_X_NAN = np.where(_X == 7.0, np.nan, _X)


@pytest.mark.parametrize(
    "name, kw",
    [
        ("var", dict(axis=1)),
        ("var", dict(axis=1, ddof=1, keepdims=True)),
        ("var", dict(axis=None)),
        ("std", dict(axis=1)),
        ("std", dict(axis=0, ddof=1)),
        ("nanvar", dict(axis=1)),
        ("nanstd", dict(axis=1)),
        ("nanmean", dict(axis=1)),
        ("nansum", dict(axis=1, initial=2.0)),
        ("nanprod", dict(axis=1)),
        ("nanmax", dict(axis=1, initial=-5.0)),
        ("nanmin", dict(axis=0, initial=5.0)),
    ],
)
def test_where_matches_jax(name, kw):
    jax, jnp = jax_x64()
    x = _X_NAN if name.startswith("nan") else _X
    f = lambda np_, a: np_.sum(getattr(np_, name)(a, where=_W, **kw))  # noqa: E731
    assert_trees_close(getattr(tnp, name)(x, where=_W, **kw), getattr(jnp, name)(x, where=_W, **kw))
    want = jax.grad(lambda a: f(jnp, a))(x)
    assert_trees_close(tj.grad(lambda a: f(tnp, a))(x), want)
    assert_trees_close(tj.jit(tj.grad(lambda a: f(tnp, a)))(x), want)


def test_var_where_laws():
    # the selected entries alone give the same variance; masked ones get zero gradient,
    # even where a slice has no selected entry (JAX's gradient is NaN there)
    w = _W.copy()
    w[2] = False
    v = tnp.var(_X, axis=1, where=w, ddof=1)
    np.testing.assert_allclose(v[:2], [np.var(_X[i][w[i]], ddof=1) for i in range(2)])
    assert np.isnan(v[2])
    g = tj.grad(lambda a: tnp.sum(tnp.var(a, axis=1, where=w)[:2]))(_X)
    assert np.all(g[~w] == 0) and np.all(np.isfinite(g))
    tj.check_grads(lambda a: tnp.std(a, axis=1, where=_W), (_X,), order=2)
    # n - ddof <= 0 is NaN, as JAX (NumPy gives inf)
    assert np.isnan(tnp.var(_X, axis=1, where=_W, ddof=3)[1])
