"""The Poisson distribution, as jax.scipy.stats.poisson."""

import math

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpmf", "pmf", "cdf", "entropy"]


def logpmf(k, mu, loc=0):
    k, mu, loc = promote(k, mu, loc)
    x = k - loc
    out = special.xlogy(x, mu) - special.gammaln(x + c(1, x)) - mu
    return tnp.where((x < 0) | (tnp.round(k) != k), -np.inf, out)


def pmf(k, mu, loc=0):
    return tnp.exp(logpmf(k, mu, loc))


def cdf(k, mu, loc=0):
    k, mu, loc = promote(k, mu, loc)
    x = k - loc
    p = special.gammaincc(tnp.floor(c(1, x) + tnp.maximum(x, c(0, x))), mu)
    return tnp.where(x < 0, c(0, x), p)


def entropy(mu, loc=0):
    """-Σ_k p_k log p_k: summed over k < 250 for mu < 100, Stirling's series above."""
    mu, loc = promote(mu, loc)
    k = tnp.arange(250, dtype=mu.dtype).reshape((250,) + (1,) * tnp.ndim(mu))
    probs = pmf(k, tnp.expand_dims(mu, 0))
    summed = tnp.sum(special.entr(probs), axis=0)
    big = tnp.maximum(mu, c(100, mu))
    stirling = c(0.5, mu) * tnp.log(c(2 * math.pi * math.e, mu) * big) - c(1, mu) / (
        c(12, mu) * big
    )
    out = tnp.where(mu == 0, c(0, mu), tnp.where(mu < 100, summed, stirling))
    return tnp.broadcast_to(out, np.broadcast_shapes(tnp.shape(mu), tnp.shape(loc)))
