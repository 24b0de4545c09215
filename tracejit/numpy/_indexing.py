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
there. Every update lands: where idx repeats, add/multiply/min/max combine them all
(set and apply: the last write wins).

Out-of-range indices, as in JAX (negative ones first count from the end): eager
indexing of a NumPy array raises IndexError (NumPy's own); indexing a tracer clamps;
`.at[].get()` clamps too unless mode="fill" (then `fill_value`: NaN, the lowest signed
or highest unsigned integer, or True, by default); `.at[].set/add/...` drop
out-of-range updates unless mode="clip"; `take` and `take_along_axis` fill by default.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..ops import cumulative as cu
from ..ops import elementwise as ew
from ..ops import indexing as ix
from ..ops import scatter_combine as sc
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


def _in_range(i, n: int):
    """Where the normalised index i lies in [0, n)."""
    if is_tracer(i):
        return ew.and_(ew.ge(i, np.asarray(0, np.int64)), ew.lt(i, np.asarray(n, np.int64)))
    return (i >= 0) & (i < n)


def _clamp(i, n: int):
    """The normalised index i clamped into [0, n - 1]."""
    if is_tracer(i):
        return ew.max(ew.min(i, np.asarray(n - 1, np.int64)), np.asarray(0, np.int64))
    return np.clip(i, 0, builtins.max(n - 1, 0))


def _all_in_range(idxs, sizes):
    """Where every normalised index lies in range (NumPy when all are concrete)."""
    oks = [_in_range(i, n) for i, n in zip(idxs, sizes, strict=True)]
    if not builtins.any(is_tracer(ok) for ok in oks):
        return np.logical_and.reduce(oks) if oks else np.asarray(True)
    valid = oks[0]
    for ok in oks[1:]:
        valid = ew.and_(broadcast_to(valid, shape_of(ok)), ok)
    return valid


def _default_fill(dt):
    """JAX's fill for out-of-range gathers: NaN, the lowest signed / highest unsigned
    integer, or True."""
    dt = np.dtype(dt)
    if np.issubdtype(dt, np.inexact):
        return np.asarray(np.nan, dt)
    if dt == np.bool_:
        return np.asarray(True)
    info = np.iinfo(dt)
    return np.asarray(info.min if np.issubdtype(dt, np.signedinteger) else info.max, dt)


def _fill(out, valid, fill_value, dims):
    """out where valid (broadcast along `dims` of out), else fill_value."""
    if not is_tracer(valid) and bool(np.all(valid)):
        return out
    dt = dtype_of(out)
    fill = _default_fill(dt) if fill_value is None else np.asarray(fill_value).astype(dt)
    mask = sh.broadcast_in_dim(valid, shape=shape_of(out), broadcast_dimensions=tuple(dims))
    return ew.select(mask, out, broadcast_to(fill, shape_of(out)))


_MODES = (None, "clip", "fill", "drop", "promise_in_bounds")


def _check_mode(mode):
    if mode not in _MODES:
        raise ValueError(f"Unknown gather/scatter mode {mode!r}; use one of {_MODES[1:]}")


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


def _basic_slice(x, entries, check: bool = True):
    """Apply the slices (static, any step); returns x with one axis per non-None entry.
    An out-of-range int is an IndexError if `check`, else clamped."""
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
            if check and not -n <= i < n:
                raise IndexError(f"index {i} is out of bounds for axis {dim} with size {n}")
            i = builtins.min(builtins.max(i + n if i < 0 else i, 0), n - 1)
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


def getitem(x, idx, mode=None, fill_value=None):
    """x[idx] with NumPy's semantics (a copy, never a view); out-of-range indices as in
    the module docstring: mode None raises for a NumPy x, else clamps; "fill" fills."""
    _check_mode(mode)
    x = _arr(x)
    check = mode is None and not (is_tracer(x) or _has_tracer(idx))
    entries = _entries(idx, len(shape_of(x)))
    fill = mode in ("fill", "drop")
    if fill:  # every int is an index array, so that _advanced sees where it falls outside
        entries = [("array", e[1]) if e[0] in ("int", "dyn") else e for e in entries]
    if any(e[0] == "array" for e in entries):
        return _advanced(x, entries, check, fill, fill_value)
    y = _dynamic(_basic_slice(x, entries, check), entries)
    return sh.reshape(y, new_sizes=_result_shape(shape_of(y), entries))


def _advanced(x, entries, check=True, fill=False, fill_value=None):
    # NumPy: with an array index present, integer scalars are advanced indices too
    entries = [("array", e[1]) if e[0] in ("int", "dyn") else e for e in entries]
    y = _basic_slice(x, entries, check)
    kept = [e for e in entries if e[0] != "none"]
    adv = [d for d, e in enumerate(kept) if e[0] == "array"]
    pos = [p for p, e in enumerate(entries) if e[0] == "array"]
    adjacent = pos == list(range(pos[0], pos[0] + len(pos)))
    n_dims = [shape_of(y)[d] for d in adv]
    idxs = [_normalize(kept[d][1], n, d, check) for d, n in zip(adv, n_dims, strict=False)]
    bshape = np.broadcast_shapes(*[shape_of(i) for i in idxs])
    idxs = [broadcast_to(i, bshape) for i in idxs]
    valid = _all_in_range(idxs, n_dims) if fill else None
    if not check and len(idxs) > 1:  # clamp each index before they merge into one
        idxs = [_clamp(i, n) for i, n in zip(idxs, n_dims, strict=True)]
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
    if fill:
        out = _fill(out, valid, fill_value, range(target, target + nb))
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


def _positions(shape, idx, drop: bool):
    """The flat positions x[idx] reads, with x[idx]'s shape; -1 where an index is out of
    range and drop (else clamped). NumPy does it when idx is concrete and in range."""
    iota = np.arange(_size(shape), dtype=np.int64).reshape(shape)
    if not _has_tracer(idx):
        try:
            return np.asarray(iota[idx])
        except IndexError:
            pass
    return getitem(iota, idx, mode="fill" if drop else "clip", fill_value=-1)


def _has_tracer(idx) -> bool:
    parts = idx if isinstance(idx, tuple) else (idx,)
    return builtins.any(is_tracer(p) for p in parts)


def _window(x, idx, drop: bool):
    """(entries, starts, sizes, in_range) when idx picks one contiguous block (ints,
    traced int scalars, unit-step slices, Ellipsis), else None. in_range is None when
    the block surely lies inside x, else a traced bool: whether it does."""
    entries = _entries(idx, len(shape_of(x)))
    starts, sizes, in_range = [], [], None
    for e, n in zip(entries, shape_of(x), strict=False):
        if e[0] == "slice":
            start, stop, step = e[1].indices(n)
            if step != 1:
                return None
            starts.append(np.asarray(start, np.int64))
            sizes.append(builtins.max(stop - start, 0))
        elif e[0] == "int":
            i = e[1] + n if e[1] < 0 else e[1]
            if not 0 <= i < n:
                if drop:
                    return None
                i = builtins.min(builtins.max(i, 0), n - 1)
            starts.append(np.asarray(i, np.int64))
            sizes.append(1)
        elif e[0] == "dyn":
            i = _normalize(e[1], n, 0)
            starts.append(i)
            sizes.append(1)
            if drop:
                ok = _in_range(i, n)
                in_range = ok if in_range is None else ew.and_(in_range, ok)
        else:
            return None
    return entries, starts, sizes, in_range


_COMBINE = {"add": ew.add, "mul": ew.mul, "min": ew.min, "max": ew.max}
_SCATTER = {
    "set": ix.scatter,
    "add": ix.scatter_add,
    "mul": sc.scatter_mul,
    "min": sc.scatter_min,
    "max": sc.scatter_max,
}


def _update_window(x, window, values, kind):
    """x.at[block].op(v) as dynamic_update_slice: no positions, no scatter."""
    entries, starts, sizes, in_range = window
    if 0 in sizes:
        return x
    v = cast(values, dtype_of(x))
    v = broadcast_to(v, tuple(k for k, e in zip(sizes, entries, strict=True) if e[0] == "slice"))
    v = sh.reshape(v, new_sizes=tuple(sizes))
    if kind != "set" or in_range is not None:
        old = ix.dynamic_slice(x, *starts, slice_sizes=tuple(sizes))
        if kind != "set":
            v = _COMBINE[kind](old, v)
        if in_range is not None:  # an out-of-range block is dropped: write back the old one
            v = ew.select(broadcast_to(in_range, shape_of(v)), v, old)
    return ix.dynamic_update_slice(x, v, *starts)


def _scatter(x, idx, values, kind="set", mode=None):
    """x.at[idx] updated by `kind` (see _SCATTER); out-of-range updates are dropped
    (routed to a spare element past the end) unless mode="clip"."""
    _check_mode(mode)
    x = _arr(x)
    drop = mode != "clip"
    window = _window(x, idx, drop)
    if window is not None:
        return _update_window(x, window, values, kind)
    shape = shape_of(x)
    pos = _positions(shape, idx, drop)
    v = broadcast_to(cast(values, dtype_of(x)), shape_of(pos))
    n, size = _size(shape_of(pos)), _size(shape)
    if n == 0:
        return x
    flat_pos = sh.reshape(pos, new_sizes=(n,))
    flat_x = sh.reshape(x, new_sizes=(size,))
    spare = drop and (is_tracer(flat_pos) or bool((flat_pos < 0).any()))
    if spare:
        flat_x = sh.concatenate(flat_x, np.zeros((1,), dtype_of(x)), dimension=0)
        flat_pos = ew.select(
            ew.lt(flat_pos, np.asarray(0, np.int64)), np.full((n,), size), flat_pos
        )
    out = _SCATTER[kind](flat_x, flat_pos, sh.reshape(v, new_sizes=(n,)), axis=0)
    if spare:
        out = sh.slice(out, start_indices=(0,), limit_indices=(size,), strides=(1,))
    return sh.reshape(out, new_sizes=shape)


class _IndexUpdateRef:
    """x.at[idx]: set/add/multiply/divide/power/min/max/apply/get return new arrays.

    add/multiply/divide/power/min/max combine every update where idx repeats; set and
    apply write once (the last write wins). Out-of-range updates are dropped unless
    mode="clip"; get() clamps unless mode="fill" (see the module docstring).
    """

    __slots__ = ("x", "idx")

    def __init__(self, x, idx):
        self.x, self.idx = x, idx

    def get(self, *, indices_are_sorted=False, unique_indices=False, mode=None, fill_value=None):
        return getitem(
            self.x, self.idx, mode="clip" if mode is None else mode, fill_value=fill_value
        )

    def set(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter(self.x, self.idx, values, "set", mode)

    def add(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter(self.x, self.idx, values, "add", mode)

    def subtract(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter(self.x, self.idx, ew.neg(cast(values, dtype_of(self.x))), "add", mode)

    def multiply(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter(self.x, self.idx, values, "mul", mode)

    mul = multiply

    def _product(self, values, mode):
        """The product of the updates at each position (1 elsewhere), as JAX builds
        divide and power: x / product, x ** product."""
        x = _arr(self.x)
        return _scatter(np.ones(shape_of(x), dtype_of(x)), self.idx, values, "mul", mode)

    def divide(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        from ._math import true_divide

        return true_divide(self.x, self._product(values, mode))

    def power(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        from ._math import power

        return power(self.x, self._product(values, mode))

    def min(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter(self.x, self.idx, values, "min", mode)

    def max(self, values, *, indices_are_sorted=False, unique_indices=False, mode=None):
        return _scatter(self.x, self.idx, values, "max", mode)

    def apply(self, func, *, indices_are_sorted=False, unique_indices=False, mode=None):
        x = _arr(self.x)
        return _scatter(x, self.idx, func(getitem(x, self.idx, mode="clip")), "set", mode)


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
    """np.take with JAX's modes: "fill" (the default: out-of-range indices give
    fill_value, NaN for floats), "clip" (clamps, negative ones to 0 as np.take), "wrap"."""
    if out is not None:
        raise TypeError("tracejit.numpy.take: out= is not supported")
    if mode == "raise":
        raise NotImplementedError("The 'raise' mode to tnp.take is not supported.")
    if mode not in (None, "fill", "clip", "wrap"):
        raise ValueError(f"Invalid mode '{mode}' for np.take")
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
    if mode in ("wrap", "clip"):
        return ix.gather(a, idx, axis=ax)
    idx = _normalize(idx, n, ax, check=False)
    out = ix.gather(a, idx, axis=ax)
    return _fill(out, _in_range(idx, n), fill_value, range(ax, ax + len(shape_of(idx))))


def take_along_axis(arr, indices, axis=-1, mode=None, fill_value=None):
    """np.take_along_axis; out-of-range indices give fill_value unless mode="clip"."""
    if mode not in (None, "fill", "clip", "promise_in_bounds"):
        raise ValueError(f"Invalid mode '{mode}' for take_along_axis")
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
    idx = _normalize(idx, sa[ax], ax, check=False)
    out = ix.take_along_axis(a, idx, axis=ax)
    if mode in ("clip", "promise_in_bounds"):
        return out
    return _fill(out, _in_range(idx, sa[ax]), fill_value, range(nd))


def _nonzero_static(a, size: int, fill_value):
    """The first `size` nonzero positions of a as ndim index arrays, padded with
    fill_value (one per axis, or one for all): a static shape, so it traces."""
    shape, n = shape_of(a), _size(shape_of(a))
    fills = fill_value if isinstance(fill_value, (tuple, list)) else (fill_value,) * len(shape)
    if len(fills) != len(shape):
        raise ValueError(f"fill_value must be a scalar or a tuple of length {len(shape)}")
    fills = [0 if f is None else f for f in fills]
    if not is_tracer(a):
        found = np.nonzero(np.asarray(a))
        return tuple(
            np.concatenate([i[:size], np.full(builtins.max(size - len(i), 0), f, np.int64)])
            for i, f in zip(found, fills, strict=True)
        )
    hit = ew.ne(sh.reshape(a, new_sizes=(n,)), np.zeros((), dtype_of(a)))
    rank = ew.sub(cu.cumsum(cast(hit, np.int64), axis=0), np.asarray(1, np.int64))
    # the k-th nonzero goes to slot k; the rest (and slots past size) to a spare slot
    keep = ew.and_(hit, ew.lt(rank, np.asarray(size, np.int64)))
    slot = ew.select(keep, rank, np.full((n,), size, np.int64))
    coords = np.unravel_index(np.arange(n), shape)
    return tuple(
        sh.slice(
            ix.scatter(np.full((size + 1,), f, np.int64), slot, c.astype(np.int64), axis=0),
            start_indices=(0,),
            limit_indices=(size,),
            strides=(1,),
        )
        for c, f in zip(coords, fills, strict=True)
    )


def nonzero(a, *, size=None, fill_value=None):
    """np.nonzero; with size= (JAX's) a static shape that works under jit: the first
    `size` positions, padded with fill_value (default 0)."""
    if len(shape_of(a)) == 0:
        raise ValueError("Calling nonzero on 0d arrays is not allowed. Use atleast_1d(a).")
    if size is not None:
        return _nonzero_static(a, int(size), fill_value)
    what = "nonzero (its output shape depends on the values; pass size= for a static shape)"
    return np.nonzero(np.asarray(a.concrete(what) if is_tracer(a) else a))


def flatnonzero(a, *, size=None, fill_value=None):
    a = _arr(a)
    flat = sh.reshape(a, new_sizes=(_size(shape_of(a)),))
    return nonzero(flat, size=size, fill_value=fill_value)[0]


def argwhere(a, *, size=None, fill_value=None):
    a = _arr(a)
    nd = len(shape_of(a))
    a1 = sh.reshape(a, new_sizes=(1,)) if nd == 0 else a
    cols = nonzero(a1, size=size, fill_value=fill_value)
    rows = len(cols[0]) if not is_tracer(cols[0]) else shape_of(cols[0])[0]
    cols = [sh.reshape(c, new_sizes=(rows, 1)) for c in cols[:nd]]
    if not cols:
        return np.zeros((rows, 0), np.int64)
    return cols[0] if nd == 1 else sh.concatenate(*cols, dimension=1)


def select(condlist, choicelist, default=0):
    from ._math import where

    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    out = default
    for c, v in zip(condlist[::-1], choicelist[::-1], strict=False):
        out = where(c, v, out)
    return out
