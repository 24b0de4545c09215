"""Shape manipulation: reshape, transpose, stacking, splitting, tiling, padding, diagonals.

All of it is static-shape primitives (reshape, transpose, broadcast_in_dim, slice, pad,
concatenate, rev) with NumPy's argument conventions on top. Non-constant `pad` modes
(edge, wrap, reflect, symmetric) gather along each axis with source positions that NumPy
itself computes: `np.pad(np.arange(n), (lo, hi), mode)`.
"""

from __future__ import annotations

import builtins
import operator

import numpy as np

from ..ops import elementwise as ew
from ..ops import shape as sh
from ._core import (
    broadcast_to as _broadcast_to,
)
from ._core import (
    canon_axes,
    canon_axis,
    cast,
    dtype_of,
    is_tracer,
    result_type,
    shape_of,
)


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _shape_arg(shape) -> tuple[int, ...]:
    if isinstance(shape, (int, np.integer)) or (is_tracer(shape) and shape.ndim == 0):
        return (operator.index(shape),)
    return tuple(operator.index(s) for s in shape)


# ---------------------------------------------------------------------------
# reshaping and axis order


def _infer_shape(shape, size) -> tuple[int, ...]:
    shape = _shape_arg(shape)
    if shape.count(-1) > 1:
        raise ValueError("can only specify one unknown dimension")
    if -1 in shape:
        known = _size([s for s in shape if s != -1])
        if known == 0 or size % known:
            raise ValueError(f"cannot reshape array of size {size} into shape {shape}")
        shape = tuple(size // known if s == -1 else s for s in shape)
    if _size(shape) != size:
        raise ValueError(f"cannot reshape array of size {size} into shape {shape}")
    return shape


def reshape(a, /, shape=None, order="C", *, newshape=None, copy=None):
    """Row-major reshape (order='F' reverses the axes around it); one -1 is inferred."""
    shape = newshape if shape is None else shape
    a = _arr(a)
    if order == "F":
        nd = len(shape_of(a))
        at = transpose(a) if nd > 1 else a
        out = reshape(at, _infer_shape(shape, _size(shape_of(a)))[::-1])
        return transpose(out)
    if order not in ("C", "A"):
        raise NotImplementedError(f"tracejit.numpy.reshape: order={order!r}")
    return sh.reshape(a, new_sizes=_infer_shape(shape, _size(shape_of(a))))


def ravel(a, order="C"):
    a = _arr(a)
    return reshape(a, (_size(shape_of(a)),), order=order)


def transpose(a, axes=None):
    a = _arr(a)
    nd = len(shape_of(a))
    if axes is None:
        return sh.transpose(a, perm=tuple(range(nd))[::-1])
    perm = tuple(canon_axis(p, nd) for p in axes)
    if sorted(perm) != list(range(nd)):
        raise ValueError("axes don't match array")
    return sh.transpose(a, perm=perm)


def permute_dims(a, axes=None):
    return transpose(a, axes)


def matrix_transpose(x, /):
    x = _arr(x)
    nd = len(shape_of(x))
    if nd < 2:
        raise ValueError("matrix_transpose needs an array of at least 2 dimensions")
    return sh.transpose(x, perm=tuple(range(nd - 2)) + (nd - 1, nd - 2))


def moveaxis(a, source, destination):
    a = _arr(a)
    nd = len(shape_of(a))
    src = [source] if isinstance(source, (int, np.integer)) else list(source)
    dst = [destination] if isinstance(destination, (int, np.integer)) else list(destination)
    if len(src) != len(dst):
        raise ValueError(
            "`source` and `destination` arguments must have the same number of elements"
        )
    src = [canon_axis(s, nd) for s in src]
    dst = [canon_axis(d, nd) for d in dst]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src, strict=False)):
        order.insert(d, s)
    return sh.transpose(a, perm=tuple(order))


