"""Sorting: the multi-operand `sort` primitive, and argsort / top_k built on it.

sort(*operands, dimension, num_keys=1) sorts all operands (same shape) along
`dimension` by one permutation: stable, lexicographic on the first num_keys operands
(first key most significant; np.lexsort order, NaN last). Its JVP sorts an iota
alongside to recover that permutation and applies it to the tangents; where keys tie,
the tangent follows the same stable permutation (a one-sided derivative, not the
average of the tied elements that central differences see).
"""

from __future__ import annotations

import numpy as np

from ..trace import Primitive, bind
from .common import dtype_of, shape_error, shape_of
from .elementwise import neg
from .indexing import take_along_axis
from .shape import _batch_size, _to_front, iota, slice

__all__ = ["sort", "argsort", "top_k"]


def _sort_shape(*xs, dimension, num_keys):
    x0 = xs[0]
    if (
        any(x.shape != x0.shape for x in xs)
        or not (0 <= dimension < x0.ndim)
        or not (1 <= num_keys <= len(xs))
    ):
        raise shape_error(
            "sort",
            f"cannot sort {', '.join(map(str, xs))} along dimension {dimension} with "
            f"num_keys={num_keys}: need equal shapes, rank >= 1, 1 <= num_keys <= operands",
        )
    return tuple(xs)


def _sort_impl(*xs, dimension, num_keys):
    xs = [np.asarray(x) for x in xs]
    if num_keys == 1:
        perm = np.argsort(xs[0], axis=dimension, kind="stable")
    else:  # lexsort's last key is the most significant
        perm = np.lexsort(xs[:num_keys][::-1], axis=dimension)
    return tuple(np.take_along_axis(x, perm, axis=dimension) for x in xs)


def _sort_jvp(primals, tangents, *, dimension, num_keys):
    position = iota(dtype=np.int64, shape=shape_of(primals[0]), dimension=dimension)
    *outs, perm = sort(*primals, position, dimension=dimension, num_keys=num_keys)
    touts = [None if t is None else take_along_axis(t, perm, axis=dimension) for t in tangents]
    return outs, touts


def _sort_vmap(args, bdims, *, dimension, num_keys):
    size = _batch_size(args, bdims)
    xs = [_to_front(x, d, size) for x, d in zip(args, bdims, strict=True)]
    return sort(*xs, dimension=dimension + 1, num_keys=num_keys), (0,) * len(xs)


sort_p = Primitive(
    "sort",
    impl=_sort_impl,
    shape=_sort_shape,
    jvp=_sort_jvp,
    vmap=_sort_vmap,
    multiple_results=True,
    doc="Stable sort of all operands by the first num_keys (lexicographic) along dimension.",
)


def sort(*operands, dimension: int = -1, num_keys: int = 1) -> list:
    dimension = int(dimension)
    if dimension < 0:
        dimension += len(shape_of(operands[0]))
    return bind(sort_p, *operands, dimension=dimension, num_keys=int(num_keys))


def argsort(x, *, dimension: int = -1, index_dtype=np.int64):
    """Indices that sort x stably along dimension (np.argsort(kind='stable'))."""
    dimension = dimension + len(shape_of(x)) if dimension < 0 else dimension
    position = iota(dtype=index_dtype, shape=shape_of(x), dimension=dimension)
    return sort(x, position, dimension=dimension, num_keys=1)[1]


def top_k(x, k: int):
    """The k largest entries along the last axis, largest first, and their indices.

    Ties go to the lower index, as lax.top_k. Works for floats and signed integers (the
    order is found by sorting -x).
    """
    if np.issubdtype(dtype_of(x), np.unsignedinteger) or dtype_of(x) == np.bool_:
        raise shape_error("top_k", f"needs a float or signed integer operand, got {dtype_of(x)}")
    shp = shape_of(x)
    if not shp or not (0 <= k <= shp[-1]):
        raise shape_error("top_k", f"k={k} does not fit the last axis of shape {shp}")
    position = iota(dtype=np.int64, shape=shp, dimension=len(shp) - 1)
    neg_sorted, idx = sort(neg(x), position, dimension=len(shp) - 1, num_keys=1)
    limit = shp[:-1] + (k,)
    first = dict(start_indices=(0,) * len(shp), limit_indices=limit)
    return neg(slice(neg_sorted, **first)), slice(idx, **first)
