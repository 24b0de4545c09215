"""XLA's general gather and scatter (lax.gather, lax.scatter*, index_take) as composites.

Every element of a gather's output (or of a scatter's updates) reads (or writes) one
element of the operand; its row-major offset into the flattened operand is built from
the indices and iotas, so a general gather is one 1-D `gather` primitive (clipped
np.take) and scatter / scatter_add one `scatter` / `scatter_add`. Their transpose and
batching rules give grad and vmap. Modes: "clip" clamps each start index so the window
fits; "fill" gives `fill_value` for a gather window that does not fit and drops such a
scatter window (it is routed to a spare slot past the end). A gather's default is
"clip" (JAX promises in-bounds indices, which XLA clamps), a scatter's is "fill".
scatter_mul/min/max sort the updates by target, reduce runs of equal targets with a
segmented associative scan, then combine one value per target with the operand.
"""

from __future__ import annotations

import enum
from typing import Callable, NamedTuple, Sequence

import numpy as np

from ._lax_ops import _arr, accept, lit, same_dtypes
from ._lax_reduce import _highest, _lowest, associative_scan
from ._lax_shape import static_shape
from .ops import elementwise as ew
from .ops import indexing as ix
from .ops import shape as sh
from .ops import sort as so
from .ops.common import dtype_of, shape_of

__all__ = [
    "GatherDimensionNumbers",
    "GatherScatterMode",
    "ScatterDimensionNumbers",
    "gather",
    "index_take",
    "scatter",
    "scatter_add",
    "scatter_apply",
    "scatter_max",
    "scatter_min",
    "scatter_mul",
    "scatter_sub",
]


class GatherDimensionNumbers(NamedTuple):
    offset_dims: tuple
    collapsed_slice_dims: tuple
    start_index_map: tuple
    operand_batching_dims: tuple = ()
    start_indices_batching_dims: tuple = ()


class ScatterDimensionNumbers(NamedTuple):
    update_window_dims: Sequence[int]
    inserted_window_dims: Sequence[int]
    scatter_dims_to_operand_dims: Sequence[int]
    operand_batching_dims: Sequence[int] = ()
    scatter_indices_batching_dims: Sequence[int] = ()


class GatherScatterMode(enum.Enum):
    CLIP = enum.auto()
    FILL_OR_DROP = enum.auto()
    PROMISE_IN_BOUNDS = enum.auto()
    ONE_HOT = enum.auto()

    @staticmethod
    def from_any(s) -> GatherScatterMode:
        if isinstance(s, GatherScatterMode):
            return s
        table = {
            "clip": "CLIP",
            None: "FILL_OR_DROP",
            "fill": "FILL_OR_DROP",
            "drop": "FILL_OR_DROP",
            "promise_in_bounds": "PROMISE_IN_BOUNDS",
            "one_hot": "ONE_HOT",
        }
        if s not in table:
            raise ValueError(f'Unknown gather mode "{s}"')
        return GatherScatterMode[table[s]]


# ---------------------------------------------------------------------------
# dimension-number checks (JAX's messages)


def _sorted(dims, op, name):
    if any(b < a for a, b in zip(dims, dims[1:])):
        raise TypeError(f"{name} in {op} op must be sorted; got {dims}")


def _unique(dims, op, name):
    if len(set(dims)) != len(dims):
        raise TypeError(f"{name} in {op} op must not repeat; got: {dims}.")


def _in_range(dims, rank, op, name):
    for d in dims:
        if not 0 <= d < rank:
            raise TypeError(f"Invalid {name} set in {op} op; valid range is [0, {rank}); got: {d}.")


def _disjoint(a, b, op, na, nb):
    if set(a) & set(b):
        raise TypeError(f"{na} and {nb} in {op} op must be disjoint; got: {a} and {b}.")


def _check_batching(op, x_shape, obd):
    _unique(obd, op, "operand_batching_dims")
    _sorted(obd, op, "operand_batching_dims")
    _in_range(obd, len(x_shape), op, "operand_batching_dims")


