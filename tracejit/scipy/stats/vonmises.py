"""The von Mises distribution, as jax.scipy.stats.vonmises."""

import math

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf"]


def logpdf(x, kappa):
    x, kappa = promote(x, kappa)
    out = kappa * (tnp.cos(x) - c(1, x)) - tnp.log(c(2 * math.pi, x) * special.i0e(kappa))
    return tnp.where(kappa > 0, out, np.nan)


def pdf(x, kappa):
    return tnp.exp(logpdf(x, kappa))
