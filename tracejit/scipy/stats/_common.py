"""Helpers shared by the distributions: JAX's argument promotion and typed constants."""

import numpy as np

from ...numpy._core import dtype_of
from ..special import promote_inexact as promote

__all__ = ["promote", "c"]


def c(value, like):
    """A 0-d constant with the dtype of `like`."""
    return np.asarray(value, dtype=dtype_of(like))
