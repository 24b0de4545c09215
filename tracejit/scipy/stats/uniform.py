"""The uniform distribution on [loc, loc + scale], as jax.scipy.stats.uniform."""

import numpy as np

from ... import numpy as tnp
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf", "ppf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    out = -tnp.log(scale)
    return tnp.where((x > loc + scale) | (x < loc), -np.inf, out)


def pdf(x, loc=0, scale=1):
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    hi = loc + scale
    conds = [x < loc, x > hi, (x >= loc) & (x <= hi)]
    return tnp.select(conds, [c(0, x), c(1, x), (x - loc) / scale])


def ppf(q, loc=0, scale=1):
    q, loc, scale = promote(q, loc, scale)
    bad = tnp.isnan(q) | (q < 0) | (q > 1)
    return tnp.where(bad, np.nan, loc + scale * q)
