"""Shape primitives: broadcast_in_dim, reshape, transpose, squeeze, expand_dims.

All are linear, so each has a transpose rule; batching moves the batch axis to the
front only where the primitive's parameters would otherwise need rewriting.
"""

from __future__ import annotations

import numpy as np

from ..trace import Primitive, bind
from .common import moveaxis_to, shape_error, shape_of

# ---------------------------------------------------------------------------
# broadcast_in_dim: operand dim i becomes output dim broadcast_dimensions[i]


def _bid_shape(x, *, shape, broadcast_dimensions):
    bd = broadcast_dimensions
    if len(bd) != x.ndim or any(
        not (0 <= d < len(shape)) or x.shape[i] not in (1, shape[d]) for i, d in enumerate(bd)
    ) or list(bd) != sorted(set(bd)):
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


def expand_dims(x, *, dimensions):
    dimensions = tuple(sorted(int(d) for d in dimensions))
    if not dimensions:
        return x
    return bind(expand_dims_p, x, dimensions=dimensions)
