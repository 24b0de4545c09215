"""The Pareto distribution, as jax.scipy.stats.pareto."""

import numpy as np

from ... import numpy as tnp
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf"]


def logpdf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote(x, b, loc, scale)
    z = (x - loc) / scale
    out = -(tnp.log(scale / b) + (b + c(1, x)) * tnp.log(z))
    return tnp.where(x < loc + scale, -np.inf, out)


def pdf(x, b, loc=0, scale=1):
    return tnp.exp(logpdf(x, b, loc, scale))


def cdf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote(x, b, loc, scale)
    z = (x - loc) / scale
    return tnp.where(x < loc + scale, c(0, x), c(1, x) - z ** (-b))


def logcdf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote(x, b, loc, scale)
    z = (x - loc) / scale
    return tnp.where(x < loc + scale, -np.inf, tnp.log1p(-(z ** (-b))))


def logsf(x, b, loc=0, scale=1):
    x, b, loc, scale = promote(x, b, loc, scale)
    z = (x - loc) / scale
    return tnp.where(x < loc + scale, c(0, x), -b * tnp.log(z))


def sf(x, b, loc=0, scale=1):
    return tnp.exp(logsf(x, b, loc, scale))


def ppf(q, b, loc=0, scale=1):
    q, b, loc, scale = promote(q, b, loc, scale)
    val = loc + scale * (c(1, q) - q) ** (-c(1, q) / b)
    return tnp.where(tnp.isnan(q) | (q < 0) | (q > 1), np.nan, val)
