"""NumPy indexing on tracers: x[idx], x.at[idx].set/add/..., take, take_along_axis.

`getitem` follows the contract in ops/indexing.py:

- basic indices (ints, slices with any step, None, Ellipsis) are static: a slice (with
  a rev for a negative step) and one reshape that drops int axes and adds None axes;
- a traced integer scalar is a size-1 dynamic_slice;
- integer arrays ("advanced" indices, traced or not) are broadcast together, their axes
  merged into one and gathered with a raveled index; the new axes go where the indexed
  axes were if those were adjacent in the index, else first (NumPy's rule);
- a boolean mask must be concrete (its True count is the output shape): it becomes
  integer arrays with np.nonzero.

`x.at[idx].set(v)` finds the flat positions idx selects, by indexing an iota of x's
shape with the same idx (NumPy itself does this when idx is concrete), and scatters v
there. Negative indices count from the end; traced out-of-range indices are clamped.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..ops import elementwise as ew
from ..ops import indexing as ix
from ..ops import shape as sh
from ._core import (
    broadcast_to,
    canon_axis,
    cast,
    dtype_of,
    is_tracer,
    shape_of,
)


def _arr(x):
    return x if is_tracer(x) else np.asarray(x)


def _size(shape) -> int:
    return int(np.prod(shape, dtype=np.int64))


def _is_int_dtype(dt) -> bool:
    return np.issubdtype(dt, np.integer)


def _normalize(i, n: int, axis: int, check: bool = True):
    """Negative indices count from the end; concrete out-of-range ones are an IndexError."""
    if is_tracer(i):
        i = cast(i, np.int64) if dtype_of(i) != np.int64 else i
        return ew.select(ew.lt(i, np.asarray(0, np.int64)), ew.add(i, np.asarray(n, np.int64)), i)
    i = np.asarray(i, dtype=np.int64)
    if check and i.size and (i.min() < -n or i.max() >= n):
        bad = i[(i < -n) | (i >= n)].flat[0]
        raise IndexError(f"index {bad} is out of bounds for axis {axis} with size {n}")
    return np.where(i < 0, i + n, i)


# ---------------------------------------------------------------------------
# parsing an index into entries, one per index position


def _entries(idx, ndim: int) -> list:
    """Entries: ('slice', s) | ('int', i) | ('none',) | ('array', a), Ellipsis expanded.

    A boolean mask becomes one integer array per axis it covers.
    """
    if not isinstance(idx, tuple):
        idx = (idx,)
    out, ellipsis = [], None
    for k in idx:
        if k is None:
            out.append(("none",))
        elif k is Ellipsis:
            if ellipsis is not None:
                raise IndexError("an index can only have a single ellipsis ('...')")
            ellipsis = len(out)
        elif isinstance(k, builtins.slice):
            out.append(("slice", k))
        elif isinstance(k, (bool, np.bool_)):
            raise NotImplementedError("tracejit.numpy: indexing with a scalar bool")
        elif isinstance(k, (int, np.integer)):
            out.append(("int", int(k)))
        else:
            if is_tracer(k):
                a = k.concrete("boolean indexing") if dtype_of(k) == np.bool_ else k
            else:
                a = np.asarray(k)
                if a.dtype == object or (a.size == 0 and a.dtype == np.float64):
                    a = a.astype(np.int64)
            if dtype_of(a) == np.bool_:
                out.extend(("array", nz) for nz in np.nonzero(a))
                continue
            if not _is_int_dtype(dtype_of(a)):
                raise IndexError(
                    "only integers, slices (`:`), ellipsis (`...`), numpy.newaxis (`None`) "
                    "and integer or boolean arrays are valid indices"
                )
            if is_tracer(a) and a.ndim == 0:
                out.append(("dyn", a))
            else:
                out.append(("array", a))
    used = builtins.sum(1 for e in out if e[0] != "none")
    if used > ndim:
        raise IndexError(
            f"too many indices for array: array is {ndim}-dimensional, but {used} were indexed"
        )
    fill = [("slice", builtins.slice(None))] * (ndim - used)
    at = len(out) if ellipsis is None else ellipsis
    return out[:at] + fill + out[at:]


def _basic_slice(x, entries):
    """Apply the slices (static, any step); returns x with one axis per non-None entry."""
    starts, limits, strides, rev = [], [], [], []
    dim = 0
    for e in entries:
        if e[0] == "none":
            continue
        n = shape_of(x)[dim]
        if e[0] == "slice":
            start, stop, step = e[1].indices(n)
            count = len(range(start, stop, step))
            if step < 0:  # walk the reversed axis forwards: position j is n - 1 - j
                rev.append(dim)
                start, step = n - 1 - start, -step
            lim = start + (count - 1) * step + 1 if count else start
            starts.append(start if count else 0)
            limits.append(lim if count else 0)
            strides.append(step)
        elif e[0] == "int":
            i = e[1]
            if not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {n}")
            i %= n
            starts.append(i)
            limits.append(i + 1)
            strides.append(1)
        else:  # dyn or array: the whole axis, handled later
            starts.append(0)
            limits.append(n)
            strides.append(1)
        dim += 1
    if rev:
        x = sh.rev(x, dimensions=tuple(rev))
    return sh.slice(x, start_indices=starts, limit_indices=limits, strides=strides)


def _dynamic(x, entries):
    """Size-1 dynamic_slice windows at the traced scalar indices."""
    dims = [i for i, e in enumerate(e for e in entries if e[0] != "none") if e[0] == "dyn"]
    if not dims:
        return x
    kept = [e for e in entries if e[0] != "none"]
    zero = np.zeros((), np.int64)
    starts = [
        _normalize(kept[d][1], shape_of(x)[d], d) if d in dims else zero
        for d in range(len(shape_of(x)))
    ]
    sizes = [1 if d in dims else n for d, n in enumerate(shape_of(x))]
    return ix.dynamic_slice(x, *starts, slice_sizes=sizes)


def _result_shape(sliced_shape, entries):
    """Drop int/dyn axes, add None axes: the shape after basic indexing."""
    out, dim = [], 0
    for e in entries:
        if e[0] == "none":
            out.append(1)
            continue
        if e[0] == "slice":
            out.append(sliced_shape[dim])
        dim += 1
    return tuple(out)


def getitem(x, idx):
    """x[idx] with NumPy's semantics (a copy, never a view)."""
    x = _arr(x)
    entries = _entries(idx, len(shape_of(x)))
    if any(e[0] == "array" for e in entries):
        return _advanced(x, entries)
    y = _dynamic(_basic_slice(x, entries), entries)
    return sh.reshape(y, new_sizes=_result_shape(shape_of(y), entries))


