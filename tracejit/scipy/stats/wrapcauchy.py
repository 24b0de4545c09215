"""The wrapped Cauchy distribution on [0, 2π], as jax.scipy.stats.wrapcauchy."""

import math

import numpy as np

from ... import numpy as tnp
from ._common import c as const
from ._common import promote

__all__ = ["logpdf", "pdf"]


def logpdf(x, c):
    x, c = promote(x, c)
    one = const(1, x)
    out = tnp.log(one - c * c) - const(math.log(2 * math.pi), x)
    out = out - tnp.log(one + c * c - const(2, x) * c * tnp.cos(x))
    inside = tnp.where((x >= 0) & (x <= const(2 * math.pi, x)), out, -np.inf)
    return tnp.where((c > 0) & (c < 1), inside, np.nan)


def pdf(x, c):
    return tnp.exp(logpdf(x, c))
