"""The Dirichlet distribution, as jax.scipy.stats.dirichlet: x's first axis is the
simplex (k entries, or k - 1 with the last implied), alpha is (k,)."""

import numpy as np

from ... import numpy as tnp
from .. import special
from ._common import c

__all__ = ["logpdf", "pdf"]


def logpdf(x, alpha):
    x, alpha = _promote_apart(x, alpha)
    if tnp.ndim(alpha) != 1:
        raise ValueError(f"`alpha` must be one-dimensional; got alpha.shape={tnp.shape(alpha)}")
    k = tnp.shape(alpha)[0]
    if tnp.shape(x)[0] not in (k, k - 1):
        raise ValueError(
            "`x` must have either the same number of entries as `alpha` or one entry "
            f"fewer; got x.shape={tnp.shape(x)}, alpha.shape={tnp.shape(alpha)}"
        )
    one = c(1, x)
    if tnp.shape(x)[0] != k:
        x = tnp.concatenate([x, one - tnp.sum(x, axis=0, keepdims=True)], axis=0)
    norm = tnp.sum(special.gammaln(alpha)) - special.gammaln(tnp.sum(alpha))
    a = tnp.reshape(alpha, (k,) + (1,) * (tnp.ndim(x) - 1))
    out = tnp.sum(special.xlogy(a - one, x), axis=0) - norm
    simplex = tnp.all(x > 0, axis=0) & (tnp.abs(tnp.sum(x, axis=0) - one) < 1e-6)
    return tnp.where(simplex, out, -np.inf)


def _promote_apart(x, alpha):
    """One dtype for both, without broadcasting them together (their shapes differ)."""
    dt = special._inexact_dtype((x, alpha))
    return tnp.asarray(x, dt), tnp.asarray(alpha, dt)


def pdf(x, alpha):
    return tnp.exp(logpdf(x, alpha))