def _advanced(x, entries):
    # NumPy: with an array index present, integer scalars are advanced indices too
    entries = [("array", e[1]) if e[0] in ("int", "dyn") else e for e in entries]
    y = _basic_slice(x, entries)
    kept = [e for e in entries if e[0] != "none"]
    adv = [d for d, e in enumerate(kept) if e[0] == "array"]
    pos = [p for p, e in enumerate(entries) if e[0] == "array"]
    adjacent = pos == list(range(pos[0], pos[0] + len(pos)))
    n_dims = [shape_of(y)[d] for d in adv]
    idxs = [_normalize(kept[d][1], n, d) for d, n in zip(adv, n_dims, strict=False)]
    bshape = np.broadcast_shapes(*[shape_of(i) for i in idxs])
    idxs = [broadcast_to(i, bshape) for i in idxs]
    rest = [d for d in range(len(shape_of(y))) if d not in adv]
    if len(adv) == 1:
        out = ix.gather(y, idxs[0], axis=adv[0])  # B lands in place of the axis
        b0 = adv[0]
    else:
        y = sh.transpose(y, perm=tuple(adv + rest))
        y = sh.reshape(y, new_sizes=(_size(n_dims),) + tuple(shape_of(y)[len(adv) :]))
        flat = idxs[-1]
        stride = 1
        for i, n_next in zip(idxs[-2::-1], n_dims[:0:-1], strict=False):
            stride *= n_next
            flat = ew.add(ew.mul(i, np.asarray(stride, np.int64)), flat)
        out = ix.gather(y, flat, axis=0)
        b0 = 0
    nb = len(bshape)
    # where B goes: in place of the first advanced entry if they were adjacent, else first
    n_before = builtins.sum(1 for e in entries[: pos[0]] if e[0] == "slice")
    target = n_before if adjacent else 0
    if b0 != target:
        r = list(range(len(shape_of(out))))
        bdims, others = r[b0 : b0 + nb], r[:b0] + r[b0 + nb :]
        out = sh.transpose(out, perm=tuple(others[:target] + bdims + others[target:]))
    # insert the None axes: walk the entries in output order
    shape, rest_sizes = [], iter(shape_of(out)[:target] + shape_of(out)[target + nb :])
    seen_adv = False
    for e in entries if adjacent else [("array", None)] + [e for e in entries if e[0] != "array"]:
        if e[0] == "array":
            if not seen_adv:
                shape.extend(bshape)
                seen_adv = True
        elif e[0] == "none":
            shape.append(1)
        else:
            shape.append(next(rest_sizes))
    return sh.reshape(out, new_sizes=tuple(shape))


