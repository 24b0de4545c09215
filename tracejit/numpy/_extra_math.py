"""More of jax.numpy's math, each a composite of tracejit.numpy functions and primitives.

Array API aliases (acos, pow, concat, ...), integer shifts, cumulative_sum/prod, vecdot and
friends, floating-point decomposition (frexp, ldexp, modf, nextafter, spacing), gcd/lcm,
and the numerical routines interp, gradient, trapezoid, ediff1d, convolve, correlate,
unwrap. Being composites, they differentiate and batch like everything else.

Dtypes follow NumPy where NumPy has a ufunc (shifts, frexp, ldexp, ...); the routines that
NumPy computes in floating point (interp, gradient, convolve, ...) promote integers to
float64 (JAX x64 would give float32 for int32 and narrower; tracejit keeps NumPy's
defaults). frexp/nextafter/spacing are exact on subnormals, as NumPy (XLA on CPU flushes
subnormals to zero).
"""

from __future__ import annotations

import builtins

import numpy as np

from ..ops import elementwise as ew
from ..ops import shape as sh
from ..ops import sort as so
from ._core import canon_axis as _canon_axis
from ._core import cast, dtype_of, is_tracer, result_type, shape_of, ufunc_args
from ._dot import matmul
from ._indexing import take
from ._logic import isinf, isnan
from ._math import (
    _c,
    abs,
    add,
    arccos,
    arccosh,
    arcsin,
    arcsinh,
    arctan,
    arctan2,
    arctanh,
    clip,
    multiply,
    power,
    remainder,
    subtract,
    true_divide,
    where,
)
from ._reductions import cumprod, cumsum, sum
from ._shape import concatenate, diff, flip, moveaxis, ravel, reshape
from ._sorting import searchsorted

# ---------------------------------------------------------------------------
# array API names for functions tracejit.numpy already has

acos = arccos
acosh = arccosh
asin = arcsin
asinh = arcsinh
atan = arctan
atan2 = arctan2
atanh = arctanh
pow = power


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _inexact(*xs) -> np.dtype:
    """The common float dtype of xs: integers and bool go to float64 (NumPy's default)."""
    dt = result_type(*xs)
    return dt if np.issubdtype(dt, np.inexact) else np.dtype(np.float64)


def _slice(a, axis, start, stop):
    """a[..., start:stop, ...] along axis (a static slice; negatives count from the end)."""
    n = shape_of(a)[axis]
    start, stop, _ = builtins.slice(start, stop).indices(n)
    lo = tuple(start if i == axis else 0 for i in range(len(shape_of(a))))
    hi = tuple(builtins.max(stop, start) if i == axis else s for i, s in enumerate(shape_of(a)))
    return sh.slice(a, start_indices=lo, limit_indices=hi)


def astype(x, dtype, /, *, copy=False, device=None):
    """x converted to dtype (None means float64); a new array, never the input itself."""
    x = _arr(x)
    out = cast(x, np.float64 if dtype is None else dtype)
    return np.array(out) if out is x and not is_tracer(x) else out


def isdtype(dtype, kind):
    """Is dtype of the given kind ('bool', 'signed integer', 'integral', 'real floating',
    'numeric', ..., a dtype, or a tuple of these): the array API predicate."""
    return np.isdtype(np.dtype(dtype), kind)


def unstack(x, /, *, axis=0):
    """The slices of x along axis, as a tuple."""
    x = _arr(x)
    if not shape_of(x):
        raise ValueError("unstack requires an array with at least one dimension")
    ax = _canon_axis(axis, len(shape_of(x)))
    rest = shape_of(x)[:ax] + shape_of(x)[ax + 1 :]
    return tuple(
        sh.reshape(_slice(x, ax, i, i + 1), new_sizes=rest) for i in range(shape_of(x)[ax])
    )


# ---------------------------------------------------------------------------
# integer shifts: multiplication and floor division by 2**n (no shift primitive needed)


def _pow2(n):
    """2**n in n's integer dtype, for 0 <= n < bits (2**(bits-1) wraps, as a shift does)."""
    return ew.pow(_c(2, n), n)


def left_shift(x1, x2, /):
    """x1 << x2; shifting by a negative amount or by the bit width or more gives 0 (JAX)."""
    x, n = ufunc_args(np.left_shift, x1, x2)[0]
    bits = 8 * dtype_of(x).itemsize
    ok = ew.and_(ew.ge(n, _c(0, n)), ew.lt(n, _c(bits, n)))
    out = ew.mul(x, _pow2(ew.select(ok, n, _c(0, n))))
    return ew.select(ok, out, _c(0, out))


