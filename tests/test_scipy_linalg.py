"""tracejit.scipy.linalg against scipy.linalg (always) and JAX with float64 (values,
dtypes and gradients; skipped without JAX); batching, jit and gradients of the solvers."""

import numpy as np
import pytest
import scipy.linalg as osp

import tracejit as tj
import tracejit.scipy.linalg as tl
from tests._jax_oracle import assert_trees_close, jax_x64
from tracejit.testing import check_grads

N = 4
_R = np.random.default_rng(0)
A = _R.normal(size=(N, N))
SPD = A @ A.T + N * np.eye(N)
TRI = A + 3 * np.eye(N)
B = _R.normal(size=(N, 2))
V = _R.normal(size=N)
RECT = _R.normal(size=(5, 3))


def _close(got, want, rtol=1e-9, up_to_sign=False):
    got = got if isinstance(got, tuple) else (got,)
    want = want if isinstance(want, tuple) else (want,)
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g, w = np.asarray(g), np.asarray(w)
        assert g.shape == w.shape and g.dtype == w.dtype, (g.shape, w.shape, g.dtype, w.dtype)
        if up_to_sign:
            g, w = np.abs(g), np.abs(w)
        np.testing.assert_allclose(g, w, rtol=rtol, atol=rtol)


# name -> (call on a linalg module, compare up to the signs of singular/eigen vectors)
CALLS = {
    "cholesky": (lambda L: L.cholesky(SPD), False),
    "cholesky_lower": (lambda L: L.cholesky(SPD, lower=True), False),
    "cho_solve": (lambda L: L.cho_solve(L.cho_factor(SPD), B), False),
    "cho_solve_lower_vec": (lambda L: L.cho_solve(L.cho_factor(SPD, lower=True), V), False),
    "solve_triangular": (lambda L: L.solve_triangular(TRI, B), False),
    "solve_triangular_lower_T": (
        lambda L: L.solve_triangular(TRI, V, trans="T", lower=True),
        False,
    ),
    "solve_triangular_unit": (
        lambda L: L.solve_triangular(TRI, B, trans=1, unit_diagonal=True),
        False,
    ),
    "lu": (lambda L: L.lu(A), False),
    "lu_permute_l": (lambda L: L.lu(A, permute_l=True), False),
    "lu_factor": (lambda L: L.lu_factor(A), False),
    "lu_solve": (lambda L: L.lu_solve(L.lu_factor(A), B), False),
    "lu_solve_trans_vec": (lambda L: L.lu_solve(L.lu_factor(A), V, trans=1), False),
    "qr": (lambda L: L.qr(RECT), True),
    "qr_economic": (lambda L: L.qr(RECT, mode="economic"), True),
    "qr_r": (lambda L: L.qr(RECT, mode="r"), True),
    "svd": (lambda L: L.svd(RECT), True),
    "svd_reduced": (lambda L: L.svd(RECT, full_matrices=False), True),
    "svd_values": (lambda L: L.svd(RECT, compute_uv=False), False),
    "eigh": (lambda L: L.eigh(SPD), True),
    "eigh_values": (lambda L: L.eigh(SPD, eigvals_only=True), False),
    "inv": (lambda L: L.inv(A), False),
    "det": (lambda L: L.det(A), False),
    "solve": (lambda L: L.solve(A, B), False),
    "solve_pos": (lambda L: L.solve(SPD, V, assume_a="pos"), False),
    "solve_pos_lower": (lambda L: L.solve(np.tril(SPD), B, assume_a="pos", lower=True), False),
    "block_diag": (lambda L: L.block_diag(np.ones((1, 2)), 3.0, np.arange(2.0), A), False),
    "toeplitz": (lambda L: L.toeplitz(V, V[::-1] + 1), False),
    "toeplitz_symmetric": (lambda L: L.toeplitz(V), False),
    "expm_small": (lambda L: L.expm(0.01 * A), False),
    "expm": (lambda L: L.expm(A), False),
    "expm_large": (lambda L: L.expm(20 * A / np.abs(A).sum(0).max()), False),
}


@pytest.mark.parametrize("name", sorted(CALLS))
def test_matches_scipy(name):
    call, up_to_sign = CALLS[name]
    want = call(osp)
    if name == "lu_factor":  # SciPy's pivots are int32 or int64 by platform; JAX's int32
        want = (want[0], want[1].astype(np.int32))
    _close(call(tl), want, rtol=1e-8 if name.startswith("expm") else 1e-9, up_to_sign=up_to_sign)


@pytest.mark.parametrize("name", sorted(set(CALLS) - {"expm_small", "expm_large"}))
def test_matches_jax(name):
    jax, _ = jax_x64()
    import jax.scipy.linalg as jl

    call, up_to_sign = CALLS[name]
    want = jax.jit(lambda: call(jl))()  # compiled: faster than op by op
    want = tuple(np.asarray(w) for w in want) if isinstance(want, tuple) else want
    _close(call(tl), want, rtol=1e-8 if name.startswith("expm") else 1e-9, up_to_sign=up_to_sign)


def _grad_cases():
    eye = np.eye(N)
    return {
        "cho_solve": lambda L: lambda x: L.cho_solve(L.cho_factor(x @ x.T + eye), B).sum(),
        "solve_triangular": lambda L: (
            lambda x: L.solve_triangular(x + 3 * eye, B, lower=True).sum()
        ),
        "lu_solve": lambda L: lambda x: L.lu_solve(L.lu_factor(x), B).sum(),
        "expm": lambda L: lambda x: (L.expm(x) ** 2).sum(),
        "det_inv": lambda L: lambda x: L.det(x) + L.inv(x).sum(),
        "solve_pos": lambda L: lambda x: L.solve(x @ x.T + eye, V, assume_a="pos").sum(),
    }


