"""Samplers of tracejit.random that are transformations of uniform, normal or gamma draws,
written as jax.random writes them (same keys, same splits, same formulas), so their values
equal JAX's under x64 up to the last bits of log, pow, tan, erfinv and linear algebra.

Re-exported by tracejit.random; the rejection samplers (gamma, poisson, binomial, ...)
are in tracejit/_random_rejection.py.
"""

from __future__ import annotations

import numpy as np

from . import numpy as tnp
from ._random_rejection import (
    _broadcast_shape,
    _cast,
    _check_shape,
    _out_dtype,
    _promote_inexact,
    _quiet,
    _shape_of,
    gamma,
    loggamma,
)
from .ops.elementwise import stop_gradient
from .random import _check_key, _shape, bernoulli, exponential, normal, split, uniform
from .trace import Tracer

__all__ = [
    "ball",
    "beta",
    "cauchy",
    "chisquare",
    "dirichlet",
    "double_sided_maxwell",
    "f",
    "generalized_normal",
    "geometric",
    "laplace",
    "logistic",
    "lognormal",
    "maxwell",
    "multivariate_normal",
    "orthogonal",
    "pareto",
    "rademacher",
    "rayleigh",
    "t",
    "triangular",
    "wald",
    "weibull_min",
]


def _start(name: str, key, dtype, shape, *params):
    """Check the key, the dtype (float64 by default) and the shape (the parameters'
    broadcast shape if None)."""
    _check_key(key, name)
    return _out_dtype(dtype, name), _broadcast_shape(name, shape, *params)


# ---------------------------------------------------------------------------
# inverse-CDF transforms of one uniform draw


@_quiet
def cauchy(key, shape=(), dtype=None):
    """Standard Cauchy: ``tan(pi (u - 1/2))``, u uniform on [eps, 1)."""
    dtype, shape = _start("cauchy", key, dtype, shape)
    u = uniform(key, shape, dtype, np.finfo(dtype).eps, 1.0)
    return tnp.tan(dtype.type(np.pi) * (u - dtype.type(0.5)))


@_quiet
def laplace(key, shape=(), dtype=None):
    """Standard Laplace: ``sign(u) log1p(-|u|)``, u uniform on (-1, 1)."""
    dtype, shape = _start("laplace", key, dtype, shape)
    u = uniform(key, shape, dtype, -1.0 + np.finfo(dtype).epsneg, 1.0)
    return tnp.sign(u) * tnp.log1p(tnp.negative(tnp.abs(u)))


@_quiet
def logistic(key, shape=(), dtype=None):
    """Standard logistic: ``log(u) - log1p(-u)``, u uniform on [tiny, 1)."""
    dtype, shape = _start("logistic", key, dtype, shape)
    x = uniform(key, shape, dtype, np.finfo(dtype).tiny, 1.0)
    return tnp.log(x) - tnp.log1p(tnp.negative(x))


@_quiet
def pareto(key, b, shape=None, dtype=None):
    """Pareto with shape ``b`` on [1, inf): ``exp(e / b)``, e standard exponential."""
    dtype, shape = _start("pareto", key, dtype, shape, b)
    return tnp.exp(exponential(key, shape, dtype) / _cast(b, dtype))


@_quiet
def rayleigh(key, scale, shape=None, dtype=None):
    """Rayleigh: ``scale sqrt(-2 log u)``."""
    dtype, shape = _start("rayleigh", key, dtype, shape, scale)
    log_u = tnp.log(uniform(key, shape, dtype))
    scale = tnp.broadcast_to(_cast(scale, dtype), shape)
    return scale * tnp.sqrt(log_u * dtype.type(-2))


@_quiet
def weibull_min(key, scale, concentration, shape=(), dtype=None):
    """Weibull: ``scale (-log1p(-u)) ** (1 / concentration)``."""
    dtype, shape = _start("weibull_min", key, dtype, shape)
    u = uniform(key, shape, dtype, 0.0, 1.0)
    return tnp.power(tnp.negative(tnp.log1p(tnp.negative(u))), 1.0 / concentration) * scale


