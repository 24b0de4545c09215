"""Selection and flat-index arithmetic with jax.numpy's semantics: choose, compress,
extract, place, put, put_along_axis, ravel_multi_index, unravel_index, packbits and
unpackbits.

Arrays are immutable, so place, put and put_along_axis return a new array; like JAX they
refuse the default inplace=True. Where JAX accepts traced indices or masks, so do these:
"the k-th True entry" (which has no fixed shape) becomes a cumulative sum of the mask
(place) or a stable argsort that puts True entries first (compress with size=), and
updates are one scatter into the flattened array. choose with mode='raise', compress
without size= and ravel_multi_index with mode='raise' need concrete values (NumPy inputs,
or tracers under grad), as in JAX.
"""

from __future__ import annotations

import builtins
import math
import operator

import numpy as np

from ..ops import shape as sh
from ._arrays_extra import _arr, _rank_of_true, _take_axis, _tile_to_size, _value
from ._core import broadcast_to, cast, dtype_of, result_type, shape_of
from ._indexing import at, getitem, take, take_along_axis
from ._logic import logical_not, not_equal
from ._math import clip, divmod, floor_divide, remainder, where
from ._reductions import sum as _sum
from ._shape import broadcast_arrays, moveaxis, ravel, reshape, stack, swapaxes
from ._sorting import argsort

# ---------------------------------------------------------------------------
# flat indices


def ravel_multi_index(multi_index, dims, mode="raise", order="C", *, dtype=None):
    if len(multi_index) != len(dims):
        raise ValueError(f"len(multi_index)={len(multi_index)} != len(dims)={len(dims)}")
    dims = tuple(operator.index(d) for d in dims)
    idx = [_arr(i) for i in multi_index]
    dtype = result_type(0, *idx) if dtype is None else np.dtype(dtype)
    if not np.issubdtype(dtype, np.integer):
        raise ValueError(f"dtype={dtype} is not an integer type.")
    if builtins.any(not np.issubdtype(dtype_of(i), np.integer) for i in idx):
        raise TypeError("only int indices permitted")
    if mode == "raise":
        vals = [
            _value(i, "ravel_multi_index with mode='raise'; use mode='clip' or 'wrap'") for i in idx
        ]
        if builtins.any(np.any((v < 0) | (v >= d)) for v, d in zip(vals, dims, strict=True)):
            raise ValueError("invalid entry in coordinates array")
    elif mode == "clip":
        idx = [clip(i, 0, d - 1) for i, d in zip(idx, dims, strict=True)]
    elif mode == "wrap":
        idx = [remainder(i, d) for i, d in zip(idx, dims, strict=True)]
    elif mode != "ignore":
        raise ValueError(f"invalid mode={mode!r}. Expected 'raise', 'wrap', 'clip', or 'ignore'.")
    if order == "C":
        strides = np.cumprod((1,) + dims[1:][::-1])[::-1]
    elif order == "F":
        strides = np.cumprod((1,) + dims[:-1])
    else:
        raise ValueError(f"invalid order={order!r}. Expected 'C' or 'F'")
    out = np.zeros((), dtype)
    for i, s in zip(idx, strides, strict=True):
        out = out + cast(i, dtype) * np.asarray(s, dtype)
    return _arr(out)


def unravel_index(indices, shape):
    """As JAX: out-of-range flat indices are clamped (NumPy raises), -1 means the last."""
    idx = _arr(indices)
    shape = [operator.index(s) for s in (shape if np.ndim(shape) else [shape])]
    out = [None] * len(shape)
    for i in reversed(range(len(shape))):
        idx, out[i] = divmod(idx, shape[i])
    too_big = idx > 0
    too_small = idx < -1 if not np.issubdtype(dtype_of(idx), np.unsignedinteger) else False
    return tuple(
        where(too_big, s - 1, where(too_small, 0, o)) for s, o in zip(shape, out, strict=True)
    )


# ---------------------------------------------------------------------------
# selection and functional updates


