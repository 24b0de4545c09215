"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze, expand_dims, slice,
pad, concatenate, rev, iota.

All but iota are linear, so each has a transpose rule; batching moves the batch axis to
the front only where the primitive's parameters would otherwise need rewriting. Static
slicing, padding and flipping follow lax semantics: `slice` needs 0 <= start <= limit <=
dim and strides >= 1; `pad` takes (lo, hi, interior) per dim, and a negative lo or hi
crops instead of padding.
"""

from __future__ import annotations

import builtins

import numpy as np

from ..ir import ShapedArray
from ..trace import Primitive, bind
from .common import UndefinedPrimal, dtype_of, moveaxis_to, shape_error, shape_of

# ---------------------------------------------------------------------------
# broadcast_in_dim: operand dim i becomes output dim broadcast_dimensions[i]


def _bid_shape(x, *, shape, broadcast_dimensions):
    bd = broadcast_dimensions
    if (
        len(bd) != x.ndim
        or any(
            not (0 <= d < len(shape)) or x.shape[i] not in (1, shape[d]) for i, d in enumerate(bd)
        )
        or list(bd) != sorted(set(bd))
    ):
        raise shape_error(
            "broadcast_in_dim",
            f"cannot broadcast {x} to {shape} with broadcast_dimensions={bd}",
        )
    return x.update(shape=shape)


def _bid_impl(x, *, shape, broadcast_dimensions):
    x = np.asarray(x)
    expanded = [1] * len(shape)
    for i, d in enumerate(broadcast_dimensions):
        expanded[d] = x.shape[i]
    return np.broadcast_to(x.reshape(expanded), shape)


def _bid_transpose(ct, x, *, shape, broadcast_dimensions):
    from .reduce import reduce_sum

    bd = broadcast_dimensions
    new = tuple(d for d in range(len(shape)) if d not in bd)
    ones = tuple(d for i, d in enumerate(bd) if x.aval.shape[i] == 1 and shape[d] != 1)
    out = reduce_sum(ct, axes=tuple(sorted(new + ones))) if new or ones else ct
    return [reshape(out, new_sizes=x.aval.shape) if ones else out]


def _bid_vmap(args, bdims, *, shape, broadcast_dimensions):
    (x,), (d,) = args, bdims
    x = moveaxis_to(x, d, 0)
    size = shape_of(x)[0]
    bd = (0,) + tuple(b + 1 for b in broadcast_dimensions)
    return broadcast_in_dim(x, shape=(size,) + tuple(shape), broadcast_dimensions=bd), 0


broadcast_in_dim_p = Primitive(
    "broadcast_in_dim",
    impl=_bid_impl,
    shape=_bid_shape,
    jvp=(lambda t, out, x, **p: broadcast_in_dim(t, **p),),
    transpose=_bid_transpose,
    vmap=_bid_vmap,
    doc="Operand dim i becomes output dim broadcast_dimensions[i]; size-1 dims stretch.",
)


def broadcast_in_dim(x, *, shape, broadcast_dimensions):
    shape, bd = tuple(int(s) for s in shape), tuple(int(d) for d in broadcast_dimensions)
    if shape_of(x) == shape and bd == tuple(range(len(shape))):
        return x
    return bind(broadcast_in_dim_p, x, shape=shape, broadcast_dimensions=bd)


# ---------------------------------------------------------------------------
# reshape (row-major)


def _reshape_shape(x, *, new_sizes):
    if int(np.prod(new_sizes, dtype=np.int64)) != x.size:
        raise shape_error("reshape", f"cannot reshape {x} to {new_sizes}")
    return x.update(shape=new_sizes)


def _reshape_vmap(args, bdims, *, new_sizes):
    (x,), (d,) = args, bdims
    x = moveaxis_to(x, d, 0)
    return reshape(x, new_sizes=(shape_of(x)[0],) + new_sizes), 0


reshape_p = Primitive(
    "reshape",
    impl=lambda x, *, new_sizes: np.reshape(x, new_sizes),
    shape=_reshape_shape,
    jvp=(lambda t, out, x, **p: reshape(t, **p),),
    transpose=lambda ct, x, **p: [reshape(ct, new_sizes=x.aval.shape)],
    vmap=_reshape_vmap,
)


def reshape(x, *, new_sizes):
    new_sizes = tuple(int(s) for s in new_sizes)
    if shape_of(x) == new_sizes:
        return x
    return bind(reshape_p, x, new_sizes=new_sizes)


# ---------------------------------------------------------------------------
# transpose (axis permutation)


def _transpose_shape(x, *, perm):
    if sorted(perm) != list(range(x.ndim)):
        raise shape_error("transpose", f"perm {perm} is not a permutation of {x.ndim} axes")
    return x.update(shape=tuple(x.shape[p] for p in perm))


def _transpose_vmap(args, bdims, *, perm):
    (x,), (d,) = args, bdims
    full = (d,) + tuple(p if p < d else p + 1 for p in perm)
    return transpose(x, perm=full), 0


transpose_p = Primitive(
    "transpose",
    impl=lambda x, *, perm: np.transpose(x, perm),
    shape=_transpose_shape,
    jvp=(lambda t, out, x, **p: transpose(t, **p),),
    transpose=lambda ct, x, *, perm: [transpose(ct, perm=tuple(np.argsort(perm).tolist()))],
    vmap=_transpose_vmap,
)


def transpose(x, *, perm):
    perm = tuple(int(p) for p in perm)
    if perm == tuple(range(len(perm))):
        return x
    return bind(transpose_p, x, perm=perm)


# ---------------------------------------------------------------------------
# squeeze and expand_dims (size-1 axes)


def _squeeze_shape(x, *, dimensions):
    if any(not (0 <= d < x.ndim) or x.shape[d] != 1 for d in dimensions):
        raise shape_error("squeeze", f"cannot squeeze axes {dimensions} of {x}")
    return x.update(shape=tuple(s for i, s in enumerate(x.shape) if i not in dimensions))


def _shift_axes(axes, d):
    """Example-axis numbers -> full-array axis numbers, given batch axis d."""
    return tuple(a if a < d else a + 1 for a in axes)


def _squeeze_vmap(args, bdims, *, dimensions):
    (x,), (d,) = args, bdims
    full = _shift_axes(dimensions, d)
    return squeeze(x, dimensions=full), d - sum(a < d for a in full)


squeeze_p = Primitive(
    "squeeze",
    impl=lambda x, *, dimensions: np.squeeze(x, dimensions) if dimensions else np.asarray(x),
    shape=_squeeze_shape,
    jvp=(lambda t, out, x, **p: squeeze(t, **p),),
    transpose=lambda ct, x, *, dimensions: [expand_dims(ct, dimensions=dimensions)],
    vmap=_squeeze_vmap,
)


def squeeze(x, *, dimensions):
    dimensions = tuple(sorted(int(d) for d in dimensions))
    if not dimensions:
        return x
    return bind(squeeze_p, x, dimensions=dimensions)


def _expand_dims_shape(x, *, dimensions):
    n = x.ndim + len(dimensions)
    if any(not (0 <= d < n) for d in dimensions) or len(set(dimensions)) != len(dimensions):
        raise shape_error("expand_dims", f"bad axes {dimensions} for {x}")
    it = iter(x.shape)
    return x.update(shape=tuple(1 if i in dimensions else next(it) for i in range(n)))


def _expand_dims_vmap(args, bdims, *, dimensions):
    (x,), (d,) = args, bdims
    x = moveaxis_to(x, d, 0)
    return expand_dims(x, dimensions=tuple(a + 1 for a in dimensions)), 0


expand_dims_p = Primitive(
    "expand_dims",
    impl=lambda x, *, dimensions: np.expand_dims(x, dimensions),
    shape=_expand_dims_shape,
    jvp=(lambda t, out, x, **p: expand_dims(t, **p),),
    transpose=lambda ct, x, *, dimensions: [squeeze(ct, dimensions=dimensions)],
    vmap=_expand_dims_vmap,
)


# the primitives that only re-read the same elements in another shape (a C-contiguous view)
RESHAPES = frozenset({reshape_p.name, squeeze_p.name, expand_dims_p.name})


def expand_dims(x, *, dimensions):
    dimensions = tuple(sorted(int(d) for d in dimensions))
    if not dimensions:
        return x
    return bind(expand_dims_p, x, dimensions=dimensions)


def _to_front(x, bdim, size: int):
    """x with its batch axis at 0; an unbatched x is broadcast to the batch size."""
    if bdim is None:
        shp = shape_of(x)
        return broadcast_in_dim(
            x, shape=(size,) + shp, broadcast_dimensions=tuple(range(1, len(shp) + 1))
        )
    return moveaxis_to(x, bdim, 0)


def _batch_size(args, bdims) -> int:
    return next(shape_of(a)[d] for a, d in zip(args, bdims, strict=True) if d is not None)


def _zeros(shape, dtype):
    """A zero array for rules: a broadcast 0-d constant, so it costs no memory."""
    return broadcast_in_dim(np.zeros((), dtype), shape=tuple(shape), broadcast_dimensions=())


# ---------------------------------------------------------------------------
# slice: static start/limit/stride per dim, as lax.slice


def _slice_shape(x, *, start_indices, limit_indices, strides):
    st = strides or (1,) * x.ndim
    if not (len(start_indices) == len(limit_indices) == len(st) == x.ndim) or any(
        not (0 <= s <= l <= n) or k < 1
        for s, l, n, k in zip(start_indices, limit_indices, x.shape, st, strict=True)
    ):
        raise shape_error(
            "slice",
            f"bad slice of {x}: start_indices={start_indices}, limit_indices="
            f"{limit_indices}, strides={strides}; need 0 <= start <= limit <= dim and "
            "strides >= 1, one per dim",
        )
    return x.update(
        shape=tuple(
            -(-(l - s) // k) for s, l, k in zip(start_indices, limit_indices, st, strict=True)
        )
    )


def _slice_impl(x, *, start_indices, limit_indices, strides):
    st = strides or (1,) * len(start_indices)
    idx = tuple(
        builtins.slice(s, l, k) for s, l, k in zip(start_indices, limit_indices, st, strict=True)
    )
    return np.asarray(np.asarray(x)[idx])


def _slice_transpose(ct, x, *, start_indices, limit_indices, strides):
    st = strides or (1,) * len(start_indices)
    # the last element taken, plus one: where the zero padding after it starts
    ends = [
        s + (o - 1) * k + 1 if o else s
        for s, o, k in zip(start_indices, shape_of(ct), st, strict=True)
    ]
    config = tuple(
        (s, n - e, k - 1) for s, e, n, k in zip(start_indices, ends, shape_of(x), st, strict=True)
    )
    return [pad(ct, np.zeros((), dtype_of(ct)), padding_config=config)]


def _slice_vmap(args, bdims, *, start_indices, limit_indices, strides):
    (x,), (d,) = args, bdims
    st = strides and strides[:d] + (1,) + strides[d:]
    out = slice(
        x,
        start_indices=start_indices[:d] + (0,) + start_indices[d:],
        limit_indices=limit_indices[:d] + (shape_of(x)[d],) + limit_indices[d:],
        strides=st,
    )
    return out, d


slice_p = Primitive(
    "slice",
    impl=_slice_impl,
    shape=_slice_shape,
    jvp=(lambda t, out, x, **p: slice(t, **p),),
    transpose=_slice_transpose,
    vmap=_slice_vmap,
    doc="x[start:limit:stride] per dim, all static; strides=None means all 1.",
)


def slice(x, *, start_indices, limit_indices, strides=None):
    start = tuple(int(s) for s in start_indices)
    limit = tuple(int(s) for s in limit_indices)
    strides = None if strides is None else tuple(int(k) for k in strides)
    if strides is not None and all(k == 1 for k in strides):
        strides = None
    if strides is None and not any(start) and limit == shape_of(x):
        return x
    return bind(slice_p, x, start_indices=start, limit_indices=limit, strides=strides)


# ---------------------------------------------------------------------------
# pad: (lo, hi, interior) per dim; negative lo/hi crop; the padding value is an operand


def _pad_sizes(shape, config):
    return tuple(
        lo + hi + n + builtins.max(n - 1, 0) * i
        for n, (lo, hi, i) in zip(shape, config, strict=True)
    )


def _pad_shape(x, padding_value, *, padding_config):
    if padding_value.shape != () or padding_value.dtype != x.dtype:
        raise shape_error(
            "pad", f"padding value must be a 0-d {x.dtype} array, got {padding_value}"
        )
    sizes = _pad_sizes(x.shape, padding_config) if len(padding_config) == x.ndim else None
    if sizes is None or any(i < 0 for _, _, i in padding_config) or any(s < 0 for s in sizes):
        raise shape_error(
            "pad",
            f"bad padding_config={padding_config} for {x}: need one (lo, hi, interior) per "
            "dim, interior >= 0, and no dim cropped below size 0",
        )
    return x.update(shape=sizes)


def _pad_impl(x, padding_value, *, padding_config):
    x = np.asarray(x)
    # pad with the positive parts of lo/hi, then crop the negative parts
    grown = [(builtins.max(lo, 0), builtins.max(hi, 0), i) for lo, hi, i in padding_config]
    out = np.full(_pad_sizes(x.shape, grown), padding_value, dtype=x.dtype)
    out[
        tuple(
            builtins.slice(lo, lo + (n - 1) * (i + 1) + 1 if n else lo, i + 1)
            for n, (lo, _, i) in zip(x.shape, grown, strict=True)
        )
    ] = x
    crop = tuple(
        builtins.slice(-builtins.min(lo, 0), m + builtins.min(hi, 0))
        for m, (lo, hi, _) in zip(out.shape, padding_config, strict=True)
    )
    return np.asarray(out[crop])


def _pad_transpose(ct, x, padding_value, *, padding_config):
    # undo lo/hi with the opposite padding, then drop interior padding with a strided slice
    unpad = pad(
        ct,
        np.zeros((), dtype_of(ct)),
        padding_config=tuple((-lo, -hi, 0) for lo, hi, _ in padding_config),
    )
    ct_x = slice(
        unpad,
        start_indices=(0,) * len(padding_config),
        limit_indices=shape_of(unpad),
        strides=tuple(i + 1 for _, _, i in padding_config),
    )
    ct_pv = None
    if isinstance(padding_value, UndefinedPrimal):
        from .elementwise import sub
        from .reduce import reduce_sum

        every = tuple(range(len(padding_config)))
        ct_pv = sub(reduce_sum(ct, axes=every), reduce_sum(ct_x, axes=every))
    return [ct_x if isinstance(x, UndefinedPrimal) else None, ct_pv]


def _pad_jvp_value(t, out, x, padding_value, *, padding_config):
    return pad(_zeros(shape_of(x), dtype_of(t)), t, padding_config=padding_config)


def _pad_vmap(args, bdims, *, padding_config):
    (x, pv), (dx, dv) = args, bdims
    if dv is None:
        return pad(
            x, pv, padding_config=padding_config[:dx] + ((0, 0, 0),) + padding_config[dx:]
        ), dx
    # a batched padding value: pad with zeros, then fill the padding from a constant mask
    from .elementwise import select

    size = shape_of(pv)[dv]
    ex_shape = shape_of(x) if dx is None else shape_of(x)[:dx] + shape_of(x)[dx + 1 :]
    mask = pad(np.ones(ex_shape, bool), np.asarray(False), padding_config=padding_config)
    config = ((0, 0, 0),) + padding_config
    body = pad(_to_front(x, dx, size), np.zeros((), dtype_of(x)), padding_config=config)
    out_shape = shape_of(body)
    mask = broadcast_in_dim(
        mask, shape=out_shape, broadcast_dimensions=tuple(range(1, len(out_shape)))
    )
    fill = broadcast_in_dim(moveaxis_to(pv, dv, 0), shape=out_shape, broadcast_dimensions=(0,))
    return select(mask, body, fill), 0


pad_p = Primitive(
    "pad",
    impl=_pad_impl,
    shape=_pad_shape,
    jvp=(
        lambda t, out, x, padding_value, **p: pad(t, np.zeros((), dtype_of(t)), **p),
        _pad_jvp_value,
    ),
    transpose=_pad_transpose,
    vmap=_pad_vmap,
    doc="lax.pad: (lo, hi, interior) per dim; negative lo/hi crop. Linear in both operands.",
)


def pad(x, padding_value, *, padding_config):
    config = tuple((int(lo), int(hi), int(i)) for lo, hi, i in padding_config)
    if not hasattr(padding_value, "aval"):
        padding_value = np.asarray(padding_value, dtype_of(x))
    if all(c == (0, 0, 0) for c in config) and len(config) == len(shape_of(x)):
        return x
    return bind(pad_p, x, padding_value, padding_config=config)


# ---------------------------------------------------------------------------
# concatenate along one dimension


def _concatenate_shape(*xs, dimension):
    x0 = xs[0]
    if not (0 <= dimension < x0.ndim) or any(
        x.dtype != x0.dtype
        or x.ndim != x0.ndim
        or any(
            a != b for k, (a, b) in enumerate(zip(x.shape, x0.shape, strict=True)) if k != dimension
        )
        for x in xs
    ):
        raise shape_error(
            "concatenate",
            f"cannot concatenate {', '.join(map(str, xs))} along dimension {dimension}: "
            "need equal dtypes and equal sizes off that dimension",
        )
    return x0.update(
        shape=x0.shape[:dimension]
        + (sum(x.shape[dimension] for x in xs),)
        + x0.shape[dimension + 1 :]
    )


def _concatenate_jvp(primals, tangents, *, dimension):
    out = concatenate(*primals, dimension=dimension)
    if all(t is None for t in tangents):
        return [out], [None]
    dt = dtype_of(next(t for t in tangents if t is not None))
    ts = [
        _zeros(shape_of(x), dt) if t is None else t for x, t in zip(primals, tangents, strict=True)
    ]
    return [out], [concatenate(*ts, dimension=dimension)]


def _concatenate_transpose(ct, *xs, dimension):
    cts, start = [], 0
    for x in xs:
        shp = shape_of(x)  # an UndefinedPrimal has an aval too
        lo = (0,) * dimension + (start,) + (0,) * (len(shp) - dimension - 1)
        hi = shape_of(ct)[:dimension] + (start + shp[dimension],) + shape_of(ct)[dimension + 1 :]
        start += shp[dimension]
        if isinstance(x, UndefinedPrimal):
            cts.append(slice(ct, start_indices=lo, limit_indices=hi))
        else:
            cts.append(None)
    return cts


def _concatenate_vmap(args, bdims, *, dimension):
    size = _batch_size(args, bdims)
    xs = [_to_front(x, d, size) for x, d in zip(args, bdims, strict=True)]
    return concatenate(*xs, dimension=dimension + 1), 0


concatenate_p = Primitive(
    "concatenate",
    impl=lambda *xs, dimension: np.concatenate(xs, axis=dimension),
    shape=_concatenate_shape,
    jvp=_concatenate_jvp,
    transpose=_concatenate_transpose,
    vmap=_concatenate_vmap,
)


def concatenate(*xs, dimension: int):
    if len(xs) == 1:
        return xs[0]
    return bind(concatenate_p, *xs, dimension=int(dimension))


# ---------------------------------------------------------------------------
# rev: flip along some dimensions


def _rev_shape(x, *, dimensions):
    if any(not (0 <= d < x.ndim) for d in dimensions) or len(set(dimensions)) != len(dimensions):
        raise shape_error("rev", f"bad dimensions {dimensions} for {x}")
    return x


def _rev_vmap(args, bdims, *, dimensions):
    (x,), (d,) = args, bdims
    return rev(x, dimensions=_shift_axes(dimensions, d)), d


rev_p = Primitive(
    "rev",
    impl=lambda x, *, dimensions: np.flip(x, dimensions),
    shape=_rev_shape,
    jvp=(lambda t, out, x, **p: rev(t, **p),),
    transpose=lambda ct, x, **p: [rev(ct, **p)],
    vmap=_rev_vmap,
)


def rev(x, *, dimensions):
    dimensions = tuple(sorted(int(d) for d in dimensions))
    if not dimensions:
        return x
    return bind(rev_p, x, dimensions=dimensions)


# ---------------------------------------------------------------------------
# iota: 0, 1, 2, ... along one dimension of a given shape (no operands: always eager)


def _iota_shape(*, dtype, shape, dimension):
    if not (0 <= dimension < len(shape)) or any(s < 0 for s in shape):
        raise shape_error("iota", f"bad dimension {dimension} for shape {shape}")
    return ShapedArray(shape, dtype)


def _iota_impl(*, dtype, shape, dimension):
    line = np.arange(shape[dimension], dtype=dtype)
    view = line.reshape((-1,) + (1,) * (len(shape) - dimension - 1))
    return np.ascontiguousarray(np.broadcast_to(view, shape))


iota_p = Primitive(
    "iota",
    impl=_iota_impl,
    shape=_iota_shape,
    doc="An array of the given shape counting 0, 1, 2, ... along `dimension`.",
)


def iota(*, dtype, shape, dimension: int = 0):
    shape = tuple(int(s) for s in shape)
    return bind(iota_p, dtype=np.dtype(dtype), shape=shape, dimension=int(dimension))
