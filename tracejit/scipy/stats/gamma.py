"""The gamma distribution, as jax.scipy.stats.gamma."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def logpdf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote(x, a, loc, scale)
    ok = x >= loc
    one = c(1, x)
    y = tnp.where(ok, (x - loc) / scale, one)
    out = special.xlogy(a - one, y) - y - special.gammaln(a) - tnp.log(scale)
    return tnp.where(ok, out, -np.inf)


def pdf(x, a, loc=0, scale=1):
    return tnp.exp(logpdf(x, a, loc, scale))


def cdf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote(x, a, loc, scale)
    return special.gammainc(a, tnp.clip((x - loc) / scale, c(0, x), c(np.inf, x)))


def logcdf(x, a, loc=0, scale=1):
    return tnp.log(cdf(x, a, loc, scale))


def sf(x, a, loc=0, scale=1):
    x, a, loc, scale = promote(x, a, loc, scale)
    y = (x - loc) / scale
    return tnp.where(y < 0, c(1, x), special.gammaincc(a, tnp.maximum(y, c(0, y))))


def logsf(x, a, loc=0, scale=1):
    return tnp.log(sf(x, a, loc, scale))
