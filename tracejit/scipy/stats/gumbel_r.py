"""The right-skewed Gumbel distribution, as jax.scipy.stats.gumbel_r."""

import math

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf", "logcdf", "cdf", "logsf", "sf", "ppf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (x - loc) / scale
    out = special.xlogy(c(-1, x), scale) - (z + tnp.exp(-z))
    return tnp.where(scale > 0, out, np.nan)


def pdf(x, loc=0, scale=1):
    return tnp.exp(logpdf(x, loc, scale))


def logcdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (x - loc) / scale
    return tnp.where(scale > 0, -tnp.exp(-z), np.nan)


def cdf(x, loc=0, scale=1):
    return tnp.exp(logcdf(x, loc, scale))


def sf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    neg_z = (loc - x) / scale
    return tnp.where(scale > 0, c(1, x) - tnp.exp(-tnp.exp(neg_z)), np.nan)


def _log1mexp(t):
    """log(1 - exp(-t)) for t > 0, accurate for small and large t."""
    big = t > c(math.log(2), t)
    safe = tnp.where(big, c(1, t), t)
    return tnp.where(big, tnp.log1p(-tnp.exp(-t)), tnp.log(-tnp.expm1(-safe)))


def logsf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    neg_z = (loc - x) / scale
    return tnp.where(scale > 0, _log1mexp(tnp.exp(neg_z)), np.nan)


def ppf(p, loc=0, scale=1):
    p, loc, scale = promote(p, loc, scale)
    q = loc - scale * tnp.log(special.xlogy(c(-1, p), p))
    return tnp.where((p > 0) & (p < 1), q, np.nan)
