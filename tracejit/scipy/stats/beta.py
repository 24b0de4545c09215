"""The beta distribution, as jax.scipy.stats.beta."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def logpdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote(x, a, b, loc, scale)
    one = c(1, x)
    y = (x - loc) / scale
    linear = special.xlogy(a - one, y) + special.xlog1py(b - one, -y)
    out = linear - special.betaln(a, b) - tnp.log(scale)
    out = tnp.where((x > loc + scale) | (x < loc), -np.inf, out)
    return tnp.where((a <= 0) | (b <= 0) | (scale <= 0), np.nan, out)


def pdf(x, a, b, loc=0, scale=1):
    return tnp.exp(logpdf(x, a, b, loc, scale))


def cdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote(x, a, b, loc, scale)
    return special.betainc(a, b, tnp.clip((x - loc) / scale, c(0, x), c(1, x)))


def logcdf(x, a, b, loc=0, scale=1):
    return tnp.log(cdf(x, a, b, loc, scale))


def sf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote(x, a, b, loc, scale)
    return special.betainc(b, a, c(1, x) - tnp.clip((x - loc) / scale, c(0, x), c(1, x)))


def logsf(x, a, b, loc=0, scale=1):
    return tnp.log(sf(x, a, b, loc, scale))
