"""The normal distribution, as jax.scipy.stats.norm."""

import math

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf", "ppf", "isf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (x - loc) / scale
    return c(-0.5, x) * z * z - tnp.log(scale) - c(0.5 * math.log(2 * math.pi), x)


def pdf(x, loc=0, scale=1):
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return special.ndtr((x - loc) / scale)


def logcdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return special.log_ndtr((x - loc) / scale)


def sf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return cdf(-x, -loc, scale)


def logsf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return logcdf(-x, -loc, scale)


def ppf(q, loc=0, scale=1):
    """The quantile loc + scale Φ⁻¹(q), in float64 (as JAX's default float)."""
    return tnp.asarray(special.ndtri(q) * scale + loc, np.float64)


def isf(q, loc=0, scale=1):
    (q,) = promote(q)
    return ppf(c(1, q) - q, loc, scale)
