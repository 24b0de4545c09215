"""The multinomial distribution, as jax.scipy.stats.multinomial."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpmf", "pmf"]


def logpmf(x, n, p):
    """x: integer counts (..., k) summing to n; p: probabilities (..., k)."""
    (p,) = promote(p)
    for name, v in (("x", x), ("n", n)):
        if not np.issubdtype(tnp.result_type(v), np.integer):
            raise ValueError(
                f"x and n must be of integer type; got {name}.dtype={tnp.result_type(v)}"
            )
    x = tnp.asarray(x).astype(p.dtype)
    n = tnp.asarray(n).astype(p.dtype)
    one = c(1, p)
    out = special.gammaln(n + one) + tnp.sum(
        special.xlogy(x, p) - special.gammaln(x + one), axis=-1
    )
    return tnp.where(tnp.sum(x) == n, out, -np.inf)


def pmf(x, n, p):
    return tnp.exp(logpmf(x, n, p))