def _check_gather(x_shape, i_shape, dn, sizes):
    offset, collapsed, sim, obd, ibd = (tuple(d) for d in dn)
    r = len(i_shape) - 1
    if r < 0:
        raise TypeError("Gather index leaf dimension must be within [0, rank(indices) + 1).")
    _sorted(offset, "gather", "offset_dims")
    _unique(offset, "gather", "offset_dims")
    out_rank = len(offset) + r
    for i, d in enumerate(offset):
        if not 0 <= d < out_rank:
            raise TypeError(
                f"Offset dimension {i} in gather op is out of bounds; got {d}, but should "
                f"have been in [0, {out_rank})"
            )
    if len(sim) != i_shape[r]:
        raise TypeError(
            f"Gather op has {len(sim)} elements in start_index_map and the bound of "
            f"dimension index_vector_dim={r} of indices is {i_shape[r]}. These two "
            "numbers must be equal."
        )
    for i, d in enumerate(sim):
        if not 0 <= d < len(x_shape):
            raise TypeError(
                f"Invalid start_index_map; domain is [0, {len(x_shape)}), got: {i}->{d}."
            )
    _unique(sim, "gather", "start_index_map")
    _sorted(collapsed, "gather", "collapsed_slice_dims")
    _in_range(collapsed, len(x_shape), "gather", "collapsed_slice_dims")
    _unique(collapsed, "gather", "collapsed_slice_dims")
    _check_batching("gather", x_shape, obd)
    _disjoint(collapsed, obd, "gather", "collapsed_slice_dims", "operand_batching_dims")
    _disjoint(sim, obd, "gather", "start_index_map", "operand_batching_dims")
    _unique(ibd, "gather", "start_indices_batching_dims")
    _in_range(ibd, len(i_shape), "gather", "start_indices_batching_dims")
    if r in ibd:
        raise TypeError(
            f"Gather op cannot have the index vector dimension as a batching dimension; got {ibd}."
        )
    if len(obd) != len(ibd):
        raise TypeError(
            "Gather op requires equal numbers of operand_batching_dims and "
            f"start_indices_batching_dims, got {obd} and{ibd}."
        )
    ob, ib = tuple(x_shape[d] for d in obd), tuple(i_shape[d] for d in ibd)
    if ob != ib:
        raise TypeError(
            "Gather op requires operand batching dimensions and indices batching dimensions "
            f"to have the same shape, got {ob} and {ib}."
        )
    if len(sizes) != len(x_shape):
        raise TypeError(
            "Gather op must have one slice size for every input dimension; got: "
            f"len(slice_sizes)={len(sizes)}, input_shape.rank={len(x_shape)}"
        )
    if len(sizes) != len(offset) + len(collapsed) + len(obd):
        raise TypeError(
            "All components of the offset index in a gather op must either be a offset "
            f"dimension or explicitly collapsed/batching; got len(slice_sizes)={len(sizes)}"
            f", output_slice_sizes={offset}, collapsed_slice_dims={collapsed}, "
            f"operand_batching_dims={obd}."
        )
    for i, (s, n) in enumerate(zip(sizes, x_shape)):
        if np.prod(i_shape) and not 0 <= s <= n:
            raise TypeError(
                f"Slice size at index {i} in gather op is out of range, must be within "
                f"[0, {n} + 1), got {s}."
            )
    for i, d in enumerate(collapsed):
        if sizes[d] != 1:
            raise TypeError(
                "Gather op can only collapse slice dims with bound 1, but bound is "
                f"{sizes[d]} for index {d} at position {i}."
            )
    for i, d in enumerate(obd):
        if sizes[d] > 1:
            raise TypeError(
                "Gather op can only have operand batching dims with bound 0/1, but bound "
                f"is {sizes[d]} for index {d} at position {i}."
            )


# ---------------------------------------------------------------------------
# flat offsets


