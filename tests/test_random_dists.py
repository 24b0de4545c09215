"""The samplers of tracejit/_random_dists.py and tracejit/_random_rejection.py: the right
distributions (Kolmogorov-Smirnov and chi-squared tests against scipy.stats), JAX's
shapes and dtypes, the same numbers as jax.random (x64) up to a few ulp, and the
transforms: vmap over keys, grad of gamma in its shape, the generated (jit) source.

Keys are fixed, so each statistical check either always passes or always fails; the
p-value floor 1e-4 keeps a correct sampler from failing on one unlucky key.
"""

import numpy as np
import pytest
from scipy import stats

import tracejit as tj
from tests._jax_oracle import jax_x64
from tracejit import random as tr
from tracejit.lowering import lower_ir, python_function
from tracejit.transforms.simplify import simplify_ir

KEY = tr.key(1701)
N = 4000
P_FLOOR = 1e-4


def _ks(samples, cdf, what):
    p = stats.kstest(np.asarray(samples, np.float64).ravel(), cdf).pvalue
    assert p > P_FLOOR, f"{what}: KS p-value {p:.2g}"


def _chi2(samples, pmf, what):
    values, counts = np.unique(np.asarray(samples), return_counts=True)
    expected = pmf(values) * samples.size
    ok = (counts > 5) & (expected > 5)
    assert ok.sum() > 1, f"{what}: too few populated values for a chi-squared test"
    # rescale the expectations of the populated values to the same total
    expected = expected[ok] * counts[ok].sum() / expected[ok].sum()
    p = stats.chisquare(counts[ok], expected).pvalue
    assert p > P_FLOOR, f"{what}: chi-squared p-value {p:.2g}"


# ---------------------------------------------------------------------------
# distributions, always (no JAX needed)

CONTINUOUS = [
    ("cauchy", lambda k: tr.cauchy(k, (N,)), stats.cauchy().cdf),
    ("laplace", lambda k: tr.laplace(k, (N,)), stats.laplace().cdf),
    ("logistic", lambda k: tr.logistic(k, (N,)), stats.logistic().cdf),
    ("pareto", lambda k: tr.pareto(k, 3.0, (N,)), stats.pareto(3.0).cdf),
    ("rayleigh", lambda k: tr.rayleigh(k, 2.0, (N,)), stats.rayleigh(scale=2.0).cdf),
    (
        "weibull_min",
        lambda k: tr.weibull_min(k, 2.0, 1.5, (N,)),
        stats.weibull_min(1.5, scale=2.0).cdf,
    ),
    (
        "triangular",
        lambda k: tr.triangular(k, -1.0, 0.5, 2.0, (N,)),
        stats.triang(0.5, -1.0, 3.0).cdf,
    ),
    ("lognormal", lambda k: tr.lognormal(k, 0.7, (N,)), stats.lognorm(0.7).cdf),
    ("maxwell", lambda k: tr.maxwell(k, (N,)), stats.maxwell().cdf),
    ("wald", lambda k: tr.wald(k, 1.5, (N,)), stats.invgauss(1.5).cdf),
    ("gamma 0.1", lambda k: tr.gamma(k, 0.1, (N,)), stats.gamma(0.1).cdf),
    ("gamma 1", lambda k: tr.gamma(k, 1.0, (N,)), stats.gamma(1.0).cdf),
    ("gamma 12", lambda k: tr.gamma(k, 12.0, (N,)), stats.gamma(12.0).cdf),
    ("gamma float32", lambda k: tr.gamma(k, 2.5, (N,), np.float32), stats.gamma(2.5).cdf),
    ("loggamma", lambda k: np.exp(tr.loggamma(k, 0.3, (N,))), stats.gamma(0.3).cdf),
    ("beta", lambda k: tr.beta(k, 0.5, 3.0, (N,)), stats.beta(0.5, 3.0).cdf),
    ("chisquare", lambda k: tr.chisquare(k, 3.0, (N,)), stats.chi2(3.0).cdf),
    ("f", lambda k: tr.f(k, 4.0, 7.0, (N,)), stats.f(4.0, 7.0).cdf),
    ("t", lambda k: tr.t(k, 2.5, (N,)), stats.t(2.5).cdf),
    ("generalized_normal", lambda k: tr.generalized_normal(k, 1.5, (N,)), stats.gennorm(1.5).cdf),
]