def choose(a, choices, out=None, mode="raise"):
    if out is not None:
        raise NotImplementedError("tracejit.numpy.choose: out= is not supported")
    a = _arr(a)
    choices = [_arr(c) for c in choices]
    if not np.issubdtype(dtype_of(a), np.integer):
        raise ValueError("`a` array must be integer typed")
    n = len(choices)
    if mode == "raise":
        v = _value(a, "choose with mode='raise'; use mode='wrap' or 'clip'")
        if np.any((v < 0) | (v >= n)):
            raise ValueError("invalid entry in choice array")
    elif mode == "wrap":
        a = remainder(a, n)
    elif mode == "clip":
        a = clip(a, 0, n - 1)
    else:
        raise ValueError(f"mode={mode!r} not understood. Must be 'raise', 'wrap', or 'clip'")
    a, *choices = broadcast_arrays(a, *choices)
    stacked = stack(choices, 0)
    return take_along_axis(stacked, sh.expand_dims(cast(a, np.int64), dimensions=(0,)), 0)[0]


def compress(condition, a, axis=None, *, size=None, fill_value=0, out=None):
    """a's slices along axis where condition is True. With size=, the result has `size`
    slices (padded with fill_value), and condition may be traced."""
    if out is not None:
        raise NotImplementedError("tracejit.numpy.compress: out= is not supported")
    cond = cast(_arr(condition), np.bool_)
    if len(shape_of(cond)) != 1:
        raise ValueError("condition must be a 1D array")
    arr = ravel(_arr(a)) if axis is None else moveaxis(_arr(a), axis, 0)
    n = shape_of(arr)[0]
    cond, extra = getitem(cond, slice(0, n)), getitem(cond, slice(n, None))
    arr = getitem(arr, slice(0, shape_of(cond)[0]))
    if size is None:
        if np.any(_value(extra, "compress")):
            raise ValueError("condition contains entries that are out of bounds")
        result = getitem(arr, _value(cond, "compress without size= (the output shape)"))
    elif not 0 <= size <= shape_of(arr)[0]:
        raise ValueError(
            "size must be positive and not greater than the size of the array axis;"
            f" got size={size} for a.shape[axis]={shape_of(arr)[0]}"
        )
    else:
        mask = reshape(cond, shape_of(cond) + (1,) * (len(shape_of(arr)) - 1))
        arr = where(mask, arr, cast(_arr(fill_value), dtype_of(arr)))
        first_true = argsort(cast(logical_not(cond), np.int8))  # stable: True entries first
        result = getitem(_take_axis(arr, first_true, 0), slice(0, size))
    return result if axis is None else moveaxis(result, 0, axis)


def extract(condition, arr, *, size=None, fill_value=0):
    return compress(ravel(_arr(condition)), ravel(_arr(arr)), size=size, fill_value=fill_value)


def place(arr, mask, vals, *, inplace=True):
    """arr with its masked entries replaced by vals, in order (vals repeated as needed)."""
    if inplace:
        raise ValueError(
            "tracejit.numpy.place cannot modify arrays in-place (arrays are immutable); "
            "pass inplace=False to get an updated array"
        )
    data, m, v = _arr(arr), _arr(mask), ravel(_arr(vals))
    size = math.prod(shape_of(data))
    if size != math.prod(shape_of(m)):
        raise ValueError("place: arr and mask must be the same size")
    if not shape_of(v)[0]:
        raise ValueError("Cannot place values from an empty array")
    if not size:
        return data
    flat_m = cast(ravel(m), np.bool_)
    source = take(_tile_to_size(cast(v, dtype_of(data)), size), _rank_of_true(flat_m))
    return reshape(where(flat_m, source, ravel(data)), shape_of(data))


def put(a, ind, v, mode=None, *, inplace=True):
    """a with a.flat[ind] = v (v repeated as needed). mode None counts negative indices
    from the end and clamps the rest, as JAX; 'clip' and 'wrap' as NumPy."""
    if inplace:
        raise ValueError(
            "tracejit.numpy.put cannot modify arrays in-place (arrays are immutable); "
            "pass inplace=False to get an updated array"
        )
    arr, idx, vals = _arr(a), ravel(_arr(ind)), ravel(_arr(v))
    size = math.prod(shape_of(arr))
    if not size or not shape_of(idx)[0] or not shape_of(vals)[0]:
        return arr
    vals = _tile_to_size(vals, shape_of(idx)[0])
    if mode is None:
        idx = clip(where(idx < 0, idx + size, idx), 0, size - 1)
    elif mode == "clip":
        idx = clip(idx, 0, size - 1)
    elif mode == "wrap":
        idx = remainder(idx, size)
    elif mode == "raise":
        raise NotImplementedError("The 'raise' mode to put is not supported (as in JAX).")
    else:
        raise ValueError(f"mode should be one of 'wrap' or 'clip'; got mode={mode!r}")
    return reshape(at(ravel(arr))[idx].set(vals), shape_of(arr))