def right_shift(x1, x2, /):
    """x1 >> x2: arithmetic for signed x1 (the sign fills in), logical for unsigned; a shift
    by a negative amount or by the bit width or more leaves only the fill (JAX)."""
    x, n = ufunc_args(np.right_shift, x1, x2)[0]
    bits = 8 * dtype_of(x).itemsize
    signed = np.issubdtype(dtype_of(x), np.signedinteger)
    top = bits - 1 if signed else bits  # x >> (bits - 1) is the sign fill already
    ok = ew.and_(ew.ge(n, _c(0, n)), ew.lt(n, _c(top, n)))
    out = ew.floor_divide(x, _pow2(ew.select(ok, n, _c(0, n))))
    fill = ew.select(ew.lt(x, _c(0, x)), _c(-1, x), _c(0, x)) if signed else _c(0, x)
    return ew.select(ok, out, fill)


bitwise_left_shift = left_shift
bitwise_right_shift = right_shift


# ---------------------------------------------------------------------------
# cumulative sums and products, vector products


def _cumulative(fn, identity, x, axis, dtype, include_initial):
    x = _arr(x)
    nd = len(shape_of(x))
    if nd == 0:
        raise ValueError("cumulative_sum/cumulative_prod need an array of at least 1 dimension")
    if axis is None:
        if nd > 1:
            raise ValueError(
                f"The input array has rank {nd}, however axis was not set to an explicit "
                "value. The axis argument is only optional for one-dimensional arrays."
            )
        axis = 0
    ax = _canon_axis(axis, nd)
    out = fn(x, axis=ax, dtype=dtype)
    if not include_initial:
        return out
    edge = shape_of(x)[:ax] + (1,) + shape_of(x)[ax + 1 :]
    return concatenate([np.full(edge, identity, dtype_of(out)), out], axis=ax)


def cumulative_sum(x, /, *, axis=None, dtype=None, include_initial=False):
    """cumsum with the array API's signature; include_initial prepends the 0."""
    return _cumulative(cumsum, 0, x, axis, dtype, include_initial)


def cumulative_prod(x, /, *, axis=None, dtype=None, include_initial=False):
    """cumprod with the array API's signature; include_initial prepends the 1."""
    return _cumulative(cumprod, 1, x, axis, dtype, include_initial)


def vecdot(x1, x2, /, *, axis=-1, precision=None, preferred_element_type=None):
    """sum(x1 * x2, axis) with broadcasting over the other axes (real arrays: no conj)."""
    a, b = _arr(x1), _arr(x2)
    if shape_of(a)[axis] != shape_of(b)[axis]:
        raise ValueError(
            f"axes must match; got shapes {shape_of(a)} and {shape_of(b)} with axis={axis}"
        )
    dt = result_type(a, b) if preferred_element_type is None else np.dtype(preferred_element_type)
    a, b = moveaxis(cast(a, dt), axis, -1), moveaxis(cast(b, dt), axis, -1)
    return sum(multiply(a, b), axis=-1, dtype=dt)


def matvec(x1, x2, /):
    """Matrix (..., n, m) times vector (..., m) -> (..., n), batch axes broadcast."""
    b = _arr(x2)
    out = matmul(x1, sh.expand_dims(b, dimensions=(len(shape_of(b)),)))
    return sh.reshape(out, new_sizes=shape_of(out)[:-1])


def vecmat(x1, x2, /):
    """Vector (..., n) times matrix (..., n, m) -> (..., m), batch axes broadcast."""
    a = _arr(x1)
    out = matmul(sh.expand_dims(a, dimensions=(len(shape_of(a)) - 1,)), x2)
    return sh.reshape(out, new_sizes=shape_of(out)[:-2] + shape_of(out)[-1:])


# ---------------------------------------------------------------------------
# floating-point decomposition


def _scale2(x, k):
    """x * 2**k for integer-valued float k in [-2148, 2148]: two factors, each in range, so
    no intermediate overflows and the result is rounded once."""
    h = ew.floor(ew.mul(k, _c(0.5, k)))
    return ew.mul(ew.mul(x, ew.exp2(h)), ew.exp2(ew.sub(k, h)))