@pytest.mark.parametrize("name, draw, cdf", CONTINUOUS, ids=[c[0] for c in CONTINUOUS])
def test_continuous_samplers_follow_scipy(name, draw, cdf):
    _ks(draw(KEY), cdf, name)


def test_double_sided_maxwell_and_rademacher():
    x = tr.double_sided_maxwell(KEY, 1.0, 2.0, (N,))
    assert x.shape == (N,)
    _ks(np.abs(x - 1.0) / 2.0, stats.maxwell().cdf, "|double_sided_maxwell|")
    assert abs(np.mean(x > 1.0) - 0.5) < 5 * np.sqrt(0.25 / N)
    r = tr.rademacher(KEY, (N,))
    assert r.dtype == np.int64 and set(np.unique(r)) == {-1, 1}
    assert abs(r.mean()) < 5 / np.sqrt(N)


def test_discrete_samplers_follow_scipy():
    _chi2(tr.geometric(KEY, 0.3, (N,)), stats.geom(0.3).pmf, "geometric")
    for lam in (0.5, 4.0, 25.0, 300.0):  # Knuth below 10, rejection above
        x = tr.poisson(KEY, lam, (N,))
        assert x.dtype == np.int64
        _chi2(x, stats.poisson(lam).pmf, f"poisson {lam}")
    for n, p in ((10.0, 0.3), (200.0, 0.4), (50.0, 0.9)):  # inversion, BTRS, p > 1/2
        x = tr.binomial(KEY, n, p, (N,))
        assert x.dtype == np.float64 and 0 <= x.min() and x.max() <= n
        _chi2(x, stats.binom(int(n), p).pmf, f"binomial {n} {p}")
    batched = tr.poisson(KEY, np.array([2.0, 20.0]), (N, 2))  # one rate per column
    _chi2(batched[:, 1], stats.poisson(20.0).pmf, "poisson column")


def test_multinomial_and_dirichlet():
    p = np.array([0.2, 0.3, 0.5])
    c = tr.multinomial(KEY, 20.0, p, shape=(N, 3))
    assert c.shape == (N, 3) and c.dtype == np.float64
    np.testing.assert_array_equal(c.sum(-1), 20.0)
    _chi2(c[:, 0], stats.binom(20, 0.2).pmf, "multinomial marginal")
    alpha = np.array([0.2, 1.0, 5.0])
    d = tr.dirichlet(KEY, alpha, (N,))
    np.testing.assert_allclose(d.sum(-1), 1.0, rtol=1e-12)
    for i, a in enumerate(alpha):
        _ks(d[:, i], stats.beta(a, alpha.sum() - a).cdf, f"dirichlet marginal {i}")


def test_multivariate_normal_whitens():
    mean = np.array([1.0, -2.0, 0.5])
    f = np.array([[1.0, 0.0, 0.0], [0.5, 2.0, 0.0], [-0.3, 0.2, 0.7]])
    cov = f @ f.T
    inv_chol = np.linalg.inv(np.linalg.cholesky(cov))
    for method in ("cholesky", "eigh", "svd"):
        x = tr.multivariate_normal(KEY, mean, cov, (N,), method=method)
        assert x.shape == (N, 3)
        _ks(((x - mean) @ inv_chol.T).ravel(), stats.norm().cdf, f"whitened {method}")
    with pytest.raises(ValueError, match="method"):
        tr.multivariate_normal(KEY, mean, cov, method="qr")


def test_orthogonal_and_ball():
    q = tr.orthogonal(KEY, 4, (3,))
    assert q.shape == (3, 4, 4)
    np.testing.assert_allclose(
        q @ np.swapaxes(q, -1, -2), np.broadcast_to(np.eye(4), q.shape), atol=1e-12
    )
    wide = tr.orthogonal(KEY, 2, m=5)
    assert wide.shape == (2, 5)
    np.testing.assert_allclose(wide @ wide.T, np.eye(2), atol=1e-12)
    b = tr.ball(KEY, 3, shape=(N,))
    assert b.shape == (N, 3)
    r = np.linalg.norm(b, axis=-1)
    assert r.max() <= 1.0
    _ks(r, stats.powerlaw(3).cdf, "radius in the unit 3-ball")  # P(r <= s) = s**3


# ---------------------------------------------------------------------------
# shapes, dtypes, errors (JAX's conventions)


