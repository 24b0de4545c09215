"""The exponential distribution, as jax.scipy.stats.expon."""

import numpy as np

from ... import numpy as tnp
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    out = -((x - loc) / scale + tnp.log(scale))
    return tnp.where(x < loc, -np.inf, out)


def pdf(x, loc=0, scale=1):
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (loc - x) / scale
    return tnp.where(x < loc, c(0, z), -tnp.expm1(z))


def logsf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (loc - x) / scale
    return tnp.where(x < loc, c(0, z), z)


def sf(x, loc=0, scale=1):
    return tnp.exp(logsf(x, loc, scale))


def logcdf(x, loc=0, scale=1):
    return tnp.log1p(-sf(x, loc, scale))


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote(q, loc, scale)
    bad = tnp.isnan(q) | (q < 0) | (q > 1)
    return tnp.where(bad, np.nan, loc - scale * tnp.log1p(-q))