def _frexp(x):
    """(mantissa, exponent as float) of finite nonzero x; 0.5 <= |mantissa| < 1."""
    ax = ew.abs(x)
    e = ew.add(ew.floor(ew.log2(ax)), _c(1, x))
    m = _scale2(ax, ew.neg(e))
    # log2 may round across a power of two: put the mantissa back in [0.5, 1)
    big, small = ew.ge(m, _c(1, m)), ew.lt(m, _c(0.5, m))
    m = ew.select(big, ew.mul(m, _c(0.5, m)), ew.select(small, ew.mul(m, _c(2, m)), m))
    e = ew.select(big, ew.add(e, _c(1, e)), ew.select(small, ew.sub(e, _c(1, e)), e))
    return ew.select(ew.lt(x, _c(0, x)), ew.neg(m), m), e


def frexp(x, /):
    """(m, e) with x = m * 2**e, 0.5 <= |m| < 1 (e int32); m = x and e = 0 at 0, inf, NaN."""
    (x,), _ = ufunc_args(np.frexp, x)
    special = ew.or_(ew.eq(x, _c(0, x)), ew.not_(ew.lt(ew.abs(x), _c(np.inf, x))))
    m, e = _frexp(ew.select(special, _c(1, x), x))
    return ew.select(special, x, m), cast(ew.select(special, _c(0, e), e), np.int32)


def ldexp(x1, x2, /):
    """x1 * 2**x2 for an integer x2, without overflow in the intermediate power."""
    if np.issubdtype(dtype_of(x2), np.inexact):
        raise TypeError("ldexp: the exponent x2 must be an integer")
    x, n = ufunc_args(np.ldexp, x1, x2)[0]
    h = ew.floor_divide(n, _c(2, n))
    fh, fr = cast(h, dtype_of(x)), cast(ew.sub(n, h), dtype_of(x))
    out = ew.mul(ew.mul(x, ew.exp2(fh)), ew.exp2(fr))
    keep = ew.or_(ew.eq(x, _c(0, x)), isinf(x))
    return ew.select(keep, x, out)


def modf(x, /, out=None):
    """(fractional part, integral part), both with the sign of x; (±0, ±inf) at ±inf."""
    if out is not None:
        raise TypeError("tracejit.numpy.modf: out= is not supported (arrays are immutable)")
    (x,), _ = ufunc_args(np.modf, x)
    whole = ew.select(ew.ge(x, _c(0, x)), ew.floor(x), ew.ceil(x))
    frac = ew.sub(x, whole)
    inf = isinf(x)
    zero = ew.select(ew.lt(x, _c(0, x)), _c(-0.0, x), _c(0, x))
    return ew.select(inf, zero, frac), whole


def nextafter(x1, x2, /):
    """The float next to x1 in the direction of x2 (x2 itself when they are equal)."""
    x, y = ufunc_args(np.nextafter, x1, x2)[0]
    info = np.finfo(dtype_of(x))
    tiny = _c(info.smallest_subnormal, x)
    finite = ew.lt(ew.abs(x), _c(np.inf, x))
    safe = ew.select(ew.and_(finite, ew.ne(x, _c(0, x))), x, _c(1, x))
    m, e = _frexp(safe)
    ulp = ew.max(_scale2(_c(1, e), ew.sub(e, _c(info.nmant + 1, e))), tiny)  # away from zero
    pow2 = ew.eq(ew.abs(m), _c(0.5, m))  # towards zero the gap below 2**k is half as wide
    inward = ew.max(ew.select(pow2, ew.mul(ulp, _c(0.5, ulp)), ulp), tiny)
    up = ew.gt(y, x)
    away = ew.eq(up, ew.gt(x, _c(0, x)))
    step = ew.select(away, ulp, inward)
    out = ew.select(up, ew.add(x, step), ew.sub(x, step))
    out = ew.select(ew.eq(x, _c(0, x)), ew.select(up, tiny, ew.neg(tiny)), out)
    big = ew.select(ew.gt(x, _c(0, x)), _c(info.max, x), _c(-info.max, x))
    out = ew.select(finite, out, big)  # from ±inf towards anything: ±max
    out = ew.select(ew.eq(x, y), y, out)
    return ew.select(ew.or_(isnan(x), isnan(y)), ew.add(x, y), out)


