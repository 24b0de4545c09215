"""The logistic distribution, as jax.scipy.stats.logistic."""

from ... import numpy as tnp
from .. import special
from ._common import c, promote

__all__ = ["logpdf", "pdf", "cdf", "sf", "ppf", "isf"]


def logpdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    half = (x - loc) / scale / c(2, x)
    return c(-2, x) * tnp.logaddexp(half, -half) - tnp.log(scale)


def pdf(x, loc=0, scale=1):
    return tnp.exp(logpdf(x, loc, scale))


def cdf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return special.expit((x - loc) / scale)


def sf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return special.expit(-(x - loc) / scale)


def ppf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return special.logit(x) * scale + loc


def isf(x, loc=0, scale=1):
    x, loc, scale = promote(x, loc, scale)
    return -special.logit(x) * scale + loc
