"""The geometric distribution, as jax.scipy.stats.geom."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpmf", "pmf"]


def logpmf(k, p, loc=0):
    k, p, loc = promote(k, p, loc)
    x = k - loc
    out = special.xlog1py(x - c(1, x), -p) + tnp.log(p)
    return tnp.where(x <= 0, -np.inf, out)


def pmf(k, p, loc=0):
    return tnp.exp(logpmf(k, p, loc))
