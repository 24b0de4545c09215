"""x.at[idx] with repeated and out-of-range indices, take/take_along_axis modes, and
nonzero/argwhere/where with size= — each against JAX's semantics (values written here,
and JAX itself as the oracle where it is installed)."""

from __future__ import annotations

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64

X = np.array([2.0, 3.0, 4.0])
REP = np.array([0, 0, 1])
U = np.array([3.0, 1.0, 2.0])
OOB = np.array([7, 1, -9])


def _at(x):
    """x.at for tracers and JAX arrays; tnp.at for NumPy arrays, which have none."""
    return x.at if hasattr(x, "at") else tnp.at(x)


def _three_ways(f, *args):
    """f eagerly, under jit (compiled to machine code), and under vmap over a batch of 2."""
    eager = f(*args)
    compiled = tj.jit(f).compile(*args)(*args)
    batched = tj.vmap(f)(*[np.stack([a, a]) for a in args])
    return eager, compiled, batched


@pytest.mark.parametrize(
    "op, want",
    [
        ("add", [6.0, 5.0, 4.0]),
        ("multiply", [6.0, 6.0, 4.0]),
        ("min", [1.0, 2.0, 4.0]),
        ("max", [3.0, 3.0, 4.0]),
        ("divide", [2 / 3, 1.5, 4.0]),
        ("power", [8.0, 9.0, 4.0]),
        ("set", [1.0, 2.0, 4.0]),
    ],
)
def test_repeated_indices_combine_every_update(op, want):
    for got in _three_ways(lambda x, u: getattr(tnp.at(x)[REP], op)(u), X, U):
        np.testing.assert_allclose(np.reshape(got, (-1, 3))[-1], want, rtol=1e-12)


def test_brief_examples():
    i = np.array([0, 0])
    np.testing.assert_array_equal(
        tnp.at(np.full(3, 2.0))[i].multiply(np.array([2.0, 3.0])), [12, 2, 2]
    )
    np.testing.assert_array_equal(tnp.at(np.full(3, 2.0))[i].max(np.array([5.0, 2.0])), [5, 2, 2])


@pytest.mark.parametrize(
    "op, want",
    [
        ("set", [2.0, 5.0, 4.0]),
        ("add", [2.0, 8.0, 4.0]),
        ("multiply", [2.0, 15.0, 4.0]),
        ("max", [2.0, 5.0, 4.0]),
    ],
)
def test_out_of_range_updates_are_dropped(op, want):
    for got in _three_ways(lambda x, i: getattr(tnp.at(x)[i], op)(5.0), X, OOB):
        np.testing.assert_array_equal(np.reshape(got, (-1, 3))[-1], want)
    f = lambda x, i: tnp.at(x)[i].set(9.0)  # noqa: E731  a traced scalar index (a window)
    for got in _three_ways(f, X, np.array(7)):
        np.testing.assert_array_equal(np.reshape(got, (-1, 3))[-1], X)
    np.testing.assert_array_equal(tnp.at(X)[5].set(9.0), X)
    x2 = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(tnp.at(x2)[1, 7].set(-1.0), x2)


def test_out_of_range_modes():
    np.testing.assert_array_equal(tnp.at(X)[OOB].set(5.0, mode="clip"), [5.0, 5.0, 5.0])
    np.testing.assert_array_equal(tnp.at(X)[OOB].set(5.0, mode="promise_in_bounds"), [2, 5, 4])
    np.testing.assert_array_equal(tnp.at(X)[OOB].get(), [4.0, 3.0, 2.0])  # clamped
    got = tnp.at(X)[np.array([5, -5, 1, -1])].get(mode="fill")
    np.testing.assert_array_equal(got, [np.nan, np.nan, 3.0, 4.0])
    np.testing.assert_array_equal(tnp.at(X)[OOB].get(mode="fill", fill_value=-1), [-1, 3, -1])
    assert tnp.at(np.arange(3))[np.array([5])].get(mode="fill")[0] == np.iinfo(np.int64).min
    assert tnp.at(np.arange(3, dtype=np.uint8))[np.array([5])].get(mode="fill")[0] == 255
    x2 = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal(tnp.at(x2)[np.array([0, 5]), 1].get(mode="fill"), [1, np.nan])
    with pytest.raises(ValueError, match="mode"):
        tnp.at(X)[0].get(mode="wrong")


def test_traced_indexing_clamps_and_eager_numpy_raises():
    f = tj.jit(lambda x, i: (x[7], x[-7], x[i], x[np.array([7, -7])]))
    for got, want in zip(f(X, 9), (4.0, 2.0, 4.0, [4.0, 2.0]), strict=True):
        np.testing.assert_array_equal(got, want)
    with pytest.raises(IndexError):
        X[7]


def test_take_modes():
    i = np.array([5, -1, -5])
    for got in _three_ways(lambda x, i: tnp.take(x, i), X, i):
        np.testing.assert_array_equal(np.reshape(got, (-1, 3))[-1], [np.nan, 4.0, np.nan])
    np.testing.assert_array_equal(tnp.take(X, i, mode="clip"), [4.0, 2.0, 2.0])
    np.testing.assert_array_equal(tnp.take(X, i, mode="wrap"), [4.0, 4.0, 3.0])
    np.testing.assert_array_equal(tnp.take(X, i, fill_value=0.5), [0.5, 4.0, 0.5])
    np.testing.assert_array_equal(tnp.take_along_axis(X, i, axis=0), [np.nan, 4.0, np.nan])
    np.testing.assert_array_equal(tnp.take_along_axis(X, i, axis=0, mode="clip"), [4, 4, 2])
    with pytest.raises(NotImplementedError):
        tnp.take(X, i, mode="raise")


