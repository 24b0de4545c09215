"""Indexing laws: traced x[idx] equals NumPy's x[idx]; x.at[idx].op(v) equals NumPy's
copy-and-assign (np.add.at for add); their gradients match finite differences."""

from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp

rng = np.random.default_rng(1)
X = rng.normal(size=(3, 4, 5))
MASK = X > 0

INDICES = [
    0,
    -1,
    slice(1, 3),
    slice(None, None, -1),
    slice(3, 0, -2),
    slice(None, None, 2),
    slice(5, 2),
    slice(-100, 100),
    slice(-2, None, -1),
    (0, 1),
    (0, 1, 2),
    (-1, slice(None), -2),
    (slice(None), 1),
    (Ellipsis, 0),
    (Ellipsis,),
    (),
    (None,),
    (None, 0),
    (0, None, slice(1, 3)),
    (Ellipsis, None),
    (slice(None), None, slice(None, None, -1), None),
    np.array([0, 2]),
    [0, 2, -1],
    [[0, 1], [2, 2]],
    ([0, 1], [1, 2]),
    ([0, 1], slice(None), [1, 2]),
    (slice(None), [0, 1], [1, 2]),
    ([[0], [1]], [0, 2]),
    (0, slice(None), [1, 2]),
    (slice(None), 0, [1, 2]),
    (slice(1, None), [0, -1], None),
    ([0, 1], None, [1, 2]),
    (Ellipsis, [1, 3]),
    (slice(None, None, -1), [0, 1]),
    (slice(None), [3, 0, 0], slice(None, None, -2)),
    np.array(1),
    (np.int64(1), np.int32(2)),
    np.array([], dtype=np.int64),
    MASK,
    MASK[:, :, 0],
    np.array([True, False, True]),
    (slice(None), np.array([True, False, True, True])),
    (Ellipsis, np.array([False] * 5)),
    (1, MASK[1, :, 0], slice(None, None, 3)),
]


def _traced_getitem(x, idx):
    """x[idx] computed by tracejit: under vmap over x, and under jvp."""
    batched = tj.vmap(lambda v: v[idx])(np.stack([x, 2 * x]))
    primal, tangent = tj.jvp(lambda v: v[idx], (x,), (np.ones_like(x),))
    return batched, primal, tangent


@pytest.mark.parametrize("idx", INDICES, ids=repr)
def test_getitem_matches_numpy(idx):
    want = X[idx]
    batched, primal, tangent = _traced_getitem(X, idx)
    np.testing.assert_array_equal(batched[0], want)
    np.testing.assert_array_equal(batched[1], 2 * want)
    np.testing.assert_array_equal(primal, want)
    np.testing.assert_array_equal(tangent, np.ones_like(X)[idx])


@pytest.mark.parametrize(
    "idx",
    [0, (1, 2), (slice(None), -1), [0, 2, 0], ([1, 0], [3, 3]), (Ellipsis, [4, 0])],
    ids=repr,
)
def test_getitem_gradient(idx):
    def f(x):
        return tnp.sum(tnp.sin(x[idx]) * 1.5)

    want = np.zeros_like(X)
    np.add.at(want, idx, 1.5 * np.cos(X[idx]))
    np.testing.assert_allclose(tj.grad(f)(X), want, atol=1e-12)
    tj.check_grads(f, (X,), order=2)


def test_traced_integer_indices():
    # x is traced too (unbatched): a NumPy array indexed by a tracer is NumPy's business
    idx = np.array([2, 0, -1, 1])
    got = tj.vmap(lambda x, i: x[i], in_axes=(None, 0))(X, idx)  # traced 0-d: dynamic_slice
    np.testing.assert_array_equal(got, X[idx])
    got = tj.vmap(lambda x, i: x[:, i], in_axes=(None, 0))(X, idx)
    np.testing.assert_array_equal(got, np.stack([X[:, i] for i in idx]))
    got = tj.vmap(lambda x, i: x[i, [0, 1]], in_axes=(None, 0))(X, idx)
    np.testing.assert_array_equal(got, np.stack([X[i, [0, 1]] for i in idx]))
    got = tj.vmap(lambda i: tnp.take(X, i, axis=1))(idx)
    np.testing.assert_array_equal(got, np.stack([X[:, i] for i in idx]))
    pairs = np.array([[0, 1], [2, 2], [1, 0]])
    got = tj.vmap(lambda x, p: x[p, 1:3], in_axes=(None, 0))(X, pairs)  # traced array: gather
    np.testing.assert_array_equal(got, np.stack([X[p, 1:3] for p in pairs]))
    got = tj.vmap(lambda x, i: x[i])(X, np.array([3, 0, 1]))
    np.testing.assert_array_equal(got, np.stack([X[k, i] for k, i in enumerate([3, 0, 1])]))


def test_boolean_mask_needs_concrete_value():
    with pytest.raises(tj.ConcretizationError, match="boolean indexing"):
        tj.make_ir(lambda x: x[x > 0])(X)
    with pytest.raises(tj.ConcretizationError, match="boolean indexing inside jit"):
        tj.jit(lambda x: x[x > 0])(X)
    with pytest.raises(tj.ConcretizationError):
        tj.vmap(lambda x: x[x > 0].sum())(X)
    # under grad the tracer has a value, so a mask works (as in autograd)
    g = tj.grad(lambda x: tnp.sum(x[x > 0] ** 2))(X)
    np.testing.assert_allclose(g, np.where(X > 0, 2 * X, 0))