def spacing(x, /):
    """The distance from x to the next float away from zero (NaN at ±inf)."""
    (x,), _ = ufunc_args(np.spacing, x)
    tiny = _c(np.finfo(dtype_of(x)).smallest_subnormal, x)
    neg = ew.lt(x, _c(0, x))
    away = ew.select(neg, _c(-np.inf, x), _c(np.inf, x))
    out = ew.sub(nextafter(x, away), x)
    return ew.select(ew.eq(out, _c(0, out)), ew.select(neg, ew.neg(tiny), tiny), out)


# ---------------------------------------------------------------------------
# integer functions


def gcd(x1, x2, /):
    """Greatest common divisor of |x1| and |x2| (Euclid's algorithm in a while_loop)."""
    if not np.issubdtype(result_type(x1, x2), np.integer):
        raise ValueError("Arguments to tracejit.numpy.gcd must be integers.")
    x, y = ufunc_args(np.gcd, x1, x2)[0]
    if not (is_tracer(x) or is_tracer(y)):
        return np.gcd(x, y)
    from ..lax import while_loop
    from ._core import broadcast_to
    from ._reductions import any

    shape = np.broadcast_shapes(shape_of(x), shape_of(y))
    x, y = broadcast_to(abs(x), shape), broadcast_to(abs(y), shape)

    def body(c):
        a, b = c
        nz = ew.ne(b, _c(0, b))
        return ew.select(nz, b, a), ew.select(nz, ew.rem(a, ew.select(nz, b, _c(1, b))), b)

    return while_loop(lambda c: any(ew.ne(c[1], _c(0, c[1]))), body, (x, y))[0]


def lcm(x1, x2, /):
    """Least common multiple of |x1| and |x2| (0 if either is 0)."""
    if not np.issubdtype(result_type(x1, x2), np.integer):
        raise ValueError("Arguments to tracejit.numpy.lcm must be integers.")
    x, y = ufunc_args(np.lcm, x1, x2)[0]
    if not (is_tracer(x) or is_tracer(y)):
        return np.lcm(x, y)
    x, y = abs(x), abs(y)
    d = gcd(x, y)
    zero = ew.eq(d, _c(0, d))
    return where(zero, _c(0, d), multiply(x, ew.floor_divide(y, ew.select(zero, _c(1, d), d))))


# ---------------------------------------------------------------------------
# numerical routines


def interp(x, xp, fp, left=None, right=None, period=None):
    """Piecewise-linear interpolant of (xp, fp) at x; left/right (or 'extrapolate') beyond
    the ends; with a period, x and xp wrap around. Differentiable in x, xp and fp."""
    x, xp, fp = _arr(x), _arr(xp), _arr(fp)
    if shape_of(xp) != shape_of(fp) or len(shape_of(xp)) != 1:
        raise ValueError("xp and fp must be one-dimensional arrays of equal size")
    for name, v in (("left", left), ("right", right)):
        if isinstance(v, str) and v != "extrapolate":
            raise ValueError(f"the only valid string value of `{name}` is 'extrapolate'")
    dt = _inexact(x, xp)
    x, xp, fp = cast(x, dt), cast(xp, dt), cast(fp, _inexact(fp))
    if period is not None:
        if np.ndim(period) != 0:
            raise ValueError(f"period must be a scalar; got {period}")
        period = abs(period)
        x, xp = remainder(x, period), remainder(xp, period)
        xp, fp = so.sort(xp, fp, dimension=0, num_keys=1)
        xp = concatenate([subtract(_slice(xp, 0, -1, None), period), xp,
                          add(_slice(xp, 0, 0, 1), period)])  # fmt: skip
        fp = concatenate([_slice(fp, 0, -1, None), fp, _slice(fp, 0, 0, 1)])
    n = shape_of(xp)[0]
    i = clip(searchsorted(xp, x, side="right"), 1, n - 1)
    j = ew.sub(i, _c(1, i))
    # i and j are in range by construction: clip (no masking for out-of-range fills)
    f0, x0 = take(fp, j, mode="clip"), take(xp, j, mode="clip")
    df = subtract(take(fp, i, mode="clip"), f0)
    dx = subtract(take(xp, i, mode="clip"), x0)
    dx0 = ew.le(ew.abs(dx), _c(np.spacing(np.finfo(dt).eps), dx))
    f = where(dx0, f0, add(f0, multiply(true_divide(subtract(x, x0), where(dx0, 1, dx)), df)))
    if period is None:
        if not isinstance(left, str):
            f = where(ew.lt(x, take(xp, 0)), take(fp, 0) if left is None else left, f)
        if not isinstance(right, str):
            f = where(ew.gt(x, take(xp, n - 1)), take(fp, n - 1) if right is None else right, f)
    return f


