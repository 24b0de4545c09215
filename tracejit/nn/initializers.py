"""Parameter initialisers, as jax.nn.initializers: ``init(key, shape, dtype) -> array``.

Factories (``glorot_uniform()``, ``normal(stddev)``, ...) return an initialiser; ``zeros``
and ``ones`` are initialisers themselves. Keys are tracejit.random keys, and with the
same key the values equal JAX's (x64): the "normal" variance-scaling initialisers
(glorot_normal, he_normal, lecun_normal) draw from a normal truncated to two standard
deviations, rescaled to the target variance, exactly as JAX's do.
"""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as tnp
from .. import random

__all__ = [
    "constant",
    "glorot_normal",
    "glorot_uniform",
    "he_normal",
    "he_uniform",
    "kaiming_normal",
    "kaiming_uniform",
    "lecun_normal",
    "lecun_uniform",
    "normal",
    "ones",
    "truncated_normal",
    "uniform",
    "variance_scaling",
    "xavier_normal",
    "xavier_uniform",
    "zeros",
]

# the standard deviation of a standard normal truncated to (-2, 2)
_TRUNCATED_STDDEV = 0.87962566103423978


def zeros(key, shape, dtype=np.float64):
    return np.zeros(random._shape(shape), dtype)


def ones(key, shape, dtype=np.float64):
    return np.ones(random._shape(shape), dtype)


def constant(value, dtype=np.float64):
    def init(key, shape, dtype=dtype):
        return tnp.full(random._shape(shape), value, dtype)

    return init


def uniform(scale=1e-2, dtype=np.float64):
    """Uniform on [0, scale)."""

    def init(key, shape, dtype=dtype):
        return random.uniform(key, shape, dtype) * tnp.asarray(scale, dtype)

    return init


def normal(stddev=1e-2, dtype=np.float64):
    """Normal with mean 0 and standard deviation stddev."""

    def init(key, shape, dtype=dtype):
        return random.normal(key, shape, dtype) * tnp.asarray(stddev, dtype)

    return init


def truncated_normal(stddev=1e-2, dtype=np.float64, lower=-2.0, upper=2.0):
    """stddev times a standard normal truncated to (lower, upper)."""

    def init(key, shape, dtype=dtype):
        return random.truncated_normal(key, lower, upper, shape, dtype) * tnp.asarray(stddev, dtype)

    return init


def _axes_size(shape, axes) -> int:
    if isinstance(axes, int):
        return shape[axes]
    return math.prod(shape[i] for i in axes)


def _fans(shape, in_axis, out_axis, batch_axis) -> tuple[float, float]:
    """Fan-in and fan-out; other axes than in/out/batch are a convolution's receptive
    field and multiply both."""
    if isinstance(in_axis, int) and in_axis == -2 and len(shape) <= 1:
        raise ValueError(
            f"cannot compute fan-in and fan-out of a {len(shape)}-d weights array with the "
            "default in_axis=-2; pass a shape of at least 2 dimensions, or in_axis"
        )
    n_in = _axes_size(shape, in_axis)
    n_out = _axes_size(shape, out_axis)
    n_batch = _axes_size(shape, batch_axis)
    receptive = math.prod(shape) / n_in / n_out / n_batch
    return n_in * receptive, n_out * receptive


def variance_scaling(
    scale, mode: str, distribution: str, in_axis=-2, out_axis=-1, batch_axis=(), dtype=np.float64
):
    """Samples with variance ``scale / n``, n the fan-in, fan-out, their mean or their
    geometric mean (mode "fan_in", "fan_out", "fan_avg", "fan_geo_avg"); distribution
    "truncated_normal", "normal" or "uniform"."""

    def init(key, shape, dtype=dtype):
        shape = random._shape(shape)
        dtype = np.dtype(dtype)
        fan_in, fan_out = _fans(shape, in_axis, out_axis, batch_axis)
        denominator = {
            "fan_in": fan_in,
            "fan_out": fan_out,
            "fan_avg": (fan_in + fan_out) / 2,
            "fan_geo_avg": (fan_in * fan_out) ** 0.5,
        }.get(mode)
        if denominator is None:
            raise ValueError(f"variance_scaling: invalid mode {mode!r}")
        variance = np.asarray(scale / denominator, dtype)
        if distribution == "truncated_normal":
            stddev = np.sqrt(variance) / np.asarray(_TRUNCATED_STDDEV, dtype)
            return random.truncated_normal(key, -2, 2, shape, dtype) * stddev
        if distribution == "normal":
            return random.normal(key, shape, dtype) * np.sqrt(variance)
        if distribution == "uniform":
            return random.uniform(key, shape, dtype, -1) * np.sqrt(3 * variance)
        raise ValueError(f"variance_scaling: invalid distribution {distribution!r}")

    return init


def glorot_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=np.float64):
    """Glorot/Xavier uniform: variance 2 / (fan_in + fan_out)."""
    return variance_scaling(1.0, "fan_avg", "uniform", in_axis, out_axis, batch_axis, dtype)


def glorot_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=np.float64):
    """Glorot/Xavier normal (truncated): variance 2 / (fan_in + fan_out)."""
    return variance_scaling(
        1.0, "fan_avg", "truncated_normal", in_axis, out_axis, batch_axis, dtype
    )


def he_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=np.float64):
    """He/Kaiming uniform: variance 2 / fan_in."""
    return variance_scaling(2.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def he_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=np.float64):
    """He/Kaiming normal (truncated): variance 2 / fan_in."""
    return variance_scaling(2.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


def lecun_uniform(in_axis=-2, out_axis=-1, batch_axis=(), dtype=np.float64):
    """LeCun uniform: variance 1 / fan_in."""
    return variance_scaling(1.0, "fan_in", "uniform", in_axis, out_axis, batch_axis, dtype)


def lecun_normal(in_axis=-2, out_axis=-1, batch_axis=(), dtype=np.float64):
    """LeCun normal (truncated): variance 1 / fan_in."""
    return variance_scaling(1.0, "fan_in", "truncated_normal", in_axis, out_axis, batch_axis, dtype)


xavier_uniform, xavier_normal = glorot_uniform, glorot_normal
kaiming_uniform, kaiming_normal = he_uniform, he_normal