# ---------------------------------------------------------------------------
# functional updates: x.at[idx].set(v) and friends


def _positions(shape, idx):
    """The flat positions x[idx] reads, with x[idx]'s shape (NumPy when idx is concrete)."""
    iota = np.arange(_size(shape), dtype=np.int64).reshape(shape)
    if _has_tracer(idx):
        return getitem(iota, idx)
    return np.asarray(iota[idx])


def _has_tracer(idx) -> bool:
    parts = idx if isinstance(idx, tuple) else (idx,)
    return builtins.any(is_tracer(p) for p in parts)


def _window(x, idx):
    """(entries, starts, sizes) when idx picks one contiguous block (ints, traced int
    scalars, unit-step slices, Ellipsis), else None."""
    entries = _entries(idx, len(shape_of(x)))
    starts, sizes = [], []
    for dim, (e, n) in enumerate(zip(entries, shape_of(x), strict=False)):
        if e[0] == "slice":
            start, stop, step = e[1].indices(n)
            if step != 1:
                return None
            starts.append(np.asarray(start, np.int64))
            sizes.append(builtins.max(stop - start, 0))
        elif e[0] == "int":
            if not -n <= e[1] < n:
                raise IndexError(f"index {e[1]} is out of bounds for axis {dim} with size {n}")
            starts.append(np.asarray(e[1] % n, np.int64))
            sizes.append(1)
        elif e[0] == "dyn":
            starts.append(_normalize(e[1], n, dim))
            sizes.append(1)
        else:
            return None
    return entries, starts, sizes


def _update_window(x, window, values, combine):
    """x.at[block].op(v) as dynamic_update_slice: no positions, no scatter."""
    entries, starts, sizes = window
    if 0 in sizes:
        return x
    v = cast(values, dtype_of(x))
    v = broadcast_to(v, tuple(k for k, e in zip(sizes, entries, strict=True) if e[0] == "slice"))
    v = sh.reshape(v, new_sizes=tuple(sizes))
    if combine is not None:
        old = ix.dynamic_slice(x, *starts, slice_sizes=tuple(sizes))
        v = ew.add(old, v) if combine == "add" else combine(old, v)
    return ix.dynamic_update_slice(x, v, *starts)


def _scatter(x, idx, values, combine=None):
    x = _arr(x)
    window = _window(x, idx)
    if window is not None:
        return _update_window(x, window, values, combine)
    shape = shape_of(x)
    pos = _positions(shape, idx)
    v = cast(values, dtype_of(x))
    v = broadcast_to(v, shape_of(pos))
    n = _size(shape_of(pos))
    if n == 0:
        return x
    flat_pos = sh.reshape(pos, new_sizes=(n,))
    flat_x = sh.reshape(x, new_sizes=(_size(shape),))
    flat_v = sh.reshape(v, new_sizes=(n,))
    if combine == "add":
        out = ix.scatter_add(flat_x, flat_pos, flat_v, axis=0)
    else:
        if combine is not None:
            flat_v = combine(ix.gather(flat_x, flat_pos, axis=0), flat_v)
        out = ix.scatter(flat_x, flat_pos, flat_v, axis=0)
    return sh.reshape(out, new_sizes=shape)


