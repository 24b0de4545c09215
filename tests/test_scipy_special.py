"""tracejit.scipy.special against scipy.special (always) and JAX with float64 (values,
dtypes, gradients; skipped without JAX); dtype promotion, batching and compilation."""

import numpy as np
import pytest
import scipy.special as osp

import tracejit as tj
import tracejit.scipy.special as ts
from tests._jax_oracle import assert_trees_close, jax_x64
from tracejit.testing import check_grads

R = np.random.default_rng(0)


def U(lo, hi, n=6):
    return R.uniform(lo, hi, n)


POS, POS2, UNIT, ANY = U(0.2, 4), U(0.2, 4), U(0.05, 0.95), U(-4, 4)
TAILS = np.array([-45.0, -25.0, -19.0, -3.0, 0.3, 7.0, 9.0, 30.0])

# name -> (arguments, indices to differentiate)
CASES = {
    "gammaln": ((POS,), (0,)),
    "gammaln_negative": ((U(-2.9, -2.1),), (0,)),
    "loggamma": ((ANY,), (0,)),
    "gammasgn": ((ANY,), ()),
    "gamma": ((ANY,), (0,)),
    "factorial": ((ANY,), (0,)),
    "poch": ((POS, POS2), (0, 1)),
    "digamma": ((ANY,), (0,)),
    "betaln": ((POS, POS2), (0, 1)),
    "beta": ((POS, POS2), (0, 1)),
    "betainc": ((POS, POS2, UNIT), (2,)),
    "gammainc": ((POS, POS2), (0, 1)),
    "gammaincc": ((POS, POS2), (0, 1)),
    "zeta": ((POS + 1.1, POS2), (0, 1)),
    "erf": ((ANY,), (0,)),
    "erfc": ((ANY,), (0,)),
    "erfinv": ((2 * UNIT - 1,), (0,)),
    "ndtr": ((3 * ANY,), (0,)),
    "ndtri": ((UNIT,), (0,)),
    "log_ndtr": ((TAILS,), (0,)),
    "expit": ((ANY,), (0,)),
    "logit": ((UNIT,), (0,)),
    "xlogy": ((np.array([0.0, 1.0, 2.0, 0.0, 3.0]), np.array([1.0, 3.0, 0.5, 2.0, 0.0])), (0, 1)),
    "xlog1py": ((np.array([0.0, 1.0, 2.0, 0.0]), np.array([-1.0, 3.0, 0.5, 2.0])), (0, 1)),
    "entr": ((np.array([-1.0, 0.0, 0.5, 2.0]),), ()),
    "rel_entr": ((np.array([0.0, 1.0, 2.0, 0.0, -1.0]), np.array([0.0, 3.0, 0.5, 2.0, 1.0])), ()),
    "kl_div": ((POS, POS2), (0, 1)),
    "i0": ((3 * ANY,), (0,)),
    "i0e": ((3 * ANY,), (0,)),
    "i1": ((3 * ANY,), (0,)),
    "i1e": ((3 * ANY,), (0,)),
    "comb": ((np.array([5.0, 7.0, 3.0, 2.0]), np.array([2.0, 7.0, 0.0, 3.0])), ()),
    "boxcox": ((POS, np.array([0.0, 0.5, -1.0, 2.0, 0.0, 1.5])), (0, 1)),
    "boxcox1p": ((POS, np.array([0.0, 0.5, -1.0, 2.0, 0.0, 1.5])), (0, 1)),
    "logsumexp": ((R.normal(size=(3, 4)),), (0,)),
    "softmax": ((R.normal(size=(3, 4)),), (0,)),
    "log_softmax": ((R.normal(size=(3, 4)),), (0,)),
}


def _name(case):
    return case.removesuffix("_negative")


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_match_scipy(case):
    args, _ = CASES[case]
    name = _name(case)
    with np.errstate(all="ignore"):
        want = getattr(osp, name)(*args)
        if name == "softmax" or name == "log_softmax":
            want = getattr(osp, name)(*args, axis=None)
    np.testing.assert_allclose(getattr(ts, name)(*args), want, rtol=1e-9, atol=1e-13)


@pytest.mark.parametrize("case", sorted(CASES))
def test_values_and_gradients_match_jax(case):
    jax, _ = jax_x64()
    import jax.scipy.special as js

    args, diff = CASES[case]
    name = _name(case)
    rtol = 1e-6 if name == "beta" or name == "betaln" else 1e-9  # JAX's betaln: ~1e-7
    jfn = jax.jit(getattr(js, name))
    assert_trees_close(getattr(ts, name)(*args), jfn(*args), rtol=rtol, atol=1e-12)
    if not diff:
        return

    def total(fn):
        def f(*d):
            full = list(args)
            for i, v in zip(diff, d):
                full[i] = v
            return fn(*full).sum()

        return f

    dargs = [args[i] for i in diff]
    argnums = tuple(range(len(diff)))
    got = tj.grad(total(getattr(ts, name)), argnums=argnums)(*dargs)
    want = jax.jit(jax.grad(total(jfn), argnums=argnums))(*dargs)
    assert_trees_close(got, want, rtol=max(rtol, 1e-7), atol=1e-10)