@_quiet
def geometric(key, p, shape=None, dtype=None):
    """Trials up to the first success of probability ``p`` (an integer >= 1):
    ``floor(log u / log1p(-p)) + 1``."""
    _check_key(key, "geometric")
    dtype = _out_dtype(dtype, "geometric", "i")
    shape = _broadcast_shape("geometric", shape, p)
    (p,) = _promote_inexact(p)
    u = uniform(key, shape, p.dtype)
    u = tnp.where(u == 0, 1, u)  # JAX's choice: u = 0 counts as 1 (one trial)
    log_one_minus_p = tnp.broadcast_to(tnp.log1p(tnp.negative(p)), shape)
    return _cast(tnp.floor(tnp.log(u) / log_one_minus_p) + 1, dtype)


@_quiet
def triangular(key, left, mode, right, shape=None, dtype=None):
    """Triangular on [left, right] with its peak at ``mode``, by inverting the CDF."""
    dtype, shape = _start("triangular", key, dtype, shape, left, mode, right)
    left, mode, right = (tnp.broadcast_to(_cast(v, dtype), shape) for v in (left, mode, right))
    fc = (mode - left) / (right - left)
    u = uniform(key, shape, dtype)
    out1 = left + tnp.sqrt(u * (right - left) * (mode - left))
    out2 = right - tnp.sqrt((1 - u) * (right - left) * (right - mode))
    return tnp.where(u < fc, out1, out2)


@_quiet
def rademacher(key, shape=(), dtype=None):
    """-1 or +1 with equal probability (int64 by default)."""
    _check_key(key, "rademacher")
    dtype = np.dtype(np.int64 if dtype is None else dtype)
    b = _cast(bernoulli(key, 0.5, _shape(shape)), dtype)
    return _cast(2 * b - 1, dtype)


# ---------------------------------------------------------------------------
# transforms of normal draws


@_quiet
def lognormal(key, sigma=1.0, shape=None, dtype=None):
    """``exp(sigma z)``, z standard normal."""
    dtype, shape = _start("lognormal", key, dtype, shape, sigma)
    return tnp.exp(normal(key, shape, dtype) * _cast(sigma, dtype))


@_quiet
def maxwell(key, shape=(), dtype=None):
    """Maxwell: the length of a standard normal 3-vector."""
    dtype, shape = _start("maxwell", key, dtype, shape)
    z = normal(key, (*shape, 3), dtype)
    return tnp.sqrt(tnp.sum(z * z, axis=-1))


@_quiet
def double_sided_maxwell(key, loc, scale, shape=(), dtype=None):
    """``loc + scale s m``: a Maxwell sample m with a random sign s. As in JAX, the result
    has shape ``shape + broadcast(loc, scale)``, or the parameters' shape if shape is ()."""
    _check_key(key, "double_sided_maxwell")
    dtype = _out_dtype(dtype, "double_sided_maxwell")
    params = tuple(np.broadcast_shapes(_shape_of(loc), _shape_of(scale)))
    shape = _shape(shape) or params
    shape = shape + params
    maxwell_key, rademacher_key = split(key)
    m = maxwell(maxwell_key, shape, dtype)
    sign = rademacher(rademacher_key, shape, dtype)
    return sign * m * scale + loc


@_quiet
def wald(key, mean, shape=None, dtype=None):
    """Wald (inverse Gaussian) with scale 1, by Michael, Schucany and Haas's method."""
    dtype, shape = _start("wald", key, dtype, shape, mean)
    k1, k2 = split(key, 2)
    mean = tnp.broadcast_to(_cast(mean, dtype), shape)
    v = normal(k1, shape, dtype)
    z = uniform(k2, shape, dtype)
    y = v * v
    y_sq = y * y
    mean_sq = mean * mean
    sqrt_term = tnp.sqrt(4 * mean * y + mean_sq * y_sq)
    x = mean + mean_sq * y / 2 - mean / 2 * sqrt_term
    return tnp.where(z <= mean / (mean + x), x, mean_sq / x)


