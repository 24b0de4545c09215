"""Activation functions and friends, as jax.nn: the same names, arguments, values and
output dtypes.

All are tracejit.numpy compositions, so they trace, differentiate, batch and compile.
One deliberate difference: at a kink the derivative is tracejit's convention, the
minimum-norm element of the Clarke subdifferential (README, "Derivatives at kinks"):

    relu'(0) = 0                      (subdifferential [0, 1]; JAX also 0)
    relu6'(0) = relu6'(6) = 0         ([0, 1] at both kinks; JAX also 0)
    hard_tanh'(±1) = 0                ([0, 1]; JAX gives 1)
    leaky_relu'(0) = the slope of the two nearest zero, 0 if they straddle it
                                      ([a, 1] for a slope a; JAX gives 1)
    elu'(0) = the one of alpha and 1 nearest zero (selu'(0) = scale; JAX gives alpha,
                                      and scale * alpha)

Functions written with clip, maximum or minimum (sparse_sigmoid, celu) give half of a tie
to each operand, as those primitives do (README), which is also JAX's value there.
Branches are selected with `where`, whose untaken branch gets an exact zero tangent, so
no NaN leaks from the other side.

Output dtypes follow jax.nn under x64: integers keep their type through relu and
hard_tanh; relu6, elu, leaky_relu and their kin return float64; the smooth functions
compute in float32 for integers of 32 bits or fewer and in float64 for 64-bit ones.
Deliberate difference: sigmoid, silu and glu accept integers, and log_sigmoid, log1mexp,
softmax and log_softmax accept bool (JAX raises TypeError); they compute in that float.
"""

from __future__ import annotations

import math

import numpy as np

from .. import numpy as tnp
from ..ops.elementwise import erf, logistic, rsqrt, stop_gradient
from ..trace import Tracer

__all__ = [
    "celu",
    "elu",
    "gelu",
    "glu",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "hard_tanh",
    "identity",
    "leaky_relu",
    "log1mexp",
    "log_sigmoid",
    "log_softmax",
    "logmeanexp",
    "logsumexp",
    "mish",
    "one_hot",
    "relu",
    "relu6",
    "selu",
    "sigmoid",
    "silu",
    "soft_sign",
    "softmax",
    "softplus",
    "sparse_plus",
    "sparse_sigmoid",
    "squareplus",
    "standardize",
    "swish",
    "tanh",
]


def _inexact(x):
    """x as an array of a float dtype (integers and bools become float64, JAX's default
    float), as JAX's relu6, elu and leaky_relu do."""
    x = tnp.asarray(x)
    return x if np.issubdtype(x.dtype, np.inexact) else tnp.asarray(x, np.float64)


def _min_norm(d_left, d_right):
    """The element of the interval between two one-sided slopes nearest to zero."""
    if not isinstance(d_left, Tracer) and not isinstance(d_right, Tracer):
        lo, hi = min(float(d_left), float(d_right)), max(float(d_left), float(d_right))
        return 0.0 if lo <= 0.0 <= hi else (lo if lo > 0 else hi)
    straddles = tnp.less_equal(tnp.multiply(d_left, d_right), 0)
    nearer = tnp.where(tnp.abs(d_left) < tnp.abs(d_right), d_left, d_right)
    return tnp.where(straddles, 0.0, nearer)


def _kink_at_zero(x, left, right, slope_at_zero):
    """left for x < 0, right for x > 0 (both 0 at 0), and at 0 the linear function
    `slope_at_zero * x`: its value is 0 and its derivative the chosen subgradient."""
    return tnp.where(x > 0, right, tnp.where(x < 0, left, slope_at_zero * x))


def _float(x, bool_dtype=np.float32):
    """x in the float dtype jax.numpy computes a float function of it in: floats keep
    theirs, 64-bit integers give float64, narrower ones float32, bool ``bool_dtype``."""
    x = tnp.asarray(x)
    dt = x.dtype
    if np.issubdtype(dt, np.inexact):
        return x
    if dt == np.bool_:
        return tnp.asarray(x, bool_dtype)
    return tnp.asarray(x, np.float64 if dt.itemsize == 8 else np.float32)


def _shift(x, axis, where):
    """The maximum along axis (kept), held constant for differentiation: the shift that
    keeps exp from overflowing. An empty x has no maximum, and needs none."""
    if x.size == 0:
        keep = tnp.sum(x, axis=axis, keepdims=True)
        return tnp.zeros(keep.shape, x.dtype)
    x_max = tnp.max(x, axis=axis, keepdims=True, where=where, initial=-np.inf)
    return stop_gradient(x_max)


def identity(x):
    return tnp.asarray(x)


def relu(x):
    """max(x, 0); relu'(0) = 0. Integers keep their type."""
    x = tnp.asarray(x)
    return tnp.where(x > 0, x, 0)


def relu6(x):
    """min(max(x, 0), 6); the derivative is 0 at both kinks."""
    x = _inexact(x)
    return tnp.where(x <= 0, 0.0, tnp.where(x >= 6, 6.0, x))