def put_along_axis(arr, indices, values, axis, inplace=True, *, mode=None):
    """arr with values written at `indices` along axis (the scatter that take_along_axis
    gathers from); mode='clip' clamps out-of-range indices."""
    if inplace:
        raise ValueError(
            "tracejit.numpy.put_along_axis cannot modify arrays in-place (arrays are "
            "immutable); pass inplace=False to get an updated array"
        )
    a, idx = _arr(arr), _arr(indices)
    shape = shape_of(a)
    if axis is None:
        a, axis = ravel(a), 0
    if len(shape_of(a)) != len(shape_of(idx)):
        raise ValueError(
            "put_along_axis arguments 'arr' and 'indices' must have same ndim. "
            f"Got arr.ndim={len(shape_of(a))} and indices.ndim={len(shape_of(idx))}."
        )
    if mode == "clip":
        n = shape_of(a)[axis]
        idx = clip(idx, 0, n - 1)
    positions = take_along_axis(np.arange(math.prod(shape_of(a))).reshape(shape_of(a)), idx, axis)
    vals = broadcast_to(cast(_arr(values), dtype_of(a)), shape_of(idx))
    vals = broadcast_to(vals, shape_of(positions))
    return reshape(at(ravel(a))[ravel(positions)].set(ravel(vals)), shape)


def packbits(a, axis=None, bitorder="big"):
    x = _arr(a)
    if not (np.issubdtype(dtype_of(x), np.integer) or dtype_of(x) == np.bool_):
        raise TypeError("Expected an input array of integer or boolean data type")
    if bitorder not in ("little", "big"):
        raise ValueError("'order' must be either 'little' or 'big'")
    x = cast(not_equal(x, 0), np.uint8)
    if axis is None:
        x, axis = ravel(x), 0
    x = swapaxes(x, axis, -1)
    n = shape_of(x)[-1]
    if n % 8:
        pad = [(0, 0, 0)] * (len(shape_of(x)) - 1) + [(0, 8 - n % 8, 0)]
        x = sh.pad(x, np.zeros((), np.uint8), padding_config=tuple(pad))
    x = reshape(x, shape_of(x)[:-1] + (shape_of(x)[-1] // 8, 8))
    weights = (1 << np.arange(8, dtype=np.uint8)).astype(np.uint8)
    weights = weights[::-1] if bitorder == "big" else weights
    return swapaxes(cast(_sum(x * weights, axis=-1), np.uint8), axis, -1)


def unpackbits(a, axis=None, count=None, bitorder="big"):
    x = _arr(a)
    if dtype_of(x) != np.uint8:
        raise TypeError("Expected an input array of unsigned byte data type")
    if bitorder not in ("little", "big"):
        raise ValueError("'order' must be either 'little' or 'big'")
    if axis is None:
        x, axis = ravel(x), 0
    x = swapaxes(x, axis, -1)
    weights = (1 << np.arange(8, dtype=np.uint8)).astype(np.uint8)
    weights = weights[::-1] if bitorder == "big" else weights
    bits = remainder(floor_divide(sh.expand_dims(x, dimensions=(len(shape_of(x)),)), weights), 2)
    bits = reshape(cast(bits, np.uint8), shape_of(x)[:-1] + (8 * shape_of(x)[-1],))
    if count is not None:
        m = shape_of(bits)[-1]
        if count > m:
            pad = [(0, 0, 0)] * (len(shape_of(bits)) - 1) + [(0, count - m, 0)]
            bits = sh.pad(bits, np.zeros((), np.uint8), padding_config=tuple(pad))
        else:
            bits = getitem(bits, (Ellipsis, slice(0, count)))
    return swapaxes(bits, axis, -1)
