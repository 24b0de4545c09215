"""The Cauchy distribution, as jax.scipy.stats.cauchy."""

import math

from ... import numpy as tnp
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (x - loc) / scale
    return -(tnp.log(c(math.pi, x) * scale) + tnp.log1p(z * z))


def pdf(x, loc=0, scale=1):
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return c(0.5, x) + tnp.arctan((x - loc) / scale) / c(math.pi, x)


def logcdf(x, loc=0, scale=1):
    return tnp.log(cdf(x, loc, scale))


def sf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return cdf(-x, -loc, scale)


def logsf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return logcdf(-x, -loc, scale)


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote(q, loc, scale)
    return tnp.tan(c(math.pi, q) * q - c(math.pi / 2, q)) * scale + loc


def isf(q, loc=0, scale=1):
    q, loc, scale = promote(q, loc, scale)
    return tnp.tan(c(math.pi / 2, q) - c(math.pi, q) * q) * scale + loc
