"""Sets and orderings: unique (and the array API's unique_*), set operations on 1-D arrays,
isin, lexsort, partition, argpartition, with jax.numpy's semantics.

A set's size depends on the values. Given a static `size=`, the result is truncated or
padded to that size (with `fill_value`, by default the smallest element found), and
everything is traced, so it works under jit and vmap. Without `size=` the values must be
concrete: NumPy arrays, or tracers under grad, which carry values in tracejit (JAX would
raise); under jit and vmap tracejit raises ConcretizationError asking for `size=`.

Values come out of `sort` and `take`, so they differentiate: the gradient of a unique
value flows to the element it was read from.
"""

from __future__ import annotations

import builtins
import collections
import math

import numpy as np

from ..ops import elementwise as ew
from ..ops import indexing as ix
from ..ops import shape as sh
from ..ops import sort as so
from ._core import canon_axis, cast, dtype_of, is_tracer, result_type, shape_of
from ._indexing import take
from ._logic import equal, isnan, not_equal
from ._math import _c, where
from ._reductions import any, cumsum, sum
from ._shape import concatenate, moveaxis, ravel, reshape

_SIZE_HINT = "; pass a static size= (the result is truncated or padded to it, see fill_value=)"


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _value(x, what: str) -> np.ndarray:
    """The concrete value of x (a tracer under jit or vmap has none: ConcretizationError)."""
    return np.asarray(x.concrete(what + _SIZE_HINT)) if is_tracer(x) else np.asarray(x)


def _iota(n: int):
    return np.arange(n, dtype=np.int64)


def _first(x, k: int):
    return sh.slice(x, start_indices=(0,) + (0,) * (len(shape_of(x)) - 1),
                    limit_indices=(k,) + shape_of(x)[1:])  # fmt: skip


def _drop_first(x):
    n = shape_of(x)[0]
    return sh.slice(x, start_indices=(builtins.min(1, n),) + (0,) * (len(shape_of(x)) - 1),
                    limit_indices=shape_of(x))  # fmt: skip


def _nonzero_sized(mask, size: int, fill: int = 0):
    """Positions of the first `size` True entries of a 1-D mask, padded with fill: one
    scatter (the k-th True goes to slot k; the rest to a spare slot that is cut off)."""
    n = shape_of(mask)[0]
    m = cast(mask, np.int64)
    slot = where(mask, ew.min(ew.sub(cumsum(m), _c(1, m)), _c(size, m)), np.int64(size))
    out = ix.scatter(np.full(size + 1, fill, np.int64), slot, _iota(n), axis=0)
    return _first(out, size)


def _compress(x, keep, size, fill_value, default="first"):
    """x[keep] along axis 0 (keep 1-D) as `size` rows, padded with fill_value, or by default
    with the first kept row (0 if there is none); the natural size when size is None (keep
    must then be concrete). Returns (rows, positions, count)."""
    count = sum(keep, dtype=np.int64)
    if size is None:
        size = int(_value(count, "a set operation without size="))
    pos = _nonzero_sized(keep, size)
    rows = take(x, pos, axis=0, mode="clip")  # padding rows are replaced below
    if fill_value is not None:
        fill = cast(_arr(fill_value), dtype_of(x))
    elif isinstance(default, str) and size:
        fill = where(ew.gt(count, np.int64(0)), _first(rows, 1), np.zeros((), dtype_of(x)))
    elif isinstance(default, str):
        return rows, pos, count
    else:
        fill = cast(_arr(default), dtype_of(x))
    valid = reshape(ew.lt(_iota(size), count), (size,) + (1,) * (len(shape_of(x)) - 1))
    return where(valid, rows, fill), pos, count


# ---------------------------------------------------------------------------
# unique


def _sorted_mask(ar, equal_nan):
    """ar (axis 0 first) sorted by rows, the permutation, and True where a row starts a run."""
    n = shape_of(ar)[0]
    rows = reshape(ar, (n, math.prod(shape_of(ar)[1:])))
    keys = [take(rows, j, axis=1, mode="clip") for j in range(shape_of(rows)[1])]
    perm = so.sort(*keys, _iota(n), dimension=0, num_keys=len(keys))[-1] if keys else _iota(n)
    aux = take(ar, perm, axis=0, mode="clip")
    a, b = _drop_first(aux), _first(aux, builtins.max(n - 1, 0))
    neq = not_equal(a, b)
    if equal_nan and np.issubdtype(dtype_of(ar), np.inexact):
        neq = ew.and_(neq, ew.not_(ew.and_(isnan(a), isnan(b))))
    if len(shape_of(neq)) > 1:
        neq = any(neq, axis=tuple(range(1, len(shape_of(neq)))))
    return aux, concatenate([np.ones(1, np.bool_), neq]), perm