def test_shapes_and_dtypes():
    a = np.array([0.2, 0.3])
    assert tr.gamma(KEY, a, shape=(3, 2)).shape == (3, 2)
    assert tr.gamma(KEY, a).shape == (2,)
    assert tr.poisson(KEY, a, shape=(3, 2)).shape == (3, 2)
    assert tr.pareto(KEY, a, shape=(3, 2)).shape == (3, 2)
    assert tr.beta(KEY, a, 2.0).shape == (2,)
    assert tr.t(KEY, 3.0).shape == ()
    assert tr.binomial(KEY, np.array([5.0, 10.0]), 0.5).shape == (2,)
    assert tr.dirichlet(KEY, np.ones(4)).shape == (4,)
    assert tr.dirichlet(KEY, np.ones(4), (5,)).shape == (5, 4)
    mvn = tr.multivariate_normal(KEY, np.zeros((2, 3)), np.eye(3), (4, 2))
    assert mvn.shape == (4, 2, 3)
    # JAX's shape rule: shape (or, if empty, the parameters' shape) + the parameters' shape
    assert tr.double_sided_maxwell(KEY, np.zeros(2), 1.0).shape == (2, 2)
    assert tr.double_sided_maxwell(KEY, np.zeros(2), 1.0, (3,)).shape == (3, 2)
    for name in ("cauchy", "laplace", "logistic", "maxwell"):
        x = getattr(tr, name)(KEY, (3,), np.float32)
        assert x.dtype == np.float32 and x.shape == (3,), name
    assert tr.beta(KEY, 2.0, 2.0, (3,), np.float32).dtype == np.float32
    assert tr.poisson(KEY, 3.0, (2,), np.int32).dtype == np.int32
    assert tr.geometric(KEY, 0.5, (2,), np.int32).dtype == np.int32
    assert tr.rademacher(KEY, (2,), np.float32).dtype == np.float32
    with pytest.raises(ValueError, match="dtype argument to `cauchy`"):
        tr.cauchy(KEY, (2,), np.int32)
    with pytest.raises(ValueError, match="broadcast"):
        tr.gamma(KEY, np.ones(3), shape=(2,))
    with pytest.raises(TypeError, match="expected a key"):
        tr.gamma(tr.split(KEY, 2), 1.0)


def test_binomial_edge_cases():
    x = tr.binomial(
        KEY, np.array([-1.0, 5.0, 5.0, np.inf, 0.0]), np.array([0.5, -0.1, 1.0, 0.5, 0.5])
    )
    assert np.isnan(x[0]) and np.isnan(x[1]) and x[2] == 5.0 and x[3] == np.inf and x[4] == 0.0
    assert np.all(tr.poisson(KEY, 0.0, (5,)) == 0)


def test_jax_options_and_errors():
    assert tr.key(5, impl="threefry2x32").tolist() == tr.PRNGKey(5).tolist()
    with pytest.raises(ValueError, match="threefry2x32"):
        tr.key(5, impl="rbg")
    for sampler in (lambda k: tr.gamma(k, 1.0, (2,)), lambda k: tr.split(k)):
        with pytest.raises(ValueError, match="accepts a single key"):
            sampler(tr.split(KEY))
    with pytest.raises(ValueError, match="dtype argument to `normal`"):
        tr.normal(KEY, (), np.int32)
    z = tr.normal(KEY, (N,), np.complex128)  # (re + 1j im) / sqrt(2), as JAX
    assert z.dtype == np.complex128
    _ks(z.real * np.sqrt(2), stats.norm().cdf, "complex normal, real part")
    _ks(z.imag * np.sqrt(2), stats.norm().cdf, "complex normal, imaginary part")
    # mode='high': twice the bits, so probabilities below 2**-nmant are right
    assert tr.bernoulli(KEY, np.float32(1e-10), (100_000,), mode="high").sum() == 0
    _ks(tr.gumbel(KEY, (N,), mode="high"), stats.gumbel_r().cdf, "gumbel mode='high'")
    draws = tr.categorical(KEY, np.zeros((4, 6)), axis=-1, shape=(5, 4), replace=False)
    assert draws.shape == (5, 4) and all(len(set(draws[:, j])) == 5 for j in range(4))
    with pytest.raises(ValueError, match="without replacement"):
        tr.categorical(KEY, np.zeros(3), shape=(4,), replace=False)
    picked = tr.choice(KEY, 10, (4,), replace=False, p=np.full(10, 0.1), mode="high")
    assert len(set(picked.tolist())) == 4
    assert tr.choice(KEY, np.arange(3.0), (0,)).shape == (0,)
    with pytest.raises(TypeError, match="sequence"):
        tr.choice(KEY, 5, 2)
    with pytest.raises(ValueError, match="axis"):
        tr.permutation(KEY, 10, axis=3)
    with pytest.raises(TypeError):
        tr.permutation(KEY, 10.0)
    with pytest.raises(tj.ConcretizationError):
        tj.make_ir(tr.permutation)(KEY, 10)
    np.testing.assert_array_equal(tr.poisson(KEY, np.array([-1.0, 0.0, np.nan])), [-1, 0, -1])
    n, p = np.array([-1.0, 0.0, np.nan, np.inf]), np.array([np.nan, 0.0, -0.1, 1.1])
    np.testing.assert_array_equal(tr.binomial(KEY, n, 0.5), [np.nan, 0.0, np.nan, np.inf])
    np.testing.assert_array_equal(tr.binomial(KEY, 5.0, p), [np.nan, 0.0, np.nan, np.nan])
    for n_ in (0, 3):  # empty matrices too
        assert tr.orthogonal(KEY, n_, (2,), m=3).shape == (2, n_, 3)


