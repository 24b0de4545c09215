"""NumPy's rules on top of strict primitives: dtype promotion, casting, broadcasting, axes.

Primitives want equal dtypes and equal shapes (or a 0-d operand); NumPy code mixes
int32 with float64, (3, 1) with (4,), and Python scalars with arrays. Every function in
tracejit.numpy first runs its arguments through the helpers here:

- `promo_key(x)` is what NumPy's promotion needs to know of `x`: the dtype of an array
  or tracer, or the Python type of a bare int/float/complex, which NEP 50 treats as
  "weak" (`float32 array + 2.0` stays float32).
- `ufunc_args(ufunc, *xs)` asks the NumPy ufunc which loop it would run on those inputs
  (`ufunc.resolve_dtypes`), casts each input to that loop's dtype and broadcasts them.
  So int -> float64 for `sin`, int8 -> float16, int / int -> float64, exactly as NumPy.
- `result_type(*xs)` is `np.result_type` with the same weak scalars, for composites that
  are not one ufunc (`where`, `clip`, `concatenate`, ...).
"""

from __future__ import annotations

import functools
import operator

import numpy as np
from numpy.exceptions import AxisError

from ..ops import elementwise as ew
from ..ops import shape as sh
from ..trace import Tracer

__all__ = [
    "AxisError",
    "is_tracer",
    "shape_of",
    "dtype_of",
    "promo_key",
    "result_type",
    "ufunc_args",
    "resolve",
    "cast",
    "broadcast_all",
    "broadcast_to",
    "canon_axis",
    "canon_axes",
    "keep_dims",
    "float_dtype",
]

_WEAK_VALUE = {int: 0, float: 0.0, complex: 0j}


def is_tracer(x) -> bool:
    return type(x) is Tracer


def shape_of(x) -> tuple[int, ...]:
    if type(x) is Tracer:
        return x.aval.shape
    return np.shape(x)


def dtype_of(x) -> np.dtype:
    if type(x) is Tracer:
        return x.aval.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    return np.asarray(x).dtype


def promo_key(x):
    """The dtype of x, or the Python type of a weak scalar (bool is never weak)."""
    if type(x) is Tracer:
        return x.aval.dtype
    if isinstance(x, (np.ndarray, np.generic)):
        return x.dtype
    if type(x) in _WEAK_VALUE:
        return type(x)
    return np.asarray(x).dtype


@functools.lru_cache(maxsize=4096)
def _result_type(keys: tuple) -> np.dtype:
    return np.result_type(*[_WEAK_VALUE.get(k, k) for k in keys])


def result_type(*xs) -> np.dtype:
    """np.result_type of arrays, tracers, dtypes and weak Python scalars."""
    keys = []
    for x in xs:
        if isinstance(x, (np.dtype, type)) and not (isinstance(x, type) and x in _WEAK_VALUE):
            keys.append(np.dtype(x))
        elif isinstance(x, str):
            keys.append(np.dtype(x))
        else:
            keys.append(promo_key(x))
    return _result_type(tuple(keys))


@functools.lru_cache(maxsize=4096)
def resolve(ufunc: np.ufunc, keys: tuple) -> tuple:
    return ufunc.resolve_dtypes(keys + (None,) * ufunc.nout)


def cast(x, dtype):
    """x converted to dtype: a tracer by a convert primitive, anything else by NumPy."""
    dtype = np.dtype(dtype)
    if type(x) is Tracer:
        return ew.convert_element_type(x, new_dtype=dtype)
    if isinstance(x, np.ndarray) and x.dtype == dtype:
        return x
    with np.errstate(invalid="ignore", over="ignore"):
        return np.asarray(x, dtype=dtype)


def ufunc_args(ufunc: np.ufunc, *xs):
    """The inputs cast to the loop NumPy's `ufunc` picks for them, and broadcast.

    Returns (list of operands, output dtype of the loop).
    """
    dts = resolve(ufunc, tuple(promo_key(x) for x in xs))
    return broadcast_all([cast(x, d) for x, d in zip(xs, dts, strict=False)]), dts[len(xs)]


def broadcast_to(x, shape):
    """x broadcast to `shape` by NumPy's rules (leading axes added, size-1 axes stretched)."""
    shape = tuple(int(s) for s in shape)
    s = shape_of(x)
    if s == shape:
        return x
    if len(s) > len(shape) or any(
        a not in (1, b) for a, b in zip(s[::-1], shape[::-1], strict=False)
    ):
        raise ValueError(f"cannot broadcast an array of shape {s} to shape {shape}")
    nd = len(shape)
    if type(x) is not Tracer:
        x = np.asarray(x)
    return sh.broadcast_in_dim(x, shape=shape, broadcast_dimensions=tuple(range(nd - len(s), nd)))


def broadcast_all(xs: list) -> list:
    """Broadcast operands to one shape; 0-d operands stay 0-d (primitives accept them)."""
    shapes = [shape_of(x) for x in xs]
    if all(s == shapes[0] or s == () for s in shapes):
        return xs
    out = np.broadcast_shapes(*shapes)
    return [
        x if s == () or s == out else broadcast_to(x, out) for x, s in zip(xs, shapes, strict=False)
    ]


def canon_axis(axis, ndim: int) -> int:
    axis = operator.index(axis)
    if not -ndim <= axis < max(ndim, 1) or (ndim == 0 and axis not in (0, -1)):
        raise AxisError(axis, ndim)
    return axis % ndim if ndim else 0


def canon_axes(axis, ndim: int) -> tuple[int, ...]:
    """axis (None, int or tuple of ints, negatives allowed) as a sorted tuple."""
    if axis is None:
        return tuple(range(ndim))
    if isinstance(axis, (tuple, list)):
        axes = [operator.index(a) for a in axis]
    else:
        axes = [operator.index(axis)]
    for a in axes:
        if not -ndim <= a < ndim:
            raise AxisError(a, ndim)
    axes = [a % ndim for a in axes]
    if len(set(axes)) != len(axes):
        raise ValueError("duplicate value in 'axis'")
    return tuple(sorted(axes))


def keep_dims(out, axes: tuple[int, ...], keepdims: bool):
    """Put reduced axes back as size 1 when keepdims=True."""
    if not keepdims or not axes:
        return out
    return sh.expand_dims(out, dimensions=axes)


def float_dtype(dtype) -> np.dtype:
    """The dtype NumPy computes a float function in: ints and bool go to a float."""
    dtype = np.dtype(dtype)
    if np.issubdtype(dtype, np.inexact):
        return dtype
    return resolve(np.sin, (dtype,))[0]
