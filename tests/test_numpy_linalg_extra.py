"""tracejit.numpy.linalg's lstsq, cond, tensorinv, tensorsolve, cross and vecdot: against
NumPy always, against JAX (x64) when it is installed, and differentiated."""

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64

RNG = np.random.default_rng(0)
A, B = RNG.standard_normal((5, 3)), RNG.standard_normal((5, 2))
CASES = [(A, B[:, 0]), (A, B), (A.T, B[:3, 0]), (np.zeros((4, 3)), B[:4, 0])]


@pytest.mark.parametrize("a,b", CASES)
def test_lstsq_matches_numpy(a, b):
    x, resid, rank, s = tnp.linalg.lstsq(a, b)
    nx, nresid, nrank, ns = np.linalg.lstsq(a, b, rcond=None)
    np.testing.assert_allclose(x, nx, atol=1e-12)
    assert int(rank) == nrank
    np.testing.assert_allclose(s, ns, atol=1e-12)
    if nresid.size:  # NumPy returns residuals only for full-rank tall problems
        np.testing.assert_allclose(resid, nresid, rtol=1e-10)
    _, empty, _, _ = tnp.linalg.lstsq(a, b, numpy_resid=True)
    assert np.shape(empty) == np.shape(nresid)


@pytest.mark.parametrize("a,b", CASES)
def test_lstsq_matches_jax(a, b):
    _, jnp = jax_x64()
    assert_trees_close(tuple(tnp.linalg.lstsq(a, b)), tuple(jnp.linalg.lstsq(a, b)))


@pytest.mark.parametrize("p", [None, 2, -2, 1, -1, np.inf, -np.inf, "fro"])
def test_cond(p):
    m = RNG.standard_normal((3, 4, 4))
    np.testing.assert_allclose(tnp.linalg.cond(m, p), np.linalg.cond(m, p), rtol=1e-10)


def test_tensor_inverse_and_solve():
    t = RNG.standard_normal((6, 2, 3))
    np.testing.assert_allclose(
        tnp.linalg.tensorinv(t, ind=1), np.linalg.tensorinv(t, ind=1), rtol=1e-10
    )
    a, b = RNG.standard_normal((2, 3, 6)), RNG.standard_normal((2, 3))
    np.testing.assert_allclose(tnp.linalg.tensorsolve(a, b), np.linalg.tensorsolve(a, b))
    a2 = RNG.standard_normal((6, 2, 3))
    np.testing.assert_allclose(
        tnp.linalg.tensorsolve(a2, b, axes=(0,)), np.linalg.tensorsolve(a2, b, axes=(0,))
    )


def test_cross_and_vecdot_along_an_axis():
    x, y = RNG.standard_normal((3, 4)), RNG.standard_normal((3, 4))
    np.testing.assert_allclose(tnp.linalg.cross(x, y, axis=0), np.cross(x, y, axis=0))
    np.testing.assert_allclose(tnp.linalg.vecdot(x, y, axis=0), np.sum(x * y, axis=0))
    with pytest.raises(ValueError):
        tnp.linalg.cross(x, y)


def test_gradients_match_finite_differences():
    b = B[:, 0]
    tj.check_grads(lambda a: tnp.linalg.lstsq(a, b)[0], (A,), order=1, modes=("rev",))
    tj.check_grads(lambda m: tnp.linalg.cond(m), (RNG.standard_normal((4, 4)),), order=1)
    t = RNG.standard_normal((6, 2, 3))
    tj.check_grads(lambda t: tnp.linalg.tensorinv(t, ind=1), (t,), order=1, modes=("rev",))


def test_jit_and_vmap():
    b = B[:, 0]
    got = tj.jit(lambda a, b: tnp.linalg.lstsq(a, b)[0])(A, b)
    np.testing.assert_allclose(got, np.linalg.lstsq(A, b, rcond=None)[0], atol=1e-12)
    ms = RNG.standard_normal((3, 4, 4))
    np.testing.assert_allclose(
        tj.vmap(tnp.linalg.cond)(ms), [np.linalg.cond(m) for m in ms], rtol=1e-10
    )


def test_complex_results_are_refused_clearly():
    with pytest.raises(NotImplementedError, match="complex"):
        tnp.linalg.eig(np.eye(2))
    with pytest.raises(NotImplementedError, match="complex"):
        tnp.linalg.eigvals(np.eye(2))
