"""Reductions over axes: sum, max, min, prod, argmax, argmin.

Ties in max/min are kinks: each of the k tied elements gets 1/k of the tangent (the
minimum-norm subgradient).
"""

from __future__ import annotations

import numpy as np

from ..trace import Primitive, bind
from .common import shape_error, shape_of
from .elementwise import convert_element_type, div, eq, lit, mul, tmul
from .shape import _shift_axes, broadcast_in_dim


def _reduce_shape(name):
    def shape(x, *, axes, **params):
        if any(not (0 <= a < x.ndim) for a in axes) or len(set(axes)) != len(axes):
            raise shape_error(name, f"axes {axes} out of range for {x}")
        out = x.update(shape=tuple(s for i, s in enumerate(x.shape) if i not in axes))
        return out.update(dtype=params["index_dtype"]) if "index_dtype" in params else out

    return shape


def _reduce_vmap(prim):
    def rule(args, bdims, *, axes, **params):
        (x,), (d,) = args, bdims
        full = _shift_axes(axes, d)
        return prim.bind(x, axes=full, **params), d - sum(a < d for a in full)

    return rule


def _kept_dims(ndim, axes):
    return tuple(i for i in range(ndim) if i not in axes)


def _expand_back(y, x_shape, axes):
    """Broadcast a reduced array back to the operand's shape."""
    return broadcast_in_dim(y, shape=x_shape, broadcast_dimensions=_kept_dims(len(x_shape), axes))


def _sum_impl(x, *, axes):
    return np.asarray(np.sum(x, axis=axes, dtype=np.asarray(x).dtype))


reduce_sum_p = Primitive(
    "reduce_sum",
    impl=_sum_impl,
    shape=_reduce_shape("reduce_sum"),
    jvp=(lambda t, out, x, *, axes: reduce_sum(t, axes=axes),),
    transpose=lambda ct, x, *, axes: [_expand_back(ct, x.aval.shape, axes)],
)
reduce_sum_p.vmap = _reduce_vmap(reduce_sum_p)


def reduce_sum(x, *, axes):
    axes = tuple(sorted(int(a) for a in axes))
    if not axes:
        return x
    return bind(reduce_sum_p, x, axes=axes)


def _extremum_jvp(t, out, x, *, axes):
    hit = convert_element_type(eq(x, _expand_back(out, shape_of(x), axes)), new_dtype=out.dtype)
    count = reduce_sum(hit, axes=axes)
    share = div(hit, _expand_back(count, shape_of(x), axes))
    return reduce_sum(tmul(t, share), axes=axes)


def _max_impl(x, *, axes):
    return np.asarray(np.max(x, axis=axes))


def _min_impl(x, *, axes):
    return np.asarray(np.min(x, axis=axes))


reduce_max_p = Primitive(
    "reduce_max", impl=_max_impl, shape=_reduce_shape("reduce_max"), jvp=(_extremum_jvp,)
)
reduce_max_p.vmap = _reduce_vmap(reduce_max_p)
reduce_min_p = Primitive(
    "reduce_min", impl=_min_impl, shape=_reduce_shape("reduce_min"), jvp=(_extremum_jvp,)
)
reduce_min_p.vmap = _reduce_vmap(reduce_min_p)


def reduce_max(x, *, axes):
    axes = tuple(sorted(int(a) for a in axes))
    return bind(reduce_max_p, x, axes=axes) if axes else x


def reduce_min(x, *, axes):
    axes = tuple(sorted(int(a) for a in axes))
    return bind(reduce_min_p, x, axes=axes) if axes else x


def _prod_jvp(t, out, x, *, axes):
    # d prod = sum_i t_i * prod_{j != i} x_j: the exclusive products from both sides, with
    # no division by x (zeros are fine)
    from .cumulative import cumprod
    from .shape import reshape, transpose

    kept = _kept_dims(len(shape_of(x)), axes)
    perm = kept + tuple(axes)
    xt = transpose(x, perm=perm)
    tt = transpose(t, perm=perm)
    lead = tuple(shape_of(xt)[: len(kept)])
    n = int(np.prod([shape_of(x)[a] for a in axes], dtype=np.int64))
    xf = reshape(xt, new_sizes=lead + (n,))
    tf = reshape(tt, new_sizes=lead + (n,))
    ax = len(lead)
    before = cumprod(xf, axis=ax, reverse=False, exclusive=True)
    after = cumprod(xf, axis=ax, reverse=True, exclusive=True)
    return reduce_sum(tmul(tf, mul(before, after)), axes=(ax,))


def _prod_impl(x, *, axes):
    return np.asarray(np.prod(x, axis=axes, dtype=np.asarray(x).dtype))


reduce_prod_p = Primitive(
    "reduce_prod", impl=_prod_impl, shape=_reduce_shape("reduce_prod"), jvp=(_prod_jvp,)
)
reduce_prod_p.vmap = _reduce_vmap(reduce_prod_p)


def reduce_prod(x, *, axes):
    axes = tuple(sorted(int(a) for a in axes))
    return bind(reduce_prod_p, x, axes=axes) if axes else x


def _arg_impl(fn):
    def impl(x, *, axes, index_dtype):
        (axis,) = axes
        return np.asarray(fn(x, axis=axis).astype(index_dtype))

    return impl


argmax_p = Primitive(
    "argmax", impl=_arg_impl(np.argmax), shape=_reduce_shape("argmax"), jvp=(lambda *a, **k: None,)
)
argmax_p.vmap = _reduce_vmap(argmax_p)
argmin_p = Primitive(
    "argmin", impl=_arg_impl(np.argmin), shape=_reduce_shape("argmin"), jvp=(lambda *a, **k: None,)
)
argmin_p.vmap = _reduce_vmap(argmin_p)


def argmax(x, *, axis: int, index_dtype=np.int64):
    return bind(argmax_p, x, axes=(int(axis),), index_dtype=np.dtype(index_dtype))


def argmin(x, *, axis: int, index_dtype=np.int64):
    return bind(argmin_p, x, axes=(int(axis),), index_dtype=np.dtype(index_dtype))


__all__ = ["reduce_sum", "reduce_max", "reduce_min", "reduce_prod", "argmax", "argmin", "lit"]