def _column(idx, j: int):
    """idx[..., j] as int64."""
    shp = shape_of(idx)
    last = len(shp) - 1
    col = sh.slice(idx, start_indices=(0,) * last + (j,), limit_indices=shp[:-1] + (j + 1,))
    return ew.convert_element_type(
        sh.squeeze(col, dimensions=(last,)), new_dtype=np.dtype(np.int64)
    )


def _flat_offsets(x_shape, idx, sim, obd, ibd, windows, out_shape, batch_pos, clip):
    """Row-major offsets into x (of out_shape) and a bool of idx's batch shape telling
    which windows fit. `windows` maps an operand dim to (output axis, window size)."""
    offsets, fits, stride = None, None, 1
    i64 = np.dtype(np.int64)
    for d in reversed(range(len(x_shape))):
        size = windows[d][1] if d in windows else 1
        pos = None
        if d in sim:
            s = _column(idx, sim.index(d))
            hi = x_shape[d] - size
            ok = ew.and_(ew.ge(s, lit(0, s)), ew.le(s, lit(hi, s)))
            fits = ok if fits is None else ew.and_(fits, ok)
            if clip:
                s = ew.max(ew.min(s, lit(max(hi, 0), s)), lit(0, s))
            pos = sh.broadcast_in_dim(s, shape=out_shape, broadcast_dimensions=batch_pos)
        elif d in obd:
            axis = batch_pos[ibd[obd.index(d)]]
            pos = sh.iota(dtype=i64, shape=out_shape, dimension=axis)
        if d in windows:
            off = sh.iota(dtype=i64, shape=out_shape, dimension=windows[d][0])
            pos = off if pos is None else ew.add(pos, off)
        if pos is not None:
            term = pos if stride == 1 else ew.mul(pos, lit(stride, pos))
            offsets = term if offsets is None else ew.add(offsets, term)
        stride *= x_shape[d]
    if offsets is None:
        offsets = np.zeros(out_shape, i64)
    if fits is None:
        fits = np.ones(shape_of(idx)[:-1], bool)
    return offsets, fits


def _default_fill(dtype):
    dtype = np.dtype(dtype)
    if dtype.kind in "fc":
        return np.nan
    return True if dtype == np.bool_ else (_lowest(dtype) if dtype.kind == "i" else _highest(dtype))


def gather(
    operand,
    start_indices,
    dimension_numbers,
    slice_sizes,
    *,
    unique_indices=False,
    indices_are_sorted=False,
    mode=None,
    fill_value=None,
):
    """XLA's Gather: one window of slice_sizes per index vector (the last axis of
    start_indices), laid out with the window axes at dimension_numbers.offset_dims."""
    x, idx = _arr(operand), accept("gather", _arr(start_indices), "iu")
    dn = GatherDimensionNumbers(*(tuple(int(d) for d in f) for f in dimension_numbers))
    sizes = static_shape(slice_sizes)
    xs, ishp = shape_of(x), shape_of(idx)
    _check_gather(xs, ishp, dn, sizes)
    mode = GatherScatterMode.from_any("clip" if mode is None else mode)
    out_rank = len(dn.offset_dims) + len(ishp) - 1
    batch_pos = tuple(p for p in range(out_rank) if p not in dn.offset_dims)
    win_dims = [
        d for d in range(len(xs)) if d not in dn.collapsed_slice_dims + dn.operand_batching_dims
    ]
    windows = {d: (a, sizes[d]) for d, a in zip(win_dims, dn.offset_dims)}
    out_shape = [0] * out_rank
    for p, n in zip(batch_pos, ishp[:-1]):
        out_shape[p] = n
    for a, s in windows.values():
        out_shape[a] = s
    out_shape = tuple(out_shape)
    offsets, fits = _flat_offsets(
        xs,
        idx,
        dn.start_index_map,
        dn.operand_batching_dims,
        dn.start_indices_batching_dims,
        windows,
        out_shape,
        batch_pos,
        clip=True,
    )
    flat = sh.reshape(x, new_sizes=(int(np.prod(xs)),))
    out = ix.gather(flat, offsets, axis=0)
    if mode == GatherScatterMode.FILL_OR_DROP:
        fill = np.asarray(_default_fill(dtype_of(x)) if fill_value is None else fill_value)
        mask = sh.broadcast_in_dim(fits, shape=out_shape, broadcast_dimensions=batch_pos)
        out = ew.select(mask, out, fill.astype(dtype_of(x)))
    return out


