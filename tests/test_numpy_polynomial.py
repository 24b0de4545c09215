"""Polynomials (poly, polyadd, polysub, polymul, polydiv, polyder, polyint, polyval,
polyfit, vander) and i0 in tracejit.numpy (_polynomial.py).

Laws checked: NumPy's values (and dtypes where jax.numpy agrees with NumPy; JAX in x64 as
the oracle for the rest, when installed); gradients against central differences; vmap
against a Python loop; algebraic identities (polyder inverts polyint, polydiv inverts
polymul, polyval of poly(r) vanishes at r)."""

import numpy as np
import pytest

import tracejit as tj
import tracejit.numpy as tnp
from tests._jax_oracle import assert_trees_close, jax_x64
from tracejit.testing import check_grads

R = np.random.RandomState(0)
P = np.array([1.0, -3.0, 2.0])
Q = np.array([2.0, 1.0])
PI = np.array([1, 2, 3])
XS = np.linspace(-1, 1, 7)
YS = 2 * XS**2 - XS + 0.3 + 0.01 * np.sin(10 * XS)

NUMPY_CASES = [
    ("poly", lambda m: m.poly(np.array([1.0, 2.0, 3.0]))),
    ("poly_int", lambda m: m.poly(np.array([1, -2]))),
    ("polyadd", lambda m: m.polyadd(P, Q)),
    ("polyadd_int", lambda m: m.polyadd(PI, np.array([1, 1, 1, 1]))),
    ("polysub", lambda m: m.polysub(Q, P)),
    ("polymul", lambda m: m.polymul(P, Q)),
    ("polymul_constant", lambda m: m.polymul(np.array([3.0]), Q)),
    ("polyder", lambda m: m.polyder(np.array([1.0, 2.0, 3.0, 4.0]), 2)),
    ("polyder_0", lambda m: m.polyder(P, 0)),
    ("polyint", lambda m: m.polyint(np.array([1.0, 2.0, 3.0]), 2, [1.0, 2.0])),
    ("polyint_k", lambda m: m.polyint(PI, 1, 3)),
    ("polyval", lambda m: m.polyval(P, np.array([0.0, 1.0, 2.5]))),
    ("polyval_int", lambda m: m.polyval(PI, np.array([0, 1, 2]))),
    (
        "polyval_2d_coefficients",
        lambda m: m.polyval(np.arange(6.0).reshape(3, 2), np.array([[1.0], [2.0]])),
    ),
    ("polyfit", lambda m: m.polyfit(XS, YS, 2)),
    ("polyfit_weighted", lambda m: m.polyfit(XS, YS, 3, w=np.arange(1.0, 8.0))),
    ("polyfit_2d", lambda m: m.polyfit(XS, np.stack([YS, YS**2], 1), 2)),
    ("polyfit_cov", lambda m: m.polyfit(XS, YS, 2, cov=True)),
    ("polyfit_cov_unscaled", lambda m: m.polyfit(XS, np.stack([YS, YS**2], 1), 1, cov="unscaled")),
    ("vander", lambda m: m.vander(np.array([1.0, 2.0, 3.0]))),
    ("vander_int_increasing", lambda m: m.vander(np.array([1, 2, 3]), 4, True)),
    ("vander_empty", lambda m: m.vander(np.array([1.0, 2.0]), 0)),
    ("i0", lambda m: m.i0(np.array([-10.0, -1.0, 0.0, 0.5, 7.9, 8.0, 20.0, 700.0]))),
    ("i0_int", lambda m: m.i0(np.array([1, 2]))),
]


@pytest.mark.parametrize("case", NUMPY_CASES, ids=[c[0] for c in NUMPY_CASES])
def test_matches_numpy(case):
    _, f = case
    got, want = f(tnp), f(np)
    got, want = (got, want) if isinstance(want, tuple) else ((got,), (want,))
    assert len(got) == len(want)
    for g, w in zip(got, want):
        g = np.asarray(g)
        assert g.shape == w.shape and g.dtype == w.dtype, (g, w)
        np.testing.assert_allclose(g, w, rtol=1e-10, atol=1e-12)


JAX_CASES = [
    # NumPy differs here: JAX (and tracejit) compute in floating point, keep the remainder's
    # length, and take a scalar as one root
    ("poly_scalar", lambda m: m.poly(2.0)),
    ("poly_empty", lambda m: m.poly(np.zeros(0))),
    ("polymul_int", lambda m: m.polymul(PI, PI)),
    ("polydiv", lambda m: m.polydiv(np.array([1.0, 0.0, -1.0, 5.0]), Q)),
    ("polydiv_int", lambda m: m.polydiv(PI, np.array([1, 2]))),
    ("polyder_int", lambda m: m.polyder(PI)),
    ("poly_float32", lambda m: m.poly(np.array([0.5, -1.0], np.float32))),
    (
        "polymul_trim",
        lambda m: m.polymul(np.array([0.0, 0.0, 1.0, 2.0]), Q, trim_leading_zeros=True),
    ),
    (
        "polydiv_trim",
        lambda m: m.polydiv(
            np.array([1.0, 0.0, -1.0]), np.array([1.0, 1.0]), trim_leading_zeros=True
        ),
    ),
    ("polydiv_short", lambda m: m.polydiv(Q, P)),
    ("polyder_past_degree", lambda m: m.polyder(PI, 5)),
    ("polyint_0", lambda m: m.polyint(PI, 0)),
    ("polyval_weak_scalar", lambda m: m.polyval(P.astype(np.float32), 2.5)),
    ("polyval_empty", lambda m: m.polyval(np.zeros(0), np.array([1.0, 2.0]))),
    ("polyfit_full", lambda m: m.polyfit(XS, YS, 2, full=True)),
    (
        "polyfit_rank_deficient",
        lambda m: m.polyfit(np.array([1.0, 1.0, 2.0]), np.array([1.0, 2.0, 3.0]), 2, full=True),
    ),
    ("polyfit_rcond", lambda m: m.polyfit(XS, YS, 3, rcond=1e-2)),
    ("polyfit_int", lambda m: m.polyfit(np.arange(5.0), np.arange(5) ** 2, 2)),
    ("i0_float32", lambda m: m.i0(np.array([0.5, 9.0], np.float32))),
]


