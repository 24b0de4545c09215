"""Array construction, index helpers, selection and the functional helpers of
tracejit.numpy (_arrays_extra.py, _selection.py, _functional.py).

Laws checked: the same values and dtypes as NumPy on NumPy inputs (and as jax.numpy in
x64 where JAX is installed, for the cases where JAX departs from NumPy: clamped indices,
functional updates); gradients against central differences; vmap against a Python loop,
including over the traced index arrays JAX accepts (insert, delete, compress with size=,
place, put, choose)."""

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64
from tracejit.testing import check_grads

R = np.random.RandomState(0)
X = R.randn(3, 4)
XI = np.arange(12).reshape(3, 4)
F32 = np.arange(4, dtype=np.float32)


class _FunctionalNumpy:
    """numpy, with the in-place functions replaced by copy-then-update versions."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def _copy_then(fn, a, *args, **kwargs):
        a = np.array(a, copy=True)
        fn(a, *args, **kwargs)
        return a

    def fill_diagonal(self, a, val, wrap=False, *, inplace=False):
        return self._copy_then(np.fill_diagonal, a, val, wrap)

    def place(self, arr, mask, vals, *, inplace=False):
        return self._copy_then(np.place, arr, mask, vals)

    def put(self, a, ind, v, mode="raise", *, inplace=False):
        return self._copy_then(np.put, a, ind, v, mode="raise" if mode is None else mode)

    def put_along_axis(self, arr, indices, values, axis, inplace=False):
        return self._copy_then(np.put_along_axis, arr, indices, values, axis)


NP = _FunctionalNumpy()

# (id, f(m)) evaluated with m = numpy and m = tracejit.numpy: same values, shapes, dtypes
NUMPY_CASES = [
    ("append", lambda m: m.append(X, XI[0])),
    ("append_axis", lambda m: m.append(X, X[:1], axis=0)),
    ("insert_int", lambda m: m.insert(X, 1, 9.0, axis=1)),
    ("insert_negative", lambda m: m.insert(X, -1, [7.0, 8.0, 9.0], axis=1)),
    ("insert_list", lambda m: m.insert(X, [0, 2, 2, 4], 5.0, axis=1)),
    ("insert_slice", lambda m: m.insert(X, slice(1, 3), [1.0, 2.0])),
    ("insert_casts_to_arr", lambda m: m.insert(XI, 1, 2.7)),
    ("insert_block", lambda m: m.insert(X, [1], [[1.0], [2.0], [3.0]], axis=1)),
    ("delete_int", lambda m: m.delete(X, -1, axis=1)),
    ("delete_list", lambda m: m.delete(X, [0, 2, 0], axis=1)),
    ("delete_slice", lambda m: m.delete(X, slice(1, 5, 2))),
    ("delete_mask", lambda m: m.delete(X, np.array([True, False, True]), axis=0)),
    ("block_2d", lambda m: m.block([[np.eye(2), np.zeros((2, 3))], [np.ones((1, 2)), XI[:1, :3]]])),
    ("block_1d", lambda m: m.block([np.arange(3), 4, np.arange(2.0)])),
    ("resize_grow", lambda m: m.resize(X, (5, 5))),
    ("resize_shrink", lambda m: m.resize(XI, 5)),
    ("resize_empty", lambda m: m.resize(np.zeros(0), (2, 2))),
    ("rollaxis", lambda m: m.rollaxis(np.ones((1, 2, 3, 4)), 3, 1)),
    ("rollaxis_neg", lambda m: m.rollaxis(np.ones((1, 2, 3, 4)), -3, -1)),
    ("indices", lambda m: m.indices((2, 3))),
    ("indices_sparse", lambda m: m.indices((2, 3), dtype=np.int32, sparse=True)),
    ("mgrid", lambda m: m.mgrid[0:3, 0:1:4j]),
    ("mgrid_1d", lambda m: m.mgrid[1.3:4.2:0.3]),
    ("ogrid", lambda m: m.ogrid[0:3, 2:9:3]),
    ("r_", lambda m: m.r_[np.array([1, 2, 3]), 0, 0, np.array([4, 5, 6])]),
    ("r_range", lambda m: m.r_[-1:1:6j, [0.0] * 3, 5, 6]),
    ("r_directive", lambda m: m.r_["0,2,0", [1, 2, 3], [4, 5, 6]]),
    ("r_directive_neg", lambda m: m.r_["0,4,-2", [1, 2, 3], [4, 5, 6]]),
    ("c_", lambda m: m.c_[np.array([1, 2, 3]), np.array([4, 5, 6])]),
    ("c_2d", lambda m: m.c_[np.array([[1, 2, 3]]), 0, 0, np.array([[4, 5, 6]])]),
    ("ix_", lambda m: m.ix_(np.array([0, 2]), np.array([1, 3, 0]))),
    ("tril_indices", lambda m: m.tril_indices(4, 1, 5)),
    ("triu_indices_from", lambda m: m.triu_indices_from(X, -1)),
    ("diag_indices", lambda m: m.diag_indices(3, 4)),
    ("diag_indices_from", lambda m: m.diag_indices_from(np.ones((3, 3)))),
    ("mask_indices", lambda m: m.mask_indices(3, m.triu, 1)),
    ("fill_diagonal", lambda m: m.fill_diagonal(X, 5.0, inplace=False)),
    ("fill_diagonal_tiled", lambda m: m.fill_diagonal(np.zeros((5, 3)), [1.0, 2.0], inplace=False)),
    ("fill_diagonal_3d", lambda m: m.fill_diagonal(np.zeros((3, 3, 3)), 7, inplace=False)),
    ("choose", lambda m: m.choose(np.array([0, 1, 2, 1]), [np.arange(4), np.arange(4) * 10, 100])),
    (
        "choose_wrap",
        lambda m: m.choose(np.array([[0, 4], [-1, 1]]), [X[:2, :2], -X[:2, :2]], mode="wrap"),
    ),
    ("choose_clip", lambda m: m.choose(np.array([0, 4, -1, 1]), [X[0], X[1]], mode="clip")),
    ("compress", lambda m: m.compress([True, False, True], X, axis=0)),
    ("compress_short", lambda m: m.compress([False, True], X, axis=1)),
    ("compress_flat", lambda m: m.compress([0, 1, 1], X)),
    ("extract", lambda m: m.extract(X > 0, X)),
    ("place", lambda m: m.place(X, X > 0, [-1.0, -2.0], inplace=False)),
    ("put", lambda m: m.put(X, [0, 5, 11], [-1.0, -2.0], inplace=False)),
    ("put_clip", lambda m: m.put(X, [0, 50, -3], [-1.0, -2.0, -3.0], mode="clip", inplace=False)),
    ("put_wrap", lambda m: m.put(X, [0, 50, -3], [-1.0, -2.0, -3.0], mode="wrap", inplace=False)),
    (
        "put_along_axis",
        lambda m: m.put_along_axis(X, np.array([[0], [2], [1]]), -1.0, 1, inplace=False),
    ),
    (
        "put_along_axis_0",
        lambda m: m.put_along_axis(X, np.array([[2, 0, 1, 2]]), X[:1] * 10, 0, inplace=False),
    ),
    (
        "ravel_multi_index",
        lambda m: m.ravel_multi_index((np.array([0, 1, 2]), np.array([3, 2, 1])), (3, 4)),
    ),
    (
        "ravel_multi_index_F",
        lambda m: m.ravel_multi_index(([0, 1, 2], [3, 2, 1]), (3, 4), order="F"),
    ),
    (
        "ravel_multi_index_clip",
        lambda m: m.ravel_multi_index(([0, 5, 2], [-3, 2, 1]), (3, 4), mode="clip"),
    ),
    (
        "ravel_multi_index_wrap",
        lambda m: m.ravel_multi_index(([0, 5, 2], [-3, 2, 1]), (3, 4), mode="wrap"),
    ),
    ("unravel_index", lambda m: m.unravel_index(np.array([0, 5, 11]), (3, 4))),
    ("packbits", lambda m: m.packbits(np.array([[1, 0, 1], [0, 1, 1]]), axis=-1)),
    ("packbits_little", lambda m: m.packbits(XI > 4, bitorder="little")),
    ("unpackbits", lambda m: m.unpackbits(np.array([[2], [7]], np.uint8), axis=1)),
    (
        "unpackbits_count",
        lambda m: m.unpackbits(np.array([2, 7], np.uint8), count=11, bitorder="little"),
    ),
    ("geomspace", lambda m: m.geomspace(1, 1000, 4)),
    ("geomspace_negative", lambda m: m.geomspace(-1.0, -1000.0, 4, endpoint=False)),
    ("bartlett", lambda m: m.bartlett(5)),
    ("blackman", lambda m: m.blackman(6)),
    ("hamming", lambda m: m.hamming(1)),
    ("hanning", lambda m: m.hanning(0)),
    ("kaiser", lambda m: m.kaiser(7, 3.0)),
    ("trim_zeros", lambda m: m.trim_zeros(np.array([0, 0, 1, 2, 0, 3, 0]))),
    ("trim_zeros_b", lambda m: m.trim_zeros(np.array([0.0, 1.0, 0.0]), "b")),
    ("trim_zeros_all", lambda m: m.trim_zeros(np.zeros(3))),
    ("frombuffer", lambda m: m.frombuffer(b"\x01\x02\x03", dtype=np.uint8)),
    ("fromstring", lambda m: m.fromstring("1,2,3", dtype=int, sep=",")),
    ("fromiter", lambda m: m.fromiter((k * k for k in range(4)), float)),
    ("array_equiv", lambda m: m.array_equiv([1, 2], [[1, 2], [1, 2]])),
    ("array_equiv_no", lambda m: m.array_equiv([1, 2], [1, 2, 3])),
    ("iscomplex", lambda m: m.iscomplex(X)),
    ("isreal", lambda m: m.isreal(XI)),
    ("array_repr", lambda m: m.array_repr(X[:1])),
    ("array_str", lambda m: m.array_str(XI, precision=2)),
]


def _assert_same(got, want):
    if isinstance(want, (tuple, list)):
        assert isinstance(got, (tuple, list)) and len(got) == len(want)
        for g, w in zip(got, want):
            _assert_same(g, w)
        return
    if isinstance(want, str):
        assert got == want
        return
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype, (got, want)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("case", NUMPY_CASES, ids=[c[0] for c in NUMPY_CASES])
def test_matches_numpy(case):
    _, f = case
    _assert_same(f(tnp), f(NP))


def test_predicates_and_printoptions_match_numpy():
    for v in (False, 1, 1.0, np.int32(5), None, [1], slice(4), ()):
        assert tnp.isscalar(v) == np.isscalar(v)
    assert tnp.isscalar(np.array(16))  # as JAX: a 0-d array is a scalar
    assert not tnp.isscalar(np.array([0]))
    for v in (1 + 1j, [1 + 1j], np.pi, np.arange(2), np.ones(2, np.complex64)):
        assert tnp.iscomplexobj(v) == np.iscomplexobj(v)
        assert tnp.isrealobj(v) == np.isrealobj(v)
    assert tnp.iterable([1]) and not tnp.iterable(3)
    assert tnp.s_[1:2:20] == np.s_[1:2:20] and tnp.index_exp[5:3:2j] == np.index_exp[5:3:2j]
    with tnp.printoptions(precision=2):
        assert tnp.get_printoptions()["precision"] == 2
        assert tnp.array_str(np.array([1.23456])) == "[1.23]"


# cases where tracejit follows JAX rather than NumPy, or where the JAX oracle adds cover
JAX_CASES = [
    ("append_weak_scalar", lambda m: m.append(F32, 1.5)),  # NumPy: float64
    ("unravel_index_clamps", lambda m: m.unravel_index(np.array([0, 5, 12, -1, -13]), (3, 4))),
    ("unravel_index_int32", lambda m: m.unravel_index(np.array([5], np.int32), (3, 4))),
    (
        "put_clamps",
        lambda m: m.put(X, np.array([0, 50, -20]), np.array([-1.0, -2.0, -3.0]), inplace=False),
    ),
    (
        "put_along_axis_none",
        lambda m: m.put_along_axis(X, np.array([0, 2, 11]), 7.0, None, inplace=False),
    ),
    (
        "compress_size",
        lambda m: m.compress(np.array([True, False, True, True]), X, axis=1, size=3, fill_value=-1),
    ),
    ("extract_size", lambda m: m.extract(X > 0, X, size=10, fill_value=-5.0)),
    ("insert_int32_obj", lambda m: m.insert(X, np.array(2, np.int32), np.array(-1.0), axis=0)),
    ("delete_unique", lambda m: m.delete(X, np.array([3, 0]), axis=1, assume_unique_indices=True)),
    ("mgrid_empty", lambda m: m.mgrid[()]),
    ("ogrid_single", lambda m: m.ogrid[:5]),
    ("ix_empty", lambda m: m.ix_(np.array([], np.int32), np.array([2, 4]))),
    ("indices_uint8", lambda m: m.indices((3, 0), dtype=np.uint8)),
    ("kaiser_beta_half", lambda m: m.kaiser(10, 0.5)),
    ("i0", lambda m: m.i0(np.array([-20.0, -3.0, 0.0, 0.5, 7.99, 8.0, 8.01, 100.0]))),
    (
        "geomspace_axis",
        lambda m: m.geomspace(np.array([1.0, -2.0]), np.array([10.0, -20.0]), 3, axis=1),
    ),
    (
        "fill_diagonal_wide",
        lambda m: m.fill_diagonal(
            np.zeros((2, 5), np.int8), np.arange(6, dtype=np.int8).reshape(3, 2), inplace=False
        ),
    ),
    ("choose_arrays", lambda m: m.choose(np.array([[0], [1]]), np.arange(6.0).reshape(2, 3))),
    ("packbits_bool", lambda m: m.packbits(np.array([True, False, True] * 5), axis=0)),
    ("fromfunction", lambda m: m.fromfunction(lambda i, j: 10 * i + j, (3, 4))),
    ("fromfunction_int", lambda m: m.fromfunction(lambda i: i * 2, (4,), dtype=int)),
]


@pytest.mark.parametrize("case", JAX_CASES, ids=[c[0] for c in JAX_CASES])
def test_matches_jax(case):
    _, jnp = jax_x64()
    _, f = case
    assert_trees_close(f(tnp), f(jnp))


def test_inplace_updates_are_refused_as_in_jax():
    with pytest.raises(NotImplementedError, match="inplace=False"):
        tnp.fill_diagonal(X, 1.0)
    for call in (
        lambda: tnp.place(X, X > 0, [1.0]),
        lambda: tnp.put(X, [0], [1.0]),
        lambda: tnp.put_along_axis(X, np.zeros((3, 1), int), 1.0, 1),
    ):
        with pytest.raises(ValueError, match="inplace=False"):
            call()


def test_errors():
    with pytest.raises(ValueError, match="invalid entry in choice array"):
        tnp.choose(np.array([0, 2]), [X[0, :2], X[1, :2]])
    with pytest.raises(ValueError, match="invalid entry in coordinates array"):
        tnp.ravel_multi_index(([0, 3],), (3,))
    with pytest.raises(ValueError, match="out of bounds"):
        tnp.compress([True, False, False, True], X, axis=0)
    with pytest.raises(ValueError, match="could not understand directive"):
        tnp.r_["asdfgh", [1, 2, 3]]
    with pytest.raises(ValueError, match="does not allow tuples"):
        tnp.block((X, X))
    with pytest.raises(NotImplementedError, match="boolean"):
        tnp.ix_(np.array([True, False]))
    # the output shape depends on the values: no values under vmap
    with pytest.raises(tj.ConcretizationError):
        tj.vmap(tnp.trim_zeros)(np.ones((2, 3)))
    with pytest.raises(tj.ConcretizationError):
        tj.vmap(lambda a: tnp.choose(a, [X[0], X[1]]))(np.zeros((2, 4), int))


# ---------------------------------------------------------------------------
# gradients


GRAD_CASES = [
    ("append", lambda a, b: tnp.append(a, b), (X, X[0, :2])),
    ("insert", lambda a, v: tnp.insert(a, [1, 3, 3], v, axis=1), (X, R.randn(3))),
    ("delete", lambda a: tnp.delete(a, [0, 2], axis=1), (X,)),
    ("block", lambda a, b: tnp.block([[a, b], [b, a]]), (X[:2, :2], X[:2, 2:])),
    ("resize", lambda a: tnp.resize(a, (5, 3)), (X,)),
    ("rollaxis", lambda a: tnp.rollaxis(a, 1), (X,)),
    ("r_c_", lambda a: tnp.r_[a, 1.0, a**2] + tnp.c_[a, a][:, 1].sum(), (X[0],)),
    ("fill_diagonal", lambda a, v: tnp.fill_diagonal(a, v, inplace=False), (X, R.randn(2))),
    ("choose", lambda c0, c1: tnp.choose(np.array([0, 1, 1, 0]), [c0, c1]), (X[0], X[1])),
    ("compress", lambda a: tnp.compress([True, False, True], a, axis=0), (X,)),
    ("compress_size", lambda a: tnp.compress([0, 1, 1, 0], a, axis=1, size=3), (X,)),
    ("extract", lambda a: tnp.extract(X > 0, a), (X,)),
    ("place", lambda a, v: tnp.place(a, X > 0, v, inplace=False), (X, R.randn(2))),
    ("put", lambda a, v: tnp.put(a, [1, 5, 7], v, inplace=False), (X, R.randn(3))),
    (
        "put_along_axis",
        lambda a, v: tnp.put_along_axis(a, np.array([[0], [2], [1]]), v, 1, inplace=False),
        (X, R.randn(3, 1)),
    ),
    ("kaiser", lambda beta: tnp.kaiser(6, beta), (2.5,)),
    ("geomspace", lambda a, b: tnp.geomspace(a, b, 5), (2.0, 50.0)),
    ("geomspace_negative", lambda a, b: tnp.geomspace(a, b, 4, endpoint=False), (-2.0, -50.0)),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads(case):
    _, f, args = case
    check_grads(f, args, order=1)


def test_trim_zeros_is_differentiable_under_grad():
    # the number of zeros is read from the concrete value grad's tracers carry
    x = np.array([0.0, 0.0, 1.0, 2.0, 0.0])
    np.testing.assert_allclose(
        tj.grad(lambda a: tnp.sum(tnp.trim_zeros(a) ** 2))(x), [0, 0, 2, 4, 0]
    )


# ---------------------------------------------------------------------------
# vmap over traced index arrays, against a Python loop


def _np_put(a, i, v):
    a = a.copy()
    np.put(a, i, v)
    return a


def _np_place(a, m, v):
    a = a.copy()
    np.place(a, m, v)
    return a


def _compress_padded(c, a, size, fill):
    out = np.compress(c, a, axis=1)
    return np.pad(out, ((0, 0), (0, size - out.shape[1])), constant_values=fill)


VMAP_CASES = [
    (
        "insert",
        lambda i: tnp.insert(X, i, -1.0, axis=1),
        np.array([0, 2, 4, -1]),
        lambda i: np.insert(X, i, -1.0, axis=1),
    ),
    (
        "insert_many",
        lambda i: tnp.insert(X.ravel(), i, np.array([-1.0, -2.0])),
        np.array([[0, 2], [5, 1], [3, 3], [12, -2]]),
        lambda i: np.insert(X.ravel(), i, [-1.0, -2.0]),
    ),
    (
        "delete_unique",
        lambda i: tnp.delete(X, i, axis=1, assume_unique_indices=True),
        np.array([[0, 2], [3, 1], [-1, 0]]),
        lambda i: np.delete(X, i, axis=1),
    ),
    (
        "compress_size",
        lambda c: tnp.compress(c, X, axis=1, size=3, fill_value=-1),
        np.array([[1, 0, 1, 0], [0, 0, 0, 1], [1, 1, 1, 0]], bool),
        lambda c: _compress_padded(c, X, 3, -1),
    ),
    (
        "place",
        lambda m: tnp.place(X, m, np.array([-1.0, -2.0]), inplace=False),
        np.stack([X > 0, X < 0.5]),
        lambda m: _np_place(X, m, [-1.0, -2.0]),
    ),
    (
        "put",
        lambda i: tnp.put(X, i, np.array([-1.0, -2.0]), inplace=False),
        np.array([[0, 5], [11, 2]]),
        lambda i: _np_put(X, i, [-1.0, -2.0]),
    ),
    (
        "choose",
        lambda a: tnp.choose(a, [X[0], X[1], X[2]], mode="clip"),
        np.array([[0, 1, 2, 3], [2, 2, 0, -1]]),
        lambda a: np.choose(a, [X[0], X[1], X[2]], mode="clip"),
    ),
    (
        "unravel_index",
        lambda i: tnp.stack(tnp.unravel_index(i, (3, 4))),
        np.array([0, 5, 11]),
        lambda i: np.stack(np.unravel_index(i, (3, 4))),
    ),
    (
        "ravel_multi_index",
        lambda ij: tnp.ravel_multi_index((ij[0], ij[1]), (3, 4), mode="wrap"),
        np.array([[0, 3], [2, -1], [4, 1]]),
        lambda ij: np.ravel_multi_index((ij[0], ij[1]), (3, 4), mode="wrap"),
    ),
    ("packbits", tnp.packbits, XI > 5, np.packbits),
    ("kaiser", lambda b: tnp.kaiser(7, b), np.array([0.5, 3.0, 12.0]), lambda b: np.kaiser(7, b)),
]


@pytest.mark.parametrize("case", VMAP_CASES, ids=[c[0] for c in VMAP_CASES])
def test_vmap_matches_loop(case):
    _, f, xs, f_np = case
    np.testing.assert_allclose(
        tj.vmap(f)(xs), np.stack([f_np(x) for x in xs]), rtol=1e-12, atol=1e-14
    )


# ---------------------------------------------------------------------------
# vectorize, apply_along_axis, apply_over_axes, piecewise, fromfunction


def test_vectorize_matches_numpy():
    a, b = R.randn(3), R.randn(2, 3)
    f = tnp.vectorize(lambda x, y: tnp.sin(x) * y + 1)
    np.testing.assert_allclose(f(a, b), np.sin(a) * b + 1)
    dot = tnp.vectorize(lambda x, y: tnp.dot(x, y), signature="(n),(n)->()")
    u, v = R.randn(4, 1, 3), R.randn(2, 3)
    np.testing.assert_allclose(dot(u, v), np.sum(u * v, axis=-1))
    mm = tnp.vectorize(tnp.matmul, signature="(m,n),(n,k)->(m,k)")
    p, q = R.randn(5, 2, 3), R.randn(3, 4)
    np.testing.assert_allclose(mm(p, q), p @ q)
    two = tnp.vectorize(lambda x: (x.sum(), 2 * x), signature="(n)->(),(n)")
    s, d = two(X)
    np.testing.assert_allclose(s, X.sum(1))
    np.testing.assert_allclose(d, 2 * X)
    power = tnp.vectorize(lambda x, n: x**n, excluded={1})
    np.testing.assert_allclose(power(a, 3), a**3)
    assert type(tnp.vectorize(lambda x: x + 1)(2.0)) is np.ndarray
    with pytest.raises(ValueError, match="not a valid gufunc signature"):
        tnp.vectorize(lambda x: x, signature="(n)->(m")(a)
    with pytest.raises(ValueError, match="inconsistent size for core dimension"):
        dot(R.randn(3), R.randn(4))


def test_vectorize_traces_once_and_composes():
    calls = []

    def f(x, y):
        calls.append(1)
        return tnp.exp(x) * y

    vf = tnp.vectorize(f)
    a, b = R.randn(3), R.randn(4, 3)
    np.testing.assert_allclose(vf(a, b), np.exp(a) * b)
    assert len(calls) == 1  # one trace, batched: not one call per element
    check_grads(vf, (a, b), order=2)
    per_row = tj.vmap(vf, in_axes=(None, 0))(a, b)
    np.testing.assert_allclose(per_row, np.exp(a) * b)


def test_apply_along_axis_and_over_axes_match_numpy():
    x = R.randn(2, 3, 4)

    def func(v, out_dims):
        if out_dims == 0:
            return v.sum()
        if out_dims == 1:
            return v * v[0]
        return v[:, None] + v[None, :]

    for axis in range(-3, 3):
        for out_dims in (0, 1, 2):
            np.testing.assert_allclose(
                tnp.apply_along_axis(func, axis, x, out_dims=out_dims),
                np.apply_along_axis(func, axis, x, out_dims=out_dims),
            )
    for axes in ([0, 2], [1], (0, 1, 2)):
        np.testing.assert_allclose(
            tnp.apply_over_axes(tnp.sum, x, axes), np.apply_over_axes(np.sum, x, axes)
        )
    check_grads(lambda a: tnp.apply_along_axis(lambda v: tnp.sum(v**2) * v, 1, a), (X,), order=1)
    check_grads(lambda a: tnp.apply_over_axes(tnp.sum, a, [0, 1]), (X,), order=1)


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.int32, np.int8, np.bool_])
@pytest.mark.parametrize("shape", [(), (5,), (2, 3)])
def test_piecewise_matches_numpy(dtype, shape):
    funclist = [lambda v: v - 1, 1, lambda v: v, 0]
    x = np.asarray(R.randn(*shape) * 3).astype(dtype)
    for ncond in (1, 2, 3):
        conds = [R.randint(0, 2, shape).astype(bool) for _ in range(ncond)]
        for nfunc in (ncond, ncond + 1):
            got = tnp.piecewise(x, conds, funclist[:nfunc])
            want = np.piecewise(x, conds, funclist[:nfunc])
            assert np.asarray(got).dtype == want.dtype
            np.testing.assert_array_equal(got, want)


def test_piecewise_grad_vmap_and_where_safety():
    x = np.linspace(-2, 2, 9) + 0.01

    def f(a):
        return tnp.piecewise(a, [a < 0, a >= 0], [lambda v: -(v**3), lambda v: v**2])

    check_grads(f, (x,), order=2)
    np.testing.assert_allclose(tj.vmap(f)(x.reshape(3, 3)), f(x).reshape(3, 3))
    # the untaken branch gets a zero cotangent: no NaN from sqrt of a negative number
    g = tj.grad(lambda a: tnp.sum(tnp.piecewise(a, [a > 0], [tnp.sqrt, 0.0])))
    np.testing.assert_allclose(g(np.array([-1.0, 4.0])), [0.0, 0.25])


def test_fromfunction_matches_numpy_and_differentiates():
    def f(i, j, k):
        return i + 2 * j + 3 * k

    np.testing.assert_array_equal(tnp.fromfunction(f, (3, 4, 5)), np.fromfunction(f, (3, 4, 5)))
    # called on scalars (one vmap per axis, as JAX), so a constant fills the shape
    np.testing.assert_array_equal(tnp.fromfunction(lambda i: 5.0, (3,)), np.full(3, 5.0))
    np.testing.assert_array_equal(
        tnp.fromfunction(lambda i, j, c=0: i - j + c, (2, 2), c=3), [[3, 2], [4, 3]]
    )
    check_grads(lambda s: tnp.fromfunction(lambda i, j: (i + j) * s, (2, 3)), (2.0,), order=1)
