"""Sorting along an axis: sort, argsort (stable; NaN sorts last, as NumPy), searchsorted."""

from __future__ import annotations

import numpy as np

from ..ops import shape as sh
from ..ops import sort as so
from ._core import canon_axis, is_tracer, shape_of


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _flat_or(a, axis):
    a = _arr(a)
    if axis is None:
        return sh.reshape(a, new_sizes=(int(np.prod(shape_of(a), dtype=np.int64)),)), 0
    return a, axis


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    if order is not None:
        raise NotImplementedError("tracejit.numpy.sort: order= (structured arrays)")
    a, axis = _flat_or(a, axis)
    if not shape_of(a):
        return a
    return so.sort(a, dimension=canon_axis(axis, len(shape_of(a))), num_keys=1)[0]


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Indices that sort a along axis; ties keep their order (a stable sort)."""
    if order is not None:
        raise NotImplementedError("tracejit.numpy.argsort: order= (structured arrays)")
    a, axis = _flat_or(a, axis)
    if not shape_of(a):
        return np.zeros((), np.int64)
    return so.argsort(a, dimension=canon_axis(axis, len(shape_of(a))))


def searchsorted(a, v, side="left", sorter=None):
    """Insertion points of v in sorted 1-D a: the count of a's elements below each v
    (at or below, for side='right'). O(len(a) * v.size), and no gradient (an index)."""
    from ..ops import elementwise as ew
    from ..ops import reduce as red
    from ._core import broadcast_all, cast, result_type

    a = _arr(a)
    if len(shape_of(a)) != 1:
        raise ValueError("object too deep for desired array: a must be 1-D")
    if sorter is not None:
        from ._indexing import take

        a = take(a, sorter)
    v = _arr(v)
    dt = result_type(a, v)
    a, v = cast(a, dt), cast(v, dt)
    n, vs = shape_of(a)[0], shape_of(v)
    full = vs + (n,)
    a_b = sh.broadcast_in_dim(a, shape=full, broadcast_dimensions=(len(vs),))
    v_b = sh.broadcast_in_dim(v, shape=full, broadcast_dimensions=tuple(range(len(vs))))
    below = (ew.lt if side == "left" else ew.le)(*broadcast_all([a_b, v_b]))
    return red.reduce_sum(cast(below, np.int64), axes=(len(vs),))