def test_keys_helpers():
    data = tr.key_data(KEY)
    np.testing.assert_array_equal(tr.wrap_key_data(data), KEY)
    np.testing.assert_array_equal(tr.clone(KEY), KEY)
    assert tr.key_impl(KEY) == "threefry2x32"
    with pytest.raises(TypeError, match="uint32"):
        tr.wrap_key_data(np.zeros(2, np.int64))


# ---------------------------------------------------------------------------
# transforms


def test_vmap_over_keys_is_a_loop():
    keys = tr.split(KEY, 3)
    for draw in (lambda k: tr.gamma(k, np.array([0.5, 3.0])), lambda k: tr.poisson(k, 4.0, (3,))):
        got = tj.vmap(draw)(keys)
        np.testing.assert_array_equal(got, np.stack([draw(k) for k in keys]))
    got = tj.vmap(lambda k: tr.cauchy(k, (2,)))(keys)
    np.testing.assert_array_equal(got, np.stack([tr.cauchy(k, (2,)) for k in keys]))


def test_gamma_grad_is_the_implicit_derivative():
    """d sample / d a = -(dF/da) / f at the sample (the test of JAX's testGammaGrad)."""
    for alpha in (0.05, 1.0, 30.0):
        alphas = np.full((40,), alpha)
        z = tr.gamma(KEY, alphas)
        got = tj.grad(lambda a: tr.gamma(KEY, a).sum())(alphas)
        eps = 0.01 * alpha / (1.0 + np.sqrt(alpha))
        cdf_dot = (stats.gamma.cdf(z, alpha + eps) - stats.gamma.cdf(z, alpha - eps)) / (2 * eps)
        np.testing.assert_allclose(got, -cdf_dot / stats.gamma.pdf(z, alpha), rtol=2e-3)
        log_got = tj.grad(lambda a: tr.loggamma(KEY, a).sum())(alphas)
        np.testing.assert_allclose(log_got, got / z, rtol=1e-8)
    # reparameterised samples built on gamma differentiate too
    g = tj.grad(lambda a: tr.beta(KEY, a, 2.0, (50,)).mean())(3.0)
    assert np.isfinite(g) and g > 0  # a larger a moves Beta(a, 2) towards 1
    tj.vjp(lambda a, b: tr.gamma(KEY, a, dtype=np.float32) / b, np.float32(1.0), np.float32(3.0))


def test_generated_source_matches_eager():
    """The loops (nested while loops over per-element keys) through the generated source,
    run as plain Python: what Numba compiles under jit."""

    def f(key):
        return (
            tr.gamma(key, np.array([0.3, 2.0, 9.0])),
            tr.poisson(key, np.array([1.5, 40.0])),
            tr.binomial(key, np.array([6.0, 300.0]), 0.3),
            tr.cauchy(key, (3,)),
        )

    low = lower_ir(simplify_ir(tj.make_ir(f)(KEY)), "rejection")  # as jit does
    got = python_function(low)(*low.consts, KEY)
    for g, w in zip(got, tj.tree.leaves(f(KEY)), strict=True):
        np.testing.assert_allclose(g, w, rtol=1e-13)


# ---------------------------------------------------------------------------
# jax.random, draw for draw


