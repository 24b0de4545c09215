"""tracejit.scipy.stats: values against scipy.stats (always) and against JAX with float64
(values, dtypes and gradients; skipped without JAX); gradients by finite differences,
batching and compilation on a few distributions."""

import numpy as np
import pytest
import scipy.stats as osp

import tracejit as tj
import tracejit.scipy.stats as tstats
from tests._jax_oracle import assert_trees_close, jax_x64
from tracejit.testing import check_grads

R = np.random.default_rng(0)


def U(lo, hi, *shape):
    return R.uniform(lo, hi, shape or (5,))


def K(lo, hi, *shape):
    return R.integers(lo, hi, shape or (5,)).astype(np.float64)


X = U(-3, 3)
P = U(0.05, 0.95)
POS = U(0.5, 3)
LOC, SCALE = U(-1, 1), U(0.5, 2)

# (distribution, function, arguments, indices of differentiable arguments)
CASES = [
    ("norm", "logpdf", (X, LOC, SCALE), (0, 1, 2)),
    ("norm", "pdf", (X, LOC, SCALE), (0, 1, 2)),
    ("norm", "cdf", (X, LOC, SCALE), (0, 1, 2)),
    ("norm", "logcdf", (np.array([-30.0, -10.0, -1.0, 2.0, 9.0]), 0.0, 1.0), (0,)),
    ("norm", "sf", (X, LOC, SCALE), (0, 1, 2)),
    ("norm", "logsf", (X, LOC, SCALE), (0, 1, 2)),
    ("norm", "ppf", (P, LOC, SCALE), (0, 1, 2)),
    ("norm", "isf", (P, LOC, SCALE), (0, 1, 2)),
    ("t", "logpdf", (X, POS, LOC, SCALE), (0, 1, 2, 3)),
    ("t", "pdf", (X, POS, LOC, SCALE), (0, 1, 2, 3)),
    ("beta", "logpdf", (P, POS, POS[::-1], 0.0, 1.0), (0, 1, 2)),
    ("beta", "pdf", (P, POS, POS[::-1]), (0, 1, 2)),
    ("beta", "cdf", (P, POS, POS[::-1]), (0,)),
    ("beta", "sf", (P, POS, POS[::-1]), (0,)),
    ("beta", "logcdf", (P, POS, POS[::-1]), (0,)),
    ("gamma", "logpdf", (POS, POS[::-1], 0.1, SCALE), (0, 1, 3)),
    ("gamma", "pdf", (POS, POS[::-1]), (0, 1)),
    ("gamma", "cdf", (POS, POS[::-1], 0.0, SCALE), (0, 1, 3)),
    ("gamma", "sf", (POS, POS[::-1]), (0, 1)),
    ("gamma", "logsf", (POS, POS[::-1]), (0, 1)),
    ("chi2", "logpdf", (POS, POS[::-1]), (0, 1)),
    ("chi2", "cdf", (POS, POS[::-1]), (0, 1)),
    ("chi2", "sf", (POS, POS[::-1]), (0, 1)),
    ("expon", "logpdf", (POS, 0.2, SCALE), (0, 2)),
    ("expon", "cdf", (POS, 0.2, SCALE), (0, 1, 2)),
    ("expon", "logsf", (POS, 0.2, SCALE), (0, 1, 2)),
    ("expon", "ppf", (P, 0.2, SCALE), (0, 1, 2)),
    ("laplace", "logpdf", (X, LOC, SCALE), (0, 1, 2)),
    ("laplace", "cdf", (X, LOC, SCALE), (0, 1, 2)),
    ("logistic", "logpdf", (X, LOC, SCALE), (0, 1, 2)),
    ("logistic", "cdf", (X, LOC, SCALE), (0, 1, 2)),
    ("logistic", "sf", (X, LOC, SCALE), (0, 1, 2)),
    ("logistic", "ppf", (P, LOC, SCALE), (0, 1, 2)),
    ("logistic", "isf", (P, LOC, SCALE), (0, 1, 2)),
    ("cauchy", "logpdf", (X, LOC, SCALE), (0, 1, 2)),
    ("cauchy", "cdf", (X, LOC, SCALE), (0, 1, 2)),
    ("cauchy", "logsf", (X, LOC, SCALE), (0, 1, 2)),
    ("cauchy", "ppf", (P, LOC, SCALE), (0, 1, 2)),
    ("uniform", "logpdf", (X, -1.0, 2.5), (0,)),
    ("uniform", "cdf", (X, LOC, SCALE), (0,)),
    ("uniform", "ppf", (P, LOC, SCALE), (0, 1, 2)),
    ("pareto", "logpdf", (POS + 1, POS), (0, 1)),
    ("pareto", "cdf", (POS + 1, POS), (0, 1)),
    ("gumbel_l", "logpdf", (X, LOC, SCALE), (0, 1)),  # JAX: no d/dscale (float0)
    ("gumbel_l", "logcdf", (X, LOC, SCALE), (0, 1, 2)),
    ("gumbel_r", "logpdf", (X, LOC, SCALE), (0, 1)),
    ("gumbel_r", "logsf", (X, LOC, SCALE), (0, 1, 2)),
    ("gumbel_r", "ppf", (P, LOC, SCALE), ()),  # JAX's gradient fails (float0)
    ("gennorm", "logpdf", (X, POS), (0, 1)),
    ("gennorm", "cdf", (X, POS), (0,)),
    ("vonmises", "logpdf", (X, POS), (0, 1)),
    ("wrapcauchy", "logpdf", (U(0, 6), P), (0, 1)),
    ("truncnorm", "logpdf", (U(-0.9, 0.9), -1.0, 1.5), (0,)),
    ("truncnorm", "logcdf", (U(-0.9, 0.9), U(-3, -1), U(1, 3)), (0,)),
    ("truncnorm", "cdf", (U(-0.9, 0.9), -1.0, 1.5), (0,)),
    ("truncnorm", "sf", (U(2.1, 2.9), 2.0, 3.0), (0,)),
    ("poisson", "logpmf", (K(0, 8), POS), (1,)),
    ("poisson", "pmf", (K(0, 8), POS, 1.0), (1,)),
    ("poisson", "cdf", (K(0, 8), POS), (1,)),
    ("bernoulli", "logpmf", (K(0, 2), P), (1,)),
    ("bernoulli", "pmf", (K(0, 2), P), (1,)),
    ("bernoulli", "cdf", (K(-1, 2), P), (1,)),
    ("bernoulli", "ppf", (P, P[::-1]), ()),
    ("binom", "logpmf", (K(0, 6), K(6, 10), P), (2,)),
    ("binom", "pmf", (K(0, 6), K(6, 10), P), (2,)),
    ("nbinom", "logpmf", (K(0, 6), K(1, 10), P), (2,)),
    ("geom", "logpmf", (K(1, 6), P), (1,)),
    ("betabinom", "logpmf", (K(0, 6), K(6, 10), POS, POS[::-1]), (2, 3)),
]
_IDS = [f"{d}.{f}" for d, f, _, _ in CASES]
# JAX's betaln (and so beta, betabinom) has relative errors up to ~1e-6 (ours ~1e-15)
_JAX_RTOL = {"beta": 1e-6, "betabinom": 1e-6}