def gradient(f, *varargs, axis=None, edge_order=None):
    """Central differences inside, one-sided at the edges (edge_order 1); spacing is a
    scalar per axis or the coordinates along it. One array per axis (a list if several)."""
    if edge_order not in (None, 1):
        raise NotImplementedError("tracejit.numpy.gradient: only edge_order=1 is supported")
    f = _arr(f)
    dt = _inexact(f, *varargs)
    a, spacing_ = cast(f, dt), [cast(_arr(h), dt) for h in varargs]
    nd = len(shape_of(a))
    if axis is None:
        axes = tuple(range(nd))
    else:
        axes = tuple(
            _canon_axis(i, nd) for i in (axis if isinstance(axis, (tuple, list)) else (axis,))
        )
    if not axes:
        return []
    if builtins.min(shape_of(a)[i] for i in axes) < 2:
        raise ValueError(
            "Shape of array too small to calculate a numerical gradient, "
            "at least 2 elements are required."
        )
    if len(spacing_) == 0:
        dx = [np.asarray(1.0, dt)] * len(axes)
    elif len(spacing_) == 1:
        dx = spacing_ * len(axes)
    elif len(spacing_) == len(axes):
        dx = spacing_
    else:
        raise TypeError(f"Invalid number of spacing arguments {len(spacing_)} for axis={axis}")
    out = [_gradient_along(a, h, ax) for ax, h in zip(axes, dx, strict=True)]
    return out[0] if len(axes) == 1 else out


def _gradient_along(a, h, ax):
    def s(v, lo, hi):
        return _slice(v, ax, lo, hi)

    upper, lower = subtract(s(a, 1, 2), s(a, 0, 1)), subtract(s(a, -1, None), s(a, -2, -1))
    if len(shape_of(h)) == 0:
        inner = true_divide(multiply(subtract(s(a, 2, None), s(a, None, -2)), 0.5), h)
        return concatenate([true_divide(upper, h), inner, true_divide(lower, h)], axis=ax)
    if len(shape_of(h)) != 1 or shape_of(h)[0] != shape_of(a)[ax]:
        raise ValueError(
            "Spacing arrays must be 1D arrays or scalars, with the length of the dimension "
            "along which the gradient is calculated."
        )
    shp = [1] * len(shape_of(a))
    shp[ax] = shape_of(h)[0]
    h = reshape(h, tuple(shp))
    upper = true_divide(upper, subtract(s(h, 1, 2), s(h, 0, 1)))
    lower = true_divide(lower, subtract(s(h, -1, None), s(h, -2, -1)))
    dx1, dx2 = subtract(s(h, 1, -1), s(h, 0, -2)), subtract(s(h, 2, None), s(h, 1, -1))
    wa = true_divide(ew.neg(dx2), multiply(dx1, add(dx1, dx2)))
    wb = true_divide(subtract(dx2, dx1), multiply(dx1, dx2))
    wc = true_divide(dx1, multiply(dx2, add(dx1, dx2)))
    inner = add(
        add(multiply(wa, s(a, 0, -2)), multiply(wb, s(a, 1, -1))), multiply(wc, s(a, 2, None))
    )
    return concatenate([upper, inner, lower], axis=ax)


def trapezoid(y, x=None, dx=1.0, axis=-1):
    """Integral of y along axis by the trapezoidal rule, at points x or spacing dx."""
    y = _arr(y)
    if x is None:
        y = cast(y, _inexact(y))
        d = dx if type(dx) in (int, float) else _arr(dx)  # a Python scalar stays weak
        if len(shape_of(d)) > 0:
            d = reshape(d, (1,) * (len(shape_of(y)) - len(shape_of(d))) + shape_of(d))
            d = moveaxis(d, axis, -1)
    else:
        x = _arr(x)
        dt = _inexact(y, x)
        y, x = cast(y, dt), cast(x, dt)
        d = diff(x) if len(shape_of(x)) == 1 else moveaxis(diff(x, axis=axis), axis, -1)
    y = moveaxis(y, axis, -1)
    last = len(shape_of(y)) - 1
    if len(shape_of(d)) == 0 or shape_of(d)[-1] == 1:
        d = d if len(shape_of(d)) == 0 else _slice(d, len(shape_of(d)) - 1, 0, 1)
        d = d if len(shape_of(d)) == 0 else sh.reshape(d, new_sizes=shape_of(d)[:-1])
        ends = add(_slice(y, last, 0, 1), _slice(y, last, -1, None))
        ends = sh.reshape(ends, new_sizes=shape_of(ends)[:-1])
        return multiply(d, subtract(sum(y, axis=-1), multiply(0.5, ends)))
    pairs = add(_slice(y, last, 1, None), _slice(y, last, None, -1))
    return multiply(0.5, sum(multiply(d, pairs), axis=-1))