def swapaxes(a, axis1, axis2):
    a = _arr(a)
    nd = len(shape_of(a))
    perm = list(range(nd))
    i, j = canon_axis(axis1, nd), canon_axis(axis2, nd)
    perm[i], perm[j] = perm[j], perm[i]
    return sh.transpose(a, perm=tuple(perm))


def squeeze(a, axis=None):
    a = _arr(a)
    s = shape_of(a)
    if axis is None:
        return sh.squeeze(a, dimensions=tuple(i for i, n in enumerate(s) if n == 1))
    axes = canon_axes(axis, len(s))
    if builtins.any(s[i] != 1 for i in axes):
        raise ValueError("cannot select an axis to squeeze out which has size not equal to one")
    return sh.squeeze(a, dimensions=axes)


def expand_dims(a, axis):
    a = _arr(a)
    n = len(shape_of(a)) + (len(axis) if isinstance(axis, (tuple, list)) else 1)
    return sh.expand_dims(a, dimensions=canon_axes(axis, n))


def shape(a):
    return shape_of(a)


def ndim(a):
    return len(shape_of(a))


def size(a, axis=None):
    s = shape_of(a)
    return _size(s) if axis is None else s[canon_axis(axis, len(s))]


def broadcast_to(array, shape):
    return _broadcast_to(_arr(array), _shape_arg(shape))


def broadcast_arrays(*args):
    args = [_arr(a) for a in args]
    shape = np.broadcast_shapes(*[shape_of(a) for a in args])
    return tuple(_broadcast_to(a, shape) for a in args)


def broadcast_shapes(*shapes):
    return np.broadcast_shapes(*shapes)


def _atleast(arys, nd, place):
    out = []
    for a in arys:
        a = _arr(a)
        s = shape_of(a)
        if len(s) < nd:
            a = sh.reshape(a, new_sizes=place(s))
        out.append(a)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*arys):
    return _atleast(arys, 1, lambda s: (1,))


def atleast_2d(*arys):
    return _atleast(arys, 2, lambda s: (1,) * (2 - len(s)) + s)


def atleast_3d(*arys):
    return _atleast(arys, 3, lambda s: {0: (1, 1, 1), 1: (1,) + s + (1,), 2: s + (1,)}[len(s)])


# ---------------------------------------------------------------------------
# joining and splitting


def concatenate(arrays, /, axis=0, out=None, *, dtype=None, casting="same_kind"):
    if out is not None:
        raise TypeError("tracejit.numpy.concatenate: out= is not supported")
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to concatenate")
    if axis is None:
        arrays = [ravel(a) for a in arrays]
        axis = 0
    dt = np.dtype(dtype) if dtype is not None else result_type(*arrays)
    nd = len(shape_of(arrays[0]))
    if nd == 0:
        raise ValueError("zero-dimensional arrays cannot be concatenated")
    if builtins.any(len(shape_of(a)) != nd for a in arrays):
        raise ValueError("all the input arrays must have same number of dimensions")
    ax = canon_axis(axis, nd)
    arrays = [cast(a, dt) for a in arrays]
    if len(arrays) == 1:
        return arrays[0] if is_tracer(arrays[0]) else np.array(arrays[0])
    return sh.concatenate(*arrays, dimension=ax)


concat = concatenate


def stack(arrays, axis=0, out=None, *, dtype=None):
    arrays = [_arr(a) for a in arrays]
    if not arrays:
        raise ValueError("need at least one array to stack")
    shapes = {shape_of(a) for a in arrays}
    if len(shapes) != 1:
        raise ValueError("all input arrays must have the same shape")
    ax = canon_axis(axis, len(shape_of(arrays[0])) + 1)
    return concatenate(
        [sh.expand_dims(a, dimensions=(ax,)) for a in arrays], axis=ax, out=out, dtype=dtype
    )


