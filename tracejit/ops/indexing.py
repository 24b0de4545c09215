"""Indexing primitives: gather, take_along_axis, dynamic_slice and their scatters.

The contract with tracejit.numpy, which builds all of NumPy's indexing from these and
the static shape primitives (slice, rev, squeeze, expand_dims, reshape, transpose,
broadcast_in_dim), with every output shape static:

- Index operands are integer arrays (any integer dtype) and are never differentiated.
  tracejit.numpy normalises negative indices first (adds n). An index still outside
  [0, n) is clamped, never an error: gather-type primitives clip each index into
  [0, n - 1] (np.take mode="clip"); dynamic_slice / dynamic_update_slice clamp each
  start so the whole window fits, as lax does.
- gather(x, idx, axis) = np.take(x, idx, axis, mode="clip"); out shape
  x.shape[:axis] + idx.shape + x.shape[axis+1:]. Several advanced indices: broadcast
  them together, transpose the indexed axes next to each other, merge them with reshape
  and gather the raveled index (i * n1 + j); NumPy's rule for where the new axes go
  (in place if the indexed axes were adjacent, else first) is one final transpose.
- Basic indexing: static ints and slices become slice (+ rev for a negative step) and
  squeeze; None becomes expand_dims; a traced scalar index becomes a size-1
  dynamic_slice and a squeeze.
- A boolean mask is converted to integer indices (np.nonzero) when it is concrete; a
  traced mask has no static shape, so that is an error pointing to tnp.where.
- x.at[idx].set(v) is scatter (set; where idx repeats, the last write in C order of idx
  wins, as in NumPy); x.at[idx].add(v) is scatter_add (repeats accumulate, as
  np.add.at). Both take idx normalised as for gather and v broadcast to the gathered
  shape. A contiguous window with traced starts can use dynamic_update_slice instead.
- take_along_axis(x, idx, axis) needs idx.ndim == x.ndim and idx.shape[d] == x.shape[d]
  off `axis` (tracejit.numpy broadcasts first); out shape idx.shape. Its transpose is
  scatter_add_along.

Batching never loops over the batch: when the indices are batched, the batch axis is
merged with the indexed axis (reshape) and each index is offset by b * n.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..trace import Primitive, bind
from .common import UndefinedPrimal, dtype_of, moveaxis_to, ndim_of, shape_error, shape_of
from .elementwise import add, convert_element_type, eq, lit, mul, select
from .elementwise import max as maximum
from .elementwise import min as minimum
from .shape import _batch_size, _to_front, _zeros, broadcast_in_dim, iota, reshape, transpose

__all__ = [
    "gather",
    "take_along_axis",
    "scatter_add",
    "scatter_add_along",
    "scatter",
    "dynamic_slice",
    "dynamic_update_slice",
]


def _is_int(dtype) -> bool:
    return np.issubdtype(dtype, np.integer)


def _clip(idx, n: int) -> np.ndarray:
    return np.clip(idx, 0, builtins.max(n - 1, 0))


def _clamp(i, lo: int, hi: int):
    """min(max(i, lo), hi) with ops; for hi < lo (an empty axis) the result is lo."""
    return maximum(minimum(i, lit(hi, i)), lit(lo, i))


def _as_index(i):
    """An index operand as int64, so that merged (batch * n) offsets cannot overflow."""
    return convert_element_type(i, new_dtype=np.int64)


def _batch_offsets(idx, n: int):
    """b * n + clip(idx): indices into an axis of size n merged with batch axis 0 of idx."""
    idx = _clamp(_as_index(idx), 0, n - 1)
    b = iota(dtype=np.int64, shape=shape_of(idx), dimension=0)
    return add(idx, mul(b, lit(n, idx)))


def _merged_perm(ndim: int, axis: int) -> tuple:
    """(B, *pre, n, *post) -> (B, n, *pre, *post), where `axis` indexes n in an example."""
    k = axis + 1
    return (0, k) + tuple(range(1, k)) + tuple(range(k + 1, ndim))


def _merge_batch(x, axis: int):
    """(B, *pre, n, *post) -> (B*n, *pre, *post)."""
    shp = shape_of(x)
    k = axis + 1
    y = transpose(x, perm=_merged_perm(len(shp), axis))
    return reshape(y, new_sizes=(shp[0] * shp[k],) + shp[1:k] + shp[k + 1 :])


def _split_batch(y, axis: int, shp: tuple):
    """The inverse of _merge_batch, back to shape `shp`."""
    k = axis + 1
    y = reshape(y, new_sizes=(shp[0], shp[k]) + shp[1:k] + shp[k + 1 :])
    return transpose(y, perm=tuple(np.argsort(_merged_perm(len(shp), axis)).tolist()))


def _check_index(name, idx):
    if not _is_int(idx.dtype):
        raise shape_error(name, f"indices must be integers, got {idx}")


# ---------------------------------------------------------------------------
# gather: np.take(x, idx, axis, mode="clip")


def _gather_shape(x, idx, *, axis):
    _check_index("gather", idx)
    if not (0 <= axis < x.ndim) or (x.shape[axis] == 0 and idx.size):
        raise shape_error("gather", f"cannot take {idx} indices from {x} along axis {axis}")
    return x.update(shape=x.shape[:axis] + idx.shape + x.shape[axis + 1 :])


def _gather_impl(x, idx, *, axis):
    x = np.asarray(x)
    return np.asarray(np.take(x, _clip(idx, x.shape[axis]), axis=axis))


def _gather_transpose(ct, x, idx, *, axis):
    return [scatter_add(_zeros(shape_of(x), dtype_of(ct)), idx, ct, axis=axis), None]


def _gather_vmap(args, bdims, *, axis):
    (x, idx), (bx, bi) = args, bdims
    if bi is None:
        ax = axis if axis < bx else axis + 1
        return gather(x, idx, axis=ax), bx if bx < ax else bx + ndim_of(idx) - 1
    if bx is None:
        return gather(x, idx, axis=axis), axis + bi
    x, idx = moveaxis_to(x, bx, 0), moveaxis_to(idx, bi, 0)
    n = shape_of(x)[axis + 1]
    out = gather(_merge_batch(x, axis), _batch_offsets(idx, n), axis=0)
    # out is (B, *I, *pre, *post); the example layout puts pre first
    k, nd = ndim_of(idx) - 1, ndim_of(out)
    perm = (0,) + tuple(range(1 + k, 1 + k + axis)) + tuple(range(1, 1 + k))
    return transpose(out, perm=perm + tuple(range(1 + k + axis, nd))), 0


gather_p = Primitive(
    "gather",
    impl=_gather_impl,
    shape=_gather_shape,
    jvp=(lambda t, out, x, idx, *, axis: gather(t, idx, axis=axis), None),
    transpose=_gather_transpose,
    vmap=_gather_vmap,
    doc="np.take(x, idx, axis, mode='clip'): x.shape[:axis] + idx.shape + x.shape[axis+1:].",
)


def gather(x, idx, *, axis: int):
    return bind(gather_p, x, idx, axis=int(axis))


# ---------------------------------------------------------------------------
# scatter_add (np.add.at; the transpose of gather) and scatter (set, last write wins)


def _scatter_shape(name):
    def shape(x, idx, updates, *, axis):
        _check_index(name, idx)
        if not (0 <= axis < x.ndim) or (x.shape[axis] == 0 and idx.size):
            raise shape_error(name, f"cannot index {x} with {idx} along axis {axis}")
        want = x.shape[:axis] + idx.shape + x.shape[axis + 1 :]
        if updates.shape != want or updates.dtype != x.dtype:
            raise shape_error(
                name,
                f"updates {updates} do not match {x.dtype}{list(want)}, the shape of "
                f"gather(x, idx, axis={axis}) for x: {x}, idx: {idx}",
            )
        return x

    return shape


def _scatter_impl(accumulate: bool):
    def impl(x, idx, updates, *, axis):
        out = np.array(x, copy=True)
        where = (builtins.slice(None),) * axis + (_clip(idx, out.shape[axis]),)
        if accumulate:
            np.add.at(out, where, updates)
        else:  # NumPy assigns in C order of idx: the last write wins
            out[where] = updates
        return out

    return impl


def _scatter_vmap(prim):
    def rule(args, bdims, *, axis):
        (x, idx, updates), (bx, bi, bu) = args, bdims
        size = _batch_size(args, bdims)
        x, updates = _to_front(x, bx, size), _to_front(updates, bu, size)
        if bi is None:
            return prim.bind(x, idx, updates, axis=axis + 1), 0
        idx = moveaxis_to(idx, bi, 0)
        # updates (B, *pre, *I, *post) -> (B, *I, *pre, *post), the merged layout
        k, nd = ndim_of(idx) - 1, ndim_of(updates)
        perm = (0,) + tuple(range(1 + axis, 1 + axis + k)) + tuple(range(1, 1 + axis))
        updates = transpose(updates, perm=perm + tuple(range(1 + axis + k, nd)))
        n = shape_of(x)[axis + 1]
        out = prim.bind(_merge_batch(x, axis), _batch_offsets(idx, n), updates, axis=0)
        return _split_batch(out, axis, shape_of(x)), 0

    return rule


def _scatter_add_transpose(ct, x, idx, updates, *, axis):
    return [
        ct if isinstance(x, UndefinedPrimal) else None,
        None,
        gather(ct, idx, axis=axis) if isinstance(updates, UndefinedPrimal) else None,
    ]


scatter_add_p = Primitive(
    "scatter_add",
    impl=_scatter_impl(accumulate=True),
    shape=_scatter_shape("scatter_add"),
    jvp=(
        lambda t, out, x, idx, updates, *, axis: t,
        None,
        lambda t, out, x, idx, updates, *, axis: scatter_add(
            _zeros(shape_of(x), dtype_of(t)), idx, t, axis=axis
        ),
    ),
    transpose=_scatter_add_transpose,
    doc="x with updates added at idx along axis (np.add.at: repeated indices accumulate).",
)
scatter_add_p.vmap = _scatter_vmap(scatter_add_p)


def scatter_add(x, idx, updates, *, axis: int):
    return bind(scatter_add_p, x, idx, updates, axis=int(axis))


def _last_writes(idx, n: int):
    """A bool mask of idx's shape: True where that position's write is the one that lands."""
    m = int(np.prod(shape_of(idx), dtype=np.int64))
    flat = reshape(idx, new_sizes=(m,))
    pos = iota(dtype=np.int64, shape=(m,), dimension=0)
    winner = scatter(_zeros((n,), np.int64), flat, pos, axis=0)
    return reshape(eq(gather(winner, flat, axis=0), pos), new_sizes=shape_of(idx))


def _scatter_transpose(ct, x, idx, updates, *, axis):
    ct_x = ct_u = None
    if isinstance(x, UndefinedPrimal):  # overwritten positions get no cotangent
        ct_x = scatter(ct, idx, _zeros(shape_of(updates), dtype_of(ct)), axis=axis)
    if isinstance(updates, UndefinedPrimal):  # nor do updates overwritten by a later one
        taken = gather(ct, idx, axis=axis)
        won = broadcast_in_dim(
            _last_writes(idx, shape_of(ct)[axis]),
            shape=shape_of(taken),
            broadcast_dimensions=tuple(range(axis, axis + ndim_of(idx))),
        )
        ct_u = select(won, taken, lit(0, ct))
    return [ct_x, None, ct_u]


scatter_p = Primitive(
    "scatter",
    impl=_scatter_impl(accumulate=False),
    shape=_scatter_shape("scatter"),
    jvp=(
        lambda t, out, x, idx, updates, *, axis: scatter(
            t, idx, _zeros(shape_of(updates), dtype_of(t)), axis=axis
        ),
        None,
        lambda t, out, x, idx, updates, *, axis: scatter(
            _zeros(shape_of(x), dtype_of(t)), idx, t, axis=axis
        ),
    ),
    transpose=_scatter_transpose,
    doc="x with updates written at idx along axis; for a repeated index the last write "
    "(in C order of idx) wins. Linear in (x, updates) jointly.",
)
scatter_p.vmap = _scatter_vmap(scatter_p)


def scatter(x, idx, updates, *, axis: int):
    return bind(scatter_p, x, idx, updates, axis=int(axis))


# ---------------------------------------------------------------------------
# take_along_axis and its transpose scatter_add_along


def _check_along(name, x, idx, axis):
    _check_index(name, idx)
    if (
        not (0 <= axis < x.ndim)
        or idx.ndim != x.ndim
        or any(a != b for d, (a, b) in enumerate(zip(idx.shape, x.shape, strict=True)) if d != axis)
        or (x.shape[axis] == 0 and idx.size)
    ):
        raise shape_error(
            name,
            f"indices {idx} do not fit {x} along axis {axis}: need the same rank and equal "
            "sizes off that axis (tracejit.numpy broadcasts them first)",
        )


def _take_along_shape(x, idx, *, axis):
    _check_along("take_along_axis", x, idx, axis)
    return x.update(shape=idx.shape)


def _take_along_impl(x, idx, *, axis):
    x = np.asarray(x)
    return np.take_along_axis(x, _clip(idx, x.shape[axis]), axis=axis)


def _along_vmap(prim):
    def rule(args, bdims, *, axis):
        size = _batch_size(args, bdims)
        args = [_to_front(a, d, size) for a, d in zip(args, bdims, strict=True)]
        return prim.bind(*args, axis=axis + 1), 0

    return rule


take_along_axis_p = Primitive(
    "take_along_axis",
    impl=_take_along_impl,
    shape=_take_along_shape,
    jvp=(lambda t, out, x, idx, *, axis: take_along_axis(t, idx, axis=axis), None),
    transpose=lambda ct, x, idx, *, axis: [
        scatter_add_along(_zeros(shape_of(x), dtype_of(ct)), idx, ct, axis=axis),
        None,
    ],
    doc="np.take_along_axis with clipped indices; idx matches x's shape off `axis`.",
)
take_along_axis_p.vmap = _along_vmap(take_along_axis_p)


def take_along_axis(x, idx, *, axis: int):
    return bind(take_along_axis_p, x, idx, axis=int(axis))


def _scatter_along_shape(x, idx, updates, *, axis):
    _check_along("scatter_add_along", x, idx, axis)
    if updates.shape != idx.shape or updates.dtype != x.dtype:
        raise shape_error(
            "scatter_add_along", f"updates {updates} must be {x.dtype} of shape {idx.shape}"
        )
    return x


def _scatter_along_impl(x, idx, updates, *, axis):
    out = np.array(x, copy=True)
    where = list(np.indices(np.shape(idx), sparse=True))
    where[axis] = _clip(idx, out.shape[axis])
    np.add.at(out, tuple(where), updates)
    return out


scatter_add_along_p = Primitive(
    "scatter_add_along",
    impl=_scatter_along_impl,
    shape=_scatter_along_shape,
    jvp=(
        lambda t, out, x, idx, updates, *, axis: t,
        None,
        lambda t, out, x, idx, updates, *, axis: scatter_add_along(
            _zeros(shape_of(x), dtype_of(t)), idx, t, axis=axis
        ),
    ),
    transpose=lambda ct, x, idx, updates, *, axis: [
        ct if isinstance(x, UndefinedPrimal) else None,
        None,
        take_along_axis(ct, idx, axis=axis) if isinstance(updates, UndefinedPrimal) else None,
    ],
    doc="x with updates added at take_along_axis positions (repeats accumulate).",
)
scatter_add_along_p.vmap = _along_vmap(scatter_add_along_p)


def scatter_add_along(x, idx, updates, *, axis: int):
    return bind(scatter_add_along_p, x, idx, updates, axis=int(axis))


# ---------------------------------------------------------------------------
# dynamic_slice and dynamic_update_slice: a static-size window at traced starts


def _check_starts(name, x, starts):
    if len(starts) != x.ndim or any(s.shape != () or not _is_int(s.dtype) for s in starts):
        raise shape_error(
            name, f"need {x.ndim} start indices, 0-d integers, for {x}; got {list(starts)}"
        )


def _window(shape, starts, sizes) -> tuple:
    """The clamped window, as lax: each start moves so that the whole window fits."""
    return tuple(
        builtins.slice(s, s + k)
        for s, k in (
            (int(np.clip(s, 0, n - k)), k) for s, n, k in zip(starts, shape, sizes, strict=True)
        )
    )


def _window_index(starts, bdims, shape, sizes, batch: int):
    """(batch, *sizes) row-major indices into x.reshape(-1) of each window element."""
    out_shape = (batch,) + tuple(sizes)
    stride, lin = 1, None
    for d in reversed(range(len(shape))):
        s = _clamp(_as_index(starts[d]), 0, shape[d] - sizes[d])
        s = broadcast_in_dim(
            s, shape=out_shape, broadcast_dimensions=() if bdims[d] is None else (0,)
        )
        pos = add(s, iota(dtype=np.int64, shape=out_shape, dimension=d + 1))
        term = mul(pos, lit(stride, pos))
        lin = term if lin is None else add(lin, term)
        stride *= shape[d]
    return lin


def _with_batch_offset(lin, n: int):
    return add(lin, mul(iota(dtype=np.int64, shape=shape_of(lin), dimension=0), lit(n, lin)))


def _dslice_shape(x, *starts, slice_sizes):
    _check_starts("dynamic_slice", x, starts)
    if len(slice_sizes) != x.ndim or any(
        not (0 <= k <= n) for k, n in zip(slice_sizes, x.shape, strict=True)
    ):
        raise shape_error(
            "dynamic_slice", f"slice_sizes={slice_sizes} do not fit in {x} (need 0 <= size <= dim)"
        )
    return x.update(shape=slice_sizes)


def _dslice_impl(x, *starts, slice_sizes):
    x = np.asarray(x)
    return np.asarray(x[_window(x.shape, starts, slice_sizes)])


def _dslice_jvp(primals, tangents, *, slice_sizes):
    x, *starts = primals
    out = dynamic_slice(x, *starts, slice_sizes=slice_sizes)
    t = tangents[0]
    return [out], [None if t is None else dynamic_slice(t, *starts, slice_sizes=slice_sizes)]


def _dslice_transpose(ct, x, *starts, slice_sizes):
    zeros = _zeros(shape_of(x), dtype_of(ct))
    return [dynamic_update_slice(zeros, ct, *starts)] + [None] * len(starts)


def _dslice_vmap(args, bdims, *, slice_sizes):
    (x, *starts), (bx, *bs) = args, bdims
    size = _batch_size(args, bdims)
    if all(b is None for b in bs):
        starts.insert(bx, np.zeros((), np.int64))
        sizes = slice_sizes[:bx] + (size,) + slice_sizes[bx:]
        return dynamic_slice(x, *starts, slice_sizes=sizes), bx
    # batched starts: one gather of each window's elements from the flattened operand
    ex_shape = shape_of(x) if bx is None else shape_of(x)[:bx] + shape_of(x)[bx + 1 :]
    n = int(np.prod(ex_shape, dtype=np.int64))
    lin = _window_index(starts, bs, ex_shape, slice_sizes, size)
    if bx is None:
        return gather(reshape(x, new_sizes=(n,)), lin, axis=0), 0
    flat = reshape(moveaxis_to(x, bx, 0), new_sizes=(size * n,))
    return gather(flat, _with_batch_offset(lin, n), axis=0), 0


dynamic_slice_p = Primitive(
    "dynamic_slice",
    impl=_dslice_impl,
    shape=_dslice_shape,
    jvp=_dslice_jvp,
    transpose=_dslice_transpose,
    vmap=_dslice_vmap,
    doc="The slice_sizes window of x at traced 0-d start indices, clamped to fit (lax).",
)


def dynamic_slice(x, *start_indices, slice_sizes):
    starts = [s if hasattr(s, "aval") else np.asarray(s) for s in start_indices]
    return bind(dynamic_slice_p, x, *starts, slice_sizes=tuple(int(k) for k in slice_sizes))


def _dus_shape(x, update, *starts):
    _check_starts("dynamic_update_slice", x, starts)
    if (
        update.dtype != x.dtype
        or update.ndim != x.ndim
        or any(k > n for k, n in zip(update.shape, x.shape, strict=True))
    ):
        raise shape_error(
            "dynamic_update_slice",
            f"update {update} does not fit in {x}: need the same dtype and rank, no dim larger",
        )
    return x


def _dus_impl(x, update, *starts):
    out = np.array(x, copy=True)
    out[_window(out.shape, starts, np.shape(update))] = update
    return out


def _dus_jvp(primals, tangents):
    x, update, *starts = primals
    out = dynamic_update_slice(x, update, *starts)
    tx, tu = tangents[:2]
    if tx is None and tu is None:
        return [out], [None]
    dt = dtype_of(tu if tx is None else tx)
    tx = _zeros(shape_of(x), dt) if tx is None else tx
    tu = _zeros(shape_of(update), dt) if tu is None else tu
    return [out], [dynamic_update_slice(tx, tu, *starts)]


def _dus_transpose(ct, x, update, *starts):
    ct_x = ct_u = None
    if isinstance(x, UndefinedPrimal):
        ct_x = dynamic_update_slice(ct, _zeros(shape_of(update), dtype_of(ct)), *starts)
    if isinstance(update, UndefinedPrimal):
        ct_u = dynamic_slice(ct, *starts, slice_sizes=shape_of(update))
    return [ct_x, ct_u] + [None] * len(starts)


def _dus_vmap(args, bdims):
    (x, update, *starts), (bx, bu, *bs) = args, bdims
    size = _batch_size(args, bdims)
    x, update = _to_front(x, bx, size), _to_front(update, bu, size)
    if all(b is None for b in bs):
        return dynamic_update_slice(x, update, np.zeros((), np.int64), *starts), 0
    # batched starts: one scatter into the flattened operand; windows never overlap
    ex_shape = shape_of(x)[1:]
    n = int(np.prod(ex_shape, dtype=np.int64))
    lin = _with_batch_offset(_window_index(starts, bs, ex_shape, shape_of(update)[1:], size), n)
    out = scatter(reshape(x, new_sizes=(size * n,)), lin, update, axis=0)
    return reshape(out, new_sizes=shape_of(x)), 0


dynamic_update_slice_p = Primitive(
    "dynamic_update_slice",
    impl=_dus_impl,
    shape=_dus_shape,
    jvp=_dus_jvp,
    transpose=_dus_transpose,
    vmap=_dus_vmap,
    doc="x with the window at traced starts (clamped to fit) replaced by update.",
)


def dynamic_update_slice(x, update, *start_indices):
    starts = [s if hasattr(s, "aval") else np.asarray(s) for s in start_indices]
    return bind(dynamic_update_slice_p, x, update, *starts)
