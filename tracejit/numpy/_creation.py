"""Array creation: asarray/array (also of lists holding tracers), zeros, full, arange, ...

Shapes are static, so creation functions return NumPy constants; a tracer used as a
fill value or as linspace's endpoints is broadcast or computed with ops instead.
"""

from __future__ import annotations

import numpy as np

from ..ops import elementwise as ew
from ..ops import shape as sh
from ._core import broadcast_to, cast, dtype_of, is_tracer, result_type, shape_of
from ._shape import _shape_arg, moveaxis


def _has_tracer(x) -> bool:
    if is_tracer(x):
        return True
    if isinstance(x, (list, tuple)):
        return any(_has_tracer(v) for v in x)
    return False


def _from_nested(obj, dtype):
    """A list/tuple holding tracers, stacked into one traced array."""
    if not isinstance(obj, (list, tuple)):
        return obj if is_tracer(obj) else np.asarray(obj)
    items = [_from_nested(v, None) for v in obj]
    dt = result_type(*items) if items else np.dtype(np.float64)
    shapes = {shape_of(v) for v in items}
    if len(shapes) > 1:
        raise ValueError(f"setting an array element with a sequence: shapes {sorted(shapes)}")
    items = [sh.expand_dims(cast(v, dt), dimensions=(0,)) for v in items]
    out = items[0] if len(items) == 1 else sh.concatenate(*items, dimension=0)
    return out if dtype is None else cast(out, dtype)


def asarray(a, dtype=None, order=None, *, copy=None):
    if is_tracer(a):
        return a if dtype is None else cast(a, dtype)
    if isinstance(a, (list, tuple)) and _has_tracer(a):
        return _from_nested(a, dtype)
    return np.asarray(a, dtype=dtype, order=order, copy=copy)


def array(object, dtype=None, *, copy=True, order="K", ndmin=0):
    if is_tracer(object) or (isinstance(object, (list, tuple)) and _has_tracer(object)):
        out = asarray(object, dtype)
        s = shape_of(out)
        if len(s) < ndmin:
            out = sh.reshape(out, new_sizes=(1,) * (ndmin - len(s)) + s)
        return out
    return np.array(object, dtype=dtype, copy=copy, order=order, ndmin=ndmin)


def copy(a, order="K"):
    return a if is_tracer(a) else np.array(a, order=order, copy=True)


def zeros(shape, dtype=None):
    return np.zeros(_shape_arg(shape), dtype=dtype or np.float64)


def ones(shape, dtype=None):
    return np.ones(_shape_arg(shape), dtype=dtype or np.float64)


def empty(shape, dtype=None):
    return zeros(shape, dtype)


def full(shape, fill_value, dtype=None):
    shape = _shape_arg(shape)
    if is_tracer(fill_value):
        return broadcast_to(fill_value if dtype is None else cast(fill_value, dtype), shape)
    return np.full(shape, fill_value, dtype=dtype)


def _like(a, dtype, shape):
    dt = dtype_of(a) if dtype is None else np.dtype(dtype)
    return dt, (shape_of(a) if shape is None else _shape_arg(shape))


def zeros_like(a, dtype=None, shape=None):
    dt, s = _like(a, dtype, shape)
    return np.zeros(s, dt)


def ones_like(a, dtype=None, shape=None):
    dt, s = _like(a, dtype, shape)
    return np.ones(s, dt)


def empty_like(a, dtype=None, shape=None):
    return zeros_like(a, dtype, shape)


def full_like(a, fill_value, dtype=None, shape=None):
    dt, s = _like(a, dtype, shape)
    return full(s, cast(fill_value, dt) if is_tracer(fill_value) else fill_value, dt)


def eye(N, M=None, k=0, dtype=float):
    return np.eye(N, M, k, dtype=dtype)


def identity(n, dtype=None):
    return np.identity(n, dtype=dtype)


def tri(N, M=None, k=0, dtype=float):
    return np.tri(N, M, k, dtype=dtype)


def arange(start, stop=None, step=None, dtype=None):
    for v in (start, stop, step):
        if is_tracer(v):
            v.concrete("arange (its arguments decide the output shape)")
    return np.arange(start, stop, step, dtype=dtype)


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """NumPy's linspace; traced start/stop are supported (num is static)."""
    if not (is_tracer(start) or is_tracer(stop)):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    num = int(num)
    dt = result_type(start, stop, 0.0)
    lo, hi = cast(start, dt), cast(stop, dt)
    s = np.broadcast_shapes(shape_of(lo), shape_of(hi))
    lo, hi = broadcast_to(lo, s), broadcast_to(hi, s)
    div = (num - 1) if endpoint else num
    delta = ew.sub(hi, lo)
    step = ew.div(delta, np.asarray(div, dt)) if div > 0 else ew.mul(delta, np.asarray(np.nan, dt))
    t = np.arange(num, dtype=dt).reshape((num,) + (1,) * len(s))
    out_shape = (num,) + s
    grid = ew.add(
        sh.broadcast_in_dim(lo, shape=out_shape, broadcast_dimensions=tuple(range(1, len(s) + 1))),
        ew.mul(
            broadcast_to(t, out_shape),
            sh.broadcast_in_dim(
                step, shape=out_shape, broadcast_dimensions=tuple(range(1, len(s) + 1))
            ),
        ),
    )
    if endpoint and num > 1:
        last = broadcast_to((np.arange(num) == num - 1).reshape(t.shape), out_shape)
        grid = ew.select(
            last,
            sh.broadcast_in_dim(
                hi, shape=out_shape, broadcast_dimensions=tuple(range(1, len(s) + 1))
            ),
            grid,
        )
    if dtype is not None:
        grid = cast(grid, dtype)
    grid = moveaxis(grid, 0, axis)
    return (grid, step) if retstep else grid


def logspace(start, stop, num=50, endpoint=True, base=10.0, dtype=None, axis=0):
    if not (is_tracer(start) or is_tracer(stop)):
        return np.logspace(start, stop, num, endpoint, base, dtype, axis)
    from ._math import power

    y = power(base, linspace(start, stop, num, endpoint, axis=axis))
    return y if dtype is None else cast(y, dtype)