def index_take(src, idxs, axes):
    """src indexed by one integer array per axis in `axes` (negative indices wrap)."""
    x = _arr(src)
    axes = tuple(int(a) for a in axes)
    cols = [sh.expand_dims(_arr(i), dimensions=(1,)) for i in idxs]
    indices = cols[0] if len(cols) == 1 else sh.concatenate(*cols, dimension=1)
    bounds = np.array([shape_of(x)[a] for a in axes]).astype(dtype_of(indices))
    indices = ew.rem(
        indices, sh.broadcast_in_dim(bounds, shape=shape_of(indices), broadcast_dimensions=(1,))
    )
    sizes = tuple(1 if d in axes else n for d, n in enumerate(shape_of(x)))
    offset = tuple(range(1, len(shape_of(x)) - len(axes) + 1))
    return gather(x, indices, GatherDimensionNumbers(offset, axes, axes), sizes)


# ---------------------------------------------------------------------------
# scatter


def _check_scatter(x_shape, i_shape, u_shape, dn):
    uwd, iwd, sdod, obd, ibd = (tuple(d) for d in dn)
    r = len(i_shape) - 1
    if r < 0:
        raise TypeError("Scatter index leaf dimension must be within [0, rank(indices) + 1).")
    want = r + len(uwd)
    if len(u_shape) != want:
        raise TypeError(f"Updates tensor must be of rank {want}; got {len(u_shape)}.")
    _sorted(uwd, "scatter", "update_window_dims")
    _unique(uwd, "scatter", "update_window_dims")
    _in_range(uwd, len(u_shape), "scatter", "update_window_dims")
    _sorted(iwd, "scatter", "inserted_window_dims")
    _unique(iwd, "scatter", "inserted_window_dims")
    _in_range(iwd, len(x_shape), "scatter", "inserted_window_dims")
    _check_batching("scatter", x_shape, obd)
    _disjoint(iwd, obd, "scatter", "inserted_window_dims", "operand_batching_dims")
    _disjoint(sdod, obd, "scatter", "scatter_dims_to_operand_dims", "operand_batching_dims")
    _unique(ibd, "scatter", "scatter_indices_batching_dims")
    _in_range(ibd, len(i_shape), "scatter", "scatter_indices_batching_dims")
    if r in ibd:
        raise TypeError(
            f"Scatter op cannot have the index vector dimension as a batching dimension; got {ibd}."
        )
    if len(obd) != len(ibd):
        raise TypeError(
            "Scatter op requires equal numbers of operand_batching_dims and "
            f"scatter_indices_batching_dims, got {obd} and {ibd}."
        )
    ob, ib = tuple(x_shape[d] for d in obd), tuple(i_shape[d] for d in ibd)
    if ob != ib:
        raise TypeError(
            "Scatter op requires operand batching dimensions and indices batching dimensions "
            f"to have the same shape, got {ob} and {ib}."
        )
    size = len(uwd) + len(iwd) + len(obd)
    if size != len(x_shape):
        raise TypeError(
            f"Scatter op has window of size {size}; doesn't match operand of rank {len(x_shape)}."
        )
    if len(sdod) != i_shape[r]:
        raise TypeError(
            f"Scatter op has {len(sdod)} elements in scatter_dims_to_operand_dims and the "
            f"bound of dimension index_vector_dim={r} of indices is {i_shape[r]}. These two "
            "numbers must be equal"
        )
    for i, d in enumerate(sdod):
        if not 0 <= d < len(x_shape):
            raise TypeError(
                f"Invalid scatter_dims_to_operand_dims mapping; domain is [0, "
                f"{len(x_shape)}), got: {i}->{d}."
            )
    _unique(sdod, "scatter", "scatter_dims_to_operand_dims")
    bounds = [n for d, n in enumerate(x_shape) if d not in iwd and d not in obd]
    for d, n in zip(uwd, bounds):
        if u_shape[d] > n:
            raise TypeError(
                "Bounds of the window dimensions of updates must not exceed the bounds of the "
                f"corresponding dimensions of operand. For dimension {d}, updates bound is "
                f"{u_shape[d]}, operand bound is {n}."
            )
    scatter_dims = [d for d in range(len(u_shape)) if d not in uwd]
    for d, n in zip(scatter_dims, i_shape[:-1]):
        if u_shape[d] != n:
            raise TypeError(
                "Bounds of the scatter dimensions of updates must be the same as the bounds "
                "of the corresponding dimensions of scatter indices. For scatter dimension "
                f"{d}, updates bound is {u_shape[d]}, indices bound is {n}."
            )


