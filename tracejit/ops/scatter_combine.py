"""scatter_mul, scatter_min, scatter_max: x with updates combined in at idx along axis.

Like scatter_add, every update lands: where idx repeats, all its updates are combined
(np.multiply.at / np.minimum.at / np.maximum.at), never only the last. The index
contract is ops/indexing.py's (normalised by tracejit.numpy, clipped here), and so is
batching. None of them is linear; the JVPs are written with scatter_add and gather:

- scatter_mul: out = x * P with P the product of the updates at each position. The
  tangent of an update is x times the product of the other updates at its position,
  found without dividing by an update that may be zero (by counting the zeros).
- scatter_min/max: the tangent at a position is shared equally by the operand and the
  updates that tie with the result there (1/k each for k ties: the README's kink
  convention for min/max reductions, and JAX's).
"""

from __future__ import annotations

import numpy as np

from ..trace import Primitive, bind
from .common import dtype_of, shape_of
from .elementwise import convert_element_type, div, eq, lit, mul, select
from .elementwise import max as maximum
from .indexing import _clip, _scatter_shape, _scatter_vmap, gather, scatter_add
from .shape import _zeros, broadcast_in_dim

__all__ = ["scatter_mul", "scatter_min", "scatter_max"]


def _combine_impl(ufunc):
    def impl(x, idx, updates, *, axis):
        out = np.array(x, copy=True)
        where = (slice(None),) * axis + (_clip(idx, out.shape[axis]),)
        ufunc.at(out, where, updates)
        return out

    return impl


def _float(mask, like):
    return convert_element_type(mask, new_dtype=dtype_of(like))


def _ones(x):
    return broadcast_in_dim(lit(1, x), shape=shape_of(x), broadcast_dimensions=())


def _mul_jvp_updates(t, out, x, idx, updates, *, axis):
    zero = eq(updates, lit(0, updates))
    nonzero = select(zero, lit(1, updates), updates)
    prod = gather(scatter_mul(_ones(x), idx, nonzero, axis=axis), idx, axis=axis)
    zeros = scatter_add(_zeros(shape_of(x), dtype_of(x)), idx, _float(zero, x), axis=axis)
    zeros = gather(zeros, idx, axis=axis)
    # the product of the other updates at this update's position
    others = select(
        zero,
        select(eq(zeros, lit(1, zeros)), prod, lit(0, prod)),
        select(eq(zeros, lit(0, zeros)), div(prod, nonzero), lit(0, prod)),
    )
    return mul(x, scatter_add(_zeros(shape_of(x), dtype_of(t)), idx, mul(t, others), axis=axis))


def _ties(out, x, idx, updates, axis):
    """(operand hits, update hits, tie count at each position, at least 1)."""
    hit_x = eq(x, out)
    hit_u = eq(updates, gather(out, idx, axis=axis))
    count = scatter_add(_float(hit_x, x), idx, _float(hit_u, x), axis=axis)
    return hit_x, hit_u, maximum(count, lit(1, count))


def _extremal_jvp_x(t, out, x, idx, updates, *, axis):
    hit_x, _, count = _ties(out, x, idx, updates, axis)
    return select(hit_x, div(t, count), lit(0, t))


def _extremal_jvp_updates(t, out, x, idx, updates, *, axis):
    _, hit_u, count = _ties(out, x, idx, updates, axis)
    share = select(hit_u, div(t, gather(count, idx, axis=axis)), lit(0, t))
    return scatter_add(_zeros(shape_of(x), dtype_of(t)), idx, share, axis=axis)


scatter_mul_p = Primitive(
    "scatter_mul",
    impl=_combine_impl(np.multiply),
    shape=_scatter_shape("scatter_mul"),
    jvp=(
        lambda t, out, x, idx, updates, *, axis: mul(
            t, scatter_mul(_ones(x), idx, updates, axis=axis)
        ),
        None,
        _mul_jvp_updates,
    ),
    doc="x with updates multiplied in at idx along axis (np.multiply.at: repeats combine).",
)
scatter_mul_p.vmap = _scatter_vmap(scatter_mul_p)

scatter_min_p = Primitive(
    "scatter_min",
    impl=_combine_impl(np.minimum),
    shape=_scatter_shape("scatter_min"),
    jvp=(_extremal_jvp_x, None, _extremal_jvp_updates),
    doc="x with updates min-ed in at idx along axis (np.minimum.at: repeats combine).",
)
scatter_min_p.vmap = _scatter_vmap(scatter_min_p)

scatter_max_p = Primitive(
    "scatter_max",
    impl=_combine_impl(np.maximum),
    shape=_scatter_shape("scatter_max"),
    jvp=(_extremal_jvp_x, None, _extremal_jvp_updates),
    doc="x with updates max-ed in at idx along axis (np.maximum.at: repeats combine).",
)
scatter_max_p.vmap = _scatter_vmap(scatter_max_p)


def scatter_mul(x, idx, updates, *, axis: int):
    return bind(scatter_mul_p, x, idx, updates, axis=int(axis))


def scatter_min(x, idx, updates, *, axis: int):
    return bind(scatter_min_p, x, idx, updates, axis=int(axis))


def scatter_max(x, idx, updates, *, axis: int):
    return bind(scatter_max_p, x, idx, updates, axis=int(axis))