def hstack(tup, *, dtype=None):
    arrs = [atleast_1d(a) for a in tup]
    return concatenate(arrs, axis=0 if len(shape_of(arrs[0])) == 1 else 1, dtype=dtype)


def vstack(tup, *, dtype=None):
    return concatenate([atleast_2d(a) for a in tup], axis=0, dtype=dtype)


def dstack(tup):
    return concatenate([atleast_3d(a) for a in tup], axis=2)


def column_stack(tup):
    cols = []
    for a in tup:
        a = _arr(a)
        cols.append(sh.reshape(a, new_sizes=shape_of(a) + (1,)) if len(shape_of(a)) < 2 else a)
    return concatenate(cols, axis=1)


def _slice_axis(a, ax, start, stop):
    s = shape_of(a)
    lo = tuple(start if i == ax else 0 for i in range(len(s)))
    hi = tuple(stop if i == ax else n for i, n in enumerate(s))
    return sh.slice(a, start_indices=lo, limit_indices=hi)


def array_split(ary, indices_or_sections, axis=0):
    a = _arr(ary)
    ax = canon_axis(axis, len(shape_of(a)))
    n = shape_of(a)[ax]
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise ValueError("number sections must be larger than 0.")
        each, extra = builtins.divmod(n, k)
        sizes = [each + 1] * extra + [each] * (k - extra)
        bounds = np.concatenate([[0], np.cumsum(sizes)]).tolist()
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    out = []
    for lo, hi in zip(bounds[:-1], bounds[1:], strict=False):
        lo = builtins.min(builtins.max(lo + n if lo < 0 else lo, 0), n)
        hi = builtins.min(builtins.max(hi + n if hi < 0 else hi, 0), n)
        out.append(_slice_axis(a, ax, lo, builtins.max(lo, hi)))
    return out


def split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, (int, np.integer)):
        n = shape_of(_arr(ary))[canon_axis(axis, len(shape_of(_arr(ary))))]
        if n % int(indices_or_sections):
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def hsplit(ary, indices_or_sections):
    a = _arr(ary)
    return split(a, indices_or_sections, axis=1 if len(shape_of(a)) > 1 else 0)


def vsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=0)


def dsplit(ary, indices_or_sections):
    return split(ary, indices_or_sections, axis=2)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """n-th differences along axis (not_equal for bool, as NumPy)."""
    from ._logic import not_equal
    from ._math import subtract

    a = _arr(a)
    ax = canon_axis(axis, len(shape_of(a)))
    edge = shape_of(a)[:ax] + (1,) + shape_of(a)[ax + 1 :]

    def piece(e):  # a scalar prepend/append is one slice along the axis
        e = _arr(e)
        return e if shape_of(e) else _broadcast_to(e, edge)

    parts = ([piece(prepend)] if prepend is not None else []) + [a]
    parts += [piece(append)] if append is not None else []
    if len(parts) > 1:
        a = concatenate(parts, axis=ax)
    op = not_equal if dtype_of(a) == np.bool_ else subtract
    for _ in range(n):
        m = shape_of(a)[ax]
        a = op(
            _slice_axis(a, ax, 1, builtins.max(m, 1)), _slice_axis(a, ax, 0, builtins.max(m - 1, 0))
        )
    return a


# ---------------------------------------------------------------------------
# repetition, rolling, flipping


def tile(A, reps):
    a = _arr(A)
    reps = _shape_arg(reps)
    d = builtins.max(len(shape_of(a)), len(reps))
    s = (1,) * (d - len(shape_of(a))) + shape_of(a)
    reps = (1,) * (d - len(reps)) + reps
    a = sh.reshape(a, new_sizes=s)
    inter = tuple(v for pair in zip(reps, s, strict=False) for v in pair)
    b = sh.broadcast_in_dim(a, shape=inter, broadcast_dimensions=tuple(range(1, 2 * d, 2)))
    return sh.reshape(b, new_sizes=tuple(r * n for r, n in zip(reps, s, strict=False)))