@_quiet
def multivariate_normal(key, mean, cov, shape=None, dtype=None, method="cholesky"):
    """``mean + A z`` with ``A Aᵀ = cov`` (method 'cholesky', or 'eigh' / 'svd' for a
    singular cov), z standard normal; batch dimensions broadcast. Shape
    ``shape + mean.shape[-1:]``. With 'eigh' and 'svd' the eigenvector signs are
    LAPACK's, which may differ from XLA's: same distribution, other numbers."""
    _check_key(key, "multivariate_normal")
    if method not in ("svd", "eigh", "cholesky"):
        raise ValueError("method must be one of {'svd', 'eigh', 'cholesky'}")
    mean, cov = _promote_inexact(mean, cov)
    dtype = mean.dtype if dtype is None else _out_dtype(dtype, "multivariate_normal")
    if len(mean.shape) < 1:
        raise ValueError(f"multivariate_normal requires mean.ndim >= 1, got {len(mean.shape)}")
    if len(cov.shape) < 2:
        raise ValueError(f"multivariate_normal requires cov.ndim >= 2, got {len(cov.shape)}")
    n = mean.shape[-1]
    if tuple(cov.shape[-2:]) != (n, n):
        raise ValueError(
            f"multivariate_normal requires cov.shape == (..., n, n) for n={n}, but got "
            f"cov.shape == {tuple(cov.shape)}."
        )
    batch = np.broadcast_shapes(tuple(mean.shape[:-1]), tuple(cov.shape[:-2]))
    shape = tuple(batch) if shape is None else _shape(shape)
    if np.broadcast_shapes(shape, tuple(batch)) != shape:
        raise ValueError(
            f"random.multivariate_normal: batch shape {tuple(batch)} of mean and cov does not "
            f"broadcast to shape {shape}"
        )
    if method == "svd":
        u, s, _ = tnp.linalg.svd(cov)
        factor = u * tnp.sqrt(s[..., None, :])
    elif method == "eigh":
        w, v = tnp.linalg.eigh(cov)
        factor = v * tnp.sqrt(w[..., None, :])
    else:
        factor = tnp.linalg.cholesky(cov)
    z = normal(key, (*shape, n), dtype)
    return mean + tnp.einsum("...ij,...j->...i", factor, z)


@_quiet
def orthogonal(key, n: int, shape=(), dtype=None, m: int | None = None):
    """A Haar-random matrix with orthonormal columns or rows, ``(*shape, n, m)`` (m = n
    by default): the Q of a normal matrix's QR, its column signs fixed by R's diagonal."""
    _check_key(key, "orthogonal")
    dtype = _out_dtype(dtype, "orthogonal")
    n, m = _static_int(n, "n"), _static_int(n if m is None else m, "m")
    shape = _shape(shape)
    z = normal(key, (*shape, max(n, m), min(n, m)), dtype)
    q, r = tnp.linalg.qr(z)
    d = tnp.diagonal(r, axis1=-2, axis2=-1)
    x = q * tnp.expand_dims(tnp.sign(d), -2)
    return tnp.swapaxes(x, -1, -2) if n < m else x


# ---------------------------------------------------------------------------
# gamma-based


@_quiet
def beta(key, a, b, shape=None, dtype=None):
    """Beta: ``Ga / (Ga + Gb)`` of two gamma samples, computed from their logarithms."""
    dtype, shape = _start("beta", key, dtype, shape, a, b)
    key_a, key_b = split(key)
    a = tnp.broadcast_to(_cast(a, dtype), shape)
    b = tnp.broadcast_to(_cast(b, dtype), shape)
    log_gamma_a = loggamma(key_a, a, shape, dtype)
    log_gamma_b = loggamma(key_b, b, shape, dtype)
    log_max = tnp.maximum(log_gamma_a, log_gamma_b)
    gamma_a_scaled = tnp.exp(log_gamma_a - log_max)
    gamma_b_scaled = tnp.exp(log_gamma_b - log_max)
    return gamma_a_scaled / (gamma_a_scaled + gamma_b_scaled)


