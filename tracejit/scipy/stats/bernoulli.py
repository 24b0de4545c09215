"""The Bernoulli distribution, as jax.scipy.stats.bernoulli."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpmf", "pmf", "cdf", "ppf"]


def logpmf(k, p, loc=0):
    k, p, loc = promote(k, p, loc)
    x = k - loc
    out = special.xlogy(x, p) + special.xlog1py(c(1, x) - x, -p)
    return tnp.where((x < 0) | (x > 1), -np.inf, out)


def pmf(k, p, loc=0):
    return tnp.exp(logpmf(k, p, loc))


def cdf(k, p):
    k, p = promote(k, p)
    zero, one = c(0, k), c(1, k)
    bad = tnp.isnan(k) | tnp.isnan(p) | (p < 0) | (p > 1)
    conds = [bad, k < 0, (k >= 0) & (k < 1), k >= 1]
    return tnp.select(conds, [c(np.nan, k), zero, one - p, one])


def ppf(q, p):
    q, p = promote(q, p)
    bad = tnp.isnan(q) | tnp.isnan(p) | (p < 0) | (p > 1) | (q < 0) | (q > 1)
    return tnp.where(bad, np.nan, tnp.where(q <= c(1, q) - p, c(0, q), c(1, q)))
