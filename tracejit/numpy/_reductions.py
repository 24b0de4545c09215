"""Reductions (sum, mean, var, max, argmax, all, ...) and cumulative sums and products.

Accumulator dtypes follow NumPy: sum/prod/cumsum of bool or of ints narrower than 64
bits accumulate in int64 (uint64 for unsigned), mean/var/std of ints in float64, and
float32 stays float32. `axis` is None, an int or a tuple (negatives allowed), and
`keepdims` puts the reduced axes back as size 1.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..ops import elementwise as ew
from ..ops import reduce as red
from ..ops import shape as sh
from ._core import (
    broadcast_to,
    canon_axes,
    canon_axis,
    cast,
    dtype_of,
    is_tracer,
    keep_dims,
    result_type,
    shape_of,
)
from ._logic import isnan
from ._math import _c, safe_sqrt, where


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _acc_dtype(dtype) -> np.dtype:
    """NumPy's accumulator for add/multiply reductions: at least 64-bit for integers."""
    dtype = np.dtype(dtype)
    if dtype == np.bool_:
        return np.dtype(np.int64)
    if np.issubdtype(dtype, np.signedinteger) and dtype.itemsize < 8:
        return np.dtype(np.int64)
    if np.issubdtype(dtype, np.unsignedinteger) and dtype.itemsize < 8:
        return np.dtype(np.uint64)
    return dtype


def _mean_dtype(dtype) -> np.dtype:
    dtype = np.dtype(dtype)
    return dtype if np.issubdtype(dtype, np.inexact) else np.dtype(np.float64)


def _count(shape, axes) -> int:
    return int(np.prod([shape[a] for a in axes], dtype=np.int64))


def _no_out(out, name):
    if out is not None:
        raise TypeError(f"tracejit.numpy.{name}: out= is not supported (arrays are immutable)")


def _masked(a, where, fill):
    if where is None:
        return a
    return ew.select(*_bcast3(where, a, _c(fill, a)))


def _bcast3(c, x, y):
    c = cast(c, np.bool_)
    s = np.broadcast_shapes(shape_of(c), shape_of(x))
    return broadcast_to(c, s), broadcast_to(x, s), y


# ---------------------------------------------------------------------------
# sums and products


def sum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_out(out, "sum")
    a = _arr(a)
    a = cast(a, dtype if dtype is not None else _acc_dtype(dtype_of(a)))
    a = _masked(a, where, 0)
    axes = canon_axes(axis, len(shape_of(a)))
    res = red.reduce_sum(a, axes=axes)
    if initial is not None:
        res = ew.add(res, _c(initial, res))
    return keep_dims(res, axes, keepdims)


def prod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    _no_out(out, "prod")
    a = _arr(a)
    a = cast(a, dtype if dtype is not None else _acc_dtype(dtype_of(a)))
    a = _masked(a, where, 1)
    axes = canon_axes(axis, len(shape_of(a)))
    res = red.reduce_prod(a, axes=axes)
    if initial is not None:
        res = ew.mul(res, _c(initial, res))
    return keep_dims(res, axes, keepdims)


def mean(a, axis=None, dtype=None, out=None, keepdims=False, *, where=None):
    _no_out(out, "mean")
    a = _arr(a)
    a = cast(a, dtype if dtype is not None else _mean_dtype(dtype_of(a)))
    axes = canon_axes(axis, len(shape_of(a)))
    if where is None:
        total = red.reduce_sum(a, axes=axes)
        return keep_dims(ew.div(total, _c(_count(shape_of(a), axes), total)), axes, keepdims)
    total = sum(a, axis=axes, where=where)
    n = sum(broadcast_to(cast(where, a.dtype), shape_of(a)), axis=axes)
    return keep_dims(ew.div(total, n), axes, keepdims)