@_quiet
def dirichlet(key, alpha, shape=None, dtype=None):
    """Dirichlet over the last axis of ``alpha``: normalised gamma samples (a softmax of
    log-gamma samples). Shape ``shape + alpha.shape[-1:]``."""
    _check_key(key, "dirichlet")
    dtype = _out_dtype(dtype, "dirichlet")
    alpha_shape = _shape_of(alpha)
    if len(alpha_shape) < 1:
        raise ValueError(
            f"dirichlet requires alpha.ndim >= 1, got alpha.ndim == {len(alpha_shape)}"
        )
    batch = _check_shape("dirichlet", shape, alpha_shape[:-1])
    log_g = loggamma(key, _cast(alpha, dtype), batch + alpha_shape[-1:], dtype)
    unnormalized = tnp.exp(log_g - stop_gradient(tnp.max(log_g, axis=-1, keepdims=True)))
    return unnormalized / tnp.sum(unnormalized, axis=-1, keepdims=True)


@_quiet
def chisquare(key, df, shape=None, dtype=None):
    """Chi-squared with ``df`` degrees of freedom: twice a Gamma(df / 2) sample."""
    dtype, shape = _start("chisquare", key, dtype, shape, df)
    half_df = _cast(df, dtype) / 2
    return tnp.exp(loggamma(key, half_df, shape, dtype)) * 2


@_quiet
def f(key, dfnum, dfden, shape=None, dtype=None):
    """Fisher's F: a ratio of chi-squared samples, each divided by its df."""
    dtype, shape = _start("f", key, dtype, shape, dfnum, dfden)
    dfden, dfnum = _cast(dfden, dtype), _cast(dfnum, dtype)
    key_dfd, key_dfn = split(key)
    chi2_dfn = chisquare(key_dfn, dfnum, shape, dtype)
    chi2_dfd = chisquare(key_dfd, dfden, shape, dtype)
    return (chi2_dfn / dfnum) / (chi2_dfd / dfden)


@_quiet
def t(key, df, shape=None, dtype=None):
    """Student's t: ``z sqrt((df / 2) / g)``, z normal and g ~ Gamma(df / 2)."""
    dtype, shape = _start("t", key, dtype, shape, df)
    df = _cast(df, dtype)
    key_n, key_g = split(key)
    n = normal(key_n, shape, dtype)
    half_df = df / 2
    g = gamma(key_g, half_df, shape, dtype)
    return n * tnp.sqrt(half_df / g)


@_quiet
def generalized_normal(key, p, shape=(), dtype=None):
    """Density proportional to ``exp(-|x| ** p)``: ``s g ** (1 / p)``, g ~ Gamma(1 / p),
    s a random sign."""
    _check_key(key, "generalized_normal")
    dtype = _out_dtype(dtype, "generalized_normal")
    shape = _shape(shape)
    k1, k2 = split(key)
    g = gamma(k1, 1 / p, shape, dtype)
    r = rademacher(k2, shape, dtype)
    return r * g ** (1 / p)


@_quiet
def ball(key, d: int, p=2, shape=(), dtype=None):
    """Uniform in the unit ``p``-norm ball of dimension ``d``: shape ``(*shape, d)``."""
    _check_key(key, "ball")
    dtype = _out_dtype(dtype, "ball")
    d = _static_int(d, "d")
    shape = _shape(shape)
    k1, k2 = split(key)
    g = generalized_normal(k1, p, (*shape, d), dtype)
    e = exponential(k2, shape, dtype)
    return g / ((tnp.sum(tnp.abs(g) ** p, axis=-1) + e) ** (1 / p))[..., None]


# ---------------------------------------------------------------------------


def _static_int(v, name: str) -> int:
    if isinstance(v, Tracer):
        raise TypeError(f"random: {name} sets a shape, so it must be a Python int, not traced")
    return int(v)