class _IndexUpdateRef:
    """x.at[idx]: set/add/multiply/divide/power/min/max/get return new arrays.

    add accumulates over repeated indices (np.add.at); the others apply once per
    position, the last write winning where idx repeats.
    """

    __slots__ = ("x", "idx")

    def __init__(self, x, idx):
        self.x, self.idx = x, idx

    def get(self, **kwargs):
        return getitem(self.x, self.idx)

    def set(self, values, **kwargs):
        return _scatter(self.x, self.idx, values)

    def add(self, values, **kwargs):
        return _scatter(self.x, self.idx, values, "add")

    def subtract(self, values, **kwargs):
        return _scatter(self.x, self.idx, ew.neg(cast(values, dtype_of(self.x))), "add")

    def multiply(self, values, **kwargs):
        return _scatter(self.x, self.idx, values, ew.mul)

    mul = multiply

    def divide(self, values, **kwargs):
        return _scatter(self.x, self.idx, values, ew.div)

    def power(self, values, **kwargs):
        return _scatter(self.x, self.idx, values, ew.pow)

    def min(self, values, **kwargs):
        return _scatter(self.x, self.idx, values, ew.min)

    def max(self, values, **kwargs):
        return _scatter(self.x, self.idx, values, ew.max)

    def apply(self, func, **kwargs):
        x = _arr(self.x)
        return _scatter(x, self.idx, func(getitem(x, self.idx)))


class _IndexUpdateHelper:
    """x.at: index it to get an _IndexUpdateRef."""

    __slots__ = ("x",)

    def __init__(self, x):
        self.x = x

    def __getitem__(self, idx):
        return _IndexUpdateRef(self.x, idx)

    def __repr__(self) -> str:
        return f"_IndexUpdateHelper({self.x!r})"


def at(x):
    """`tnp.at(x)[idx].set(v)`: x.at for NumPy arrays too (which have no .at attribute),
    for code that runs both traced and on plain NumPy inputs."""
    return _IndexUpdateHelper(_arr(x))


# ---------------------------------------------------------------------------
# take, take_along_axis, nonzero, select


def take(
    a,
    indices,
    axis=None,
    out=None,
    mode=None,
    unique_indices=False,
    indices_are_sorted=False,
    fill_value=None,
):
    """np.take; traced indices can't raise, so out-of-range ones are clamped."""
    if out is not None:
        raise TypeError("tracejit.numpy.take: out= is not supported")
    a = _arr(a)
    if axis is None:
        a = sh.reshape(a, new_sizes=(_size(shape_of(a)),))
        axis = 0
    ax = canon_axis(axis, len(shape_of(a)))
    n = shape_of(a)[ax]
    idx = indices if is_tracer(indices) else np.asarray(indices)
    if not _is_int_dtype(dtype_of(idx)):
        raise TypeError("Cannot cast array data from float to int: indices must be integers")
    if mode == "wrap":
        idx = ew.rem(cast(idx, np.int64), np.asarray(n, np.int64)) if is_tracer(idx) else idx % n
    elif mode != "clip":
        idx = _normalize(idx, n, ax)
    return ix.gather(a, idx, axis=ax)


def take_along_axis(arr, indices, axis=-1, mode=None, fill_value=None):
    a = _arr(arr)
    idx = indices if is_tracer(indices) else np.asarray(indices)
    if axis is None:
        a, axis = sh.reshape(a, new_sizes=(_size(shape_of(a)),)), 0
    nd = len(shape_of(a))
    if len(shape_of(idx)) != nd:
        raise ValueError("`indices` and `arr` must have the same number of dimensions")
    ax = canon_axis(axis, nd)
    sa, si = list(shape_of(a)), list(shape_of(idx))
    sa_off, si_off = sa[:ax] + [1] + sa[ax + 1 :], si[:ax] + [1] + si[ax + 1 :]
    common = list(np.broadcast_shapes(tuple(sa_off), tuple(si_off)))
    a = broadcast_to(a, tuple(common[:ax] + [sa[ax]] + common[ax + 1 :]))
    idx = broadcast_to(idx, tuple(common[:ax] + [si[ax]] + common[ax + 1 :]))
    idx = _normalize(idx, sa[ax], ax, check=mode != "clip")
    return ix.take_along_axis(a, idx, axis=ax)


def nonzero(a):
    a = a.concrete("nonzero (its output shape depends on the values)") if is_tracer(a) else a
    return np.nonzero(np.asarray(a))


def flatnonzero(a):
    return nonzero(np.ravel(a.concrete("flatnonzero") if is_tracer(a) else a))[0]


def argwhere(a):
    return np.argwhere(a.concrete("argwhere") if is_tracer(a) else a)


def select(condlist, choicelist, default=0):
    from ._math import where

    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    out = default
    for c, v in zip(condlist[::-1], choicelist[::-1], strict=False):
        out = where(c, v, out)
    return out
