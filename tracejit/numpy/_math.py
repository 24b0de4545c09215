"""Elementwise math: NumPy's ufuncs as primitives, plus composites with safe derivatives.

Each function casts its inputs to the dtypes of the loop NumPy itself would run (see
`_core.ufunc_args`), broadcasts them, and binds one primitive or a few. Composites with
a removable singularity (`sinc` at 0, `hypot` at the origin) are written with the
"double where": the unsafe branch is evaluated on a harmless stand-in value, so neither
the value nor the derivative is ever NaN, and `select` gives the untaken branch an
exact zero tangent.
"""

from __future__ import annotations

import math

import numpy as np

from ..ops import elementwise as ew
from ._core import (
    broadcast_all,
    cast,
    dtype_of,
    is_tracer,
    promo_key,
    resolve,
    result_type,
    ufunc_args,
)

# ---------------------------------------------------------------------------
# helpers


def _u(ufunc, x):
    (x,), _ = ufunc_args(ufunc, x)
    return x


def _b(ufunc, x, y):
    (x, y), _ = ufunc_args(ufunc, x, y)
    return x, y


def _c(value, like):
    """A 0-d constant with the dtype of `like`."""
    return np.asarray(value, dtype=dtype_of(like))


def _is_int(x) -> bool:
    return not np.issubdtype(dtype_of(x), np.inexact)


def _fresh(x):
    """Identity; a concrete input is copied, so results never alias the caller's arrays."""
    return x if is_tracer(x) else np.array(x)


def safe_sqrt(s):
    """sqrt(s) for s >= 0 whose derivative at s = 0 is 0, not inf: the kink convention.

    Used for 2-norms: d‖x‖ = x/‖x‖ · dx where ‖x‖ > 0, and 0 at x = 0 (the minimum-norm
    subgradient). The square root only ever sees s where s > 0, and 1 elsewhere.
    """
    zero = ew.eq(s, _c(0, s))
    return ew.select(zero, _c(0, s), ew.sqrt(ew.select(zero, _c(1, s), s)))


# ---------------------------------------------------------------------------
# arithmetic


def add(x1, x2, /):
    return ew.add(*_b(np.add, x1, x2))


def subtract(x1, x2, /):
    return ew.sub(*_b(np.subtract, x1, x2))


def multiply(x1, x2, /):
    return ew.mul(*_b(np.multiply, x1, x2))


def true_divide(x1, x2, /):
    return ew.div(*_b(np.true_divide, x1, x2))


divide = true_divide


def floor_divide(x1, x2, /):
    x, y = _b(np.floor_divide, x1, x2)
    if not _is_int(x):  # piecewise constant: derivative 0 (and no rule needed)
        x, y = (ew.stop_gradient(v) if is_tracer(v) else v for v in (x, y))
    return ew.floor_divide(x, y)


def remainder(x1, x2, /):
    return ew.rem(*_b(np.remainder, x1, x2))


mod = remainder


def fmod(x1, x2, /):
    """C's fmod: the result has the sign of the dividend."""
    x, y = _b(np.fmod, x1, x2)
    r = ew.rem(x, y)
    fix = ew.and_(ew.ne(r, _c(0, r)), ew.ne(ew.lt(r, _c(0, r)), ew.lt(x, _c(0, x))))
    return ew.select(fix, ew.sub(r, y), r)


def divmod(x1, x2, /):
    return floor_divide(x1, x2), remainder(x1, x2)


def power(x1, x2, /):
    """x1 ** x2; a Python int exponent uses integer_pow (exact, cheap, any-sign base)."""
    if type(x2) is int:
        x = cast(x1, resolve(np.power, (promo_key(x1), int))[0])
        if _is_int(x) and x2 < 0:
            raise ValueError("Integers to negative integer powers are not allowed.")
        if dtype_of(x) == np.bool_:
            return ew.integer_pow(cast(x, np.int8), y=x2)
        return ew.integer_pow(x, y=x2)
    return ew.pow(*_b(np.power, x1, x2))


def float_power(x1, x2, /):
    return ew.pow(*_b(np.float_power, x1, x2))


def negative(x, /):
    return ew.neg(_u(np.negative, x))


def positive(x, /):
    return _fresh(_u(np.positive, x))


def absolute(x, /):
    return ew.abs(_u(np.absolute, x))


abs = absolute


def fabs(x, /):
    return ew.abs(_u(np.fabs, x))


def sign(x, /):
    return ew.sign(_u(np.sign, x))


def square(x, /):
    x = _u(np.square, x)
    return ew.integer_pow(x, y=2)


