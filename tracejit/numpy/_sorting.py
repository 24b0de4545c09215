"""Sorting along an axis: sort, argsort (stable; NaN sorts last, as NumPy)."""

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
