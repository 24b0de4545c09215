"""Student's t distribution, as jax.scipy.stats.t."""

import math

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf"]


def logpdf(x, df, loc=0, scale=1):
    x, df, loc, scale = promote(x, df, loc, scale)
    z = (x - loc) / scale
    half_df = df / c(2, x)
    half_df1 = half_df + c(0.5, x)
    norm = (
        special.gammaln(half_df)
        + tnp.log(scale * scale * c(math.pi, x) * df) / c(2, x)
        - special.gammaln(half_df1)
    )
    return -(norm + half_df1 * tnp.log1p(z * z / df))


def pdf(x, df, loc=0, scale=1):
    return tnp.exp(logpdf(x, df, loc, scale))