def _jax_cases(r, k, group):
    cov = np.array([[2.0, 0.5, 0.0], [0.5, 1.0, 0.2], [0.0, 0.2, 1.5]])
    if group == "transforms":
        return {
            "cauchy": r.cauchy(k, (20,)),
            "laplace": r.laplace(k, (20,)),
            "logistic": r.logistic(k, (20,)),
            "pareto": r.pareto(k, 2.5, (20,)),
            "rayleigh": r.rayleigh(k, 1.5, (20,)),
            "weibull_min": r.weibull_min(k, 2.0, 3.0, (20,)),
            "triangular": r.triangular(k, -1.0, 0.5, 2.0, (20,)),
            "lognormal": r.lognormal(k, 0.5, (20,)),
            "maxwell": r.maxwell(k, (20,)),
            "double_sided_maxwell": r.double_sided_maxwell(k, np.array([1.0, 2.0]), 2.0),
            "wald": r.wald(k, 1.5, (20,)),
            "mvn": r.multivariate_normal(k, np.ones(3), cov, (8,)),
            "orthogonal": r.orthogonal(k, 3, (2,)),
            "geometric": r.geometric(k, 0.3, (20,)),
            "rademacher": r.rademacher(k, (20,)),
        }
    if group == "gamma":
        return {
            "gamma": r.gamma(k, np.array([0.2, 1.0, 7.0]), (10, 3)),
            "gamma32": r.gamma(k, 2.0, (20,), np.float32),
            "loggamma": r.loggamma(k, 0.05, (20,)),
        }
    if group == "gamma-built":
        return {
            "beta": r.beta(k, 0.5, 2.0, (20,)),
            "dirichlet": r.dirichlet(k, np.array([0.3, 1.0, 4.0]), (6,)),
            "chisquare": r.chisquare(k, 3.0, (20,)),
            "f": r.f(k, 3.0, 5.0, (20,)),
            "t": r.t(k, 4.0, (20,)),
            "generalized_normal": r.generalized_normal(k, 1.5, (20,)),
            "ball": r.ball(k, 3, 2, (6,)),
        }
    return {  # counts: integers, and binomial's float counts
        "poisson": r.poisson(k, np.array([0.5, 3.0, 9.0, 12.0, 200.0]), (8, 5)),
        "binomial": r.binomial(
            k, np.array([5.0, 30.0, 1000.0]), np.array([0.3, 0.6, 0.05]), (8, 3)
        ),
        "multinomial": r.multinomial(k, 50.0, np.array([0.2, 0.3, 0.5]), shape=(4, 3)),
    }


EXACT = ("geometric", "rademacher", "poisson", "binomial", "multinomial")


def _jax_jit(jax, f, *args):
    """jax.jit(f)(*args) compiled with XLA's optimisations off: its while loops (gamma,
    poisson, binomial) compile several times faster, and the tolerances below cover the
    last bits that fusion would change."""
    jax.config.update("jax_disable_most_optimizations", True)
    try:
        return jax.block_until_ready(jax.jit(f)(*args))
    finally:
        jax.config.update("jax_disable_most_optimizations", False)


@pytest.mark.parametrize("group", ["transforms", "gamma", "gamma-built", "counts"])
def test_values_equal_jax_random(group):
    jax, _ = jax_x64()
    jr = jax.random
    theirs = _jax_jit(jax, lambda k: _jax_cases(jr, jr.wrap_key_data(k), group), KEY)
    mine = _jax_cases(tr, KEY, group)
    for name, t in theirs.items():
        m, t = np.asarray(mine[name]), np.asarray(t)
        assert m.shape == t.shape and m.dtype == t.dtype, (name, m.dtype, t.dtype)
        if name in EXACT:
            np.testing.assert_array_equal(m, t, err_msg=name)
        else:  # log, pow, tan, erfinv, LAPACK: NumPy's and XLA's last bits differ
            rtol = 1e-5 if m.dtype == np.float32 else 1e-12
            np.testing.assert_allclose(m, t, rtol=rtol, atol=1e-300, err_msg=name)


def test_gamma_grad_equals_jax():
    jax, _ = jax_x64()
    jr = jax.random
    a = np.array([0.01, 0.4, 1.0, 3.0, 150.0])
    got = tj.grad(lambda a: tr.gamma(KEY, a).sum())(a)
    want = _jax_jit(jax, jax.grad(lambda a: jr.gamma(jr.wrap_key_data(KEY), a).sum()), a)
    np.testing.assert_allclose(got, np.asarray(want), rtol=1e-10)