def _scatter_targets(name, operand, scatter_indices, updates, dimension_numbers, mode):
    """(operand, updates, flat target offsets of the updates' shape, spare slot) where
    windows to drop target the spare slot one past the flattened operand."""
    x, u = same_dtypes(name, operand, updates)
    idx = accept(name, _arr(scatter_indices), "iu")
    dn = ScatterDimensionNumbers(*(tuple(int(d) for d in f) for f in dimension_numbers))
    xs, us = shape_of(x), shape_of(u)
    _check_scatter(xs, shape_of(idx), us, dn)
    mode = GatherScatterMode.from_any(mode)
    batch_pos = tuple(d for d in range(len(us)) if d not in dn.update_window_dims)
    win_dims = [
        d for d in range(len(xs)) if d not in dn.inserted_window_dims + dn.operand_batching_dims
    ]
    windows = {d: (a, us[a]) for d, a in zip(win_dims, dn.update_window_dims)}
    clip = mode == GatherScatterMode.CLIP
    offsets, fits = _flat_offsets(
        xs,
        idx,
        dn.scatter_dims_to_operand_dims,
        dn.operand_batching_dims,
        dn.scatter_indices_batching_dims,
        windows,
        us,
        batch_pos,
        clip=clip,
    )
    spare = int(np.prod(xs))
    if not clip:
        mask = sh.broadcast_in_dim(fits, shape=us, broadcast_dimensions=batch_pos)
        offsets = ew.select(mask, offsets, lit(spare, offsets))
    return x, u, offsets, spare


def _with_spare(x, spare, fill):
    flat = sh.reshape(x, new_sizes=(spare,))
    return sh.concatenate(flat, np.full((1,), fill, dtype_of(x)), dimension=0)


def _without_spare(flat, x):
    return sh.reshape(
        sh.slice(flat, start_indices=(0,), limit_indices=(shape_of(flat)[0] - 1,)),
        new_sizes=shape_of(x),
    )


def _flat_updates(u, offsets):
    n = int(np.prod(shape_of(u)))
    return sh.reshape(u, new_sizes=(n,)), sh.reshape(offsets, new_sizes=(n,))


def scatter_add(
    operand,
    scatter_indices,
    updates,
    dimension_numbers,
    *,
    indices_are_sorted=False,
    unique_indices=False,
    mode=None,
):
    """operand with updates added at the scattered windows (repeats accumulate)."""
    x, u, offsets, spare = _scatter_targets(
        "scatter_add", operand, scatter_indices, updates, dimension_numbers, mode
    )
    uf, of = _flat_updates(u, offsets)
    return _without_spare(ix.scatter_add(_with_spare(x, spare, 0), of, uf, axis=0), x)