def _unique(ar, axis, return_index=False, return_inverse=False, return_counts=False,
            equal_nan=True, size=None, fill_value=None, return_count=False):  # fmt: skip
    """unique along axis 0 of ar, whose axis is moved back to `axis` at the end."""
    n = shape_of(ar)[0]
    if n == 0 and size and fill_value is None:
        raise ValueError(
            "unique: for zero-sized input with nonzero size argument, fill_value must be specified"
        )
    if n == 0:
        k = size or 0
        vals = np.full((k,) + shape_of(ar)[1:], 0 if fill_value is None else fill_value)
        ret = (moveaxis(cast(vals, dtype_of(ar)), 0, axis),)
        empty = np.zeros(0, np.int64)
        ret += (empty,) * builtins.sum((return_index, return_inverse, return_counts))
        return ret
    aux, mask, perm = _sorted_mask(ar, equal_nan)
    vals, ind, count = _compress(aux, mask, size, fill_value, "first")
    k = shape_of(ind)[0]
    ret = (moveaxis(vals, 0, axis),)
    if return_index:
        ret += (take(perm, ind, mode="clip"),)
    if return_inverse:
        run = ew.sub(cumsum(cast(mask, np.int64)), np.int64(1))
        ret += (ix.scatter(np.zeros(n, np.int64), perm, run, axis=0),)
    if return_counts:
        starts = _nonzero_sized(mask, k + 1)  # padding is 0: then read as the end, n
        rest = _drop_first(starts)
        rest = where(ew.ne(rest, _c(0, rest)), rest, np.int64(n))
        prev = concatenate([_first(starts, 1), _first(rest, builtins.max(k - 1, 0))])
        ret += (ew.sub(rest, _first(prev, k)),)
    if return_count:
        ret += (count,)
    return ret


def unique(ar, return_index=False, return_inverse=False, return_counts=False, axis=None, *,
           equal_nan=True, size=None, fill_value=None, sorted=True):  # fmt: skip
    """The sorted unique elements of ar (of the flattened array, or the unique slices along
    axis), optionally with the first index of each, the inverse (the input's shape when
    axis is None) and the counts. See the module docstring for size= and fill_value=."""
    ar = _arr(ar)
    shape = shape_of(ar)
    if axis is None:
        ar, ax = ravel(ar), 0
    else:
        ax = canon_axis(axis, len(shape))
        ar = moveaxis(ar, ax, 0)
    if size is None and is_tracer(ar):
        ar.concrete("tracejit.numpy.unique without size=" + _SIZE_HINT)
    res = _unique(ar, ax, return_index, return_inverse, return_counts, equal_nan,
                  None if size is None else int(size), fill_value)  # fmt: skip
    if return_inverse and axis is None:
        k = 2 if return_index else 1
        res = res[:k] + (reshape(res[k], shape),) + res[k + 1 :]
    return res[0] if len(res) == 1 else res


_UniqueAllResult = collections.namedtuple(
    "_UniqueAllResult", ["values", "indices", "inverse_indices", "counts"]
)
_UniqueCountsResult = collections.namedtuple("_UniqueCountsResult", ["values", "counts"])
_UniqueInverseResult = collections.namedtuple("_UniqueInverseResult", ["values", "inverse_indices"])


def unique_all(x, /, *, size=None, fill_value=None):
    """(values, indices, inverse_indices, counts) of unique(x); NaNs are all distinct."""
    return _UniqueAllResult(*unique(x, True, True, True, equal_nan=False, size=size,
                                    fill_value=fill_value))  # fmt: skip


def unique_counts(x, /, *, size=None, fill_value=None):
    """(values, counts) of unique(x); NaNs are all distinct."""
    return _UniqueCountsResult(
        *unique(x, return_counts=True, equal_nan=False, size=size, fill_value=fill_value)
    )