def test_polygamma_multigammaln_logsumexp_options():
    x = POS
    for n in (0, 1, 3):
        np.testing.assert_allclose(ts.polygamma(n, x), osp.polygamma(n, x), rtol=1e-10)
    np.testing.assert_allclose(
        ts.polygamma(np.array([0, 1, 2]), 1.5), osp.polygamma([0, 1, 2], 1.5)
    )
    with pytest.raises(ValueError, match="integer"):
        ts.polygamma(1.0, x)
    np.testing.assert_allclose(ts.multigammaln(POS + 2, 3), osp.multigammaln(POS + 2, 3))
    a, b = R.normal(size=(3, 4)), R.normal(size=(3, 4))
    got = ts.logsumexp(a, axis=1, b=b, keepdims=True, return_sign=True)
    want = osp.logsumexp(a, axis=1, b=b, keepdims=True, return_sign=True)
    np.testing.assert_allclose(got[0], want[0], rtol=1e-12)
    np.testing.assert_allclose(got[1], want[1])
    np.testing.assert_allclose(ts.softmax(a, axis=0), osp.softmax(a, axis=0), rtol=1e-12)
    np.testing.assert_allclose(ts.log_ndtr(TAILS, series_order=5), osp.log_ndtr(TAILS), rtol=1e-10)
    with pytest.raises(NotImplementedError):
        ts.zeta(3.0)
    np.testing.assert_allclose(ts.bernoulli(10), osp.bernoulli(10))
    np.testing.assert_allclose(ts.comb(6, 2, repetition=True), osp.comb(6, 2, repetition=True))


def test_dtypes_follow_jax():
    f32 = np.float32([0.5, 1.5])
    for fn in (ts.gammaln, ts.digamma, ts.erfc, ts.ndtr, ts.log_ndtr, ts.i0e, ts.expit):
        assert fn(f32).dtype == np.float32
    assert ts.gammainc(f32, 2.0).dtype == np.float32  # Python scalars are weak
    assert ts.gammaln(3).dtype == np.float64
    assert ts.gammaln(np.int32(3)).dtype == np.float32  # JAX: 32-bit integers -> float32
    assert ts.gammaln(np.int64(3)).dtype == np.float64
    assert ts.xlogy(np.int64(2), np.float32(3)).dtype == np.float32
    np.testing.assert_allclose(ts.gammaln(f32), osp.gammaln(f32), rtol=1e-6)


def test_higher_order_and_parameter_gradients():
    # second derivatives through the primitives' JVP rules (digamma -> polygamma -> zeta)
    check_grads(ts.gammaln, (POS,), order=2)
    check_grads(ts.digamma, (POS,), order=2)
    check_grads(lambda a, x: ts.gammainc(a, x), (POS, POS2), order=1)
    check_grads(lambda x: ts.gammaincc(1.5, x), (POS,), order=2)
    check_grads(lambda s, q: ts.zeta(s, q), (POS + 1.5, POS2), order=1, rtol=1e-4)
    check_grads(lambda x: ts.i1e(x) + ts.i0(x), (3 * ANY,), order=2)
    check_grads(lambda p: ts.ndtri(p), (UNIT,), order=2)
    check_grads(lambda x: ts.log_ndtr(x), (TAILS,), order=2)
    # gradient of xlogy in x at x = 0 is log(y), as JAX
    gx = tj.grad(lambda x: ts.xlogy(x, 2.0))(0.0)
    np.testing.assert_allclose(gx, np.log(2.0))
    with pytest.raises(Exception, match="not differentiable"):
        tj.grad(lambda a: ts.betainc(a, 2.0, 0.5))(1.0)


def test_vmap_and_jit():
    def f(a, x):
        return ts.gammainc(a, x) + ts.digamma(x) * ts.i1e(x) + ts.log_ndtr(-x) + ts.zeta(a + 1, x)

    xs = np.stack([POS, POS2])
    got = tj.vmap(f, in_axes=(None, 0))(1.5, xs)
    want = np.stack([f(1.5, row) for row in xs])
    np.testing.assert_allclose(got, want, rtol=1e-12)
    g = tj.jit(tj.grad(lambda a, x: f(a, x).sum(), argnums=(0, 1)))
    assert_trees_close(g(1.5, POS), tj.grad(lambda a, x: f(a, x).sum(), argnums=(0, 1))(1.5, POS))
