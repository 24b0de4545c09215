"""The generalized normal distribution, as jax.scipy.stats.gennorm."""

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf"]


def logpdf(x, beta):
    x, beta = promote(x, beta)
    return tnp.log(c(0.5, x) * beta) - special.gammaln(c(1, x) / beta) - tnp.abs(x) ** beta


def pdf(x, beta):
    return tnp.exp(logpdf(x, beta))


def cdf(x, beta):
    x, beta = promote(x, beta)
    p = special.gammainc(c(1, x) / beta, tnp.abs(x) ** beta)
    return c(0.5, x) * (c(1, x) + tnp.sign(x) * p)