def leaky_relu(x, negative_slope=1e-2):
    """x for x >= 0, negative_slope * x below; at 0 the slope nearest zero of the two."""
    x = _inexact(x)
    return _kink_at_zero(x, negative_slope * x, x, _min_norm(negative_slope, 1.0))


def elu(x, alpha=1.0):
    """x for x > 0, alpha (exp(x) - 1) below; at 0 the slope nearest zero of alpha and 1."""
    x = _inexact(x)
    safe = tnp.where(x < 0, x, 0.0)  # no overflow in the untaken branch
    return _kink_at_zero(x, alpha * tnp.expm1(safe), x, _min_norm(alpha, 1.0))


def celu(x, alpha=1.0):
    """max(x, 0) + alpha (exp(min(x, 0) / alpha) - 1): continuously differentiable."""
    x = _inexact(x)
    return tnp.maximum(x, 0.0) + alpha * tnp.expm1(tnp.minimum(x, 0.0) / alpha)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x):
    """scale * elu(x, alpha) with the self-normalising constants; selu'(0) = scale."""
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def gelu(x, approximate: bool = True):
    """x Φ(x), Φ the standard normal CDF; approximate=True uses JAX's tanh formula."""
    x = _float(x)
    if approximate:
        c = math.sqrt(2.0 / math.pi)
        return x * (0.5 * (1.0 + tnp.tanh(c * (x + 0.044715 * x**3))))
    return 0.5 * x * (1.0 + erf(x * x.dtype.type(math.sqrt(0.5))))


def sigmoid(x):
    """1 / (1 + exp(-x)) (the logistic primitive: no overflow, vectorised when compiled)."""
    return logistic(_float(x))


def silu(x):
    """x * sigmoid(x)."""
    x = _float(x)
    return x * sigmoid(x)


swish = silu


def softplus(x):
    """log(1 + exp(x)), without overflow."""
    return tnp.logaddexp(_float(x, np.float64), 0.0)


def log_sigmoid(x):
    """log(sigmoid(x)) = -softplus(-x)."""
    return -softplus(-_float(x))


def soft_sign(x):
    """x / (|x| + 1)."""
    x = _float(x, np.float64)
    return x / (tnp.abs(x) + 1)


def tanh(x):
    return tnp.tanh(_float(x))


def mish(x):
    """x * tanh(softplus(x))."""
    x = _float(x, np.float64)
    return x * tnp.tanh(softplus(x))


def squareplus(x, b=4):
    """(x + sqrt(x**2 + b)) / 2, a smooth relu; b sets the curvature at 0."""
    x = tnp.asarray(x)
    if x.dtype == np.bool_:  # JAX takes bool and the weak int b to an int of 32 bits
        x = tnp.asarray(x, np.int32)
    x = _float(tnp.asarray(x, tnp.result_type(x, b)))  # a Python b is weak, as in JAX
    b = tnp.asarray(b, x.dtype)
    return (x + tnp.sqrt(tnp.square(x) + b)) / 2


def sparse_plus(x):
    """0 for x <= -1, (x + 1)**2 / 4 between, x for x >= 1: a C1 softplus with flat ends."""
    x = _inexact(x)
    return tnp.where(x <= -1, 0.0, tnp.where(x >= 1, x, tnp.square(x + 1) / 4))


def sparse_sigmoid(x):
    """clip(x + 1, 0, 2) / 2, the derivative of sparse_plus; at ±1 the clip's tie gives 1/4."""
    x = _inexact(x)
    return 0.5 * tnp.clip(x + 1.0, 0.0, 2.0)


def log1mexp(x):
    """log(1 - exp(-x)) for x >= 0 without cancellation: log1p(-exp(-x)) above log 2,
    log(-expm1(-x)) below (Mächler's split). -inf at 0, NaN below 0."""
    x = _float(x)
    return tnp.where(x > math.log(2.0), tnp.log1p(-tnp.exp(-x)), tnp.log(-tnp.expm1(-x)))


def hard_tanh(x):
    """x clipped to [-1, 1], written with `where`: hard_tanh'(±1) = 0 (the subdifferential
    is [0, 1]). Integers keep their type."""
    x = tnp.asarray(x)
    if np.issubdtype(x.dtype, np.unsignedinteger):
        return tnp.where(x >= 1, 1, x)  # -1 is not an unsigned value, nor needed
    return tnp.where(x >= 1, 1, tnp.where(x <= -1, -1, x))


def hard_sigmoid(x):
    """relu6(x + 3) / 6."""
    return relu6(_inexact(x) + 3.0) / 6.0


def hard_silu(x):
    """x * hard_sigmoid(x)."""
    x = _inexact(x)
    return x * hard_sigmoid(x)


hard_swish = hard_silu


def glu(x, axis: int = -1):
    """Gated linear unit: the first half of x along axis times sigmoid of the second."""
    x = _float(x)
    n = x.shape[axis]
    if n % 2:
        raise ValueError(f"glu: axis {axis} has odd size {n}; it must split into halves")
    a, b = tnp.split(x, 2, axis=axis)
    return a * sigmoid(b)


