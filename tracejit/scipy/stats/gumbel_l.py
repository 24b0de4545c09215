"""The left-skewed Gumbel distribution, as jax.scipy.stats.gumbel_l."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf", "logcdf", "cdf", "logsf", "sf", "ppf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (x - loc) / scale
    out = special.xlogy(c(-1, x), scale) + z - tnp.exp(z)
    return tnp.where(scale > 0, out, np.nan)


def pdf(x, loc=0, scale=1):
    return tnp.exp(logpdf(x, loc, scale))


def logcdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (x - loc) / scale
    return tnp.where(scale > 0, tnp.log(-tnp.expm1(-tnp.exp(z))), np.nan)


def cdf(x, loc=0, scale=1):
    return tnp.exp(logcdf(x, loc, scale))


def logsf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    z = (x - loc) / scale
    return tnp.where(scale > 0, -tnp.exp(z), np.nan)


def sf(x, loc=0, scale=1):
    return tnp.exp(logsf(x, loc, scale))


def ppf(p, loc=0, scale=1):
    p, loc, scale = promote(p, loc, scale)
    q = loc + scale * tnp.log(special.xlog1py(c(-1, p), -p))
    return tnp.where((p > 0) & (p < 1), q, np.nan)