def unique_inverse(x, /, *, size=None, fill_value=None):
    """(values, inverse_indices) of unique(x); NaNs are all distinct."""
    return _UniqueInverseResult(
        *unique(x, return_inverse=True, equal_nan=False, size=size, fill_value=fill_value)
    )


def unique_values(x, /, *, size=None, fill_value=None):
    """unique(x); NaNs are all distinct."""
    return unique(x, equal_nan=False, size=size, fill_value=fill_value)


# ---------------------------------------------------------------------------
# set operations on flattened arrays


def _promote(ar1, ar2):
    a, b = _arr(ar1), _arr(ar2)
    dt = result_type(a, b)
    return ravel(cast(a, dt)), ravel(cast(b, dt))


def _unique_padded(a, assume_unique):
    """(values, first indices, valid mask): a's unique values padded to a's length."""
    n = shape_of(a)[0]
    if assume_unique:
        return a, _iota(n), np.ones(n, np.bool_)
    vals, idx, count = _unique(a, 0, return_index=True, size=n, return_count=True)
    return vals, idx, ew.lt(_iota(n), count)


def _merge(a, b, assume_unique):
    """The valid unique values of a and b sorted together (invalid padding last): the sorted
    values, their positions in concat(a, b) and validity, and the per-input first indices."""
    ua, ia, va = _unique_padded(a, assume_unique)
    ub, ib, vb = _unique_padded(b, assume_unique)
    arr, valid = concatenate([ua, ub]), concatenate([va, vb])
    n = shape_of(arr)[0]
    _, aux, src = so.sort(ew.not_(valid), arr, _iota(n), dimension=0, num_keys=2)
    return aux, src, take(valid, src, mode="clip"), ia, ib


def intersect1d(ar1, ar2, assume_unique=False, return_indices=False, *, size=None,
                fill_value=None):  # fmt: skip
    """The sorted values in both arrays; with return_indices, where each first occurs in
    ar1 and ar2 (padding indices are len(ar1), len(ar2))."""
    a, b = _promote(ar1, ar2)
    na, nb = shape_of(a)[0], shape_of(b)[0]
    if na == 0 or nb == 0:
        aux = concatenate([a, b])
        aux_valid = np.zeros(shape_of(aux), np.bool_)
        src, ia, ib = _iota(na + nb), _iota(na), _iota(nb)
    else:
        aux, src, aux_valid, ia, ib = _merge(a, b, assume_unique)
    m = shape_of(aux)[0]
    k = builtins.max(m - 1, 0)
    nxt, cur = _drop_first(aux), _first(aux, k)
    dup = ew.and_(equal(nxt, cur), _drop_first(aux_valid))
    vals, pos, count = _compress(cur, dup, size, fill_value)
    if not return_indices:
        return vals
    ok = ew.lt(_iota(shape_of(pos)[0]), count)
    # padding positions read junk (clipped) indices, replaced below
    i1 = take(ia, take(_first(src, k), pos, mode="clip"), mode="clip") if k else pos
    i2 = ew.sub(take(_drop_first(src), pos, mode="clip"), np.int64(na)) if k else pos
    i2 = take(ib, i2, mode="clip") if k else pos
    return vals, where(ok, i1, np.int64(na)), where(ok, i2, np.int64(nb))


def union1d(ar1, ar2, *, size=None, fill_value=None):
    """The sorted values in either array."""
    a, b = _promote(ar1, ar2)
    return unique(concatenate([a, b]), size=size, fill_value=fill_value)