def reciprocal(x, /):
    x = _u(np.reciprocal, x)
    if _is_int(x):  # C integer division 1 // x, truncating
        one = ew.eq(x, _c(1, x))
        minus_one = ew.eq(x, _c(-1, x)) if np.issubdtype(dtype_of(x), np.signedinteger) else None
        out = ew.select(one, _c(1, x), _c(0, x))
        return out if minus_one is None else ew.select(minus_one, _c(-1, x), out)
    return ew.div(_c(1, x), x)


# ---------------------------------------------------------------------------
# rounding


def _rounding(ufunc, prim, x):
    x = _u(ufunc, x)
    return _fresh(x) if _is_int(x) else prim(x)


def floor(x, /):
    return _rounding(np.floor, ew.floor, x)


def ceil(x, /):
    return _rounding(np.ceil, ew.ceil, x)


def rint(x, /):
    return _rounding(np.rint, ew.round, x)


def trunc(x, /):
    x = _u(np.trunc, x)
    if _is_int(x):
        return _fresh(x)
    return ew.select(ew.lt(x, _c(0, x)), ew.ceil(x), ew.floor(x))


def fix(x, /):
    return trunc(x)


def round(a, decimals=0, out=None):
    """Round half to even, at `decimals` places (NumPy's scaling method)."""
    if out is not None:
        raise TypeError("tracejit.numpy.round: out= is not supported (arrays are immutable)")
    decimals = int(decimals)
    x = a if is_tracer(a) else np.asarray(a)
    if _is_int(x):
        if decimals >= 0:
            return _fresh(x)
        scale = 10 ** (-decimals)
        xf = cast(x, np.float64)
        return cast(ew.mul(ew.round(ew.div(xf, _c(scale, xf))), _c(scale, xf)), dtype_of(x))
    if decimals == 0:
        return ew.round(x)
    if decimals > 0:
        scale = _c(10.0**decimals, x)
        return ew.div(ew.round(ew.mul(x, scale)), scale)
    scale = _c(10.0 ** (-decimals), x)
    return ew.mul(ew.round(ew.div(x, scale)), scale)


around = round


# ---------------------------------------------------------------------------
# exponentials, logarithms, powers, trigonometry


def exp(x, /):
    return ew.exp(_u(np.exp, x))


def exp2(x, /):
    return ew.exp2(_u(np.exp2, x))


def expm1(x, /):
    return ew.expm1(_u(np.expm1, x))


def log(x, /):
    return ew.log(_u(np.log, x))


def log1p(x, /):
    return ew.log1p(_u(np.log1p, x))


def log2(x, /):
    return ew.log2(_u(np.log2, x))


def log10(x, /):
    x = _u(np.log10, x)
    return ew.mul(ew.log(x), _c(1 / math.log(10.0), x))


def sqrt(x, /):
    return ew.sqrt(_u(np.sqrt, x))


def cbrt(x, /):
    return ew.cbrt(_u(np.cbrt, x))


def sin(x, /):
    return ew.sin(_u(np.sin, x))


def cos(x, /):
    return ew.cos(_u(np.cos, x))


def tan(x, /):
    return ew.tan(_u(np.tan, x))


def arcsin(x, /):
    return ew.asin(_u(np.arcsin, x))


def arccos(x, /):
    return ew.acos(_u(np.arccos, x))


def arctan(x, /):
    return ew.atan(_u(np.arctan, x))


def arctan2(x1, x2, /):
    return ew.atan2(*_b(np.arctan2, x1, x2))


def sinh(x, /):
    return ew.sinh(_u(np.sinh, x))


def cosh(x, /):
    return ew.cosh(_u(np.cosh, x))


def tanh(x, /):
    return ew.tanh(_u(np.tanh, x))


def arcsinh(x, /):
    return ew.asinh(_u(np.arcsinh, x))


def arccosh(x, /):
    return ew.acosh(_u(np.arccosh, x))


def arctanh(x, /):
    return ew.atanh(_u(np.arctanh, x))


def deg2rad(x, /):
    x = _u(np.deg2rad, x)
    return ew.mul(x, _c(math.pi / 180, x))


radians = deg2rad


def rad2deg(x, /):
    x = _u(np.rad2deg, x)
    return ew.mul(x, _c(180 / math.pi, x))


degrees = rad2deg


def hypot(x1, x2, /):
    """sqrt(x1² + x2²), with gradient 0 (not NaN) at the origin."""
    x, y = _b(np.hypot, x1, x2)
    return safe_sqrt(ew.add(ew.mul(x, x), ew.mul(y, y)))


