"""The multivariate normal distribution, as jax.scipy.stats.multivariate_normal: x and
mean (..., n), cov (..., n, n) (or a scalar variance; with a 0-d mean, univariate)."""

import math

from ... import numpy as tnp
from .. import special
from ..linalg import solve_triangular
from ._common import c

__all__ = ["logpdf", "pdf"]


def logpdf(x, mean, cov, allow_singular=None):
    if allow_singular is not None:
        raise NotImplementedError("allow_singular argument of multivariate_normal.logpdf")
    dt = special._inexact_dtype((x, mean, cov))
    x, mean, cov = (tnp.asarray(v, dt) for v in (x, mean, cov))
    log2pi = c(math.log(2 * math.pi), x)
    if tnp.ndim(mean) == 0:
        return c(-0.5, x) * tnp.square(x - mean) / cov - c(0.5, x) * (log2pi + tnp.log(cov))
    n = tnp.shape(mean)[-1]
    y = x - mean
    if tnp.ndim(cov) == 0:
        quad = tnp.sum(y * y, axis=-1) / cov
        return c(-0.5, x) * quad - c(n / 2, x) * (log2pi + tnp.log(cov))
    if tnp.ndim(cov) < 2 or tnp.shape(cov)[-2:] != (n, n):
        raise ValueError("multivariate_normal.logpdf got incompatible shapes")
    chol = tnp.linalg.cholesky(cov)
    if tnp.ndim(cov) == 2:  # one factor for every x: solve for all of them at once
        batch = tnp.shape(y)[:-1]
        z = solve_triangular(chol, tnp.reshape(y, (-1, n)).T, lower=True)
        quad = tnp.reshape(tnp.sum(z * z, axis=0), batch)
    else:
        z = solve_triangular(chol, y[..., None], lower=True)[..., 0]
        quad = tnp.sum(z * z, axis=-1)
    logdet = tnp.sum(tnp.log(tnp.diagonal(chol, axis1=-2, axis2=-1)), axis=-1)
    return c(-0.5, x) * quad - c(n / 2, x) * log2pi - logdet


def pdf(x, mean, cov):
    return tnp.exp(logpdf(x, mean, cov))