def repeat(a, repeats, axis=None):
    a = _arr(a)
    if axis is None:
        a, axis = ravel(a), 0
    ax = canon_axis(axis, len(shape_of(a)))
    s = shape_of(a)
    if is_tracer(repeats):
        repeats = repeats.concrete("repeat's repeats (they decide the output shape)")
    r = np.asarray(repeats)
    if r.ndim == 0 or r.size == 1:
        k = int(r.reshape(()))
        new = s[: ax + 1] + (k,) + s[ax + 1 :]
        dims = tuple(i for i in range(len(new)) if i != ax + 1)
        b = sh.broadcast_in_dim(a, shape=new, broadcast_dimensions=dims)
        return sh.reshape(b, new_sizes=s[:ax] + (s[ax] * k,) + s[ax + 1 :])
    from ..ops import indexing

    idx = np.repeat(np.arange(s[ax]), r)
    return indexing.gather(a, idx, axis=ax)


def roll(a, shift, axis=None):
    a = _arr(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape_of(a))
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    total = {}
    for sft, ax in zip(shifts.ravel().tolist(), axes.ravel().tolist(), strict=False):
        ax = canon_axis(ax, len(shape_of(a)))
        total[ax] = total.get(ax, 0) + sft
    for ax, sft in total.items():
        n = shape_of(a)[ax]
        k = sft % n if n else 0
        if k:
            a = sh.concatenate(
                _slice_axis(a, ax, n - k, n), _slice_axis(a, ax, 0, n - k), dimension=ax
            )
    return a


def flip(m, axis=None):
    m = _arr(m)
    return sh.rev(m, dimensions=canon_axes(axis, len(shape_of(m))))


def fliplr(m):
    m = _arr(m)
    if len(shape_of(m)) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def flipud(m):
    m = _arr(m)
    if len(shape_of(m)) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def rot90(m, k=1, axes=(0, 1)):
    m = _arr(m)
    nd = len(shape_of(m))
    a0, a1 = canon_axis(axes[0], nd), canon_axis(axes[1], nd)
    if a0 == a1:
        raise ValueError("Axes must be different.")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a0), a1)
    perm = list(range(nd))
    perm[a0], perm[a1] = perm[a1], perm[a0]
    if k == 1:
        return transpose(flip(m, a1), perm)
    return flip(transpose(m, perm), a1)


# ---------------------------------------------------------------------------
# padding


def _pad_width(pad_width, nd):
    pw = np.asarray(pad_width)
    if not np.issubdtype(pw.dtype, np.integer):
        raise TypeError("`pad_width` must be of integral type.")
    pw = np.broadcast_to(pw, (nd, 2)).tolist()
    if builtins.any(v < 0 for row in pw for v in row):
        raise ValueError("index can't contain negative values")
    return pw


def pad(array, pad_width, mode="constant", **kwargs):
    a = _arr(array)
    nd = len(shape_of(a))
    pw = _pad_width(pad_width, nd)
    if mode == "constant":
        values = kwargs.get("constant_values", 0)
        if is_tracer(values) or np.ndim(values) == 0:
            v = cast(values, dtype_of(a))
            return sh.pad(a, v, padding_config=tuple((lo, hi, 0) for lo, hi in pw))
        vals = np.broadcast_to(np.asarray(values), (nd, 2))
        for ax, (lo, hi) in enumerate(pw):
            for side, width in ((0, lo), (1, hi)):
                if width:
                    cfg = [(0, 0, 0)] * nd
                    cfg[ax] = (width, 0, 0) if side == 0 else (0, width, 0)
                    a = sh.pad(a, cast(vals[ax, side], dtype_of(a)), padding_config=tuple(cfg))
        return a
    if mode == "empty":
        return sh.pad(
            a, np.zeros((), dtype_of(a)), padding_config=tuple((lo, hi, 0) for lo, hi in pw)
        )
    if (
        mode not in ("edge", "wrap", "reflect", "symmetric")
        or kwargs.get("reflect_type", "even") != "even"
    ):
        raise NotImplementedError(f"tracejit.numpy.pad: mode={mode!r} with {kwargs}")
    from ..ops import indexing

    for ax, (lo, hi) in enumerate(pw):
        if lo or hi:
            src = np.pad(np.arange(shape_of(a)[ax]), (lo, hi), mode=mode)
            a = indexing.gather(a, src, axis=ax)
    return a


