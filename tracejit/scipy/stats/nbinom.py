"""The negative binomial distribution, as jax.scipy.stats.nbinom."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote(k, n, p, loc)
    y = k - loc
    one = c(1, y)
    comb = special.gammaln(y + n) - special.gammaln(n) - special.gammaln(y + one)
    out = comb + special.xlogy(n, p) + special.xlogy(y, one - p)
    return tnp.where(k < loc, -np.inf, out)


def pmf(k, n, p, loc=0):
    return tnp.exp(logpmf(k, n, p, loc))