def _fn(dist, name):
    return getattr(getattr(tstats, dist), name)


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_values_match_scipy(case):
    dist, name, args, _ = case
    with np.errstate(all="ignore"):
        want = getattr(getattr(osp, dist), name)(*args)
    np.testing.assert_allclose(_fn(dist, name)(*args), want, rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("case", CASES, ids=_IDS)
def test_values_and_gradients_match_jax(case):
    jax, jnp = jax_x64()
    import jax.scipy.stats as jstats

    dist, name, args, diff = case
    jfn = jax.jit(getattr(getattr(jstats, dist), name))  # compiled: faster than op by op
    rtol = _JAX_RTOL.get(dist, 1e-9)
    assert_trees_close(_fn(dist, name)(*args), jfn(*args), rtol=rtol, atol=1e-12)
    if not diff:
        return

    def total(fn):
        def f(*dargs):
            full = list(args)
            for i, a in zip(diff, dargs):
                full[i] = a
            return fn(*full).sum()

        return f

    dargs = [np.asarray(args[i], np.float64) for i in diff]
    got = tj.grad(total(_fn(dist, name)), argnums=tuple(range(len(diff))))(*dargs)
    want = jax.jit(jax.grad(total(jfn), argnums=tuple(range(len(diff)))))(*dargs)
    assert_trees_close(got, want, rtol=max(rtol, 1e-7), atol=1e-10)


def test_float32_and_integer_arguments_promote_as_jax():
    x32 = np.float32([0.5, 1.5])
    assert tstats.norm.logpdf(x32).dtype == np.float32
    assert tstats.norm.logpdf(x32, 0.0, 2.0).dtype == np.float32  # Python floats are weak
    assert tstats.norm.logpdf(np.array([1, 2])).dtype == np.float64
    assert tstats.poisson.logpmf(np.int32(3), np.float32(2.0)).dtype == np.float32
    assert tstats.norm.ppf(np.float32(0.3)).dtype == np.float64  # as JAX: default float


def test_gradients_by_finite_differences():
    check_grads(lambda x, s: tstats.t.logpdf(x, 3.0, 0.5, s), (X, SCALE), order=2)
    check_grads(lambda a, x: tstats.gamma.cdf(x, a), (POS, POS[::-1]), order=1)
    check_grads(lambda x: tstats.norm.logcdf(x), (np.array([-25.0, -3.0, 0.5, 9.0]),), order=2)


def test_multivariate_normal():
    rng = np.random.default_rng(1)
    n = 3
    a = rng.normal(size=(n, n))
    cov = a @ a.T + n * np.eye(n)
    mean, x = rng.normal(size=n), rng.normal(size=(4, n))
    want = osp.multivariate_normal.logpdf(x, mean, cov)
    np.testing.assert_allclose(tstats.multivariate_normal.logpdf(x, mean, cov), want, rtol=1e-10)
    np.testing.assert_allclose(tstats.multivariate_normal.pdf(x[0], mean, cov), np.exp(want[0]))
    covs = np.stack([cov, 2 * cov])  # a batch of covariances, broadcast against x
    got = tstats.multivariate_normal.logpdf(x[:2], mean, covs)
    np.testing.assert_allclose(got[1], osp.multivariate_normal.logpdf(x[1], mean, 2 * cov))
    np.testing.assert_allclose(
        tstats.multivariate_normal.logpdf(x, mean, 2.0),
        osp.multivariate_normal.logpdf(x, mean, 2.0 * np.eye(n)),
    )
    np.testing.assert_allclose(
        tstats.multivariate_normal.logpdf(0.3, 0.1, 2.0), osp.norm.logpdf(0.3, 0.1, np.sqrt(2.0))
    )
    check_grads(lambda m, c: tstats.multivariate_normal.logpdf(x, m, c @ c.T + np.eye(n)),
                (mean, a), order=1)  # fmt: skip


def test_multivariate_normal_gradients_match_jax():
    jax, jnp = jax_x64()
    import jax.scipy.stats as jstats

    rng = np.random.default_rng(1)
    n = 3
    a = rng.normal(size=(n, n))
    mean, x = rng.normal(size=n), rng.normal(size=(4, n))

    def f(stats):
        return lambda m, c: stats.multivariate_normal.logpdf(x, m, c @ c.T + np.eye(n)).sum()

    got = tj.grad(f(tstats), argnums=(0, 1))(mean, a)
    want = jax.jit(jax.grad(f(jstats), argnums=(0, 1)))(mean, a)
    assert_trees_close(got, want, rtol=1e-8)


def test_dirichlet_and_multinomial():
    rng = np.random.default_rng(2)
    alpha = np.array([0.7, 2.0, 3.5])
    x = rng.dirichlet(alpha, size=4).T  # the simplex along the first axis, as JAX
    got = tstats.dirichlet.logpdf(x, alpha)
    want = [osp.dirichlet.logpdf(x[:, i], alpha) for i in range(4)]
    np.testing.assert_allclose(got, want, rtol=1e-10)
    np.testing.assert_allclose(tstats.dirichlet.logpdf(x[:2], alpha), want, rtol=1e-10)
    assert tstats.dirichlet.logpdf(np.array([0.5, 0.6, -0.1]), alpha) == -np.inf
    counts, p = np.array([2, 0, 3]), np.array([0.2, 0.3, 0.5])
    np.testing.assert_allclose(
        tstats.multinomial.logpmf(counts, 5, p), osp.multinomial.logpmf(counts, 5, p)
    )
    with pytest.raises(ValueError, match="integer"):
        tstats.multinomial.logpmf(counts.astype(float), 5, p)


def test_poisson_entropy():
    mu = np.array([0.0, 0.5, 3.0, 40.0, 250.0])
    np.testing.assert_allclose(tstats.poisson.entropy(mu), osp.poisson.entropy(mu), rtol=1e-6)


def test_vmap_jit_and_grad_compose():
    xs = U(-2, 2, 6, 3)

    def loss(mu, sigma):
        return tstats.norm.logpdf(xs, mu, sigma).sum() + tstats.t.logpdf(xs, 4.0, mu).sum()

    g = tj.jit(tj.grad(loss, argnums=(0, 1)))
    assert_trees_close(g(0.3, 1.2), tj.grad(loss, argnums=(0, 1))(0.3, 1.2), rtol=1e-10)
    per_row = tj.vmap(lambda row: tstats.gamma.logpdf(row, 2.0).sum())(np.abs(xs))
    np.testing.assert_allclose(per_row, osp.gamma.logpdf(np.abs(xs), 2.0).sum(1))