def sinc(x, /):
    """sin(πx)/(πx), 1 at 0; at 0 a Taylor branch gives the right first two derivatives."""
    x = _u(np.sin, x)
    px = ew.mul(x, _c(math.pi, x))
    zero = ew.eq(x, _c(0, x))
    safe = ew.select(zero, _c(1, x), px)
    taylor = ew.sub(_c(1, x), ew.div(ew.mul(px, px), _c(6, x)))
    return ew.select(zero, taylor, ew.div(ew.sin(safe), safe))


def logaddexp(x1, x2, /):
    """log(exp(x1) + exp(x2)) without overflow; at a tie each input gets gradient 1/2."""
    x, y = _b(np.logaddexp, x1, x2)
    top = ew.max(x, y)
    delta = ew.sub(x, y)
    smooth = ew.add(top, ew.log1p(ew.exp(ew.neg(ew.abs(delta)))))
    return ew.select(_same_infinity(x, y, delta), ew.add(x, y), smooth)


def logaddexp2(x1, x2, /):
    x, y = _b(np.logaddexp2, x1, x2)
    top = ew.max(x, y)
    delta = ew.sub(x, y)
    tail = ew.mul(ew.log1p(ew.exp2(ew.neg(ew.abs(delta)))), _c(1 / math.log(2.0), x))
    return ew.select(_same_infinity(x, y, delta), ew.add(x, y), ew.add(top, tail))


def _same_infinity(x, y, delta):
    """Where x and y are the same infinity (their difference is NaN, the sum is the
    answer); a NaN operand is not one, so its derivative stays NaN."""
    return ew.and_(ew.ne(delta, delta), ew.eq(x, y))


# ---------------------------------------------------------------------------
# extrema, clipping, selection


def maximum(x1, x2, /):
    return ew.max(*_b(np.maximum, x1, x2))


def minimum(x1, x2, /):
    return ew.min(*_b(np.minimum, x1, x2))


def fmax(x1, x2, /):
    """maximum that ignores a NaN operand."""
    x, y = _b(np.fmax, x1, x2)
    if _is_int(x):
        return ew.max(x, y)
    m = ew.max(x, y)
    return ew.select(ew.ne(y, y), x, ew.select(ew.ne(x, x), y, m))


def fmin(x1, x2, /):
    x, y = _b(np.fmin, x1, x2)
    if _is_int(x):
        return ew.min(x, y)
    m = ew.min(x, y)
    return ew.select(ew.ne(y, y), x, ew.select(ew.ne(x, x), y, m))


def clip(a, a_min=None, a_max=None, *, min=None, max=None):
    """minimum(maximum(a, lo), hi): a tie with a bound splits the gradient 1/2, 1/2."""
    lo = a_min if min is None else min
    hi = a_max if max is None else max
    out = a if is_tracer(a) else np.asarray(a)
    if lo is not None:
        out = maximum(out, lo)
    if hi is not None:
        out = minimum(out, hi)
    return out if (lo is not None or hi is not None) else _fresh(out)


def where(condition, x=None, y=None, /, *, size=None, fill_value=None):
    """select with broadcasting and promotion; where(c) alone is nonzero(c), with JAX's
    size= and fill_value= for a static shape under jit."""
    if x is None and y is None:
        from ._indexing import nonzero

        return nonzero(condition, size=size, fill_value=fill_value)
    if x is None or y is None:
        raise ValueError("either both or neither of x and y should be given")
    dt = result_type(x, y)
    c = cast(condition, np.bool_) if dtype_of(condition) != np.bool_ else condition
    c, x, y = broadcast_all([c, cast(x, dt), cast(y, dt)])
    return ew.select(c, x, y)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    x = x if is_tracer(x) else np.asarray(x)
    if _is_int(x):
        return _fresh(x)
    info = np.finfo(dtype_of(x))
    posinf = info.max if posinf is None else posinf
    neginf = info.min if neginf is None else neginf
    out = ew.select(ew.ne(x, x), _c(nan, x), x)
    out = ew.select(ew.eq(x, _c(np.inf, x)), _c(posinf, x), out)
    return ew.select(ew.eq(x, _c(-np.inf, x)), _c(neginf, x), out)


def heaviside(x1, x2, /):
    x, h0 = _b(np.heaviside, x1, x2)
    out = ew.select(ew.lt(x, _c(0, x)), _c(0, x), _c(1, x))
    out = ew.select(ew.eq(x, _c(0, x)), h0, out)
    return ew.select(ew.ne(x, x), x, out)