def var(
    a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
    correction=None,
):  # fmt: skip
    """Mean squared deviation from the mean, divided by n - ddof; with where=, over the
    selected entries only (n counts them), and masked entries get zero gradient."""
    _no_out(out, "var")
    if mean is not None:
        raise NotImplementedError("tracejit.numpy.var: mean= is not supported")
    ddof = ddof if correction is None else correction
    a = _arr(a)
    a = cast(a, dtype if dtype is not None else _mean_dtype(dtype_of(a)))
    axes = canon_axes(axis, len(shape_of(a)))
    kept = tuple(i for i in range(len(shape_of(a))) if i not in axes)
    if where is None:
        n = _c(_count(shape_of(a), axes) - ddof, a)
        total = red.reduce_sum(a, axes=axes)
        m = ew.div(total, _c(_count(shape_of(a), axes), a))
    else:
        w = broadcast_to(cast(_arr(where), np.bool_), shape_of(a))
        a = ew.select(w, a, _c(0, a))  # masked entries (even NaN) never reach the result
        count = red.reduce_sum(cast(w, dtype_of(a)), axes=axes)
        m = ew.div(red.reduce_sum(a, axes=axes), count)
        n = ew.sub(count, _c(ddof, count))
    centered = ew.sub(a, sh.broadcast_in_dim(m, shape=shape_of(a), broadcast_dimensions=kept))
    if where is not None:
        centered = ew.select(w, centered, _c(0, centered))
    ss = red.reduce_sum(ew.mul(centered, centered), axes=axes)
    bad = ew.le(n, _c(0, n))  # n - ddof <= 0: NaN, as JAX (NumPy gives inf or NaN)
    res = ew.select(bad, _c(np.nan, ss), ew.div(ss, ew.select(bad, _c(1, n), n)))
    return keep_dims(res, axes, keepdims)


def std(
    a, axis=None, dtype=None, out=None, ddof=0, keepdims=False, *, where=None, mean=None,
    correction=None,
):  # fmt: skip
    """sqrt(var); the derivative at zero spread is 0 (std is a norm of the deviations)."""
    v = var(a, axis, dtype, out, ddof, keepdims, where=where, mean=mean, correction=correction)
    return safe_sqrt(v)


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    a = _arr(a)
    if weights is None:
        avg = mean(a, axis=axis, keepdims=keepdims)
        if not returned:
            return avg
        n = _count(shape_of(a), canon_axes(axis, len(shape_of(a))))
        return avg, broadcast_to(np.asarray(n, dtype_of(avg)), shape_of(avg))
    w = _arr(weights)
    dt = result_type(a, w)
    if not np.issubdtype(dtype_of(a), np.inexact):
        dt = result_type(dt, np.float64)
    a, w = cast(a, dt), cast(w, dt)
    if shape_of(w) != shape_of(a):
        if axis is None or not isinstance(axis, int) or len(shape_of(w)) != 1:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        ax = canon_axis(axis, len(shape_of(a)))
        if shape_of(w)[0] != shape_of(a)[ax]:
            raise ValueError("Length of weights not compatible with specified axis.")
        w = sh.broadcast_in_dim(w, shape=shape_of(a), broadcast_dimensions=(ax,))
    axes = canon_axes(axis, len(shape_of(a)))
    scl = red.reduce_sum(w, axes=axes)
    avg = keep_dims(ew.div(red.reduce_sum(ew.mul(a, w), axes=axes), scl), axes, keepdims)
    if returned:
        return avg, broadcast_to(keep_dims(scl, axes, keepdims), shape_of(avg))
    return avg


# ---------------------------------------------------------------------------
# extrema and search


def _extremum(reducer, name, a, axis, out, keepdims, initial, where):
    _no_out(out, name)
    a = _arr(a)
    if where is not None:
        if initial is None:
            raise ValueError(f"reduction operation '{name}' needs initial= when where= is given")
        a = _masked(a, where, initial)
    axes = canon_axes(axis, len(shape_of(a)))
    if builtins.any(shape_of(a)[i] == 0 for i in axes):
        if initial is None:
            raise ValueError(f"zero-size array to reduction operation {name} which has no identity")
        # nothing to reduce: every result is the initial value (a sum over the empty axes
        # keeps the result's shape and its dependence on a, for transforms)
        res = ew.add(red.reduce_sum(a, axes=axes), _c(initial, a))
        return keep_dims(res, axes, keepdims)
    res = reducer(a, axes=axes)
    if initial is not None:
        res = (ew.max if name == "maximum" else ew.min)(res, _c(initial, res))
    return keep_dims(res, axes, keepdims)


