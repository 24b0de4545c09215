"""dot_general: contraction over paired axes, with paired batch axes (lax semantics).

`dimension_numbers = ((lhs_contract, rhs_contract), (lhs_batch, rhs_batch))`; the output
axes are the batch axes, then the free (neither contracted nor batch) axes of x, then
those of y, each group in operand order. matmul, vector dot, outer products, tensordot
and batched matmul are all this one primitive; tracejit.numpy maps onto it.
"""

from __future__ import annotations

import math

import numpy as np

from ..trace import Primitive, bind
from .common import UndefinedPrimal, dtype_of, shape_error, shape_of
from .elementwise import convert_element_type
from .shape import transpose

__all__ = ["dot_general", "dot_general_p"]


def _free(ndim: int, contract, batch) -> tuple[int, ...]:
    return tuple(i for i in range(ndim) if i not in contract and i not in batch)


def _dot_shape(x, y, *, dimension_numbers, preferred_element_type=None):
    (xc, yc), (xb, yb) = dimension_numbers

    def fail(msg):
        raise shape_error("dot_general", f"{msg}; operands {x} and {y}, {dimension_numbers=}")

    if x.dtype != y.dtype:
        fail("operand dtypes differ (convert one first)")
    if len(xc) != len(yc) or len(xb) != len(yb):
        fail("lhs and rhs need as many contracting dims, and as many batch dims, as each other")
    for dims, nd, side in ((xc + xb, x.ndim, "lhs"), (yc + yb, y.ndim, "rhs")):
        if any(not 0 <= d < nd for d in dims) or len(set(dims)) != len(dims):
            fail(f"{side} contracting/batch dims out of range or repeated")
    for kind, xd, yd in (("contracting", xc, yc), ("batch", xb, yb)):
        for i, j in zip(xd, yd, strict=True):
            if x.shape[i] != y.shape[j]:
                fail(
                    f"{kind} dims differ in size: lhs dim {i} is {x.shape[i]}, rhs dim {j} "
                    f"is {y.shape[j]}"
                )
    shape = (
        tuple(x.shape[i] for i in xb)
        + tuple(x.shape[i] for i in _free(x.ndim, xc, xb))
        + tuple(y.shape[i] for i in _free(y.ndim, yc, yb))
    )
    return x.update(shape=shape, dtype=preferred_element_type or x.dtype)


def _as_matmul(x, y, dimension_numbers):
    """Views (x', y') with np.matmul(x', y') equal to the dot_general, or None.

    Covers matrix-vector, vector-matrix, vector dot and (batched, leading batch dims)
    matmul with either operand transposed: the eager path's common cases, with no copy.
    """
    (xc, yc), (xb, yb) = dimension_numbers
    nb = len(xb)
    if len(xc) != 1 or not xb == yb == tuple(range(nb)):
        return None
    if x.ndim == nb + 2:
        xm = x if xc == (nb + 1,) else np.swapaxes(x, -1, -2)
    elif x.ndim == 1 and nb == 0:
        xm = x
    else:
        return None
    if y.ndim == nb + 2:
        ym = y if yc == (nb,) else np.swapaxes(y, -1, -2)
    elif y.ndim == 1 and nb == 0:
        ym = y
    else:
        return None
    return xm, ym


def _dot_impl(x, y, *, dimension_numbers, preferred_element_type=None):
    """One np.matmul: on views when _as_matmul applies; otherwise after bringing x to
    (B, M, K) and y to (B, K, N) with a transpose and a reshape, as np.tensordot does."""
    x, y = np.asarray(x), np.asarray(y)
    if preferred_element_type is not None:
        x = x.astype(preferred_element_type, copy=False)
        y = y.astype(preferred_element_type, copy=False)
    views = _as_matmul(x, y, dimension_numbers)
    if views is not None:
        return np.asarray(np.matmul(*views))
    (xc, yc), (xb, yb) = dimension_numbers
    xf, yf = _free(x.ndim, xc, xb), _free(y.ndim, yc, yb)
    bshape = tuple(x.shape[i] for i in xb)
    mshape = tuple(x.shape[i] for i in xf)
    nshape = tuple(y.shape[i] for i in yf)
    b, m, n = math.prod(bshape), math.prod(mshape), math.prod(nshape)
    k = math.prod(x.shape[i] for i in xc)
    x3 = np.transpose(x, xb + xf + xc).reshape(b, m, k)
    y3 = np.transpose(y, yb + yc + yf).reshape(b, k, n)
    out = np.matmul(x3[0], y3[0]) if b == 1 else np.matmul(x3, y3)
    return out.reshape(bshape + mshape + nshape)