# ---------------------------------------------------------------------------
# normalised exponentials


def logsumexp(a, axis=None, b=None, keepdims: bool = False, return_sign: bool = False, where=None):
    """log(sum(b * exp(a))) along axis, as jax.nn.logsumexp / scipy.special.logsumexp.

    The maximum is subtracted first (and held constant for differentiation), so there is
    no overflow; -inf entries contribute exp(-inf) = 0 to the value and exactly 0 to the
    gradient, and an all -inf slice gives -inf with gradient 0 (JAX: NaN), as does an
    empty one. With ``b``, entries where b == 0 are ignored; a negative sum gives NaN
    unless ``return_sign``, which returns ``(log|sum|, sign)``.
    """
    a = _float(a)
    if where is not None:
        a = tnp.where(where, a, 0.0)
    if b is not None:
        b = tnp.asarray(b)
        a = tnp.where(b != 0, a, -np.inf)
    amax = _shift(a, axis, where)
    amax = tnp.where(tnp.isfinite(amax), amax, 0.0)
    exp_a = tnp.exp(a - amax)
    if b is not None:
        exp_a = exp_a * b
    sumexp = tnp.sum(exp_a, axis=axis, keepdims=keepdims, where=where)
    sign = tnp.sign(sumexp)
    shift = amax if keepdims else tnp.squeeze(amax, axis=axis)
    # an all -inf slice sums to 0: its value is -inf and, through the where, its
    # gradient 0 rather than inf * 0 = NaN
    mag = tnp.abs(sumexp)
    nonzero = mag > 0
    out = tnp.where(nonzero, tnp.log(tnp.where(nonzero, mag, 1.0)), -np.inf) + shift
    if return_sign:
        return out, sign
    if b is not None:
        out = tnp.where(sign < 0, np.nan, out)
    return out


def logmeanexp(x, axis=None, where=None, keepdims: bool = False):
    """log(mean(exp(x))) along axis = logsumexp(x) - log(n), n the number of entries
    taken (NaN for an empty or fully masked slice, as 0 / 0)."""
    x = _float(x)
    ones = (
        tnp.ones_like(x)
        if where is None
        else tnp.asarray(tnp.broadcast_to(where, x.shape), x.dtype)
    )
    n = tnp.sum(ones, axis=axis, keepdims=keepdims)
    return logsumexp(x, axis=axis, keepdims=keepdims, where=where) - tnp.log(n)


def softmax(x, axis=-1, where=None):
    """exp(x) / sum(exp(x)) along axis (an int, a tuple or None); masked-out entries
    (where=False) give 0."""
    x = _float(x)
    x_safe = x if where is None else tnp.where(where, x, -np.inf)
    unnormalized = tnp.exp(x_safe - _shift(x, axis, where))
    result = unnormalized / tnp.sum(unnormalized, axis=axis, keepdims=True, where=where)
    return result if where is None else tnp.where(where, result, 0.0)


def log_softmax(x, axis=-1, where=None):
    """x - logsumexp(x) along axis; masked-out entries give -inf."""
    x = _float(x)
    x_safe = x if where is None else tnp.where(where, x, -np.inf)
    shifted = x_safe - _shift(x, axis, where)
    shifted_lse = tnp.log(tnp.sum(tnp.exp(shifted), axis=axis, keepdims=True, where=where))
    result = shifted - shifted_lse
    return result if where is None else tnp.where(where, result, -np.inf)


def standardize(
    x, axis=-1, mean=None, variance=None, epsilon=1e-5, where=None, *, algorithm="fast"
):
    """(x - mean) / sqrt(variance + epsilon), the moments along axis unless given.
    algorithm="fast" (JAX's default) takes the variance as mean(x**2) - mean**2, clipped
    at 0; "stable" as mean((x - mean)**2)."""
    x = _float(x)
    if mean is None:
        mean = tnp.mean(x, axis=axis, keepdims=True, where=where)
    if variance is None:
        if algorithm == "stable":
            variance = tnp.mean(tnp.square(x - mean), axis=axis, keepdims=True, where=where)
        elif algorithm == "fast":
            mean_sq = tnp.mean(tnp.square(x), axis=axis, keepdims=True, where=where)
            variance = tnp.clip(mean_sq - tnp.square(mean), 0)
        else:
            raise ValueError(
                f"standardize: algorithm must be 'fast' or 'stable', got {algorithm!r}"
            )
    return (x - mean) * rsqrt(tnp.asarray(variance + epsilon, x.dtype))


def one_hot(x, num_classes: int, *, dtype=None, axis: int = -1):
    """1 where the new axis' position equals x, else 0; out-of-range indices give zeros."""
    x = tnp.asarray(x)
    dtype = np.dtype(np.float64 if dtype is None else dtype)
    out_axis = axis % (len(x.shape) + 1)
    shape = [1] * len(x.shape)
    shape.insert(out_axis, int(num_classes))
    classes = np.arange(int(num_classes)).reshape(shape)
    return tnp.asarray(tnp.expand_dims(x, out_axis) == classes, dtype)