def ediff1d(ary, to_end=None, to_begin=None):
    """Differences of the flattened array, with optional values before and after."""
    a = ravel(_arr(ary))
    parts = [subtract(_slice(a, 0, 1, None), _slice(a, 0, None, -1))]
    if to_begin is not None:
        parts.insert(0, ravel(cast(_arr(to_begin), dtype_of(a))))
    if to_end is not None:
        parts.append(ravel(cast(_arr(to_end), dtype_of(a))))
    return concatenate(parts) if len(parts) > 1 else parts[0]


def _conv(x, y, mode, op, preferred_element_type):
    """out[k] = sum_j xpad[k + j] * w[j]: one gather of the sliding windows and one matrix
    product, so it differentiates in both operands and batches."""
    x, y = _arr(x), _arr(y)
    if len(shape_of(x)) != 1 or len(shape_of(y)) != 1:
        raise ValueError(f"{op}() only support 1-dimensional inputs.")
    if preferred_element_type is None:
        dt = _inexact(x, y)
    else:
        dt = np.dtype(preferred_element_type)
    x, y = cast(x, dt), cast(y, dt)
    if shape_of(x)[0] == 0 or shape_of(y)[0] == 0:
        raise ValueError(
            f"{op}: inputs cannot be empty, got shapes {shape_of(x)} and {shape_of(y)}."
        )
    reverse_out = False
    if shape_of(x)[0] < shape_of(y)[0]:
        x, y = y, x
        reverse_out = op == "correlate"
    if op == "convolve":
        y = flip(y)
    m = shape_of(y)[0]
    pads = {"valid": (0, 0), "same": (m // 2, m - m // 2 - 1), "full": (m - 1, m - 1)}
    if mode not in pads:
        raise ValueError("mode must be one of ['full', 'same', 'valid']")
    lo, hi = pads[mode]
    xpad = sh.pad(x, np.zeros((), dt), padding_config=((lo, hi, 0),)) if lo or hi else x
    n_out = shape_of(xpad)[0] - m + 1
    windows = take(xpad, np.arange(n_out)[:, None] + np.arange(m)[None, :], mode="clip")
    out = matmul(windows, y)
    return flip(out) if reverse_out else out


def convolve(a, v, mode="full", *, precision=None, preferred_element_type=None):
    """Discrete linear convolution of two 1-D arrays (mode 'full', 'same' or 'valid')."""
    return _conv(a, v, mode, "convolve", preferred_element_type)


def correlate(a, v, mode="valid", *, precision=None, preferred_element_type=None):
    """Cross-correlation of two 1-D arrays (mode 'valid', 'same' or 'full')."""
    return _conv(a, v, mode, "correlate", preferred_element_type)


def unwrap(p, discont=None, axis=-1, period=2 * np.pi):
    """p with jumps larger than discont (default period/2) along axis replaced by their
    complement modulo period."""
    p = _arr(p)
    dt = result_type(p, period)
    p = cast(p, dt)
    ax = _canon_axis(axis, len(shape_of(p)))
    if shape_of(p)[ax] == 0:
        return p
    period = cast(_arr(period), dt)
    if discont is None:
        discont = true_divide(period, 2) if np.issubdtype(dt, np.inexact) else period // 2
    interval = (
        true_divide(period, 2)
        if np.issubdtype(dt, np.inexact)
        else ew.floor_divide(period, _c(2, period))
    )
    dd = diff(p, axis=ax)
    ddmod = subtract(remainder(add(dd, interval), period), interval)
    ddmod = where(ew.and_(ew.eq(ddmod, ew.neg(interval)), ew.gt(dd, _c(0, dd))), interval, ddmod)
    correct = where(ew.lt(abs(dd), cast(discont, dtype_of(dd))), _c(0, dd), subtract(ddmod, dd))
    rest = add(_slice(p, ax, 1, None), cumsum(correct, axis=ax))
    return concatenate([_slice(p, ax, 0, 1), rest], axis=ax)
