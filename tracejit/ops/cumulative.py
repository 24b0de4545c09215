"""Cumulative reductions along one axis: cumsum, cumprod, cummax, cummin.

`reverse=True` accumulates from the end (out[i] combines x[i:]), as lax.cumsum. The
output has the operand's dtype. cumsum is linear (its transpose is the cumsum in the
other direction); the others have JVPs written with ops, through `_linear_recurrence`,
a log-depth scan h[i] = a[i] * h[i-1] + b[i] built from pad, mul and add, so that the
rules can be differentiated and batched again.

Kinks: where cummax/cummin ties, out[i] = x[j] for several j <= i; each tied element
gets an equal share of the tangent (the minimum-norm subgradient, as reduce_max). For
two tied elements this equals the central difference.
"""

from __future__ import annotations

import numpy as np

from ..trace import Primitive, bind
from .common import shape_error, shape_of
from .elementwise import add, convert_element_type, div, eq, lit, mul, tmul
from .shape import pad

__all__ = ["cumsum", "cumprod", "cummax", "cummin"]


def _shift(x, k: int, axis: int, fill):
    """x moved k places along axis (towards the end if k > 0), vacated places = fill."""
    config = [(0, 0, 0)] * len(shape_of(x))
    config[axis] = (k, -k, 0)
    return pad(x, lit(fill, x), padding_config=tuple(config))


def _linear_recurrence(a, b, axis: int, reverse: bool):
    """h[i] = a[i] * h[i-1] + b[i] with h[-1] = 0 (i counted from the end if reverse).

    Hillis-Steele scan on the affine maps h -> a h + b: after the step with shift s,
    (a[i], h[i]) compose the maps on the window of 2s elements ending at i. Linear in b.
    """
    n = shape_of(a)[axis]
    sign = -1 if reverse else 1
    s = 1
    while s < n:
        b = add(b, tmul(_shift(b, sign * s, axis, 0), a))
        if 2 * s < n:
            a = mul(a, _shift(a, sign * s, axis, 1))
        s *= 2
    return b


def _cum_shape(name):
    def shape(x, *, axis, reverse):
        if not (0 <= axis < x.ndim):
            raise shape_error(name, f"axis {axis} out of range for {x}")
        return x

    return shape


def _cum_impl(ufunc):
    def impl(x, *, axis, reverse):
        x = np.asarray(x)
        if reverse:
            return np.flip(ufunc.accumulate(np.flip(x, axis), axis=axis, dtype=x.dtype), axis)
        return ufunc.accumulate(x, axis=axis, dtype=x.dtype)

    return impl


def _cum_vmap(prim):
    def rule(args, bdims, *, axis, reverse):
        (x,), (d,) = args, bdims
        return prim.bind(x, axis=axis if axis < d else axis + 1, reverse=reverse), d

    return rule


def _cum_bind(prim, x, axis: int, reverse: bool):
    axis = int(axis)
    return bind(prim, x, axis=axis + len(shape_of(x)) if axis < 0 else axis, reverse=bool(reverse))


def _exclusive(out, axis: int, reverse: bool, identity):
    """out[i] without x[i]'s own term: the inclusive result moved one place on."""
    axis = axis + len(shape_of(out)) if axis < 0 else axis
    return _shift(out, -1 if reverse else 1, axis, identity)


# ---------------------------------------------------------------------------
# cumsum (linear)

cumsum_p = Primitive(
    "cumsum",
    impl=_cum_impl(np.add),
    shape=_cum_shape("cumsum"),
    jvp=(lambda t, out, x, **p: cumsum(t, **p),),
    transpose=lambda ct, x, *, axis, reverse: [cumsum(ct, axis=axis, reverse=not reverse)],
    doc="Running sums along axis; reverse=True sums from the end.",
)
cumsum_p.vmap = _cum_vmap(cumsum_p)


def cumsum(x, *, axis: int, reverse: bool = False, exclusive: bool = False):
    """`exclusive=True` leaves out x[i] itself: the first output is 0."""
    out = _cum_bind(cumsum_p, x, axis, reverse)
    return _exclusive(out, axis, reverse, 0) if exclusive else out


# ---------------------------------------------------------------------------
# cumprod: d out[i] = x[i] d out[i-1] + out[i-1] t[i], a linear recurrence (zeros are fine)


def _cumprod_jvp(t, out, x, *, axis, reverse):
    before = _exclusive(out, axis, reverse, 1)
    return _linear_recurrence(x, tmul(t, before), axis, reverse)


cumprod_p = Primitive(
    "cumprod",
    impl=_cum_impl(np.multiply),
    shape=_cum_shape("cumprod"),
    jvp=(_cumprod_jvp,),
    doc="Running products along axis; reverse=True multiplies from the end.",
)
cumprod_p.vmap = _cum_vmap(cumprod_p)


def cumprod(x, *, axis: int, reverse: bool = False, exclusive: bool = False):
    """`exclusive=True` leaves out x[i] itself: the first output is 1."""
    out = _cum_bind(cumprod_p, x, axis, reverse)
    return _exclusive(out, axis, reverse, 1) if exclusive else out


# ---------------------------------------------------------------------------
# cummax and cummin


def _cum_extremum_jvp(t, out, x, *, axis, reverse):
    # out is monotone, so the j <= i with x[j] == out[i] all lie in the run of equal out
    # values containing i, and are the hits x[j] == out[j] there. A recurrence that
    # restarts (a = 0) where out changes sums the hits' tangents and counts them.
    hit = convert_element_type(eq(x, out), new_dtype=out.dtype)
    prev = _shift(out, -1 if reverse else 1, axis, 0)
    same = convert_element_type(eq(out, prev), new_dtype=out.dtype)
    total = _linear_recurrence(same, tmul(t, hit), axis, reverse)
    count = _linear_recurrence(same, hit, axis, reverse)
    return div(total, count)


cummax_p = Primitive(
    "cummax",
    impl=_cum_impl(np.maximum),
    shape=_cum_shape("cummax"),
    jvp=(_cum_extremum_jvp,),
    doc="Running maximum along axis; ties share the tangent equally.",
)
cummax_p.vmap = _cum_vmap(cummax_p)


def cummax(x, *, axis: int, reverse: bool = False):
    return _cum_bind(cummax_p, x, axis, reverse)


cummin_p = Primitive(
    "cummin",
    impl=_cum_impl(np.minimum),
    shape=_cum_shape("cummin"),
    jvp=(_cum_extremum_jvp,),
    doc="Running minimum along axis; ties share the tangent equally.",
)
cummin_p.vmap = _cum_vmap(cummin_p)


def cummin(x, *, axis: int, reverse: bool = False):
    return _cum_bind(cummin_p, x, axis, reverse)
