"""The chi-squared distribution, as jax.scipy.stats.chi2."""

import math

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf", "logcdf", "sf", "logsf"]


def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote(x, df, loc, scale)
    y = (x - loc) / scale
    half_df = df / c(2, x)
    kernel = (half_df - c(1, x)) * tnp.log(y) - y / c(2, x)
    norm = -(special.gammaln(half_df) + c(math.log(2), x) * df / c(2, x))
    return tnp.where(x < loc, -np.inf, norm - tnp.log(scale) + kernel)


def pdf(x, df, loc=0, scale=1):
    return tnp.exp(logpdf(x, df, loc, scale))


def _half(x, loc, scale):
    return tnp.clip((x - loc) / (scale * c(2, x)), c(0, x), c(np.inf, x))


def cdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote(x, df, loc, scale)
    return special.gammainc(df / c(2, x), _half(x, loc, scale))


def logcdf(x, df, loc=0, scale=1):
    return tnp.log(cdf(x, df, loc, scale))


def sf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote(x, df, loc, scale)
    return special.gammaincc(df / c(2, x), _half(x, loc, scale))


def logsf(x, df, loc=0, scale=1):
    return tnp.log(sf(x, df, loc, scale))
