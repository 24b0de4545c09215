"""The binomial distribution, as jax.scipy.stats.binom."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, p, loc=0):
    k, n, p, loc = promote(k, n, p, loc)
    y = k - loc
    one = c(1, y)
    comb = special.gammaln(n + one) - (special.gammaln(y + one) + special.gammaln(n - y + one))
    linear = special.xlogy(y, p) + special.xlog1py(n - y, -p)
    out = tnp.where(((y == 0) & (n == 0)) | (linear == 0), c(0, y), comb + linear)
    return tnp.where((k >= loc) & (k < loc + n + one), out, -np.inf)


def pmf(k, n, p, loc=0):
    return tnp.exp(logpmf(k, n, p, loc))