def scatter_sub(operand, scatter_indices, updates, dimension_numbers, **kw):
    return scatter_add(operand, scatter_indices, ew.neg(_arr(updates)), dimension_numbers, **kw)


def scatter(
    operand,
    scatter_indices,
    updates,
    dimension_numbers,
    *,
    indices_are_sorted=False,
    unique_indices=False,
    mode=None,
):
    """operand with the scattered windows overwritten by updates (where windows overlap,
    the last update in row-major order wins)."""
    x, u, offsets, spare = _scatter_targets(
        "scatter", operand, scatter_indices, updates, dimension_numbers, mode
    )
    uf, of = _flat_updates(u, offsets)
    return _without_spare(ix.scatter(_with_spare(x, spare, 0), of, uf, axis=0), x)


def _scatter_combine(
    name, op: Callable, identity, operand, scatter_indices, updates, dimension_numbers, mode
):
    x, u, offsets, spare = _scatter_targets(
        name, operand, scatter_indices, updates, dimension_numbers, mode
    )
    uf, of = _flat_updates(u, offsets)
    n = shape_of(uf)[0]
    if n == 0:
        return x
    # sort by target, then reduce each run of equal targets with a segmented scan
    keys, vals = so.sort(of, uf, dimension=0, num_keys=1)

    def seg(a, b):
        (ka, va), (kb, vb) = a, b
        return kb, ew.select(ew.eq(ka, kb), op(va, vb), vb)

    _, runs = associative_scan(seg, (keys, vals))
    nxt = sh.concatenate(
        sh.slice(keys, start_indices=(1,), limit_indices=(n,)),
        np.full((1,), -1, np.int64),
        dimension=0,
    )
    target = ew.select(ew.ne(keys, nxt), keys, lit(spare, keys))  # the run's last only
    per_target = ix.scatter(np.full((spare + 1,), identity, dtype_of(x)), target, runs, axis=0)
    return op(x, _without_spare(per_target, x))


def scatter_mul(
    operand,
    scatter_indices,
    updates,
    dimension_numbers,
    *,
    indices_are_sorted=False,
    unique_indices=False,
    mode=None,
):
    return _scatter_combine(
        "scatter_mul", ew.mul, 1, operand, scatter_indices, updates, dimension_numbers, mode
    )


def scatter_min(
    operand,
    scatter_indices,
    updates,
    dimension_numbers,
    *,
    indices_are_sorted=False,
    unique_indices=False,
    mode=None,
):
    dt = dtype_of(_arr(operand))
    return _scatter_combine(
        "scatter_min",
        ew.min,
        _highest(dt),
        operand,
        scatter_indices,
        updates,
        dimension_numbers,
        mode,
    )


def scatter_max(
    operand,
    scatter_indices,
    updates,
    dimension_numbers,
    *,
    indices_are_sorted=False,
    unique_indices=False,
    mode=None,
):
    dt = dtype_of(_arr(operand))
    return _scatter_combine(
        "scatter_max",
        ew.max,
        _lowest(dt),
        operand,
        scatter_indices,
        updates,
        dimension_numbers,
        mode,
    )


def scatter_apply(
    operand,
    scatter_indices,
    func: Callable,
    dimension_numbers,
    *,
    update_shape=(),
    indices_are_sorted=False,
    unique_indices=False,
    mode=None,
):
    """operand with func applied to each element once per scattered window touching it."""
    x = _arr(operand)
    ones = np.ones(static_shape(update_shape), np.int32)
    count = scatter_add(
        np.zeros(shape_of(x), np.int32), scatter_indices, ones, dimension_numbers, mode=mode
    )
    # a window touches an element at most once per index vector
    most = (
        int(count.max(initial=0))
        if type(count) is np.ndarray
        else int(np.prod(shape_of(scatter_indices)[:-1]))
    )
    for k in range(1, most + 1):
        x = ew.select(ew.ge(count, lit(k, count)), func(x), x)
    return x
