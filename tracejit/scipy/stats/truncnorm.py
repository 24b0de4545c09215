"""The normal distribution truncated to [a, b] (in standard units), as
jax.scipy.stats.truncnorm."""

import numpy as np

from ... import numpy as tnp
from .. import special
from . import norm
from ._common import c, promote

__all__ = ["logpdf", "pdf", "logcdf", "cdf", "logsf", "sf"]


def _log_diff(x, y):
    """log(exp(x) - exp(y)) for x >= y."""
    return x + tnp.log1p(-tnp.exp(y - x))


def _log_gauss_mass(a, b):
    """log(Φ(b) - Φ(a)), accurate in both tails and in the middle."""
    a, b = tnp.broadcast_arrays(a, b)
    left, right = b <= 0, a > 0
    central = ~(left | right)
    a_tail = tnp.where(right, -b, a)
    b_tail = tnp.where(right, -a, b)
    tail = _log_diff(special.log_ndtr(b_tail), special.log_ndtr(a_tail))
    middle = tnp.log1p(-special.ndtr(a) - special.ndtr(-b))
    return tnp.where(central, middle, tail)


def logpdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote(x, a, b, loc, scale)
    val = norm.logpdf(x, loc, scale) - _log_gauss_mass(a, b)
    z = (x - loc) / scale
    val = tnp.where((z < a) | (z > b), -np.inf, val)
    return tnp.where(a >= b, np.nan, val)


def pdf(x, a, b, loc=0, scale=1):
    return tnp.exp(logpdf(x, a, b, loc, scale))


def logcdf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote(x, a, b, loc, scale)
    x, a, b = tnp.broadcast_arrays(x, a, b)
    x = (x - loc) / scale
    mass = _log_gauss_mass(a, b)
    lcdf = _log_gauss_mass(a, x) - mass
    lsf = _log_gauss_mass(x, b) - mass
    conds = [x >= b, x <= a, lcdf > -0.1, x > a]
    out = tnp.select(conds, [c(0, x), c(-np.inf, x), tnp.log1p(-tnp.exp(lsf)), lcdf])
    return tnp.where(a >= b, np.nan, out)


def cdf(x, a, b, loc=0, scale=1):
    return tnp.exp(logcdf(x, a, b, loc, scale))


def logsf(x, a, b, loc=0, scale=1):
    x, a, b, loc, scale = promote(x, a, b, loc, scale)
    return logcdf(-x, -b, -a, -loc, scale)


def sf(x, a, b, loc=0, scale=1):
    return tnp.exp(logsf(x, a, b, loc, scale))