@pytest.mark.parametrize("name", sorted(_grad_cases()))
def test_gradients_match_jax(name):
    jax, _ = jax_x64()
    import jax.scipy.linalg as jl

    make = _grad_cases()[name]
    want = jax.jit(jax.grad(make(jl)))(A)
    assert_trees_close(tj.grad(make(tl))(A), want, rtol=1e-7, atol=1e-10)


def test_gradients_by_finite_differences():
    check_grads(lambda x: tl.expm(x), (0.3 * A,), order=1)
    check_grads(lambda x: tl.lu_solve(tl.lu_factor(x), B), (A,), order=1)
    check_grads(lambda x: tl.cho_solve(tl.cho_factor(x @ x.T + np.eye(N)), V), (A,), order=1)


def test_expm_frechet_is_the_jvp():
    expm_a, frechet = tl.expm_frechet(0.5 * A, A.T)
    want_expm, want_frechet = osp.expm_frechet(0.5 * A, A.T)
    np.testing.assert_allclose(expm_a, want_expm, rtol=1e-9)
    np.testing.assert_allclose(frechet, want_frechet, rtol=1e-8)
    np.testing.assert_allclose(
        tl.expm_frechet(0.5 * A, A.T, compute_expm=False), want_frechet, rtol=1e-8
    )


def test_batches_vmap_and_jit():
    stack = np.stack([A, A + np.eye(N)])
    np.testing.assert_allclose(tl.expm(stack)[1], osp.expm(A + np.eye(N)), rtol=1e-9)
    lu_b = tl.lu_factor(stack)
    np.testing.assert_allclose(tl.lu_solve(lu_b, B)[1], np.linalg.solve(stack[1], B), rtol=1e-9)
    per = tj.vmap(lambda x: tl.lu_solve(tl.lu_factor(x), B))(stack)
    np.testing.assert_allclose(per, np.linalg.solve(stack, B), rtol=1e-9)
    f = tj.jit(lambda x, b: tl.cho_solve(tl.cho_factor(x), b) + tl.expm(0.1 * x) @ b)
    np.testing.assert_allclose(
        f(SPD, B), osp.cho_solve(osp.cho_factor(SPD), B) + osp.expm(0.1 * SPD) @ B, rtol=1e-8
    )


def test_expm_nan_past_max_squarings_and_errors():
    assert np.isnan(tl.expm(1e6 * np.eye(2), max_squarings=4)).all()
    with pytest.raises(ValueError):
        tl.expm(np.ones((2, 3)))
    with pytest.raises(NotImplementedError):
        tl.qr(A, pivoting=True)
    with pytest.raises(ValueError):
        tl.solve(A, B, assume_a="banded")


# ---------------------------------------------------------------------------
# tracejit.scipy.optimize.minimize (BFGS)


def _rosen(x):
    import tracejit.numpy as tnp

    return tnp.sum(100.0 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2)


def test_minimize_bfgs_finds_scipys_minimum():
    from scipy.optimize import minimize as osp_minimize

    from tracejit.scipy.optimize import minimize

    x0 = np.array([-1.2, 1.0, 0.5, 0.0])
    res = minimize(_rosen, x0, method="BFGS")
    assert bool(res.success) and int(res.status) == 0 and int(res.nit) > 0
    np.testing.assert_allclose(res.x, np.ones(4), atol=1e-4)
    assert np.max(np.abs(res.jac)) < 1e-5 and float(res.fun) < 1e-9
    want = osp_minimize(lambda x: float(_rosen(x)), x0, method="BFGS").x
    np.testing.assert_allclose(res.x, want, atol=1e-4)
    # args, tol, options; a budget too small to converge reports status 1
    quad = minimize(lambda x, a: ((x - a) ** 2).sum(), np.zeros(3), args=(V[:3],), method="BFGS")
    np.testing.assert_allclose(quad.x, V[:3], atol=1e-6)
    short = minimize(_rosen, x0, method="BFGS", options=dict(maxiter=2))
    assert int(short.status) == 1 and not bool(short.success) and int(short.nit) == 2


def test_minimize_under_vmap_and_against_jax():
    # (under jit it compiles too, but Numba takes ~15 s on the nested loops: not here)
    from tracejit.scipy.optimize import minimize

    x0s = np.array([[-1.2, 1.0, 0.5], [0.5, 0.5, 2.0]])
    batched = tj.vmap(lambda x0: minimize(_rosen, x0, method="BFGS").x)(x0s)
    np.testing.assert_allclose(batched, np.ones((2, 3)), atol=1e-4)
    try:
        jax, jnp = jax_x64()
    except pytest.skip.Exception:
        return
    from jax.scipy.optimize import minimize as jax_minimize

    # (on this Rosenbrock start JAX's zoom line search stops early; a convex problem)
    scales = np.array([1.0, 4.0, 9.0])
    got = minimize(lambda x: (scales * (x - 1.0) ** 4 + x**2).sum(), x0s[1], method="BFGS")
    run = jax.jit(
        lambda x0: jax_minimize(lambda x: (scales * (x - 1.0) ** 4 + x**2).sum(), x0, method="BFGS")
    )
    want = run(x0s[1])
    assert bool(want.success) and bool(got.success)
    np.testing.assert_allclose(got.x, want.x, atol=1e-5)
    with pytest.raises(ValueError):
        minimize(_rosen, x0s[0], method="Nelder-Mead")