def test_nonzero_with_size():
    a = np.array([[0, 1, 2], [0, 3, 0]])
    cases = [
        (lambda a: tnp.nonzero(a, size=2), ([0, 0], [1, 2])),
        (lambda a: tnp.nonzero(a, size=5, fill_value=-1), ([0, 0, 1, -1, -1], [1, 2, 1, -1, -1])),
        (lambda a: tnp.nonzero(a, size=4, fill_value=(7, 8)), ([0, 0, 1, 7], [1, 2, 1, 8])),
        (lambda a: tnp.flatnonzero(a, size=4), [1, 2, 4, 0]),
        (lambda a: tnp.argwhere(a, size=4, fill_value=-1), [[0, 1], [0, 2], [1, 1], [-1, -1]]),
        (lambda a: tnp.where(a, size=1), ([0], [1])),
    ]
    for f, want in cases:
        for got in (f(a), tj.jit(f)(a)):
            assert_trees_close(
                got, tuple(map(np.asarray, want)) if isinstance(want, tuple) else np.asarray(want)
            )
    for f in (tnp.nonzero, tnp.flatnonzero, tnp.argwhere, tnp.where):
        with pytest.raises(tj.ConcretizationError, match="size="):
            tj.jit(f)(a)


# ---------------------------------------------------------------------------
# JAX as the oracle


@pytest.mark.parametrize("op", ["add", "multiply", "min", "max", "set"])
@pytest.mark.parametrize("ties", [False, True])
def test_at_values_and_grads_match_jax(op, ties):
    jax, jnp = jax_x64()
    u = np.array([2.0, 2.0, 2.0]) if ties else U
    w = np.array([1.0, 2.0, 3.0])

    def f(np_):
        return lambda x, u: np_.sum(getattr(_at(x)[REP], op)(u) * w)

    argnums = (0,) if op == "multiply" else (0, 1)  # JAX has no scatter_mul grad for u
    assert_trees_close(tj.jit(f(tnp))(X, u), jax.jit(f(jnp))(X, u))
    assert_trees_close(tj.grad(f(tnp), argnums)(X, u), jax.grad(f(jnp), argnums)(X, u))
    assert_trees_close(tj.jit(tj.grad(f(tnp), argnums))(X, u), jax.grad(f(jnp), argnums)(X, u))


def test_multiply_grad_of_updates_with_repeats_and_zeros():
    # d/du_j of x * prod u at a repeated position: x times the other updates (even at 0)
    i = np.array([0, 0, 0, 1])
    x = np.array([2.0, 3.0])
    for u, want in [
        (np.array([3.0, 0.5, 2.0, 4.0]), [2.0, 12.0, 3.0, 3.0]),
        (np.array([0.0, 0.5, 2.0, 4.0]), [2.0, 0.0, 0.0, 3.0]),
        (np.array([0.0, 0.0, 2.0, 4.0]), [0.0, 0.0, 0.0, 3.0]),
    ]:
        g = tj.grad(lambda u: tnp.sum(tnp.at(x)[i].multiply(u)))(u)
        np.testing.assert_allclose(g, want, rtol=1e-12)
        np.testing.assert_allclose(
            tj.jit(tj.grad(lambda u: tnp.sum(tnp.at(x)[i].multiply(u))))(u), want
        )


@pytest.mark.parametrize("mode", [None, "clip", "drop", "fill", "promise_in_bounds"])
@pytest.mark.parametrize("op", ["set", "add", "multiply", "min", "max", "get"])
def test_out_of_range_matches_jax(mode, op):
    jax, jnp = jax_x64()
    x2 = np.arange(6.0).reshape(2, 3)
    idx = (np.array([0, 5, 1, -3]), np.array([1, 1, -1, 9]))

    def f(x):
        ref = _at(x)[idx]
        return ref.get(mode=mode) if op == "get" else getattr(ref, op)(7.5, mode=mode)

    want = f(jnp.asarray(x2))
    assert_trees_close(f(x2), want)
    assert_trees_close(tj.jit(f)(x2), want)


def test_take_matches_jax():
    jax, jnp = jax_x64()
    x = np.arange(12.0).reshape(3, 4)
    i = np.array([[5, -1], [-5, 2]])
    for kw in [{}, {"mode": "clip"}, {"mode": "wrap"}, {"mode": "fill", "fill_value": 1.5}]:
        for axis in (None, 0, 1):
            assert_trees_close(
                tj.jit(lambda x, axis=axis, kw=kw: tnp.take(x, i, axis=axis, **kw))(x),
                jnp.take(x, i, axis=axis, **kw),
            )
    j = np.array([[5, -1, 0, -9]])
    for kw in [{}, {"mode": "clip"}, {"mode": "fill", "fill_value": -2.0}]:
        got = tj.jit(lambda x, kw=kw: tnp.take_along_axis(x, j, axis=1, **kw))(x)
        assert_trees_close(got, jnp.take_along_axis(x, j, axis=1, **kw))
