"""Predicates, comparisons, logic and bitwise operations, and real/imag parts.

Comparisons promote both operands as NumPy does (weak Python scalars included) and give
bool; predicates on integer inputs need no primitive at all (an int is never NaN).
"""

from __future__ import annotations

import numpy as np

from ..ops import elementwise as ew
from ._core import broadcast_all, cast, dtype_of, is_tracer, result_type, shape_of
from ._math import _b, _c, _fresh, _is_int, _u

# ---------------------------------------------------------------------------
# predicates


def copysign(x1, x2, /):
    x, y = _b(np.copysign, x1, x2)
    a = ew.abs(x)
    return ew.select(signbit(y), ew.neg(a), a)


def _false_like(x):
    return np.zeros(shape_of(x), np.bool_)


def isnan(x, /):
    x = _u(np.isnan, x)
    return _false_like(x) if _is_int(x) else ew.ne(x, x)


def isinf(x, /):
    x = _u(np.isinf, x)
    return _false_like(x) if _is_int(x) else ew.eq(ew.abs(x), _c(np.inf, x))


def isfinite(x, /):
    x = _u(np.isfinite, x)
    if _is_int(x):
        return np.ones(shape_of(x), np.bool_)
    return ew.lt(ew.abs(x), _c(np.inf, x))


def isposinf(x, /):
    x = _u(np.isinf, x)
    return _false_like(x) if _is_int(x) else ew.eq(x, _c(np.inf, x))


def isneginf(x, /):
    x = _u(np.isinf, x)
    return _false_like(x) if _is_int(x) else ew.eq(x, _c(-np.inf, x))


def signbit(x, /):
    """x < 0, and True for -0.0 (detected as 1/x = -inf)."""
    x = _u(np.signbit, x)
    neg = ew.lt(x, _c(0, x))
    if _is_int(x):
        return neg
    negzero = ew.and_(ew.eq(x, _c(0, x)), ew.lt(ew.div(_c(1, x), x), _c(0, x)))
    return ew.or_(neg, negzero)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    dt = result_type(a, b)
    dt = dt if np.issubdtype(dt, np.inexact) else np.dtype(np.float64)
    x, y = broadcast_all([cast(a, dt), cast(b, dt)])
    tol = ew.add(_c(atol, x), ew.mul(_c(rtol, x), ew.abs(y)))
    diff = ew.abs(ew.sub(x, y))
    close = ew.or_(ew.le(diff, tol), ew.eq(x, y))  # eq: inf == inf
    if equal_nan:
        close = ew.or_(close, ew.and_(ew.ne(x, x), ew.ne(y, y)))
    return close


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    from ._reductions import all

    return all(isclose(a, b, rtol, atol, equal_nan))


def array_equal(a1, a2, equal_nan=False):
    from ._reductions import all

    if shape_of(a1) != shape_of(a2):
        return np.False_
    eq = equal(a1, a2)
    if equal_nan:
        eq = logical_or(eq, logical_and(isnan(a1), isnan(a2)))
    return all(eq)


# ---------------------------------------------------------------------------
# comparisons and logic


def equal(x1, x2, /):
    return ew.eq(*_b(np.equal, x1, x2))


def not_equal(x1, x2, /):
    return ew.ne(*_b(np.not_equal, x1, x2))


def less(x1, x2, /):
    return ew.lt(*_b(np.less, x1, x2))


def less_equal(x1, x2, /):
    return ew.le(*_b(np.less_equal, x1, x2))


def greater(x1, x2, /):
    return ew.gt(*_b(np.greater, x1, x2))


def greater_equal(x1, x2, /):
    return ew.ge(*_b(np.greater_equal, x1, x2))


def _truth(x):
    return x if dtype_of(x) == np.bool_ else ew.ne(x, _c(0, x))


def logical_and(x1, x2, /):
    x, y = _b(np.logical_and, x1, x2)
    return ew.and_(_truth(x), _truth(y))


def logical_or(x1, x2, /):
    x, y = _b(np.logical_or, x1, x2)
    return ew.or_(_truth(x), _truth(y))


def logical_xor(x1, x2, /):
    x, y = _b(np.logical_xor, x1, x2)
    return ew.xor(_truth(x), _truth(y))


def logical_not(x, /):
    return ew.not_(_truth(_u(np.logical_not, x)))


def bitwise_and(x1, x2, /):
    return ew.and_(*_b(np.bitwise_and, x1, x2))


def bitwise_or(x1, x2, /):
    return ew.or_(*_b(np.bitwise_or, x1, x2))


def bitwise_xor(x1, x2, /):
    return ew.xor(*_b(np.bitwise_xor, x1, x2))


def invert(x, /):
    return ew.not_(_u(np.invert, x))


bitwise_not = invert
bitwise_invert = invert


# ---------------------------------------------------------------------------
# complex parts (tracejit arrays are real)


def _check_real(x):
    if np.issubdtype(dtype_of(x), np.complexfloating):
        raise NotImplementedError("tracejit.numpy supports real dtypes only, not complex")


def conjugate(x, /):
    x = x if is_tracer(x) else np.asarray(x)
    _check_real(x)
    return _fresh(x)


conj = conjugate


def real(val, /):
    return conjugate(val)


def imag(val, /):
    x = val if is_tracer(val) else np.asarray(val)
    _check_real(x)
    return np.zeros(shape_of(x), dtype_of(x))
