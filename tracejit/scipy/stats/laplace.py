"""The Laplace distribution, as jax.scipy.stats.laplace."""

from ... import numpy as tnp
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return -(tnp.abs(x - loc) / scale + tnp.log(c(2, x) * scale))


def pdf(x, loc=0, scale=1):
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (x - loc) / scale
    half = c(0.5, x)
    return tnp.where(z <= 0, half * tnp.exp(z), c(1, x) - half * tnp.exp(-z))