def _dot_jvp_x(t, out, x, y, **params):
    return dot_general(t, y, **params)


def _dot_jvp_y(t, out, x, y, **params):
    return dot_general(x, t, **params)


def _ranges_like(*groups):
    start = 0
    for g in groups:
        yield tuple(range(start, start + len(g)))
        start += len(g)


def _transpose_lhs(ct, x_aval, y, dimension_numbers, swap_ans):
    """Cotangent of x in out = dot_general(x, y) (or of y, when `swap_ans`).

    ct has axes (batch, x free, y free) ((batch, y free, x free) when swapped). Contract
    its y-free axes with y's free axes, batching on the batch axes: the result has axes
    (batch, x free, x contract ordered like y's contract), which one transpose puts back
    in x's order.
    """
    (xc, yc), (xb, yb) = dimension_numbers
    x_free = _free(len(x_aval.shape), xc, xb)
    y_free = _free(len(shape_of(y)), yc, yb)
    if swap_ans:
        ct_batch, ct_y, _ = _ranges_like(xb, y_free, x_free)
    else:
        ct_batch, _, ct_y = _ranges_like(xb, x_free, y_free)
    if dtype_of(ct) != dtype_of(y):  # preferred_element_type widened the output
        ct = convert_element_type(ct, new_dtype=dtype_of(y))
    dims = ((ct_y, y_free), (ct_batch, yb))
    xc_by_y = tuple(xc[i] for i in np.argsort(yc))
    perm = tuple(np.argsort(xb + x_free + xc_by_y).tolist())
    out = transpose(dot_general(ct, y, dimension_numbers=dims), perm=perm)
    if dtype_of(out) != x_aval.dtype:
        out = convert_element_type(out, new_dtype=x_aval.dtype)
    return out


def _dot_transpose(ct, x, y, *, dimension_numbers, preferred_element_type=None):
    (xc, yc), (xb, yb) = dimension_numbers
    if isinstance(x, UndefinedPrimal):
        assert not isinstance(y, UndefinedPrimal), "dot_general is bilinear, not linear"
        return [_transpose_lhs(ct, x.aval, y, dimension_numbers, False), None]
    swapped = ((yc, xc), (yb, xb))
    return [None, _transpose_lhs(ct, y.aval, x, swapped, True)]


def _shift(dims, bdim):
    return tuple(d + (d >= bdim) for d in dims)


def _dot_vmap(args, bdims, *, dimension_numbers, preferred_element_type=None):
    """Both batched: the batch axis becomes a dot_general batch dim (output axis 0).
    One batched: it is a free axis of that operand and lands among its free outputs.
    Either way no operand is transposed."""
    (x, y), (dx, dy) = args, bdims
    (xc, yc), (xb, yb) = dimension_numbers
    if dx is not None:
        xc, xb = _shift(xc, dx), _shift(xb, dx)
    if dy is not None:
        yc, yb = _shift(yc, dy), _shift(yb, dy)
    if dx is not None and dy is not None:
        dn = ((xc, yc), ((dx,) + xb, (dy,) + yb))
        out_bdim = 0
    elif dx is not None:
        dn = ((xc, yc), (xb, yb))
        out_bdim = len(xb) + _free(len(shape_of(x)), xc, xb).index(dx)
    else:
        dn = ((xc, yc), (xb, yb))
        n_x_free = len(shape_of(x)) - len(xc) - len(xb)
        out_bdim = len(xb) + n_x_free + _free(len(shape_of(y)), yc, yb).index(dy)
    out = dot_general(x, y, dimension_numbers=dn, preferred_element_type=preferred_element_type)
    return out, out_bdim


dot_general_p = Primitive(
    "dot_general",
    impl=_dot_impl,
    shape=_dot_shape,
    jvp=(_dot_jvp_x, _dot_jvp_y),
    transpose=_dot_transpose,
    vmap=_dot_vmap,
    doc="Contract paired axes of x and y, batching over paired batch axes; output axes "
    "(batch, x free, y free). Bilinear.",
)


def dot_general(x, y, *, dimension_numbers, preferred_element_type=None):
    """lax.dot_general: `dimension_numbers = ((x_contract, y_contract), (x_batch, y_batch))`."""
    (xc, yc), (xb, yb) = dimension_numbers
    dn = tuple(tuple(tuple(int(d) for d in ds) for ds in pair) for pair in ((xc, yc), (xb, yb)))
    pet = None if preferred_element_type is None else np.dtype(preferred_element_type)
    if pet is not None and pet == dtype_of(x) == dtype_of(y):
        pet = None  # one spelling per program, so IR text stays a stable cache key
    return bind(dot_general_p, x, y, dimension_numbers=dn, preferred_element_type=pet)