def max(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _extremum(red.reduce_max, "maximum", a, axis, out, keepdims, initial, where)


def min(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _extremum(red.reduce_min, "minimum", a, axis, out, keepdims, initial, where)


amax = max
amin = min


def ptp(a, axis=None, out=None, keepdims=False):
    return ew.sub(max(a, axis, out, keepdims), min(a, axis, out, keepdims))


def _arg(binder, a, axis, out, keepdims):
    _no_out(out, binder.__name__)
    a = _arr(a)
    if axis is None:
        flat = sh.reshape(a, new_sizes=(int(np.prod(shape_of(a), dtype=np.int64)),))
        res = binder(flat, axis=0)
        return sh.reshape(res, new_sizes=(1,) * len(shape_of(a))) if keepdims else res
    ax = canon_axis(axis, len(shape_of(a)))
    return keep_dims(binder(a, axis=ax), (ax,), keepdims)


def argmax(a, axis=None, out=None, *, keepdims=False):
    return _arg(red.argmax, a, axis, out, keepdims)


def argmin(a, axis=None, out=None, *, keepdims=False):
    return _arg(red.argmin, a, axis, out, keepdims)


def all(a, axis=None, out=None, keepdims=False, *, where=None):
    _no_out(out, "all")
    a = cast(_arr(a), np.bool_)
    a = _masked(a, where, True)
    axes = canon_axes(axis, len(shape_of(a)))
    return (
        keep_dims(red.reduce_min(a, axes=axes), axes, keepdims)
        if _count(shape_of(a), axes)
        else keep_dims(_const_reduced(a, axes, True), axes, keepdims)
    )


def any(a, axis=None, out=None, keepdims=False, *, where=None):
    _no_out(out, "any")
    a = cast(_arr(a), np.bool_)
    a = _masked(a, where, False)
    axes = canon_axes(axis, len(shape_of(a)))
    return (
        keep_dims(red.reduce_max(a, axes=axes), axes, keepdims)
        if _count(shape_of(a), axes)
        else keep_dims(_const_reduced(a, axes, False), axes, keepdims)
    )


def _const_reduced(a, axes, value):
    shape = tuple(s for i, s in enumerate(shape_of(a)) if i not in axes)
    return np.full(shape, value)


def count_nonzero(a, axis=None, *, keepdims=False):
    a = _arr(a)
    nz = cast(cast(a, np.bool_), np.int64)
    return sum(nz, axis=axis, keepdims=keepdims)


# ---------------------------------------------------------------------------
# NaN-ignoring variants


def _nan_fill(a, fill):
    a = _arr(a)
    if not np.issubdtype(dtype_of(a), np.inexact):
        return a
    return where(isnan(a), _c(fill, a), a)


def nansum(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return sum(_nan_fill(a, 0), axis, dtype, out, keepdims, initial, where)


def nanprod(a, axis=None, dtype=None, out=None, keepdims=False, initial=None, where=None):
    return prod(_nan_fill(a, 1), axis, dtype, out, keepdims, initial, where)


def nanmean(a, axis=None, dtype=None, out=None, keepdims=False, where=None):
    a = _arr(a)
    if not np.issubdtype(dtype_of(a), np.inexact):
        return mean(a, axis, dtype, out, keepdims, where=where)
    ok = ew.not_(isnan(a))
    if where is not None:
        ok = ew.and_(ok, broadcast_to(cast(_arr(where), np.bool_), shape_of(a)))
    total = sum(_nan_fill(a, 0), axis, dtype, out, keepdims, where=ok)
    n = sum(ok, axis=axis, keepdims=keepdims)
    return ew.div(total, cast(n, dtype_of(total)))


def _nan_extremum(fn, fill, a, axis, out, keepdims, initial, where):
    a = _arr(a)
    if not np.issubdtype(dtype_of(a), np.inexact):
        return fn(a, axis, out, keepdims, initial, where)
    res = fn(_nan_fill(a, fill), axis, out, keepdims, initial, where)
    if initial is not None:  # as JAX: an initial value is the answer for all-NaN slices
        return res
    all_nan = all(isnan(a), axis=axis, keepdims=keepdims)
    return ew.select(all_nan, _c(np.nan, res), res)


def nanmax(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _nan_extremum(max, -np.inf, a, axis, out, keepdims, initial, where)


def nanmin(a, axis=None, out=None, keepdims=False, initial=None, where=None):
    return _nan_extremum(min, np.inf, a, axis, out, keepdims, initial, where)


# ---------------------------------------------------------------------------
# cumulative


def _cumulative(name, a, axis, dtype, out):
    from ..ops import cumulative

    _no_out(out, name)
    a = _arr(a)
    if axis is None:
        a = sh.reshape(a, new_sizes=(int(np.prod(shape_of(a), dtype=np.int64)),))
        axis = 0
    ax = canon_axis(axis, len(shape_of(a)))
    a = cast(a, dtype if dtype is not None else _acc_dtype(dtype_of(a)))
    if len(shape_of(a)) == 0:
        return sh.reshape(a, new_sizes=(1,))
    return getattr(cumulative, name)(a, axis=ax)


def cumsum(a, axis=None, dtype=None, out=None):
    return _cumulative("cumsum", a, axis, dtype, out)


def cumprod(a, axis=None, dtype=None, out=None):
    return _cumulative("cumprod", a, axis, dtype, out)