def setdiff1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted unique values of ar1 that are not in ar2 (padding: fill_value, default 0)."""
    a, b = _promote(ar1, ar2)
    fill = 0 if fill_value is None else fill_value
    if shape_of(a)[0] == 0:
        return np.full(size or 0, fill, dtype_of(a))
    if assume_unique:
        u, valid = a, np.ones(shape_of(a), np.bool_)
    else:
        u, _, valid = _unique_padded(a, False)
    keep = ew.and_(valid, isin(u, b, invert=True))
    return _compress(u, keep, size, fill, fill)[0]


def setxor1d(ar1, ar2, assume_unique=False, *, size=None, fill_value=None):
    """The sorted values in exactly one of the arrays."""
    a, b = _promote(ar1, ar2)
    if shape_of(a)[0] + shape_of(b)[0] == 0:
        return np.full(size or 0, 0 if fill_value is None else fill_value, dtype_of(a))
    if shape_of(a)[0] == 0 or shape_of(b)[0] == 0:
        return unique(concatenate([a, b]), size=size, fill_value=fill_value)
    aux, _, valid, _, _ = _merge(a, b, assume_unique)
    m = shape_of(aux)[0]
    differs = not_equal(_drop_first(aux), _first(aux, m - 1))
    # the next value differs, or is padding (invalid entries sort last)
    after = concatenate([ew.or_(differs, ew.not_(_drop_first(valid))), np.ones(1, np.bool_)])
    before = concatenate([np.ones(1, np.bool_), differs])
    keep = ew.and_(valid, ew.and_(after, before))
    return _compress(aux, keep, size, fill_value)[0]


def isin(element, test_elements, assume_unique=False, invert=False, *, method="auto"):
    """element's shape of bools: is each element among test_elements (compared all to all)."""
    e, t = _arr(element), _arr(test_elements)
    shape = shape_of(e)
    e, t = ravel(e), ravel(t)
    if not shape_of(e)[0] or not shape_of(t)[0]:
        return np.full(shape, bool(invert))
    pairs = equal(reshape(e, (-1, 1)), reshape(t, (1, -1)))
    out = any(pairs, axis=1)
    return reshape(ew.not_(out) if invert else out, shape)


# ---------------------------------------------------------------------------
# orderings


def lexsort(keys, axis=-1):
    """Indices that sort by the last key, then the one before, ... (stable)."""
    keys = [_arr(k) for k in keys]
    if not keys:
        raise TypeError("need sequence of keys with len > 0 in lexsort")
    if len({shape_of(k) for k in keys}) > 1:
        raise ValueError("all keys need to be the same shape")
    shape = shape_of(keys[0])
    if not shape:
        return np.zeros((), np.int64)
    ax = canon_axis(axis, len(shape))
    iota = sh.iota(dtype=np.int64, shape=shape, dimension=ax)
    return so.sort(*keys[::-1], iota, dimension=ax, num_keys=len(keys))[-1]


def _check_kth(a, kth, axis, order):
    if order is not None:
        raise NotImplementedError("partition/argpartition: order= (structured arrays)")
    a = _arr(a)
    if not isinstance(kth, (int, np.integer)):
        raise TypeError("tracejit.numpy.partition/argpartition: kth must be a single integer")
    ax = canon_axis(axis, len(shape_of(a)))
    n = shape_of(a)[ax]
    return moveaxis(a, ax, -1), canon_axis(kth, n), n, ax


def partition(a, kth, axis=-1, kind=None, order=None):
    """The kth smallest value at position kth, the smaller ones before it (ascending) and
    the larger ones after it (descending), as jax.numpy."""
    a, kth, n, ax = _check_kth(a, kth, axis, order)
    s = so.sort(a, dimension=len(shape_of(a)) - 1)[0]
    last = len(shape_of(a)) - 1
    lo = sh.slice(s, start_indices=(0,) * (last + 1), limit_indices=shape_of(s)[:-1] + (kth + 1,))
    hi = sh.slice(s, start_indices=(0,) * last + (kth + 1,), limit_indices=shape_of(s))
    return moveaxis(concatenate([lo, sh.rev(hi, dimensions=(last,))], axis=-1), -1, ax)


def argpartition(a, kth, axis=-1, kind=None, order=None):
    """Indices that partition a: the kth+1 smallest in ascending order (ties by index), then
    the other indices in increasing order, as jax.numpy."""
    a, kth, n, ax = _check_kth(a, kth, axis, order)
    last = len(shape_of(a)) - 1
    perm = so.argsort(a, dimension=last)
    rank = so.argsort(perm, dimension=last)
    rest = so.argsort(cast(ew.le(rank, _c(kth, rank)), np.int8), dimension=last)
    lo = sh.slice(
        perm, start_indices=(0,) * (last + 1), limit_indices=shape_of(a)[:-1] + (kth + 1,)
    )
    hi = sh.slice(
        rest, start_indices=(0,) * (last + 1), limit_indices=shape_of(a)[:-1] + (n - kth - 1,)
    )
    return moveaxis(concatenate([lo, hi], axis=-1), -1, ax)