@pytest.mark.parametrize("case", JAX_CASES, ids=[c[0] for c in JAX_CASES])
def test_matches_jax(case):
    _, jnp = jax_x64()
    _, f = case
    got, want = f(tnp), f(jnp)
    f32 = any(
        np.asarray(w).dtype == np.float32 for w in (want if isinstance(want, tuple) else (want,))
    )
    tol = 1e-6 if f32 else 1e-10
    assert_trees_close(got, want, rtol=tol, atol=tol)


def test_roots_and_matrix_poly_explain_the_missing_complex_dtype():
    with pytest.raises(NotImplementedError, match="complex"):
        tnp.roots(P)
    with pytest.raises(NotImplementedError, match="complex"):
        tnp.poly(np.eye(2))


def test_identities():
    r = R.randn(4)
    np.testing.assert_allclose(tnp.polyval(tnp.poly(r), r), 0.0, atol=1e-12)
    p = R.randn(5)
    np.testing.assert_allclose(tnp.polyder(tnp.polyint(p, 2), 2), p, rtol=1e-12)
    q, rem = tnp.polydiv(tnp.polymul(p, Q), Q)
    np.testing.assert_allclose(q, p, rtol=1e-12)
    np.testing.assert_allclose(rem, 0.0, atol=1e-12)
    c = tnp.polyfit(XS, tnp.polyval(p[:3], XS), 2)  # an exact fit recovers the coefficients
    np.testing.assert_allclose(c, p[:3], rtol=1e-10)


GRAD_CASES = [
    ("poly", tnp.poly, (np.array([1.0, 2.0, -0.5]),), 2),
    ("polyadd", tnp.polyadd, (P, Q), 1),
    ("polysub", tnp.polysub, (Q, P), 1),
    ("polymul", tnp.polymul, (P, Q), 2),
    ("polydiv", tnp.polydiv, (np.array([1.0, 0.0, -1.0, 5.0]), Q), 2),
    ("polyder", lambda p: tnp.polyder(p, 2), (np.array([1.0, 2.0, 3.0, 4.0]),), 1),
    ("polyint", lambda p, k: tnp.polyint(p, 2, k), (P, np.array([1.0, 2.0])), 1),
    ("polyval", tnp.polyval, (P, np.array([0.0, 1.0, 2.5])), 2),
    ("polyfit", lambda x, y: tnp.polyfit(x, y, 2), (XS, YS), 1),
    ("polyfit_weighted", lambda y, w: tnp.polyfit(XS, y, 2, w=w), (YS, np.arange(1.0, 8.0)), 1),
    ("vander", lambda x: tnp.vander(x, 4), (np.array([0.0, 1.0, -2.0]),), 2),
    ("i0", tnp.i0, (np.array([-9.0, -1.0, 0.3, 5.0, 7.99, 8.01, 30.0]),), 2),
]


@pytest.mark.parametrize("case", GRAD_CASES, ids=[c[0] for c in GRAD_CASES])
def test_grads(case):
    _, f, args, order = case
    check_grads(f, args, order=order)


def test_derivatives_at_special_points():
    # vander's columns are integer powers: d/dx x**k at x = 0 is finite
    np.testing.assert_allclose(
        tj.jacfwd(lambda x: tnp.vander(x, 3))(np.array([0.0]))[0, :, 0], [0.0, 1.0, 0.0]
    )
    np.testing.assert_allclose(tj.grad(tnp.i0)(0.0), 0.0)  # i0'(0) = i1(0) = 0
    np.testing.assert_allclose(tj.grad(tnp.i0)(2.0), 1.590636854637329, rtol=1e-12)  # i1(2)


def test_vmap_matches_loop():
    ps = R.randn(3, 4)
    xs = R.randn(3, 5)
    np.testing.assert_allclose(
        tj.vmap(tnp.polyval)(ps, xs), [np.polyval(p, x) for p, x in zip(ps, xs)]
    )
    np.testing.assert_allclose(
        tj.vmap(tnp.polymul)(ps, ps[::-1]), [np.polymul(p, q) for p, q in zip(ps, ps[::-1])]
    )
    ys = np.stack([YS, YS**2, np.cos(XS)])
    np.testing.assert_allclose(
        tj.vmap(lambda y: tnp.polyfit(XS, y, 2))(ys),
        [np.polyfit(XS, y, 2) for y in ys],
        rtol=1e-9,
        atol=1e-12,
    )
    np.testing.assert_allclose(tj.vmap(tnp.poly)(ps), [np.poly(p) for p in ps], rtol=1e-12)
