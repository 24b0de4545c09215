"""The beta-binomial distribution, as jax.scipy.stats.betabinom."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpmf", "pmf"]


def logpmf(k, n, a, b, loc=0):
    k, n, a, b, loc = promote(k, n, a, b, loc)
    y = tnp.floor(k) - loc
    one, zero = c(1, y), c(0, y)
    comb = -(tnp.log1p(n) + special.betaln(n - y + one, y + one))
    out = comb + special.betaln(y + a, n - y + b) - special.betaln(a, b)
    out = tnp.where((y == zero) & (n == zero), zero, out)
    out = tnp.where((y < -loc) | (y > n) | (y + a <= zero), -np.inf, out)
    return tnp.where((n < zero) | (a <= zero) | (b <= zero), np.nan, out)


def pmf(k, n, a, b, loc=0):
    return tnp.exp(logpmf(k, n, a, b, loc))