# ---------------------------------------------------------------------------
# diagonals and triangles


def diagonal(a, offset=0, axis1=0, axis2=1):
    """The diagonal as the last axis: a strided slice of the two axes merged into one."""
    a = _arr(a)
    nd = len(shape_of(a))
    if nd < 2:
        raise ValueError("diag requires an array of at least two dimensions")
    a = moveaxis(a, (axis1, axis2), (-2, -1))
    *lead, n, m = shape_of(a)
    lead = tuple(lead)
    flat = sh.reshape(a, new_sizes=lead + (n * m,))
    if offset >= 0:
        count, start = builtins.max(builtins.min(n, m - offset), 0), offset
    else:
        count, start = builtins.max(builtins.min(n + offset, m), 0), -offset * m
    if count == 0:
        return _slice_axis(flat, len(lead), 0, 0)
    z = (0,) * len(lead)
    return sh.slice(
        flat,
        start_indices=z + (start,),
        limit_indices=lead + (start + (count - 1) * (m + 1) + 1,),
        strides=(1,) * len(lead) + (m + 1,),
    )


def diag(v, k=0):
    v = _arr(v)
    s = shape_of(v)
    if len(s) == 2:
        return diagonal(v, k)
    if len(s) != 1:
        raise ValueError("Input must be 1- or 2-d.")
    n = s[0] + builtins.abs(k)
    padded = sh.pad(v, np.zeros((), dtype_of(v)), padding_config=((0, builtins.abs(k), 0),))
    mask = np.eye(n, k=k, dtype=bool)
    dims = (0,) if k >= 0 else (1,)  # v[i] sits in row i (k >= 0) or column i (k < 0)
    full = sh.broadcast_in_dim(padded, shape=(n, n), broadcast_dimensions=dims)
    return ew.select(mask, full, np.zeros((), dtype_of(v)))


def diagflat(v, k=0):
    return diag(ravel(v), k)


def trace(a, offset=0, axis1=0, axis2=1, dtype=None, out=None):
    from ._reductions import sum

    return sum(diagonal(a, offset, axis1, axis2), axis=-1, dtype=dtype, out=out)


def _tri_mask(m, k, upper):
    m = _arr(m)
    s = shape_of(m)
    if len(s) < 2:
        m = _broadcast_to(m, (s[0], s[0]) if s else (1, 1))
        s = shape_of(m)
    mask = np.tri(s[-2], s[-1], k - 1 if upper else k, dtype=bool)
    mask = ~mask if upper else mask
    return m, _broadcast_to(mask, s)


def tril(m, k=0):
    m, mask = _tri_mask(m, k, upper=False)
    return ew.select(mask, m, np.zeros((), dtype_of(m)))


def triu(m, k=0):
    m, mask = _tri_mask(m, k, upper=True)
    return ew.select(mask, m, np.zeros((), dtype_of(m)))


def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    nd = len(xi)
    out = []
    for i, x in enumerate(xi):
        x = ravel(x)
        shape = [1] * nd
        shape[i] = shape_of(x)[0]
        if indexing == "xy" and nd > 1 and i < 2:
            shape[0], shape[1] = shape[1], shape[0]
        out.append(sh.reshape(x, new_sizes=tuple(shape)))
    if not sparse:
        out = list(broadcast_arrays(*out))
    return tuple(out)