def test_bad_indices():
    with pytest.raises(IndexError):
        tj.vmap(lambda x: x[0, 0, 0, 0])(np.stack([X, X]))
    # an out-of-range index on a tracer clamps, as in JAX (NumPy arrays still raise)
    np.testing.assert_array_equal(
        tj.grad(lambda x: x[5].sum())(X), tj.grad(lambda x: x[2].sum())(X)
    )
    np.testing.assert_array_equal(
        tj.grad(lambda x: x[[0, 7]].sum())(X), tj.grad(lambda x: x[[0, 2]].sum())(X)
    )
    with pytest.raises(IndexError):
        tj.grad(lambda x: x[0.5].sum())(X)


# ---------------------------------------------------------------------------
# x.at[idx]


AT_INDICES = [
    1,
    (0, 2),
    (slice(None), 1),
    (Ellipsis, slice(None, None, -2)),
    [0, 2],
    ([0, 1], [3, 3]),
    (slice(None), [0, 2], [1, 4]),
    MASK,
    (None, 1),
    ([2, 2, 0], 1),
]


def _numpy_at(x, idx, op, v):
    out = x.copy()
    if op == "set":
        out[idx] = v
    elif op in ("divide", "power"):  # x / (the product of the updates at each position)
        prod = np.ones_like(x)
        np.multiply.at(prod, idx, v)
        return x / prod if op == "divide" else x**prod
    else:  # every update combines in, repeated indices too
        fn = {"add": np.add, "multiply": np.multiply, "min": np.minimum, "max": np.maximum}[op]
        fn.at(out, idx, v)
    return out


@pytest.mark.parametrize("idx", AT_INDICES, ids=repr)
@pytest.mark.parametrize("op", ["set", "add", "multiply", "min", "max", "divide"])
def test_at_matches_numpy(idx, op):
    v = rng.normal(size=np.shape(X[idx]))
    want = _numpy_at(X, idx, op, v)
    got = tj.vmap(lambda x, v: getattr(x.at[idx], op)(v))(np.stack([X, X]), np.stack([v, v]))
    np.testing.assert_allclose(got[0], want, rtol=1e-12)
    np.testing.assert_allclose(got[1], want, rtol=1e-12)
    primal, _ = tj.jvp(lambda x: getattr(x.at[idx], op)(v), (X,), (np.ones_like(X),))
    np.testing.assert_allclose(primal, want, rtol=1e-12)


def test_at_scalar_value_broadcasts_and_casts():
    x32 = X.astype(np.float32)
    out = tj.vmap(lambda x: x.at[:, 0].set(7))(x32)
    assert out.dtype == np.float32
    want = x32.copy()
    want[:, :, 0] = 7
    np.testing.assert_array_equal(out, want)
    np.testing.assert_array_equal(tj.vmap(lambda x: x.at[0].get())(X), X[:, 0])


@pytest.mark.parametrize(
    "idx", [1, (slice(None), 1), [0, 2], ([0, 1], [3, 3]), ([2, 2], 1)], ids=repr
)
def test_at_gradients(idx):
    v = rng.normal(size=np.shape(X[idx]))

    # tnp.at(x) is x.at for tracers and NumPy arrays alike (check_grads calls f on both)
    def f_set(x, v):
        return tnp.sum(tnp.sin(tnp.at(x)[idx].set(v)) * X)

    def f_add(x, v):
        return tnp.sum(tnp.sin(tnp.at(x)[idx].add(v * v)) * X)

    tj.check_grads(f_add, (X, v), order=2)
    gx, gv = tj.grad(f_set, argnums=(0, 1))(X, v)
    written = np.zeros(X.shape, bool)
    written[idx] = True
    np.testing.assert_allclose(gx, np.where(written, 0, np.cos(X) * X))
    if not (isinstance(idx, tuple) and idx[0] == [2, 2]):
        tj.check_grads(f_set, (X, v), order=2)
        np.testing.assert_allclose(gv, (np.cos(_numpy_at(X, idx, "set", v)) * X)[idx])


def test_at_with_traced_index():
    idx = np.array([0, 2, -1])
    got = tj.vmap(lambda i: tnp.at(X)[i].add(1.0))(idx)
    want = np.stack([_numpy_at(X, i, "add", 1.0) for i in idx])
    np.testing.assert_array_equal(got, want)
    got = tj.vmap(lambda i, v: tnp.at(X)[:, i, 0].set(v))(idx, np.array([5.0, 6.0, 7.0]))
    want = np.stack(
        [_numpy_at(X, (slice(None), i, 0), "set", v) for i, v in zip(idx, [5, 6, 7], strict=True)]
    )
    np.testing.assert_array_equal(got, want)


def test_take_and_take_along_axis_gradients():
    idx = np.array([[0, 3], [3, 3], [1, 0]])
    x = X[:, :, 0]
    tj.check_grads(lambda x: tnp.sum(tnp.take(x, idx, axis=1) ** 2), (x,), order=2)
    tj.check_grads(lambda x: tnp.sum(tnp.take_along_axis(x, idx, 1) ** 3), (x,), order=2)
    order = np.argsort(x, axis=1)
    tj.check_grads(lambda x: tnp.sum(tnp.take_along_axis(x, order, 1) * np.arange(4)), (x,))


def test_at_on_a_block_is_a_window_update():
    for idx in [1, (slice(None), 2), (Ellipsis, slice(1, 3)), (0, slice(1, None), 4)]:
        ir = tj.make_ir(lambda x, v, idx=idx: x.at[idx].add(v))(X, X[idx])
        names = {e.prim.name for e in ir.eqns}
        assert "dynamic_update_slice" in names and not names & {"scatter", "scatter_add"}


def test_at_on_numpy_arrays():
    v = np.arange(5.0)
    out = tnp.at(X)[1, 2].set(v)
    assert isinstance(out, np.ndarray)
    np.testing.assert_array_equal(out, _numpy_at(X, (1, 2), "set", v))
    np.testing.assert_array_equal(X[1, 2], X.copy()[1, 2])  # the input is not modified
